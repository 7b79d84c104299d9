-- One program's chart of GMP lots by material risk tier: per GMP batch (clinical or PPQ) made on or before the
-- as-of date and per material risk tier, how many materials of that tier went into it and the worst of their
-- qualification states on the manufacture date ('not_qualified' worse than 'lapsed' worse than 'qualified';
-- material_state_on in macros/as_of_rules.sql).
-- Parameters: $as_of (DATE), $program_id (VARCHAR).
-- Returns: batch_id, manufactured_on, risk_tier (INTEGER), materials, state; highest tier first, then by
--          manufacture date (the chart's rows top down, each left to right).
WITH uses AS (  -- each material once per batch (a batch may use several of its lots), so a plain count counts materials
    SELECT DISTINCT
        b.batch_id,
        b.manufactured_on,
        CAST(m.risk_tier AS INTEGER) AS risk_tier,
        m.material_id,
        CASE material_state_on(m.qualified_on, m.requalify_by, b.manufactured_on)
            WHEN 'not_qualified' THEN 3
            WHEN 'lapsed' THEN 2
            ELSE 1
        END AS badness
    FROM material_usage AS u
    JOIN batches AS b ON b.batch_id = u.batch_id
    JOIN materials AS m ON m.material_id = u.material_id AND m.program_id = b.program_id
    WHERE b.purpose IN ('clinical', 'ppq')
      AND b.manufactured_on <= $as_of
      AND b.program_id = $program_id
)
SELECT
    batch_id,
    manufactured_on,
    risk_tier,
    count(*) AS materials,
    CASE max(badness) WHEN 3 THEN 'not_qualified' WHEN 2 THEN 'lapsed' ELSE 'qualified' END AS state
FROM uses
GROUP BY batch_id, manufactured_on, risk_tier
ORDER BY risk_tier DESC, manufactured_on, batch_id
