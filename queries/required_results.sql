-- Every result the data plan requires on clinical batches made by the as-of date, and whether it is there.
-- An attribute is required on a batch when its `required_from` phase is at or before the phase the
-- program was in on the batch's manufacture date. Failed batches are left out (nothing to release).
-- A batch's disposition counts from its disposition_on; one without that date counts as known.
-- A missing result is 'pending' while the batch is in process and younger than $due_days.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program), $phases (the phases
--             in order, VARCHAR[]), $due_days (INTEGER).
-- Returns: program_id, batch_id, process_version, manufactured_on, disposition, disposition_on,
--          attribute, category, required_from, state ('present' | 'missing' | 'pending'), invalidated
--          (an invalidated result exists), invalidated_on (the latest invalidated result's tested_on, or NULL).
WITH clinical AS (
    SELECT
        b.program_id,
        b.batch_id,
        b.process_version,
        b.manufactured_on,
        disposition_on_day(b.disposition, b.disposition_on, $as_of) AS disposition,
        disposition_date_on_day(b.disposition_on, $as_of) AS disposition_on
    FROM batches AS b
    WHERE b.purpose = 'clinical'
      AND b.manufactured_on <= $as_of
      AND ($program_id IS NULL OR b.program_id = $program_id)
),
with_phase AS (
    SELECT
        c.*,
        CASE
            WHEN h.phase IS NOT NULL THEN h.phase
            WHEN EXISTS (SELECT 1 FROM phase_history AS x WHERE x.program_id = c.program_id) THEN 'preclinical'
            ELSE p.phase
        END AS phase_made
    FROM clinical AS c
    JOIN programs AS p ON p.program_id = c.program_id
    ASOF LEFT JOIN phase_history AS h
        ON h.program_id = c.program_id AND c.manufactured_on >= h.started_on
    WHERE c.disposition <> 'failed'
),
expected AS (
    SELECT w.*, a.attribute, a.category, a.required_from
    FROM with_phase AS w
    JOIN attributes AS a ON a.program_id = w.program_id
    WHERE a.required_from IS NOT NULL
      AND list_position($phases, a.required_from) <= list_position($phases, w.phase_made)
),
recorded AS (  -- the required results only: grouping every result of every batch was most of the time
    SELECT
        r.batch_id,
        r.attribute,
        bool_or(r.status = 'valid') AS has_valid,
        bool_or(r.status = 'invalidated') AS has_invalidated,
        max(r.tested_on) FILTER (WHERE r.status = 'invalidated') AS invalidated_on
    FROM results AS r
    SEMI JOIN expected AS e ON e.batch_id = r.batch_id AND e.attribute = r.attribute
    WHERE r.tested_on <= $as_of
      AND r.attribute IN (SELECT attribute FROM expected)
    GROUP BY r.batch_id, r.attribute
)
SELECT
    e.program_id,
    e.batch_id,
    e.process_version,
    e.manufactured_on,
    e.disposition,
    e.disposition_on,
    e.attribute,
    e.category,
    e.required_from,
    CASE
        WHEN coalesce(r.has_valid, false) THEN 'present'
        WHEN e.disposition = 'in_process' AND e.manufactured_on > $as_of - $due_days THEN 'pending'
        ELSE 'missing'
    END AS state,
    coalesce(r.has_invalidated, false) AS invalidated,
    r.invalidated_on
FROM expected AS e
LEFT JOIN recorded AS r ON r.batch_id = e.batch_id AND r.attribute = e.attribute
ORDER BY e.program_id, e.manufactured_on, e.batch_id, e.attribute
