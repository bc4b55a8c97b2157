-- Retention and churn in the last full year of the sample, by segment, with the one-step
-- aggregates crm.retention_rate and crm.churn_rate (three churn denominators).
select segment,
       count(*) as customers,
       crm.retention_rate(started_at, ended_at, '2025-01-01', '2026-01-01') as retention_rate,
       crm.churn_rate(started_at, ended_at, '2025-01-01', '2026-01-01') as churn_rate,
       crm.churn_rate(started_at, ended_at, '2025-01-01', '2026-01-01', 'average') as churn_rate_average,
       crm.churn_rate(started_at, ended_at, '2025-01-01', '2026-01-01', 'start_plus_new') as churn_rate_start_plus_new
from {{ source('crm_sample', 'customers') }}
group by segment
