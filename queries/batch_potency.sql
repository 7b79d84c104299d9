-- Every clinical batch made by the as-of date and not failed on it, with the potency results it carries.
-- A potency result is a result tested on or before $as_of whose assay has category 'potency' or whose
-- attribute has category 'potency' in the program's data plan. It is quantitative when it has a numeric
-- value and its assay's readout is 'quantitative' (a result naming no assay has no known readout).
-- A batch's disposition counts from its disposition_on; one without that date counts as known.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, batch_id, process_version, manufactured_on, month (of manufacture, YYYY-MM),
--          disposition, disposition_on, invalidated (a potency result of the batch was invalidated),
--          state: the best valid potency result, 'quantitative' | 'qualitative_only', or, with none,
--          'none_administered' | 'none_released' | 'none_not_released' (in process or rejected).
WITH clinical AS (
    SELECT
        b.program_id,
        b.batch_id,
        b.process_version,
        b.manufactured_on,
        disposition_on_day(b.disposition, b.disposition_on, $as_of) AS disposition,
        disposition_date_on_day(b.disposition_on, $as_of) AS disposition_on
    FROM batches AS b
    WHERE b.purpose = 'clinical'
      AND b.manufactured_on <= $as_of
      AND ($program_id IS NULL OR b.program_id = $program_id)
),
candidates AS MATERIALIZED (  -- the clinical batches' potency results, cut before any join: the joins below
                              -- then see a hundredth of the results, not all of them
    SELECT r.batch_id, r.assay_id, r.attribute, r.status, r.value
    FROM results AS r
    SEMI JOIN clinical AS c ON c.batch_id = r.batch_id
    WHERE r.tested_on <= $as_of
      AND (r.assay_id IN (SELECT assay_id FROM assays WHERE category = 'potency')
           OR r.attribute IN (SELECT attribute FROM attributes WHERE category = 'potency'))
),
potency AS (
    SELECT
        r.batch_id,
        bool_or(r.status = 'valid') AS has_valid,
        bool_or(r.status = 'valid' AND a.readout = 'quantitative' AND r.value IS NOT NULL) AS has_quantitative,
        bool_or(r.status = 'invalidated') AS has_invalidated
    FROM candidates AS r
    JOIN clinical AS c ON c.batch_id = r.batch_id
    LEFT JOIN assays AS a ON a.assay_id = r.assay_id
    LEFT JOIN attributes AS t ON t.program_id = c.program_id AND t.attribute = r.attribute
    WHERE a.category = 'potency' OR t.category = 'potency'
    GROUP BY r.batch_id
)
SELECT
    c.program_id,
    c.batch_id,
    c.process_version,
    c.manufactured_on,
    strftime(c.manufactured_on, '%Y-%m') AS month,
    c.disposition,
    c.disposition_on,
    coalesce(p.has_invalidated, false) AS invalidated,
    CASE
        WHEN coalesce(p.has_quantitative, false) THEN 'quantitative'
        WHEN coalesce(p.has_valid, false) THEN 'qualitative_only'
        WHEN c.disposition IN ('administered', 'released') THEN 'none_' || c.disposition
        ELSE 'none_not_released'
    END AS state
FROM clinical AS c
LEFT JOIN potency AS p ON p.batch_id = c.batch_id
WHERE c.disposition <> 'failed'
ORDER BY c.program_id, c.manufactured_on, c.batch_id
