-- The assays of each program's potency matrix, each with its lifecycle stage on the as-of date.
-- An assay belongs to the potency matrix when its category is 'potency' or it names the element of the
-- mechanism of action it reads out (a CAR-expression flow assay filed under identity, for instance).
-- Stage on $as_of, most mature first: 'validated' if validated_on <= $as_of; 'qualified' if
-- qualified_on <= $as_of; 'developing' if it has produced at least one result (of any status, on any
-- batch) tested on or before $as_of; otherwise 'exploratory' (defined, never run).
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, assay_id, name, category, mechanism, readout, first_result_on, results (count
--          tested on or before $as_of), qualified_on, validated_on (each NULL unless on or before $as_of),
--          stage.
WITH used AS (
    SELECT assay_id, min(tested_on) AS first_result_on, count(*) AS results
    FROM results
    WHERE assay_id IN (SELECT assay_id FROM assays WHERE $program_id IS NULL OR program_id = $program_id)
      AND tested_on <= $as_of
    GROUP BY assay_id
)
SELECT
    a.program_id,
    a.assay_id,
    a.name,
    a.category,
    a.mechanism,
    a.readout,
    u.first_result_on,
    coalesce(u.results, 0) AS results,
    CASE WHEN a.qualified_on <= $as_of THEN a.qualified_on END AS qualified_on,
    CASE WHEN a.validated_on <= $as_of THEN a.validated_on END AS validated_on,
    CASE
        WHEN a.validated_on <= $as_of THEN 'validated'
        WHEN a.qualified_on <= $as_of THEN 'qualified'
        WHEN u.results > 0 THEN 'developing'
        ELSE 'exploratory'
    END AS stage
FROM assays AS a
LEFT JOIN used AS u ON u.assay_id = a.assay_id
WHERE (a.category = 'potency' OR a.mechanism IS NOT NULL)
  AND ($program_id IS NULL OR a.program_id = $program_id)
ORDER BY a.program_id, a.assay_id
