-- Change records opened and closed per calendar month, from each program's first change to the as-of month.
-- Only dates on or before $as_of count; months without an event are returned with zeros.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, month (DATE, first day of the month), opened, closed.
WITH events AS (
    SELECT program_id, date_trunc('month', opened_on) AS month, 1 AS opened, 0 AS closed
    FROM changes
    WHERE opened_on <= $as_of AND ($program_id IS NULL OR program_id = $program_id)
    UNION ALL
    SELECT program_id, date_trunc('month', closed_on), 0, 1
    FROM changes
    WHERE opened_on <= $as_of AND closed_on <= $as_of AND ($program_id IS NULL OR program_id = $program_id)
),
months AS (
    SELECT e.program_id, CAST(unnest(generate_series(min(e.month), date_trunc('month', $as_of), INTERVAL 1 MONTH))
                              AS DATE) AS month
    FROM events AS e
    GROUP BY e.program_id
)
SELECT
    m.program_id,
    m.month,
    CAST(coalesce(sum(e.opened), 0) AS INTEGER) AS opened,
    CAST(coalesce(sum(e.closed), 0) AS INTEGER) AS closed
FROM months AS m
LEFT JOIN events AS e ON e.program_id = m.program_id AND e.month = m.month
GROUP BY m.program_id, m.month
ORDER BY m.program_id, m.month
