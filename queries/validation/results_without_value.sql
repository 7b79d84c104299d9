-- Results that carry neither a numeric `value` nor a `text_value`: a result row that says nothing.
-- Returns: _file, _row of each such row in typed.results. Parameters: none.
SELECT _file, _row
FROM typed.results
WHERE value IS NULL
  AND (text_value IS NULL OR trim(text_value) = '')
