-- The as-of rules every question shares, defined once as DuckDB macros when a dataset is loaded.
-- disposition_on_day(disposition, disposition_on, day): the batch's disposition as it stood on `day`; a
--   disposition counts from its disposition_on, and one without a date is taken as known on every day.
-- disposition_date_on_day(disposition_on, day): that date, or NULL if it lies after `day`.
-- material_state_on(qualified_on, requalify_by, day): a material's qualification on `day`: 'not_qualified' (no
--   qualified_on, or one after `day`: a qualification is not known before its date), 'lapsed' (its requalify_by
--   is before `day`) or 'qualified'.
-- Parameters: none (the macros take their arguments from the question that uses them).
-- Returns: nothing; it defines the macros.
CREATE OR REPLACE MACRO disposition_on_day(disposition, disposition_on, day) AS
    CASE
        WHEN disposition_on IS NOT NULL AND disposition_on <= day THEN disposition
        WHEN disposition_on IS NULL AND disposition <> 'in_process' THEN disposition
        ELSE 'in_process'
    END;
CREATE OR REPLACE MACRO disposition_date_on_day(disposition_on, day) AS
    CASE WHEN disposition_on <= day THEN disposition_on END;
CREATE OR REPLACE MACRO material_state_on(qualified_on, requalify_by, day) AS
    CASE
        WHEN qualified_on IS NULL OR qualified_on > day THEN 'not_qualified'
        WHEN requalify_by < day THEN 'lapsed'
        ELSE 'qualified'
    END;
