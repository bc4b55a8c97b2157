-- NPS and CSAT by customer segment: one-step aggregates (crm.nps, crm.csat) next to the
-- two-step summary (crm.nps_agg) read by its accessors.
select c.segment,
       crm.responses(crm.nps_agg(r.nps_score)) as responses,
       crm.nps(r.nps_score) as nps,
       crm.nps_low(crm.nps_agg(r.nps_score)) as nps_low,
       crm.nps_high(crm.nps_agg(r.nps_score)) as nps_high,
       crm.nps_margin_of_error(crm.nps_agg(r.nps_score)) as nps_margin_of_error,
       crm.csat(r.csat_score) as csat
from {{ source('crm_sample', 'survey_responses') }} r
join {{ source('crm_sample', 'customers') }} c using (customer_id)
group by c.segment
