-- Material uses whose material belongs to another program than the batch: a bill of materials cannot
-- draw on another program's qualification. Uses of unknown batches or materials are left to the
-- reference checks. Returns: _file, _row of each such row in typed.material_usage. Parameters: none.
SELECT u._file, u._row
FROM typed.material_usage AS u
JOIN main.batches AS b ON b.batch_id = u.batch_id
JOIN main.materials AS m ON m.material_id = u.material_id
WHERE m.program_id <> b.program_id
