-- Edge cases found by adversarial testing: overflow in merges, text input outside
-- the documented form or Postgres's ranges, NaN at extreme confidence, cohort periods outside
-- the date range.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

-- Merges past the bigint range are 22003 (the result could never be read back).
SELECT error_of($$SELECT crm.rollup(s) FROM (VALUES
    ('{"promoters":4611686018427387904,"passives":0,"detractors":0}'::crm.nps_summary),
    ('{"promoters":4611686018427387904,"passives":0,"detractors":0}')) v(s)$$);
SELECT crm.responses(crm.rollup(s)) FROM (VALUES
    ('{"promoters":4611686018427387904,"passives":0,"detractors":0}'::crm.nps_summary),
    ('{"promoters":4611686018427387903,"passives":0,"detractors":0}')) v(s);
SELECT error_of($$SELECT crm.rollup(s) FROM (VALUES
    ('{"version":1,"customers":4611686018427387904,"spans":[["2024-01-01 00:00:00+00",null,4611686018427387904]]}'::crm.customer_summary),
    ('{"version":1,"customers":4611686018427387904,"spans":[["2025-01-01 00:00:00+00",null,4611686018427387904]]}')) v(s)$$);
SELECT crm.customers(crm.rollup(s)) FROM (VALUES
    ('{"version":1,"customers":4611686018427387904,"spans":[["2024-01-01 00:00:00+00",null,4611686018427387904]]}'::crm.customer_summary),
    ('{"version":1,"customers":4611686018427387903,"spans":[["2025-01-01 00:00:00+00",null,4611686018427387903]]}')) v(s);

-- Text input: only the documented JSON object, with what the binary form holds.
SELECT error_of($$SELECT '[1,2,3]'::crm.nps_summary$$);
SELECT error_of($$SELECT '{"promoters":9223372036854775807,"passives":1,"detractors":0}'::crm.nps_summary$$);
SELECT error_of($$SELECT '{"version":1,"customers":18446744073709551615,"spans":[["2024-01-01 00:00:00+00",null,18446744073709551615]]}'::crm.customer_summary$$);
SELECT error_of($$SELECT '[1,1,[["2024-01-01 00:00:00+00",null,1]]]'::crm.customer_summary$$);
SELECT error_of($$SELECT '[1,"month","UTC","bigint",[]]'::crm.cohort_summary$$);
-- Timestamps timestamptz rejects are rejected; its own extremes are read back.
SELECT error_of($$SELECT '{"version":1,"customers":1,"spans":[["294277-01-01 00:00:00+00",null,1]]}'::crm.customer_summary$$);
SELECT error_of($$SELECT '{"version":1,"customers":1,"spans":[["100000-01-01 00:00:00+00 BC",null,1]]}'::crm.customer_summary$$);
SELECT s, crm.active_customers(s, '294276-12-31 23:59:59+00') AS at_the_end
FROM (SELECT '{"version":1,"customers":1,"spans":[["4714-11-24 00:00:00+00 BC","294276-12-31 23:59:59.999999+00",1]]}'::crm.customer_summary AS s) t;
SELECT crm.customer_agg(s, e) FROM (VALUES (timestamptz '4714-11-24 00:00:00+00 BC', timestamptz '294276-12-31 23:59:59.999999+00')) v(s, e);

-- A confidence next to 1 gives finite answers.
SELECT round(crm.nps_margin_of_error(s, 0.9999999999999999)::numeric, 3) AS margin
FROM (SELECT '{"promoters":250,"passives":675,"detractors":75}'::crm.nps_summary AS s) t;
SELECT round(low::numeric, 3) AS low, round(high::numeric, 3) AS high
FROM crm.nps_interval('{"promoters":250,"passives":675,"detractors":75}', 0.9999999999999999);

-- Cohort periods must start on a date Postgres can represent (4714-11-24 BC or later).
SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(1::bigint, timestamptz '4714-11-24 00:00:00+00 BC', 'day')));
SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(1::bigint, timestamptz '4714-11-24 00:00:00+00 BC', 'week')));
SELECT error_of($$SELECT crm.cohort_agg(1::bigint, timestamptz '4714-11-24 00:00:00+00 BC', 'month')$$);
SELECT error_of($$SELECT crm.cohort_agg(1::bigint, timestamptz '4714-11-24 00:00:00+00 BC', 'day', 'America/New_York')$$);
SELECT error_of($$SELECT crm.cohort_agg(1::bigint, timestamptz '4714-12-24 00:00:00+00 BC', 'year')$$);
SELECT error_of($$SELECT '{"version":1,"period":"day","time_zone":"UTC","key":"bigint","customers":[["1",[4188944000]]]}'::crm.cohort_summary$$);
SELECT error_of($$SELECT '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["1",[137627088]]]}'::crm.cohort_summary$$);
SELECT error_of($$SELECT '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["1",[-80570]]]}'::crm.cohort_summary$$);
-- The last period of the timestamp range is read back.
SELECT cohort, cohort_size FROM crm.cohort_retention((SELECT crm.cohort_agg(1::bigint, timestamptz '294276-12-31 23:59:59+00', 'year')));
