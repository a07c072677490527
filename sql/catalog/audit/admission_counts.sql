-- name: admission_counts
-- title: Admission counts and source digests per input
-- description: For each input of the run: the file as configured, its format, sha256 and size,
--   rows read, admitted and rejected, the rejected share, and the rejects recorded for it in
--   inputs/rejects.csv (which must agree with the admission report).
-- reads: admission_inputs, rejects

with

reject_rows as (

    select
        input,
        count(distinct row) as rejected_rows,
        count(*) as reject_reasons
    from rejects
    group by input

)

select
    admission_inputs.input,
    admission_inputs.file,
    admission_inputs.format,
    admission_inputs.source_sha256,
    admission_inputs.source_size,
    admission_inputs.rows_read,
    admission_inputs.rows_admitted,
    admission_inputs.rows_rejected,
    cast(
        admission_inputs.rows_rejected / nullif(admission_inputs.rows_read, 0) as decimal(9, 4)
    ) as rejected_share,
    coalesce(reject_rows.rejected_rows, 0) as rejects_file_rows,
    coalesce(reject_rows.reject_reasons, 0) as rejects_file_reasons,
    coalesce(reject_rows.rejected_rows, 0) = admission_inputs.rows_rejected as rejects_agree,
    admission_inputs.rows_admitted + admission_inputs.rows_rejected
    = admission_inputs.rows_read as counts_add_up
from admission_inputs
left join reject_rows
    on admission_inputs.input = reject_rows.input
order by admission_inputs.input
