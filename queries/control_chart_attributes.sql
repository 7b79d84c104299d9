-- The attributes a control chart can be drawn for: kind cqa, cpp or ipc, with their unit and specification
-- limits (non-finite limits are treated as absent).
-- `chart` is the attribute's position by program_id and attribute among the attributes of $program_id (of
-- every program when NULL), the number control_chart_points gives its points.
-- Parameters: $program_id (VARCHAR, or NULL for every program), $attribute (VARCHAR, or NULL for every attribute).
-- Returns: chart, program_id, attribute, kind, unit, lower_limit, upper_limit; ordered by chart.
SELECT chart, program_id, attribute, kind, unit,
       CASE WHEN isfinite(lower_limit) THEN lower_limit END AS lower_limit,
       CASE WHEN isfinite(upper_limit) THEN upper_limit END AS upper_limit
FROM (SELECT *, row_number() OVER (ORDER BY program_id, attribute) - 1 AS chart
      FROM attributes WHERE $program_id IS NULL OR program_id = $program_id)
WHERE kind IN ('cqa', 'cpp', 'ipc')
  AND ($attribute IS NULL OR attribute = $attribute)
ORDER BY chart
