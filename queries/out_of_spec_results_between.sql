-- Valid numeric results tested after $since and on or before $as_of that fall outside the attribute's
-- specification limits (a limit that is not set does not bound).
-- Parameters: $since (DATE, exclusive), $as_of (DATE, inclusive), $program_id (VARCHAR, or NULL for all).
-- Returns: program_id, batch_id, attribute, value, unit, lower_limit, upper_limit, tested_on.
SELECT b.program_id, r.batch_id, r.attribute, r.value, a.unit, a.lower_limit, a.upper_limit, r.tested_on
FROM results AS r
JOIN batches AS b ON b.batch_id = r.batch_id
JOIN attributes AS a ON a.program_id = b.program_id AND a.attribute = r.attribute
WHERE r.tested_on > $since
  AND r.tested_on <= $as_of
  AND r.status = 'valid'
  AND r.value IS NOT NULL
  AND (r.value < a.lower_limit OR r.value > a.upper_limit)
  AND ($program_id IS NULL OR b.program_id = $program_id)
ORDER BY b.program_id, r.tested_on, r.batch_id, r.attribute
