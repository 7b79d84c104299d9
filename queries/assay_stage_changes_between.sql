-- Analytical methods that were qualified or validated after $since and on or before $as_of.
-- Parameters: $since (DATE, exclusive), $as_of (DATE, inclusive), $program_id (VARCHAR, or NULL for all).
-- Returns: program_id, assay_id, name, category, stage ('qualified' | 'validated'), event_on.
SELECT program_id, assay_id, name, category, stage, event_on
FROM (
    SELECT *, 'qualified' AS stage, qualified_on AS event_on FROM assays
    UNION ALL SELECT *, 'validated', validated_on FROM assays
)
WHERE event_on > $since
  AND event_on <= $as_of
  AND ($program_id IS NULL OR program_id = $program_id)
ORDER BY program_id, event_on, assay_id
