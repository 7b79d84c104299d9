-- Each program's data plan by attribute category: which attributes of a category it holds, and the earliest
-- phase from which one of them is required (NULL when none is ever required).
-- Parameters: $program_id (VARCHAR, or NULL for every program), $phases (the phases in order, VARCHAR[]).
-- Returns: program_id, category, attributes (the category's attributes, sorted, comma-separated),
--          required_from (the earliest required_from of those attributes, or NULL).
SELECT
    a.program_id,
    a.category,
    string_agg(a.attribute, ', ' ORDER BY a.attribute) AS attributes,
    arg_min(a.required_from, list_position($phases, a.required_from)) AS required_from
FROM attributes AS a
WHERE $program_id IS NULL OR a.program_id = $program_id
GROUP BY a.program_id, a.category
ORDER BY a.program_id, a.category
