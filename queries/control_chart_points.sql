-- Every valid numeric result of the control charts' lots, as numbers only (a CDMO's charts hold millions of
-- points; their text comes once per lot and per chart from control_chart_lots and control_chart_attributes).
-- Lots are clinical, engineering and PPQ batches made on or before $as_of (development runs are experiments,
-- not the process). Results are the valid, finite ones tested on or before $as_of, of attributes of kind cqa,
-- cpp or ipc. A lot's point on a chart is its latest day's value, the mean when it has several results that day:
-- the lens takes it from this order: grouping ten million results by lot, attribute and day, then by lot and
-- chart (nearly all groups of one), was three quarters of the question's time.
-- `lot` is the batch's position by manufactured_on and batch_id among the batches of $program_id (of every
-- program when NULL), `chart` the attribute's position by program_id and attribute among the attributes of
-- $program_id: the numbers control_chart_lots and control_chart_attributes return. Numbered so, lots sort in
-- the order they were made by their number, and the sort is on one packed number (chart, lot) and the day:
-- sorting on chart, day made, lot and day took two thirds of the question's time, the packed number less than
-- half as long.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program),
--             $attribute (VARCHAR, or NULL for every attribute).
-- Returns: chart, lot, tested_on, value; ordered by chart, then lot (the lot's manufactured_on and batch_id),
-- then tested_on.
WITH lots AS (
    SELECT batch_id, program_id, lot
    FROM (SELECT *, row_number() OVER (ORDER BY manufactured_on, batch_id) - 1 AS lot
          FROM batches WHERE $program_id IS NULL OR program_id = $program_id)
    WHERE purpose IN ('clinical', 'engineering', 'ppq')
      AND manufactured_on <= $as_of
),
charts AS (
    SELECT program_id, attribute, chart
    FROM (SELECT *, row_number() OVER (ORDER BY program_id, attribute) - 1 AS chart
          FROM attributes WHERE $program_id IS NULL OR program_id = $program_id)
    WHERE kind IN ('cqa', 'cpp', 'ipc')
),
lot_results AS MATERIALIZED (  -- kept apart: otherwise the planner joins every lot of a program to every chart
                               -- of it first (ten million pairs at a CDMO's volume)
    SELECT l.lot, l.program_id, r.attribute, r.tested_on, r.value
    FROM results AS r
    JOIN lots AS l ON l.batch_id = r.batch_id
    WHERE r.tested_on <= $as_of
      AND r.status = 'valid'
      AND r.value IS NOT NULL
      AND isfinite(r.value)
      AND ($attribute IS NULL OR r.attribute = $attribute)
)
SELECT c.chart, d.lot, d.tested_on, d.value
FROM lot_results AS d
JOIN charts AS c ON c.program_id = d.program_id AND c.attribute = d.attribute
ORDER BY (c.chart << 32) | d.lot, d.tested_on  -- chart < 2^31 and lot < 2^32: one BIGINT
