-- Each month of crm.churn_series over the rolled-up daily customer summaries equals the one-step
-- crm.retention_rate and crm.churn_rate over the raw customers for that month.
with months as (
    select month from {{ ref('churn_monthly') }}
),
one_step as (
    select m.month,
           crm.retention_rate(c.started_at, c.ended_at, m.month::timestamp at time zone 'UTC',
                              (m.month + interval '1 month') at time zone 'UTC') as retention_rate,
           crm.churn_rate(c.started_at, c.ended_at, m.month::timestamp at time zone 'UTC',
                          (m.month + interval '1 month') at time zone 'UTC') as churn_rate
    from months m
    cross join {{ source('crm_sample', 'customers') }} c
    group by m.month
)
select r.month, r.retention_rate, o.retention_rate as one_step_retention_rate,
       r.churn_rate, o.churn_rate as one_step_churn_rate
from {{ ref('churn_monthly') }} r
join one_step o using (month)
where r.retention_rate is distinct from o.retention_rate
   or r.churn_rate is distinct from o.churn_rate
