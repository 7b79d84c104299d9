-- Deviations open on the as-of date, with their age and the batch they touch (as it stood that day).
-- A deviation is open on $as_of if opened on or before it and not closed on or before it, so one closed
-- after $as_of is still open in that day's view.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, deviation_id, severity, title, opened_on, age_days (days from opened_on to $as_of),
--          batch_id, batch_disposition (the batch's disposition on $as_of; NULL without a batch),
--          batch_disposition_on.
SELECT
    d.program_id,
    d.deviation_id,
    d.severity,
    d.title,
    d.opened_on,
    date_diff('day', d.opened_on, $as_of) AS age_days,
    d.batch_id,
    CASE WHEN b.batch_id IS NOT NULL THEN disposition_on_day(b.disposition, b.disposition_on, $as_of) END
        AS batch_disposition,
    disposition_date_on_day(b.disposition_on, $as_of) AS batch_disposition_on
FROM deviations AS d
LEFT JOIN batches AS b ON b.batch_id = d.batch_id AND b.manufactured_on <= $as_of
WHERE d.opened_on <= $as_of
  AND (d.closed_on IS NULL OR d.closed_on > $as_of)
  AND ($program_id IS NULL OR d.program_id = $program_id)
ORDER BY d.program_id, d.opened_on, d.deviation_id
