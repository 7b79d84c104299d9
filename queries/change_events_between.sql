-- Change-control events dated after $since and on or before $as_of: opened, approved, implemented,
-- closed, and comparability completed, one row per event.
-- Parameters: $since (DATE, exclusive), $as_of (DATE, inclusive), $program_id (VARCHAR, or NULL for all).
-- Returns: program_id, change_id, title, change_type, risk, event, event_on.
SELECT program_id, change_id, title, change_type, risk, event, event_on
FROM (
    SELECT *, 'opened' AS event, opened_on AS event_on FROM changes
    UNION ALL SELECT *, 'approved', approved_on FROM changes
    UNION ALL SELECT *, 'implemented', implemented_on FROM changes
    UNION ALL SELECT *, 'closed', closed_on FROM changes
    UNION ALL SELECT *, 'comparability completed', comparability_completed_on FROM changes
)
WHERE event_on > $since
  AND event_on <= $as_of
  AND ($program_id IS NULL OR program_id = $program_id)
ORDER BY program_id, event_on, change_id
