-- Customer lifetime value: RFM per customer (crm.rfm_agg, in weeks up to the end of the sample),
-- BG/NBD and Gamma-Gamma fitted over all customers, and each customer's predictions.
with rfm as (
    select customer_id, (crm.rfm_agg(ordered_at, amount, '2026-01-01', 'week')).*
    from {{ source('crm_sample', 'shop_orders') }}
    group by customer_id
),
models as (
    select crm.bgnbd_fit(frequency, recency, t) as bg,
           crm.gamma_gamma_fit(frequency, monetary_value) as gg
    from rfm
)
select rfm.customer_id, rfm.frequency, rfm.recency, rfm.t, rfm.monetary_value,
       crm.probability_alive(bg, frequency, recency, t) as probability_alive,
       crm.expected_purchases(bg, 52, frequency, recency, t) as expected_purchases_52_weeks,
       crm.clv(bg, gg, frequency, recency, t, monetary_value, 12, 0.01, 'week') as clv_12_months
from rfm, models
