-- Major and critical deviations that were open on a batch when it was released or administered.
-- Batches meant for patients (clinical, PPQ) made by $as_of whose disposition, released or administered,
-- holds on $as_of. The batch records only its latest disposition, so that is the one judged: on its
-- disposition_on, a deviation on the batch is open if opened on or before that day and not closed on or
-- before it. A disposition without a date is known on every day, so it is judged on $as_of itself.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, batch_id, disposition, disposition_on, judged_on (the day the deviation was open
--          on), deviation_id, severity, title, opened_on, closed_on (NULL if not closed by $as_of).
WITH disposed AS (
    SELECT
        b.program_id,
        b.batch_id,
        b.disposition,
        b.disposition_on,
        coalesce(b.disposition_on, $as_of) AS judged_on
    FROM batches AS b
    WHERE b.purpose IN ('clinical', 'ppq')
      AND b.manufactured_on <= $as_of
      AND b.disposition IN ('released', 'administered')
      AND (b.disposition_on IS NULL OR b.disposition_on <= $as_of)
      AND ($program_id IS NULL OR b.program_id = $program_id)
)
SELECT
    x.program_id,
    x.batch_id,
    x.disposition,
    x.disposition_on,
    x.judged_on,
    d.deviation_id,
    d.severity,
    d.title,
    d.opened_on,
    CASE WHEN d.closed_on <= $as_of THEN d.closed_on END AS closed_on
FROM disposed AS x
JOIN deviations AS d ON d.batch_id = x.batch_id
WHERE d.severity IN ('major', 'critical')
  AND d.opened_on <= x.judged_on
  AND (d.closed_on IS NULL OR d.closed_on > x.judged_on)
ORDER BY x.program_id, x.batch_id, d.opened_on, d.deviation_id
