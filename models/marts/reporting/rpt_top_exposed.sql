-- The run report's exposure ranking: the report_top_exposed entities of entity_scores by rank.

select
    exposure_rank,
    entity_id,
    primary_name,
    programs,
    exposure_score,
    matched_value_usd,
    match_shipments,
    review_shipments,
    controlled_share,
    trend
from {{ ref('entity_scores') }}
where exposure_rank <= {{ var('report_top_exposed') }}
