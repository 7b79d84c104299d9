-- One value per lot for each numeric attribute of the data plan, in lot order: the points of a control chart.
-- Lots are clinical, engineering and PPQ batches made on or before $as_of (development runs are experiments,
-- not the process). A lot's value is its valid numeric result tested on or before $as_of; when it has
-- several, the latest tested_on wins, and several valid results tested that same day are averaged.
-- Only attributes of kind cqa, cpp or ipc; non-finite values and limits are treated as absent.
-- A batch's disposition counts from its disposition_on; one without that date counts as known.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program),
--             $attribute (VARCHAR, or NULL for every attribute).
-- Returns: program_id, attribute, kind, category, unit, lower_limit, upper_limit, batch_id, purpose,
--          process_version, manufactured_on, disposition, disposition_on, tested_on, value;
--          ordered by program_id, attribute, manufactured_on, batch_id.
WITH lots AS (
    SELECT
        b.program_id,
        b.batch_id,
        b.purpose,
        b.process_version,
        b.manufactured_on,
        disposition_on_day(b.disposition, b.disposition_on, $as_of) AS disposition,
        disposition_date_on_day(b.disposition_on, $as_of) AS disposition_on
    FROM batches AS b
    WHERE b.purpose IN ('clinical', 'engineering', 'ppq')
      AND b.manufactured_on <= $as_of
      AND ($program_id IS NULL OR b.program_id = $program_id)
),
valid AS (
    SELECT
        r.batch_id,
        r.attribute,
        r.tested_on,
        r.value,
        max(r.tested_on) OVER (PARTITION BY r.batch_id, r.attribute) AS latest
    FROM results AS r
    JOIN lots AS l ON l.batch_id = r.batch_id
    WHERE r.tested_on <= $as_of
      AND r.status = 'valid'
      AND r.value IS NOT NULL
      AND isfinite(r.value)
      AND ($attribute IS NULL OR r.attribute = $attribute)
),
per_lot AS (
    SELECT batch_id, attribute, tested_on, avg(value) AS value
    FROM valid
    WHERE tested_on = latest
    GROUP BY batch_id, attribute, tested_on
)
SELECT
    l.program_id,
    a.attribute,
    a.kind,
    a.category,
    a.unit,
    CASE WHEN isfinite(a.lower_limit) THEN a.lower_limit END AS lower_limit,
    CASE WHEN isfinite(a.upper_limit) THEN a.upper_limit END AS upper_limit,
    l.batch_id,
    l.purpose,
    l.process_version,
    l.manufactured_on,
    l.disposition,
    l.disposition_on,
    v.tested_on,
    v.value
FROM per_lot AS v
JOIN lots AS l ON l.batch_id = v.batch_id
JOIN attributes AS a ON a.program_id = l.program_id AND a.attribute = v.attribute
WHERE a.kind IN ('cqa', 'cpp', 'ipc')
ORDER BY l.program_id, a.attribute, l.manufactured_on, l.batch_id
