-- The process versions of each program's charted lots, in the order they started, and the changes that
-- introduce them: a new version starts its own control-chart baseline, and the chart marks where.
-- Lots are clinical, engineering and PPQ batches made on or before $as_of. A version is current when the
-- program's latest such lot (by manufactured_on, then batch_id) was made with it. introduced_by names the
-- changes that exist on $as_of (opened on or before it) whose to_process_version is the version.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, process_version, first_made_on, lots, is_current, introduced_by (text or NULL);
--          ordered by program_id, first_made_on, process_version.
WITH lots AS (
    SELECT program_id, batch_id, process_version, manufactured_on
    FROM batches
    WHERE purpose IN ('clinical', 'engineering', 'ppq')
      AND manufactured_on <= $as_of
      AND ($program_id IS NULL OR program_id = $program_id)
),
versions AS (
    SELECT program_id, process_version, min(manufactured_on) AS first_made_on, count(*) AS lots
    FROM lots
    GROUP BY program_id, process_version
),
latest AS (
    SELECT program_id, first(process_version ORDER BY manufactured_on DESC, batch_id DESC) AS process_version
    FROM lots
    GROUP BY program_id
),
introducing AS (
    SELECT program_id, to_process_version AS process_version,
           string_agg(change_id, ', ' ORDER BY change_id) AS introduced_by
    FROM changes
    WHERE opened_on <= $as_of AND to_process_version IS NOT NULL
    GROUP BY program_id, to_process_version
)
SELECT
    v.program_id,
    v.process_version,
    v.first_made_on,
    v.lots,
    coalesce(l.process_version = v.process_version, false) AS is_current,
    i.introduced_by
FROM versions AS v
LEFT JOIN latest AS l ON l.program_id = v.program_id
LEFT JOIN introducing AS i ON i.program_id = v.program_id AND i.process_version = v.process_version
ORDER BY v.program_id, v.first_made_on, v.process_version
