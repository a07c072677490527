-- name: rejects_by_reason
-- title: Rejected input rows by reason
-- description: Rejected input rows grouped by input, column and reason: how many rows, the first
--   and last row numbers (header = row 1), and up to five example row numbers to open in the
--   source file.
-- reads: rejects

select
    input,
    file,
    coalesce("column", '(row)') as column_name,
    reason,
    count(*) as rejects,
    count(distinct row) as rows_rejected,
    min(row) as first_row,
    max(row) as last_row,
    array_to_string(list_slice(list(distinct row order by row), 1, 5), ',') as example_rows
from rejects
group by input, file, "column", reason
order by input asc, rejects desc, file asc, column_name asc, reason asc
