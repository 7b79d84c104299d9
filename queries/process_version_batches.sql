-- Every batch made by the as-of date, with its process version and disposition that day, and whether a
-- change record covered its process version when it was made.
-- A batch is covered when its version is the program's first one (the version of its earliest batch), or
-- when a change of the program introduces that version (to_process_version) and was approved on or before
-- the batch's manufacture date (hence on or before $as_of). introduced_by names the changes that exist on
-- $as_of and introduce the version; introduced_approved_on is their earliest approval on or before $as_of.
-- A batch's disposition counts from its disposition_on; one without that date counts as known.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, batch_id, purpose, process_version, manufactured_on, disposition, disposition_on,
--          first_version, covered, introduced_by, introduced_approved_on.
WITH made AS (
    SELECT
        b.program_id,
        b.batch_id,
        b.purpose,
        b.process_version,
        b.manufactured_on,
        disposition_on_day(b.disposition, b.disposition_on, $as_of) AS disposition,
        disposition_date_on_day(b.disposition_on, $as_of) AS disposition_on,
        first_value(b.process_version) OVER (
            PARTITION BY b.program_id ORDER BY b.manufactured_on, b.batch_id) AS first_version
    FROM batches AS b
    WHERE b.manufactured_on <= $as_of
      AND ($program_id IS NULL OR b.program_id = $program_id)
),
introducing AS (
    SELECT
        c.program_id,
        c.to_process_version AS process_version,
        string_agg(c.change_id, ', ' ORDER BY c.change_id) AS introduced_by,
        min(CASE WHEN c.approved_on <= $as_of THEN c.approved_on END) AS introduced_approved_on
    FROM changes AS c
    WHERE c.opened_on <= $as_of AND c.to_process_version IS NOT NULL
    GROUP BY c.program_id, c.to_process_version
)
SELECT
    m.program_id,
    m.batch_id,
    m.purpose,
    m.process_version,
    m.manufactured_on,
    m.disposition,
    m.disposition_on,
    m.first_version,
    m.process_version = m.first_version OR EXISTS (
        SELECT 1 FROM changes AS c
        WHERE c.program_id = m.program_id
          AND c.to_process_version = m.process_version
          AND c.approved_on <= m.manufactured_on
    ) AS covered,
    i.introduced_by,
    i.introduced_approved_on
FROM made AS m
LEFT JOIN introducing AS i ON i.program_id = m.program_id AND i.process_version = m.process_version
ORDER BY m.program_id, m.manufactured_on, m.batch_id
