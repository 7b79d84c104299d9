"""Per-lens shaping of the report into the tables and chart frames pages draw, so a page only draws."""
