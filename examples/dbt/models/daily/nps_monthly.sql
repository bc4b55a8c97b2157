-- NPS by month from the stored daily summaries: crm.rollup merges the days of a month, the
-- accessors read the merged counts. Plain columns only, ready for a BI tool.
select date_trunc('month', day)::date as month,
       crm.responses(crm.rollup(nps_summary)) as responses,
       crm.promoters(crm.rollup(nps_summary)) as promoters,
       crm.passives(crm.rollup(nps_summary)) as passives,
       crm.detractors(crm.rollup(nps_summary)) as detractors,
       crm.nps(crm.rollup(nps_summary)) as nps,
       crm.nps_low(crm.rollup(nps_summary)) as nps_low,
       crm.nps_high(crm.rollup(nps_summary)) as nps_high
from {{ ref('crm_daily_summaries') }}
where nps_summary is not null
group by 1
