-- The lots of each comparability exercise on the as-of date, with their numeric CQA results.
-- An exercise is a change that exists on $as_of and names the process version it introduces. The cut-off
-- is the earlier of its implementation and the first batch of the new version (either counting only if on
-- or before $as_of). Lots are clinical, engineering and PPQ batches (development runs are experiments, not
-- the process). The version the change replaces (from_version) is that of the last lot of another version
-- made before the cut-off (or by $as_of when there is no cut-off yet): comparing with older processes too
-- would mix earlier shifts into the reference. Pre-change lots: lots of from_version made before the
-- cut-off, excluding lots rejected or failed on $as_of: the reference is the product the old process
-- released. Post-change lots: lots of the new version made on or before $as_of, excluding failed lots (a
-- rejected lot is part of what the new process makes).
-- A lot's value is the mean of its valid, finite numeric results for the attribute tested on or before
-- $as_of; only attributes of kind 'cqa' count. Lots without any such result are left out.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: a row per exercise, CQA and side with at least one lot: program_id, change_id, from_version,
--          cut_on, attribute, unit, side ('pre' | 'post'), batch_ids and lot_values (the lots and their
--          values, in order of manufacture, then batch id).
WITH disposed AS (
    SELECT
        program_id,
        batch_id,
        process_version,
        manufactured_on,
        disposition_on_day(disposition, disposition_on, $as_of) AS disposition
    FROM batches
    WHERE manufactured_on <= $as_of
      AND purpose IN ('clinical', 'engineering', 'ppq')
      AND ($program_id IS NULL OR program_id = $program_id)
),
cuts AS (
    SELECT
        c.program_id,
        c.change_id,
        c.to_process_version,
        least(
            CASE WHEN c.implemented_on <= $as_of THEN c.implemented_on END,
            (SELECT min(d.manufactured_on) FROM disposed AS d
             WHERE d.program_id = c.program_id AND d.process_version = c.to_process_version)
        ) AS cut_on
    FROM changes AS c
    WHERE c.opened_on <= $as_of
      AND c.to_process_version IS NOT NULL
      AND ($program_id IS NULL OR c.program_id = $program_id)
),
exercises AS (
    SELECT
        k.*,
        (SELECT d.process_version FROM disposed AS d
         WHERE d.program_id = k.program_id
           AND d.process_version <> k.to_process_version
           AND (k.cut_on IS NULL OR d.manufactured_on < k.cut_on)
         ORDER BY d.manufactured_on DESC, d.batch_id DESC
         LIMIT 1) AS from_version
    FROM cuts AS k
),
lots AS (
    SELECT e.program_id, e.change_id, e.to_process_version, e.from_version, e.cut_on, 'pre' AS side,
           d.batch_id, d.process_version, d.manufactured_on
    FROM exercises AS e
    JOIN disposed AS d ON d.program_id = e.program_id AND d.process_version = e.from_version
    WHERE (e.cut_on IS NULL OR d.manufactured_on < e.cut_on)
      AND d.disposition NOT IN ('rejected', 'failed')
    UNION ALL
    SELECT e.program_id, e.change_id, e.to_process_version, e.from_version, e.cut_on, 'post', d.batch_id,
           d.process_version, d.manufactured_on
    FROM exercises AS e
    JOIN disposed AS d ON d.program_id = e.program_id AND d.process_version = e.to_process_version
    WHERE d.disposition <> 'failed'
),
values_ AS (
    SELECT r.batch_id, r.attribute, avg(r.value) AS value
    FROM results AS r
    WHERE r.tested_on <= $as_of AND r.status = 'valid' AND isfinite(r.value)
      AND r.batch_id IN (SELECT batch_id FROM lots)  -- only the exercises' lots, not every program's results
      AND r.attribute IN (SELECT attribute FROM attributes WHERE kind = 'cqa')  -- nor every attribute's
    GROUP BY r.batch_id, r.attribute
)
SELECT  -- a list per CQA and side, not a row per lot: a row per lot and CQA was most of the time
    l.program_id,
    l.change_id,
    l.from_version,
    l.cut_on,
    a.attribute,
    l.side,
    a.unit,
    list(l.batch_id ORDER BY l.manufactured_on, l.batch_id) AS batch_ids,
    list(v.value ORDER BY l.manufactured_on, l.batch_id) AS lot_values
FROM lots AS l
JOIN values_ AS v ON v.batch_id = l.batch_id
JOIN attributes AS a ON a.program_id = l.program_id AND a.attribute = v.attribute AND a.kind = 'cqa'
GROUP BY l.program_id, l.change_id, l.from_version, l.cut_on, a.attribute, l.side, a.unit
ORDER BY l.program_id, l.change_id, a.attribute, l.side DESC
