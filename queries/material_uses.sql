-- Every use of a material in a batch made on or before the as-of date, with the material's qualification
-- state on the batch's manufacture date: 'not_qualified' (no qualified_on, or qualified after the batch
-- was made: a qualification dated after $as_of is not known yet and so is after the batch too),
-- 'lapsed' (made after the material's requalify_by date) or 'qualified'.
-- A batch's disposition counts from its disposition_on; one without that date counts as known.
-- GMP batches are the clinical and PPQ ones.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, material_id, batch_id, purpose, gmp, manufactured_on, disposition, disposition_on,
--          material_lot, state.
WITH uses AS (  -- only the uses in the batches asked about: every program's uses would be deduplicated
    SELECT DISTINCT u.batch_id, u.material_id, u.material_lot
    FROM material_usage AS u
    JOIN batches AS b ON b.batch_id = u.batch_id
    WHERE b.manufactured_on <= $as_of
      AND ($program_id IS NULL OR b.program_id = $program_id)
)
SELECT
    b.program_id,
    m.material_id,
    b.batch_id,
    b.purpose,
    b.purpose IN ('clinical', 'ppq') AS gmp,
    b.manufactured_on,
    disposition_on_day(b.disposition, b.disposition_on, $as_of) AS disposition,
    disposition_date_on_day(b.disposition_on, $as_of) AS disposition_on,
    u.material_lot,
    CASE
        WHEN m.qualified_on IS NULL OR m.qualified_on > b.manufactured_on THEN 'not_qualified'
        WHEN m.requalify_by < b.manufactured_on THEN 'lapsed'
        ELSE 'qualified'
    END AS state
FROM uses AS u
JOIN batches AS b ON b.batch_id = u.batch_id
JOIN materials AS m ON m.material_id = u.material_id AND m.program_id = b.program_id
WHERE b.manufactured_on <= $as_of
  AND ($program_id IS NULL OR b.program_id = $program_id)
ORDER BY b.program_id, m.material_id, b.manufactured_on, b.batch_id, u.material_lot
