-- Approved control limits whose centre is not midway between the lower and upper limit (or that are not
-- finite, or whose lower limit is not below the upper): the run-rule zones are sixths of the band around
-- the centre, so such limits cannot be used. Midway is tested as Python's math.isclose does (relative 1e-9).
-- Returns: _file, _row. Parameters: none.
SELECT _file, _row
FROM typed.control_limits
WHERE center IS NOT NULL
  AND lower IS NOT NULL
  AND upper IS NOT NULL
  AND NOT (
      isfinite(center) AND isfinite(lower) AND isfinite(upper)
      AND lower < center AND center < upper
      AND abs((center - lower) - (upper - center))
          <= 1e-9 * greatest(abs(center - lower), abs(upper - center))
  )
