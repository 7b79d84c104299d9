-- Per program and month of manufacture: the GMP batches (clinical or PPQ) made on or before the as-of date with
-- at least one material use, and how many of them were made entirely with materials qualified, and in date, on
-- the manufacture date (material_state_on in macros/as_of_rules.sql). Counted here rather than from each
-- batch's tiers, which only one program's chart needs (material_tiers_by_batch).
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, month ('YYYY-MM'), batches, all_qualified.
WITH lots AS (
    SELECT
        b.program_id,
        b.manufactured_on,
        bool_and(material_state_on(m.qualified_on, m.requalify_by, b.manufactured_on) = 'qualified') AS all_qualified
    FROM material_usage AS u
    JOIN batches AS b ON b.batch_id = u.batch_id
    JOIN materials AS m ON m.material_id = u.material_id AND m.program_id = b.program_id
    WHERE b.purpose IN ('clinical', 'ppq')
      AND b.manufactured_on <= $as_of
      AND ($program_id IS NULL OR b.program_id = $program_id)
    GROUP BY b.program_id, b.batch_id, b.manufactured_on
)
SELECT
    program_id,
    strftime(manufactured_on, '%Y-%m') AS month,
    count(*) AS batches,
    count(*) FILTER (WHERE all_qualified) AS all_qualified
FROM lots
GROUP BY program_id, month
ORDER BY program_id, month
