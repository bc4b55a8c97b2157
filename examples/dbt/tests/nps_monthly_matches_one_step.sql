-- The monthly rollup of the stored daily NPS summaries equals the one-step crm.nps(score) over
-- the raw answers of each month, and so do the counts: a month missing on either side, a day
-- counted twice or a day left out by an incremental run is a returned (failing) row.
with one_step as (
    select date_trunc('month', responded_at at time zone 'UTC')::date as month,
           crm.nps(nps_score) as nps,
           count(nps_score) as responses
    from {{ source('crm_sample', 'survey_responses') }}
    group by 1
    having count(nps_score) > 0
)
select coalesce(r.month, o.month) as month, r.nps as rolled_up_nps, o.nps as one_step_nps,
       r.responses as rolled_up_responses, o.responses as one_step_responses
from {{ ref('nps_monthly') }} r
full join one_step o on o.month = r.month
where r.month is null or o.month is null
   or r.nps is distinct from o.nps
   or r.responses is distinct from o.responses
