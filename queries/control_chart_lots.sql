-- The lots a control chart can plot, one row per batch: clinical, engineering and PPQ batches made on or
-- before $as_of (development runs are experiments, not the process), with their disposition as it stood that day.
-- `lot` is the batch's position by manufactured_on and batch_id among the batches of $program_id (of every
-- program when NULL), the number control_chart_points gives its points.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: lot, program_id, batch_id, purpose, process_version, manufactured_on, disposition; ordered by lot.
SELECT lot, program_id, batch_id, purpose, process_version, manufactured_on,
       disposition_on_day(disposition, disposition_on, $as_of) AS disposition
FROM (SELECT *, row_number() OVER (ORDER BY manufactured_on, batch_id) - 1 AS lot
      FROM batches WHERE $program_id IS NULL OR program_id = $program_id)
WHERE purpose IN ('clinical', 'engineering', 'ppq')
  AND manufactured_on <= $as_of
ORDER BY lot
