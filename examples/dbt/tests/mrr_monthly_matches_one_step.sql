-- The MRR bridge read from the rolled-up daily summaries equals the bridge of one crm.mrr_agg
-- over the raw subscription rows, month by month and column by column.
with one_step as (
    select *
    from crm.mrr_movements((select crm.mrr_agg(customer_id, month, mrr)
                            from {{ source('crm_sample', 'subscriptions_mrr') }}))
)
select coalesce(r.month, o.month) as month
from {{ ref('mrr_monthly') }} r
full join one_step o on o.month = r.month
where r.month is null or o.month is null
   or (r.starting_mrr, r.new_mrr, r.expansion_mrr, r.contraction_mrr, r.churned_mrr,
       r.reactivation_mrr, r.ending_mrr, r.customers_at_start, r.new_customers,
       r.churned_customers, r.reactivated_customers, r.customers_at_end)
      is distinct from
      (o.starting_mrr, o.new_mrr, o.expansion_mrr, o.contraction_mrr, o.churned_mrr,
       o.reactivation_mrr, o.ending_mrr, o.customers_at_start, o.new_customers,
       o.churned_customers, o.reactivated_customers, o.customers_at_end)
