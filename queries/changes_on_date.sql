-- Every change record that exists on the as-of date, as it stood that day.
-- A change exists from its opened_on; a later date (approval, implementation, closure, completion of
-- comparability) counts only if it is on or before $as_of, otherwise it is returned as NULL.
-- A change is open if it was not closed on or before $as_of; age_days is counted for open changes only.
-- comparability_status: 'not required', 'completed' (on or before $as_of) or 'outstanding'.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, change_id, title, change_type, risk, opened_on, approved_on, implemented_on,
--          closed_on, to_process_version, comparability_required, comparability_completed_on, is_open,
--          age_days, comparability_status.
SELECT
    c.program_id,
    c.change_id,
    c.title,
    c.change_type,
    c.risk,
    c.opened_on,
    CASE WHEN c.approved_on <= $as_of THEN c.approved_on END AS approved_on,
    CASE WHEN c.implemented_on <= $as_of THEN c.implemented_on END AS implemented_on,
    CASE WHEN c.closed_on <= $as_of THEN c.closed_on END AS closed_on,
    c.to_process_version,
    c.comparability_required,
    CASE WHEN c.comparability_completed_on <= $as_of THEN c.comparability_completed_on END
        AS comparability_completed_on,
    coalesce(c.closed_on > $as_of, true) AS is_open,
    CASE WHEN coalesce(c.closed_on > $as_of, true) THEN datediff('day', c.opened_on, $as_of) END AS age_days,
    CASE
        WHEN NOT c.comparability_required THEN 'not required'
        WHEN c.comparability_completed_on <= $as_of THEN 'completed'
        ELSE 'outstanding'
    END AS comparability_status
FROM changes AS c
WHERE c.opened_on <= $as_of
  AND ($program_id IS NULL OR c.program_id = $program_id)
ORDER BY c.program_id, c.opened_on, c.change_id
