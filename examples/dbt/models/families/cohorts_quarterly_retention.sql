-- Quarterly retention of ordering customers by quarter of first order: one crm.cohort_agg
-- summary over the orders, expanded by crm.cohort_retention.
select cohort, period_number, cohort_size, active_customers, retention_rate
from crm.cohort_retention((
    select crm.cohort_agg(customer_id, ordered_at, 'quarter')
    from {{ source('crm_sample', 'orders') }}))
