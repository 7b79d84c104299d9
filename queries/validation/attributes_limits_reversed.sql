-- Attributes whose lower specification limit lies above the upper one: no result could pass.
-- Returns: _file, _row. Parameters: none.
SELECT _file, _row
FROM typed.attributes
WHERE lower_limit IS NOT NULL
  AND upper_limit IS NOT NULL
  AND lower_limit > upper_limit
