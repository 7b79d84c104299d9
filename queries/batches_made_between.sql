-- Batches manufactured after $since and on or before $as_of: what the plants made this week.
-- Parameters: $since (DATE, exclusive), $as_of (DATE, inclusive), $program_id (VARCHAR, or NULL for all).
-- Returns: program_id, batch_id, purpose, process_version, site, manufactured_on.
SELECT program_id, batch_id, purpose, process_version, site, manufactured_on
FROM batches
WHERE manufactured_on > $since
  AND manufactured_on <= $as_of
  AND ($program_id IS NULL OR program_id = $program_id)
ORDER BY program_id, manufactured_on, batch_id
