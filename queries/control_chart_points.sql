-- One value per lot for each numeric attribute of the data plan, in lot order: the points of the control charts,
-- as numbers only (a CDMO's charts hold millions of points; their text comes once per lot and per chart from
-- control_chart_lots and control_chart_attributes).
-- Lots are clinical, engineering and PPQ batches made on or before $as_of (development runs are experiments,
-- not the process). A lot's value is its valid numeric result tested on or before $as_of; when it has
-- several, the latest tested_on wins, and several valid results tested that same day are averaged.
-- Only attributes of kind cqa, cpp or ipc; non-finite values are treated as absent.
-- `lot` is the batch's position by batch_id among the batches of $program_id (of every program when NULL),
-- `chart` the attribute's position by program_id and attribute among the attributes of $program_id: the
-- numbers control_chart_lots and control_chart_attributes return.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program),
--             $attribute (VARCHAR, or NULL for every attribute).
-- Returns: chart, lot, tested_on, value; ordered by chart, then the lot's manufactured_on and batch_id.
WITH lots AS (
    SELECT batch_id, program_id, manufactured_on, lot
    FROM (SELECT *, row_number() OVER (ORDER BY batch_id) - 1 AS lot
          FROM batches WHERE $program_id IS NULL OR program_id = $program_id)
    WHERE purpose IN ('clinical', 'engineering', 'ppq')
      AND manufactured_on <= $as_of
),
charts AS (
    SELECT program_id, attribute, kind, row_number() OVER (ORDER BY program_id, attribute) - 1 AS chart
    FROM attributes
    WHERE $program_id IS NULL OR program_id = $program_id
),
lot_days AS (  -- the lot's values averaged per attribute and day before any chart is looked up: joined to the
               -- charts first, every lot of a program met every chart of it (ten million pairs at a CDMO's volume)
    SELECT l.lot, any_value(l.program_id) AS program_id, any_value(l.manufactured_on) AS manufactured_on,
           r.attribute, r.tested_on, avg(r.value) AS value
    FROM results AS r
    JOIN lots AS l ON l.batch_id = r.batch_id
    WHERE r.tested_on <= $as_of
      AND r.status = 'valid'
      AND r.value IS NOT NULL
      AND isfinite(r.value)
      AND ($attribute IS NULL OR r.attribute = $attribute)
    GROUP BY l.lot, r.attribute, r.tested_on
),
per_day AS (
    SELECT c.chart, d.lot, d.manufactured_on, d.tested_on, d.value
    FROM lot_days AS d
    JOIN charts AS c ON c.program_id = d.program_id AND c.attribute = d.attribute
    WHERE c.kind IN ('cqa', 'cpp', 'ipc')
)
SELECT chart, lot, max(tested_on) AS tested_on, arg_max(value, tested_on) AS value
FROM per_day
GROUP BY chart, lot
ORDER BY chart, any_value(manufactured_on), lot
