-- Deviations opened or closed after $since and on or before $as_of, one row per event.
-- Parameters: $since (DATE, exclusive), $as_of (DATE, inclusive), $program_id (VARCHAR, or NULL for all).
-- Returns: program_id, deviation_id, batch_id, severity, title, event, event_on.
SELECT program_id, deviation_id, batch_id, severity, title, event, event_on
FROM (
    SELECT *, 'opened' AS event, opened_on AS event_on FROM deviations
    UNION ALL SELECT *, 'closed', closed_on FROM deviations
)
WHERE event_on > $since
  AND event_on <= $as_of
  AND ($program_id IS NULL OR program_id = $program_id)
ORDER BY program_id, event_on, deviation_id
