-- Quantitative potency results on clinical batches, with the attribute's specification limits, to trend.
-- A point is a valid result tested on or before $as_of, with a numeric value, from an assay whose readout
-- is 'quantitative' and whose category, or the result's attribute's category, is 'potency', on a
-- clinical batch made by $as_of and not failed on it (its disposition counts from disposition_on).
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, assay_id, attribute, unit, batch_id, manufactured_on, value, lower_limit, upper_limit.
SELECT
    b.program_id,
    r.assay_id,
    r.attribute,
    t.unit,
    b.batch_id,
    b.manufactured_on,
    r.value,
    t.lower_limit,
    t.upper_limit
FROM results AS r
JOIN batches AS b ON b.batch_id = r.batch_id
JOIN assays AS a ON a.assay_id = r.assay_id
LEFT JOIN attributes AS t ON t.program_id = b.program_id AND t.attribute = r.attribute
WHERE b.purpose = 'clinical'
  AND b.manufactured_on <= $as_of
  AND NOT (b.disposition = 'failed' AND coalesce(b.disposition_on <= $as_of, true))
  AND r.tested_on <= $as_of
  AND r.status = 'valid'
  AND r.value IS NOT NULL
  AND a.readout = 'quantitative'
  AND (a.category = 'potency' OR t.category = 'potency')
  AND ($program_id IS NULL OR b.program_id = $program_id)
ORDER BY b.program_id, r.assay_id, r.attribute, b.manufactured_on, b.batch_id
