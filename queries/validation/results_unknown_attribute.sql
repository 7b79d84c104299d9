-- Results whose attribute is not in the data plan of the program their batch belongs to.
-- Results of unknown batches are left to the reference check. Returns: _file, _row. Parameters: none.
SELECT r._file, r._row
FROM typed.results AS r
JOIN main.batches AS b ON b.batch_id = r.batch_id
WHERE r.attribute IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM main.attributes AS a
      WHERE a.program_id = b.program_id AND a.attribute = r.attribute
  )
