-- Monthly retention and churn (UTC months) over every stored day: the daily customer summaries
-- rolled up into one and read by crm.churn_series, up to the month of the latest day.
with daily as (
    select crm.rollup(customer_summary) as s,
           date_trunc('month', min(day))::date as first_month,
           (date_trunc('month', max(day)) + interval '1 month')::date as end_month
    from {{ ref('crm_daily_summaries') }}
)
select c.period_start::date as month, c.customers_at_start, c.new_customers, c.churned_customers,
       c.customers_at_end, c.retention_rate, c.churn_rate
from daily, crm.churn_series(s, first_month, end_month, '1 month', 'start', 'UTC') c
