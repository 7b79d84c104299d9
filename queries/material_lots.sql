-- The lots one material went into, made on or before the as-of date, any purpose, with the material's
-- qualification on each lot's manufacture date (material_state_on in macros/as_of_rules.sql); a lot made with
-- several lots of the material has a row for each. A batch's disposition counts from its disposition_on; one
-- without that date counts as known.
-- Parameters: $as_of (DATE), $material_id (VARCHAR).
-- Returns: batch_id, purpose, manufactured_on, disposition, material_lot, state.
WITH uses AS (
    SELECT DISTINCT batch_id, material_lot
    FROM material_usage
    WHERE material_id = $material_id
)
SELECT
    b.batch_id,
    b.purpose,
    b.manufactured_on,
    disposition_on_day(b.disposition, b.disposition_on, $as_of) AS disposition,
    u.material_lot,
    material_state_on(m.qualified_on, m.requalify_by, b.manufactured_on) AS state
FROM uses AS u
JOIN batches AS b ON b.batch_id = u.batch_id
JOIN materials AS m ON m.material_id = $material_id AND m.program_id = b.program_id
WHERE b.manufactured_on <= $as_of
ORDER BY b.manufactured_on, b.batch_id, u.material_lot
