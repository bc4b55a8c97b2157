{#- One row per UTC day holding the crm summaries of that day: the NPS answers (crm.nps_agg), the
    lifetimes of the customers who started that day (crm.customer_agg) and the customer-months
    of subscriptions_mrr dated that day (crm.mrr_agg: months are first days). The monthly views
    roll them up with crm.rollup; a summary never leaves the database.

    Incremental runs rebuild whole days (delete+insert on `day`): the days from the latest stored
    day minus var('crm_lookback_days') on, and the start day of every customer whose lifetime
    ended since then (their summary changes when they churn). A full rebuild:
    `dbt build --full-refresh`. -#}
{{ config(materialized='incremental', unique_key='day', incremental_strategy='delete+insert') }}

with responses as (
    select (responded_at at time zone 'UTC')::date as day, nps_score
    from {{ source('crm_sample', 'survey_responses') }}
),
lifetimes as (
    select (started_at at time zone 'UTC')::date as day, started_at, ended_at
    from {{ source('crm_sample', 'customers') }}
),
subscriptions as (
    select month as day, customer_id, month, mrr
    from {{ source('crm_sample', 'subscriptions_mrr') }}
),
{% if is_incremental() %}
since as (
    select max(day) - {{ var('crm_lookback_days') }} as day from {{ this }}
),
days as (
    select r.day from responses r, since where r.day >= since.day
    union
    select l.day from lifetimes l, since
    where l.day >= since.day or (l.ended_at at time zone 'UTC')::date >= since.day
    union
    select s.day from subscriptions s, since where s.day >= date_trunc('month', since.day)::date
),
{% else %}
days as (
    select day from responses union select day from lifetimes union select day from subscriptions
),
{% endif %}
nps as (
    select day, crm.nps_agg(nps_score) as nps_summary
    from responses where day in (select day from days) group by day
),
customers as (
    select day, crm.customer_agg(started_at, ended_at) as customer_summary
    from lifetimes where day in (select day from days) group by day
),
mrr as (
    select day, crm.mrr_agg(customer_id, month, mrr) as mrr_summary
    from subscriptions where day in (select day from days) group by day
)
select day, nps.nps_summary, customers.customer_summary, mrr.mrr_summary
from days
left join nps using (day)
left join customers using (day)
left join mrr using (day)
