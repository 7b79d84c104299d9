-- The materials of each program known on the as-of date, with their qualification state that day and
-- how they have been used. A material is known once it is used in a batch made on or before $as_of or
-- qualified on or before it; one never used and never qualified is known on every day (nothing dates it).
-- state: the qualification on $as_of (material_state_on in macros/as_of_rules.sql). GMP batches are the
-- clinical and PPQ ones; the current phase is the one in force on $as_of (every batch counts when the program
-- has no phase_history row by then).
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, material_id, name, supplier, kind, risk_tier (INTEGER), grade, qualified_on (NULL
--          when after $as_of), requalify_by, change_id, state, batches, first_used, last_used, gmp_batches,
--          current_phase_gmp_batches.
WITH phase_start AS (
    SELECT program_id, max(started_on) AS started_on
    FROM phase_history
    WHERE started_on <= $as_of
    GROUP BY program_id
),
uses AS (  -- each material's batches once, so the counts below are plain counts. Of every day, not only up to
          -- $as_of: a material with no use at all is known on every day, one first used after $as_of is not yet.
          -- Every use is of a batch of the material's own program (validation leaves the others out).
    SELECT DISTINCT
        u.material_id,
        b.batch_id,
        b.manufactured_on,
        b.purpose IN ('clinical', 'ppq') AS gmp,
        ps.started_on IS NULL OR b.manufactured_on >= ps.started_on AS current_phase
    FROM material_usage AS u
    JOIN batches AS b ON b.batch_id = u.batch_id
    LEFT JOIN phase_start AS ps ON ps.program_id = b.program_id
    WHERE $program_id IS NULL OR b.program_id = $program_id  -- a material is used by its own program only
),
used AS (
    SELECT
        material_id,
        count(*) FILTER (WHERE manufactured_on <= $as_of) AS batches,
        min(manufactured_on) FILTER (WHERE manufactured_on <= $as_of) AS first_used,
        max(manufactured_on) FILTER (WHERE manufactured_on <= $as_of) AS last_used,
        count(*) FILTER (WHERE manufactured_on <= $as_of AND gmp) AS gmp_batches,
        count(*) FILTER (WHERE manufactured_on <= $as_of AND gmp AND current_phase) AS current_phase_gmp_batches
    FROM uses
    GROUP BY material_id
)
SELECT
    m.program_id,
    m.material_id,
    m.name,
    m.supplier,
    m.kind,
    CAST(m.risk_tier AS INTEGER) AS risk_tier,
    m.grade,
    CASE WHEN m.qualified_on <= $as_of THEN m.qualified_on END AS qualified_on,
    m.requalify_by,
    m.change_id,
    material_state_on(m.qualified_on, m.requalify_by, $as_of) AS state,
    coalesce(d.batches, 0) AS batches,
    d.first_used,
    d.last_used,
    coalesce(d.gmp_batches, 0) AS gmp_batches,
    coalesce(d.current_phase_gmp_batches, 0) AS current_phase_gmp_batches
FROM materials AS m
LEFT JOIN used AS d ON d.material_id = m.material_id
WHERE ($program_id IS NULL OR m.program_id = $program_id)
  AND (d.first_used IS NOT NULL
       OR m.qualified_on <= $as_of
       OR (m.qualified_on IS NULL AND d.material_id IS NULL))
ORDER BY m.program_id, m.risk_tier DESC, m.name, m.material_id
