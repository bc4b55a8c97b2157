-- The MRR bridge from the stored daily summaries: crm.rollup merges every day into one summary,
-- crm.mrr_movements reads it month by month.
select m.month, m.starting_mrr, m.new_mrr, m.expansion_mrr, m.contraction_mrr, m.churned_mrr,
       m.reactivation_mrr, m.ending_mrr, m.customers_at_start, m.new_customers,
       m.churned_customers, m.reactivated_customers, m.customers_at_end
from crm.mrr_movements((select crm.rollup(mrr_summary) from {{ ref('crm_daily_summaries') }})) m
