-- For each change that exists on the as-of date, the clinical and PPQ batches made under it by then:
-- batches of its to_process_version when it names one, otherwise every batch of its program made on or
-- after its implemented_on (a change without a process version is in effect from its implementation).
-- Dates after $as_of count as not yet reached (NULL). A batch's disposition counts from its disposition_on.
-- before_approval: the batch was made before the change was approved (or the change is not approved on $as_of).
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, change_id, batch_id, process_version, manufactured_on, disposition, disposition_on,
--          before_approval.
WITH c AS (
    SELECT
        program_id,
        change_id,
        to_process_version,
        CASE WHEN approved_on <= $as_of THEN approved_on END AS approved_on,
        CASE WHEN implemented_on <= $as_of THEN implemented_on END AS implemented_on
    FROM changes
    WHERE opened_on <= $as_of AND ($program_id IS NULL OR program_id = $program_id)
),
b AS (
    SELECT
        program_id,
        batch_id,
        process_version,
        manufactured_on,
        disposition_on_day(disposition, disposition_on, $as_of) AS disposition,
        disposition_date_on_day(disposition_on, $as_of) AS disposition_on
    FROM batches
    WHERE manufactured_on <= $as_of
      AND purpose IN ('clinical', 'ppq')
      AND ($program_id IS NULL OR program_id = $program_id)
)
SELECT
    c.program_id,
    c.change_id,
    b.batch_id,
    b.process_version,
    b.manufactured_on,
    b.disposition,
    b.disposition_on,
    c.approved_on IS NULL OR b.manufactured_on < c.approved_on AS before_approval
FROM c
JOIN b ON b.program_id = c.program_id
      AND CASE
              WHEN c.to_process_version IS NOT NULL THEN b.process_version = c.to_process_version
              ELSE b.manufactured_on >= c.implemented_on
          END
ORDER BY c.program_id, c.change_id, b.manufactured_on, b.batch_id
