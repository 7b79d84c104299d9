-- Materials that brought in a new supplier: another material of the same program and name (compared
-- trimmed and case-blind) from a different supplier went into a GMP batch (clinical or PPQ) first.
-- Only batches made on or before $as_of count. The change record the material names is returned as it
-- stood on $as_of: not yet opened means no record; an approval dated after $as_of means not approved.
-- Parameters: $as_of (DATE), $program_id (VARCHAR, or NULL for every program).
-- Returns: program_id, material_id, name and supplier (trimmed), previous_suppliers (text, comma-separated),
--          first_gmp_use, change_id (NULL when none or not opened by $as_of), change_type, change_title,
--          approved_on (NULL when not approved by $as_of).
WITH first_use AS (
    SELECT
        m.program_id,
        m.material_id,
        trim(m.name) AS name,
        lower(trim(m.name)) AS name_key,
        trim(m.supplier) AS supplier,
        lower(trim(m.supplier)) AS supplier_key,
        m.change_id,
        min(b.manufactured_on) AS first_gmp_use
    FROM materials AS m
    JOIN material_usage AS u ON u.material_id = m.material_id
    JOIN batches AS b ON b.batch_id = u.batch_id AND b.program_id = m.program_id
    WHERE b.purpose IN ('clinical', 'ppq')
      AND b.manufactured_on <= $as_of
      AND ($program_id IS NULL OR m.program_id = $program_id)
    GROUP BY m.program_id, m.material_id, trim(m.name), m.name, trim(m.supplier), m.supplier, m.change_id
)
SELECT
    n.program_id,
    n.material_id,
    n.name,
    n.supplier,
    string_agg(DISTINCT o.supplier, ', ' ORDER BY o.supplier) AS previous_suppliers,
    n.first_gmp_use,
    c.change_id,
    c.change_type,
    c.title AS change_title,
    CASE WHEN c.approved_on <= $as_of THEN c.approved_on END AS approved_on
FROM first_use AS n
JOIN first_use AS o
    ON o.program_id = n.program_id
   AND o.name_key = n.name_key
   AND o.supplier_key <> n.supplier_key
   AND o.first_gmp_use < n.first_gmp_use
LEFT JOIN changes AS c ON c.change_id = n.change_id AND c.opened_on <= $as_of
GROUP BY n.program_id, n.material_id, n.name, n.supplier, n.first_gmp_use, c.change_id, c.change_type, c.title,
         c.approved_on
ORDER BY n.program_id, n.material_id
