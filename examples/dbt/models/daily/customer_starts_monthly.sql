-- Customers by month of start, from the stored daily summaries: how many started and how many of
-- them are still active at the end of the data (crm.customers, crm.active_customers).
with months as (
    select date_trunc('month', day)::date as month, crm.rollup(customer_summary) as s
    from {{ ref('crm_daily_summaries') }}
    where customer_summary is not null
    group by 1
)
select month,
       crm.customers(s) as started_customers,
       crm.active_customers(s, (select max(day) + 1 from {{ ref('crm_daily_summaries') }})) as still_active
from months
