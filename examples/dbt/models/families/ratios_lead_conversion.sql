-- Lead conversion by source and year: the aggregate crm.conversion_rate(boolean) (open leads,
-- NULL, are left out) and the scalar crm.conversion_rate(converted, total) over the same counts.
select source,
       extract(year from created_at at time zone 'UTC')::int as year,
       count(*) as leads,
       count(*) filter (where converted) as converted,
       crm.conversion_rate(converted) as conversion_rate,
       crm.conversion_rate(count(*) filter (where converted), count(converted)) as conversion_rate_from_counts
from {{ source('crm_sample', 'leads') }}
group by 1, 2
