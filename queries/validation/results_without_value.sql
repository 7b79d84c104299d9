-- Results that carry neither a numeric `value` nor a `text_value`: a result row that says nothing.
-- A row already excluded (say, a `value` that is not a number) is not reported again.
-- Returns: _file, _row of each such row in typed.results. Parameters: none.
SELECT r._file, r._row
FROM typed.results AS r
WHERE r.value IS NULL
  AND r.text_value IS NULL
  AND NOT EXISTS (
      SELECT 1 FROM excluded_rows AS e WHERE e.tbl = 'results' AND e._file = r._file AND e._row = r._row
  )
