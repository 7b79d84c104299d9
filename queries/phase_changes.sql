-- Each program's phase changes up to the as-of date, oldest first (drawn on the assay timeline).
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, phase, started_on.
SELECT program_id, phase, started_on
FROM phase_history
WHERE started_on <= $as_of
  AND ($program_id IS NULL OR program_id = $program_id)
ORDER BY program_id, started_on, phase
