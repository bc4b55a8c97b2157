-- Sales pipeline by owner: one crm.pipeline_agg summary per owner read by its accessors.
-- Intervals become days and money stays numeric, as BI tools like them.
select owner,
       crm.opportunities(s) as opportunities,
       crm.won(s) as won,
       crm.lost(s) as lost,
       crm.open(s) as open,
       crm.win_rate(s) as win_rate,
       crm.average_deal_size(s) as average_deal_size,
       extract(epoch from crm.sales_cycle(s)) / 86400 as sales_cycle_days,
       crm.open_value(s) as open_value,
       crm.pipeline_velocity(s, '1 month') as velocity_per_month
from (select owner, crm.pipeline_agg(amount, created_at, closed_at, won) as s
      from {{ source('crm_sample', 'opportunities') }}
      group by owner) t
