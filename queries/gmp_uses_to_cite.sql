-- The uses a materials finding may cite, in GMP batches (clinical or PPQ) made on or before the as-of date:
-- each use of a material that was not qualified, or past its requalify-by date, on the batch's manufacture date
-- (material_state_on in macros/as_of_rules.sql), and each use of a material in $new_suppliers, whatever its
-- state. A qualification dated after $as_of is not known yet and so is after the batch too. A batch's
-- disposition counts from its disposition_on; one without that date counts as known.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program), $new_suppliers (VARCHAR[]: the
--             materials that brought in a new supplier).
-- Returns: program_id, material_id, batch_id, purpose, manufactured_on, disposition, disposition_on,
--          material_lot, state. A lot made with several lots of a material has a row for each.
SELECT DISTINCT
    b.program_id,
    m.material_id,
    b.batch_id,
    b.purpose,
    b.manufactured_on,
    disposition_on_day(b.disposition, b.disposition_on, $as_of) AS disposition,
    disposition_date_on_day(b.disposition_on, $as_of) AS disposition_on,
    u.material_lot,
    material_state_on(m.qualified_on, m.requalify_by, b.manufactured_on) AS state
FROM material_usage AS u
JOIN batches AS b ON b.batch_id = u.batch_id
JOIN materials AS m ON m.material_id = u.material_id AND m.program_id = b.program_id
WHERE b.purpose IN ('clinical', 'ppq')
  AND b.manufactured_on <= $as_of
  AND ($program_id IS NULL OR b.program_id = $program_id)
  AND (material_state_on(m.qualified_on, m.requalify_by, b.manufactured_on) <> 'qualified'
       OR list_contains($new_suppliers, m.material_id))
ORDER BY program_id, material_id, manufactured_on, batch_id, material_lot
