-- The MRR bridge of every month from one scan (crm.mrr_agg, crm.mrr_movements), with the net and
-- gross revenue retention of the twelve months up to each month (from the same month a year
-- earlier: its MRR is the start), once a year of history exists.
with summary as (
    select crm.mrr_agg(customer_id, month, mrr) as s
    from {{ source('crm_sample', 'subscriptions_mrr') }}
),
bridge as (
    select m.*, (m.month - interval '1 year')::date as year_earlier,
           min(m.month) over () as first_month
    from summary, crm.mrr_movements(s) m
)
select month, starting_mrr, new_mrr, expansion_mrr, contraction_mrr, churned_mrr,
       reactivation_mrr, ending_mrr, customers_at_start, customers_at_end,
       case when year_earlier >= first_month
            then crm.net_revenue_retention(s, year_earlier, month) end as net_revenue_retention,
       case when year_earlier >= first_month
            then crm.gross_revenue_retention(s, year_earlier, month) end as gross_revenue_retention
from bridge, summary
