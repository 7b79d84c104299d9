-- The elements of each program's proposed mechanism of action that its potency strategy must cover.
-- The mechanisms table has no date: an element listed holds on every as-of date.
-- Parameters: $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, mechanism.
SELECT program_id, mechanism
FROM mechanisms
WHERE $program_id IS NULL OR program_id = $program_id
ORDER BY program_id, mechanism
