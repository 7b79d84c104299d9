-- Approved control limits that exist on $as_of (approved on or before it), oldest first: each replaces the
-- limits computed from its process version's baseline for lots made on or after its approved_on.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program),
--             $attribute (VARCHAR, or NULL for every attribute).
-- Returns: program_id, attribute, process_version, center, lower, upper, approved_on, reason;
--          ordered by program_id, attribute, process_version, approved_on.
SELECT program_id, attribute, process_version, center, lower, upper, approved_on, reason
FROM control_limits
WHERE approved_on <= $as_of
  AND ($program_id IS NULL OR program_id = $program_id)
  AND ($attribute IS NULL OR attribute = $attribute)
ORDER BY program_id, attribute, process_version, approved_on
