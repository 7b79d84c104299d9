-- Batches whose disposition (released, administered, rejected, failed) was dated after $since and on
-- or before $as_of. Parameters: $since (DATE, exclusive), $as_of (DATE, inclusive), $program_id
-- (VARCHAR, or NULL for all). Returns: program_id, batch_id, purpose, disposition, disposition_on.
SELECT program_id, batch_id, purpose, disposition, disposition_on
FROM batches
WHERE disposition_on > $since
  AND disposition_on <= $as_of
  AND ($program_id IS NULL OR program_id = $program_id)
ORDER BY program_id, disposition_on, batch_id
