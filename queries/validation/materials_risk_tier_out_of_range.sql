-- Materials whose risk tier is not a whole number from 1 to 4 (USP <1043> has four tiers, 4 the highest).
-- A tier that is not a number at all is already excluded as a bad value and is not reported again.
-- Returns: _file, _row of each such row in typed.materials. Parameters: none.
SELECT m._file, m._row
FROM typed.materials AS m
WHERE m.risk_tier IS NOT NULL
  AND (m.risk_tier < 1 OR m.risk_tier > 4 OR m.risk_tier <> floor(m.risk_tier))
