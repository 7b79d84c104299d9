-- The programs, each with the phase in force on the as-of date.
-- The phase in force is the latest phase_history row started on or before $as_of; a program with a
-- history but no row yet on that day was still preclinical; a program without history keeps programs.phase.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, name, modality, indication, next_milestone, next_milestone_on, phase.
SELECT
    p.program_id,
    p.name,
    p.modality,
    p.indication,
    p.next_milestone,
    p.next_milestone_on,
    CASE
        WHEN h.program_id IS NULL THEN p.phase
        ELSE coalesce(h.phase, 'preclinical')
    END AS phase
FROM programs AS p
LEFT JOIN (  -- one row per program with a history; its phase NULL when no row had started by $as_of
    SELECT program_id, arg_max(phase, started_on) FILTER (WHERE started_on <= $as_of) AS phase
    FROM phase_history
    GROUP BY program_id
) AS h ON h.program_id = p.program_id
WHERE $program_id IS NULL OR p.program_id = $program_id
ORDER BY p.program_id
