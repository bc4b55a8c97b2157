-- CLV family: user-visible output of the seed formulas, crm.rfm_agg, the BG/NBD, Gamma-Gamma
-- and sBG fits, accessors, predictions, text forms and errors.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET extra_float_digits = 0;

-- Seed formulas: exact numeric, NULL without churn.
SELECT crm.clv(45.50, 4, 3), crm.clv(100, 0.04), crm.clv(100, 0), crm.clv(19.99, 0.5, 2.5), crm.clv(10, 0.3);
-- The floats are the decimals they print as, however small: 10 × 5e-29 × 1e10 is 5e-18 exactly,
-- and a quotient keeps 28 significant digits however small (no Decimal rounding of the factors).
SELECT crm.clv(10::numeric, '5e-29'::float8, '1e10'::float8), crm.clv(1::numeric, '1.234567891234e-20'::float8, '1e10'::float8),
       crm.clv(1::numeric, '1.5e-28'::float8), crm.clv(1::numeric, '1.234567891234e-20'::float8), crm.clv(0::numeric, '1e-29'::float8),
       crm.clv(0.0000000000000000000000000001, 0.3::float8);
SELECT public.error_of($$SELECT crm.clv(1::numeric, '1e-29'::float8, 1::float8)$$), public.error_of($$SELECT crm.clv(1::numeric, '5e-324'::float8, 1::float8)$$);

-- RFM of one customer: two purchases on one day merge; the purchase after the end is ignored.
SELECT crm.rfm_agg(at, amount, '2025-03-01', unit) AS rfm, unit
FROM (VALUES ('2025-01-01 09:00+00'::timestamptz, 10.00), ('2025-01-01 18:00+00', 5.50),
             ('2025-01-15 12:00+00', 20), ('2025-02-12 23:59+00', 12.25), ('2025-03-02 00:00+00', 99)) v(at, amount),
     unnest(ARRAY['day', 'week', 'month', 'year']) unit
GROUP BY unit ORDER BY unit;
-- A single purchase day: frequency 0, monetary value 0; only purchases after the end: NULL.
SELECT crm.rfm_agg(at, 3, '2025-01-31', 'day') FROM (VALUES ('2025-01-01'::timestamptz), ('2025-01-01 12:00')) v(at);
SELECT crm.rfm_agg(at, 3, '2025-01-31', 'day') IS NULL FROM (VALUES ('2025-02-01'::timestamptz)) v(at);

-- Simulated customers, deterministic (uniforms from hashint8): BG/NBD-like purchase streams,
-- rate ~ exponential with mean 0.25 a week, dropout p ~ uniform(0, 0.6) after each repeat
-- purchase, first purchase 20 to 50 weeks before the end, spend around a customer's own mean.
CREATE FUNCTION pg_temp.u(c bigint, salt bigint) RETURNS float8 IMMUTABLE LANGUAGE sql
    AS $$ SELECT ((hashint8(c * 1000 + salt) & 2147483647)::float8 + 0.5) / 2147483648 $$;
CREATE TABLE clv_orders AS
WITH customers AS (
    SELECT c, -ln(pg_temp.u(c, 1)) * 0.25 AS rate, 0.6 * pg_temp.u(c, 2) AS dropout,
           timestamptz '2025-01-01' - make_interval(days => 140 + (pg_temp.u(c, 3) * 210)::int) AS first_at,
           10 + 40 * pg_temp.u(c, 6) AS mean_spend
    FROM generate_series(1, 3000) c),
purchases AS (
    SELECT c, k, first_at, mean_spend,
           sum(-ln(pg_temp.u(c, 10 + k)) / rate) OVER (PARTITION BY c ORDER BY k) AS weeks,
           1 + floor(ln(pg_temp.u(c, 4)) / ln(1 - dropout)) AS last_repeat
    FROM customers, generate_series(1, 60) k)
SELECT c AS customer_id, first_at AS ordered_at, round((mean_spend * (0.7 + 0.6 * pg_temp.u(c, 100)))::numeric, 2) AS amount
FROM customers
UNION ALL
SELECT c, first_at + make_interval(days => floor(weeks * 7)::int), round((mean_spend * (0.7 + 0.6 * pg_temp.u(c, 100 + k)))::numeric, 2)
FROM purchases WHERE k <= last_repeat AND first_at + make_interval(days => floor(weeks * 7)::int) < timestamptz '2025-01-01';
CREATE TABLE clv_rfm AS
SELECT customer_id, (crm.rfm_agg(ordered_at, amount, '2025-01-01', 'week')).*
FROM clv_orders GROUP BY customer_id;
SELECT count(*) AS customers, sum(frequency) AS repeat_purchases, count(*) FILTER (WHERE frequency = 0) AS one_time
FROM clv_rfm;

-- BG/NBD and Gamma-Gamma fits, parameters rounded.
CREATE TABLE clv_models AS
SELECT crm.bgnbd_fit(frequency, recency, t) AS bg, crm.gamma_gamma_fit(frequency, monetary_value) AS gg FROM clv_rfm;
SELECT round(r::numeric, 4) r, round(alpha::numeric, 3) alpha, round(a::numeric, 4) a, round(b::numeric, 4) b,
       round(crm.log_likelihood(bg)::numeric, 2) AS log_likelihood, crm.customers(bg)
FROM clv_models, crm.params(bg);
SELECT round(p::numeric, 4) p, round(q::numeric, 4) q, round(v::numeric, 3) v, crm.customers(gg)
FROM clv_models, crm.params(gg);
-- The weighted form over grouped rows gives the same estimate.
SELECT round(r::numeric, 4) r, round(alpha::numeric, 3) alpha, round(a::numeric, 4) a, round(b::numeric, 4) b
FROM crm.params((SELECT crm.bgnbd_fit(frequency, recency, t, n) FROM (
    SELECT frequency, recency, t, count(*) n FROM clv_rfm GROUP BY 1, 2, 3) g));

-- Predictions with the published CDNOW parameters (Fader, Hardie & Lee 2005).
SELECT t, round(crm.expected_purchases(crm.bgnbd_model(0.243, 4.414, 0.793, 2.426), t)::numeric, 4) AS e_x
FROM unnest(ARRAY[0, 1, 3, 32, 78]) t;
SELECT round(crm.expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 4) AS e_y,
       round(crm.probability_alive(m, 2, 30.43, 38.86)::numeric, 4) AS p_alive,
       round(crm.probability_alive(m, 0, 0, 38.86)::numeric, 4) AS p_alive_no_repeat,
       round(crm.expected_average_value(crm.gamma_gamma_model(6.25, 3.74, 15.44), 2, 22.35)::numeric, 4) AS e_z,
       round(crm.clv(m, crm.gamma_gamma_model(6.25, 3.74, 15.44), 2, 30.43, 38.86, 22.35, 12, 0.01, 'week')::numeric, 4) AS clv_12
FROM (SELECT crm.bgnbd_model(0.243, 4.414, 0.793, 2.426) m) s;
-- Horizons as intervals, read in the model's time unit (a year 365.25 days, a month 365.25/12):
-- 52 weeks is horizon 52 in weeks, '1 year' 365.25/7 weeks; a CLV over whole months equals the
-- horizon_months form, 52 weeks (11.96 months) adds a final partial month to 11 whole ones.
SELECT crm.expected_purchases(m, interval '52 weeks', 'week') = crm.expected_purchases(m, 52) AS e_x_52_weeks,
       crm.expected_purchases(m, interval '1 year', 'week') = crm.expected_purchases(m, 365.25 / 7) AS e_x_year,
       crm.expected_purchases(m, interval '1 year', 'year') = crm.expected_purchases(m, 1) AS e_x_year_in_years,
       crm.expected_purchases(m, interval '39 weeks', 'week', 2, 30.43, 38.86) = crm.expected_purchases(m, 39, 2, 30.43, 38.86) AS e_y_39_weeks,
       crm.expected_purchases(m, interval '3 months', 'month') = crm.expected_purchases(m, 3) AS e_x_months,
       crm.expected_purchases(m, interval '36 hours', 'day') = crm.expected_purchases(m, 1.5) AS e_x_hours_in_days,
       crm.clv(m, g, 2, 30.43, 38.86, 22.35, interval '12 months', 0.01, 'week') = crm.clv(m, g, 2, 30.43, 38.86, 22.35, 12, 0.01, 'week') AS clv_12_months,
       round(crm.clv(m, g, 2, 30.43, 38.86, 22.35, 11, 0.01, 'week')::numeric, 4) AS clv_11,
       round(crm.clv(m, g, 2, 30.43, 38.86, 22.35, interval '52 weeks', 0.01, 'week')::numeric, 4) AS clv_52_weeks,
       round(crm.clv(m, g, 2, 30.43, 38.86, 22.35, interval '365 days 6 hours', 0.01, 'week')::numeric, 4) AS clv_year_of_days
FROM (SELECT crm.bgnbd_model(0.243, 4.414, 0.793, 2.426) m, crm.gamma_gamma_model(6.25, 3.74, 15.44) g) s;
SELECT public.error_of($$SELECT crm.expected_purchases(crm.bgnbd_model(1, 1, 1, 1), interval '-7 days', 'week')$$);
SELECT public.error_of($$SELECT crm.expected_purchases(crm.bgnbd_model(1, 1, 1, 1), interval '7 days', 'weeks')$$);
SELECT public.error_of($$SELECT crm.clv(crm.bgnbd_model(1, 1, 1, 1), crm.gamma_gamma_model(1, 2, 1), 1, 1, 2, 5, interval '100 years 1 day', 0.01, 'week')$$);
SELECT public.error_of($$SELECT crm.clv(crm.bgnbd_model(1, 1, 1, 1), crm.gamma_gamma_model(1, 2, 1), 1, 1, 2, 5, interval '-1 month', 0.01, 'week')$$);
-- A repeat buyer whose mean spend is 0 (free or refunded orders): E[Z] = p·v/(p·x + q − 1),
-- pulled toward the population mean, and a CLV in proportion; only negative spend fails.
SELECT round(crm.expected_average_value(crm.gamma_gamma_model(6.25, 3.74, 15.44), 2, 0)::numeric, 4) AS e_z_zero_spend,
       round((6.25 * 15.44 / (6.25 * 2 + 3.74 - 1))::numeric, 4) AS formula,
       round(crm.clv(m, crm.gamma_gamma_model(6.25, 3.74, 15.44), 2, 30.43, 38.86, 0, 12, 0.01, 'week')::numeric, 4) AS clv_12_zero_spend
FROM (SELECT crm.bgnbd_model(0.243, 4.414, 0.793, 2.426) m) s;
SELECT public.error_of('SELECT crm.expected_average_value(crm.gamma_gamma_model(6.25, 3.74, 15.44), 2, -0.01)');
-- a = 1 exactly, and a heavy buyer.
SELECT round(crm.expected_purchases(crm.bgnbd_model(0.5, 3, 1, 2), 30, 3, 20, 30)::numeric, 5) AS at_a_one,
       round(crm.expected_purchases(crm.bgnbd_model(0.243, 30.9, 0.793, 2.426), 365, 600, 2990, 3000)::numeric, 3) AS heavy;

-- sBG on the paper's cohorts (Fader & Hardie 2007).
CREATE TABLE clv_sbg AS
SELECT cohort, crm.sbg_fit(renewals, renewals < 7, n) AS m
FROM (VALUES ('regular', 0, 369), ('regular', 1, 163), ('regular', 2, 86), ('regular', 3, 56), ('regular', 4, 37),
             ('regular', 5, 27), ('regular', 6, 21), ('regular', 7, 241),
             ('high end', 0, 131), ('high end', 1, 126), ('high end', 2, 90), ('high end', 3, 60), ('high end', 4, 42),
             ('high end', 5, 34), ('high end', 6, 26), ('high end', 7, 491)) v(cohort, renewals, n)
GROUP BY cohort;
SELECT cohort, round(alpha::numeric, 3) alpha, round(beta::numeric, 3) beta, round(crm.log_likelihood(m)::numeric, 2) ll,
       crm.customers(m), round(crm.survival(m, 7)::numeric, 4) s7, round(crm.retention_rate(m, 8)::numeric, 4) r8,
       round(crm.expected_lifetime(m, 0.1)::numeric, 3) del, round(crm.residual_lifetime(m, 7, 0.1)::numeric, 3) derl
FROM clv_sbg, crm.params(m) ORDER BY cohort;
SELECT round(crm.expected_lifetime(crm.sbg_model(2, 3))::numeric, 6) AS del, round(crm.residual_lifetime(crm.sbg_model(2, 3), 4)::numeric, 6) AS derl;
-- Extreme hand-built models: S(1) = β/(α + β) and r₁ likewise at any size; the undiscounted
-- lifetimes without forming α + β.
SELECT crm.survival(crm.sbg_model(1e15, 3e15), 1) AS s1, round(crm.survival(crm.sbg_model(1e16, 3e16), 12)::numeric, 12) AS s12,
       crm.retention_rate(crm.sbg_model(1e-300, 1e-300), 1) AS r_tiny, crm.retention_rate(crm.sbg_model(1e308, 1e308), 1) AS r_huge,
       crm.expected_lifetime(crm.sbg_model(1e308, 1e308), 0) AS del_huge, crm.residual_lifetime(crm.sbg_model(1e308, 1e308), 3, 0) AS derl_huge;
-- Near-zero discount rates: a finite sum however small the rate (mpmath: 730.9926144089438 at 1e-8).
SELECT round(crm.expected_lifetime(crm.sbg_model(0.704, 1.182), 1e-8)::numeric, 6) AS del_1e8, round(crm.expected_lifetime(crm.sbg_model(0.704, 1.182), 1e-12)::numeric, 3) AS del_1e12;

-- Text forms parse back; built models have no fit diagnostics.
SELECT crm.bgnbd_model(0.243, 4.414, 0.793, 2.426), crm.gamma_gamma_model(6.25, 3.74, 15.44), crm.sbg_model(0.704, 1.182);
SELECT m::text::crm.sbg_model::text = m::text AS round_trip FROM clv_sbg;
SELECT '{"alpha":2,"beta":3,"fit":{"log_likelihood":-10.5,"customers":4,"distinct_rows":2,"iterations":7,"gradient_norm":0}}'::crm.sbg_model;
SELECT crm.customers(crm.sbg_model(1, 1)), crm.log_likelihood(crm.bgnbd_model(1, 1, 1, 1));

-- NULL and empty input.
SELECT crm.bgnbd_fit(x, 0, 1), crm.gamma_gamma_fit(x, 1), crm.sbg_fit(x, true) FROM (SELECT 1 WHERE false) v(x);
SELECT crm.bgnbd_fit(NULL, 0, 1), crm.gamma_gamma_fit(0, 5), crm.sbg_fit(1, NULL), crm.rfm_agg(NULL, 1, now(), 'day');

-- Forced parallel plans equal serial ones.
SELECT public.force_parallel();
ALTER TABLE clv_rfm SET (parallel_workers = 2);
EXPLAIN (COSTS OFF) SELECT crm.bgnbd_fit(frequency, recency, t) FROM clv_rfm;
SELECT round(r::numeric, 4) r, round(alpha::numeric, 3) alpha, round(a::numeric, 4) a, round(b::numeric, 4) b
FROM crm.params((SELECT crm.bgnbd_fit(frequency, recency, t) FROM clv_rfm));
SELECT round(p::numeric, 4) p, round(q::numeric, 4) q, round(v::numeric, 3) v
FROM crm.params((SELECT crm.gamma_gamma_fit(frequency, monetary_value) FROM clv_rfm));
ALTER TABLE clv_orders SET (parallel_workers = 2);
SELECT count(*) AS differing FROM (
    SELECT customer_id, crm.rfm_agg(ordered_at, amount, '2025-01-01', 'week')::text r FROM clv_orders GROUP BY 1) p
JOIN clv_rfm s USING (customer_id) WHERE p.r <> row(s.frequency, s.recency, s.t, s.monetary_value)::crm.rfm::text;
SELECT public.serial();

-- Window use: one fit per partition.
SELECT DISTINCT cohort, round((crm.params(m)).alpha::numeric, 3) AS alpha
FROM (SELECT cohort, crm.sbg_fit(renewals, renewals < 7, n) OVER (PARTITION BY cohort) AS m
      FROM (VALUES ('a', 0, 369), ('a', 1, 163), ('a', 7, 468), ('b', 0, 131), ('b', 3, 200), ('b', 7, 669)) v(cohort, renewals, n)) w
ORDER BY cohort;

-- Penalized fits (lifetimes' penalizer_coef): the penalizer pulls the parameters toward 0, is
-- recorded in the model, and is the same in the weighted, purchases and parallel forms.
CREATE TABLE clv_penalized AS
SELECT crm.bgnbd_fit(frequency, recency, t, 0.01) AS bg, crm.gamma_gamma_fit(frequency, monetary_value, 0.01) AS gg
FROM clv_rfm;
SELECT round(r::numeric, 4) r, round(alpha::numeric, 3) alpha, round(a::numeric, 4) a, round(b::numeric, 4) b
FROM clv_penalized, crm.params(bg);
SELECT round(p::numeric, 4) p, round(q::numeric, 4) q, round(v::numeric, 3) v
FROM clv_penalized, crm.params(gg);
SELECT d.converged, d.iterations > 0 AS iterated, d.gradient_norm < 1e-6 AS stationary,
       round(d.log_likelihood::numeric, 2) AS log_likelihood, d.customers, d.penalizer
FROM clv_penalized, crm.fit_diagnostics(bg) d;
SELECT d.converged, round(d.log_likelihood::numeric, 2) AS log_likelihood, d.customers, d.penalizer
FROM clv_penalized, crm.fit_diagnostics(gg) d;
SELECT d.converged, round(d.log_likelihood::numeric, 2) AS log_likelihood, d.customers, d.penalizer
FROM clv_models, crm.fit_diagnostics(bg) d;
-- The same model from grouped rows, from purchases (bigint, text and uuid ids), in parallel.
SELECT (SELECT crm.bgnbd_fit(frequency, recency, t, n, 0.01) FROM (
            SELECT frequency, recency, t, count(*) n FROM clv_rfm GROUP BY 1, 2, 3) g)::text = bg::text AS weighted,
       (SELECT crm.bgnbd_fit(customer_id, ordered_at, '2025-01-01', 'week', 0.01) FROM clv_orders)::text = bg::text AS purchases,
       (SELECT crm.bgnbd_fit(customer_id::text, ordered_at, '2025-01-01', 'week', 0.01) FROM clv_orders)::text = bg::text AS text_ids,
       (SELECT crm.bgnbd_fit(md5(customer_id::text)::uuid, ordered_at, '2025-01-01', 'week', 0.01) FROM clv_orders)::text = bg::text AS uuid_ids
FROM clv_penalized;
SELECT public.force_parallel();
SELECT (SELECT crm.bgnbd_fit(frequency, recency, t, 0.01) FROM clv_rfm)::text = bg::text AS parallel_rows,
       (SELECT crm.bgnbd_fit(customer_id, ordered_at, '2025-01-01', 'week', 0.01) FROM clv_orders)::text = bg::text AS parallel_purchases
FROM clv_penalized;
SELECT public.serial();
-- A NULL penalizer is none (0); rows with and without one: the one given.
SELECT (SELECT crm.bgnbd_fit(frequency, recency, t, NULL) FROM clv_rfm)::text = bg::text AS null_is_zero
FROM clv_models;
SELECT (SELECT crm.bgnbd_fit(frequency, recency, t, CASE WHEN customer_id % 2 = 0 THEN 0.01 END) FROM clv_rfm)::text = bg::text AS some_nulls
FROM clv_penalized;
-- sBG: the paper's cohort with integer weights (their own form), then penalized.
SELECT round(alpha::numeric, 3) AS alpha, round(beta::numeric, 3) AS beta, d.penalizer
FROM (SELECT crm.sbg_fit(renewals, renewals < 7, n) AS m, crm.sbg_fit(renewals, renewals < 7, n::bigint, 0.1) AS p
      FROM (VALUES (0, 369), (1, 163), (2, 86), (3, 56), (4, 37), (5, 27), (6, 21), (7, 241)) v(renewals, n)) f,
     LATERAL (SELECT m UNION ALL SELECT p) x(model), crm.params(x.model), crm.fit_diagnostics(x.model) d;
SELECT round(alpha::numeric, 3) AS alpha, round(beta::numeric, 3) AS beta
FROM crm.params((SELECT crm.sbg_fit(renewals, renewals < 7, 0.1)
                 FROM (VALUES (0, 369), (1, 163), (2, 86), (3, 56), (4, 37), (5, 27), (6, 21), (7, 241)) v(renewals, n),
                      generate_series(1, n)));
-- An integer weight is a weight (bigint too); a double precision is the penalizer.
SELECT (SELECT crm.bgnbd_fit(frequency, recency, t, n::integer) FROM (
            SELECT frequency, recency, t, count(*) n FROM clv_rfm GROUP BY 1, 2, 3) g)::text = bg::text AS integer_weight
FROM clv_models;
-- A model built from parameters has no diagnostics.
SELECT * FROM crm.fit_diagnostics(crm.bgnbd_model(0.243, 4.414, 0.793, 2.426));
SELECT * FROM crm.fit_diagnostics(crm.gamma_gamma_model(6.25, 3.74, 15.44));
SELECT * FROM crm.fit_diagnostics(crm.sbg_model(0.704, 1.182));
-- A model stored before 0.3.0 (text without converged and penalizer) reads as converged, unpenalized.
SELECT * FROM crm.fit_diagnostics('{"alpha":0.704,"beta":1.182,"fit":{"log_likelihood":-1680.27,"customers":1000,"distinct_rows":8,"iterations":12,"gradient_norm":1e-10}}'::crm.sbg_model);
-- Standard errors and 95 % intervals estimate -/+ 1.96 se, recorded by the fit and kept by the
-- text form (the unit tests compare them with lifetimes' summary on the CDNOW sample).
SELECT s.name, round(s.estimate::numeric, 4) AS estimate, round(s.std_error::numeric, 4) AS std_error,
       round((s.estimate - s.low)::numeric, 4) = round((1.96 * s.std_error)::numeric, 4) AS symmetric,
       round(s.high::numeric, 4) AS high
FROM clv_models, crm.params_se(bg) s;
SELECT s.name, round(s.std_error::numeric, 4) AS std_error FROM clv_models, crm.params_se(gg) s;
SELECT s.name, round(s.std_error::numeric, 4) AS std_error FROM clv_penalized, crm.params_se(bg) s;
SELECT s.name, round(s.estimate::numeric, 3) AS estimate, round(s.std_error::numeric, 4) AS std_error
FROM crm.params_se((SELECT crm.sbg_fit(renewals, renewals < 7, n)
                    FROM (VALUES (0, 369), (1, 163), (2, 86), (3, 56), (4, 37), (5, 27), (6, 21), (7, 241)) v(renewals, n))) s;
SELECT bg::text::crm.bgnbd_model::text = bg::text AS text_round_trip,
       (SELECT array_agg(std_error) FROM crm.params_se(bg::text::crm.bgnbd_model)) = (SELECT array_agg(std_error) FROM crm.params_se(bg)) AS kept
FROM clv_models;
-- No standard errors: a model built from parameters, or stored before they were recorded.
SELECT * FROM crm.params_se(crm.bgnbd_model(0.243, 4.414, 0.793, 2.426));
SELECT * FROM crm.params_se(crm.gamma_gamma_model(6.25, 3.74, 15.44));
SELECT * FROM crm.params_se('{"alpha":0.704,"beta":1.182,"fit":{"log_likelihood":-1680.27,"customers":1000,"distinct_rows":8,"iterations":12,"gradient_norm":1e-10}}'::crm.sbg_model);
SELECT '{"alpha":0.704,"beta":1.182,"fit":{"log_likelihood":-1680.27,"customers":1000,"distinct_rows":8,"iterations":12,"gradient_norm":1e-10}}'::crm.sbg_model;
-- A model typed by hand with standard errors near the top of double precision: the interval
-- would pass it, which is a 22003 (as float8 arithmetic reports), never an infinite bound.
SELECT name, std_error, low, high FROM crm.params_se('{"alpha":0.704,"beta":1.182,"fit":{"log_likelihood":-1680.27,"customers":1000,"distinct_rows":8,"iterations":12,"gradient_norm":1e-10,"std_errors":[1e300,0.15]}}'::crm.sbg_model);
SELECT name, std_error FROM crm.params_se('{"alpha":0.704,"beta":1.182,"fit":{"log_likelihood":-1680.27,"customers":1000,"distinct_rows":8,"iterations":12,"gradient_norm":1e-10,"std_errors":[0.06,1e308]}}'::crm.sbg_model);
-- Predictions small against the closed form's factor (a + b + x - 1)/(a - 1) keep their digits:
-- a huge b tends to the plain NBD (E[X(10)] = r t / alpha = 0.550521069325; mpmath), a tiny r,
-- a 1-microsecond horizon (9.1025309081e-14 weeks' purchases), Pareto/NBD near the bottom of
-- the doubles (the limit r t / alpha = 10).
SELECT b, round(crm.expected_purchases(crm.bgnbd_model(0.243, 4.414, 0.793, b), 10)::numeric, 12) AS e_x_10,
       round(crm.expected_purchases(crm.mbg_nbd_model(0.243, 4.414, 0.793, b), 10, 2, 5, 10)::numeric, 12) AS mbg_e_y_10
FROM unnest(ARRAY[1e14, 1e20, 1e100]::float8[]) b;
SELECT round((crm.expected_purchases(crm.bgnbd_model(1e-15, 4.414, 0.793, 2.426), 10) / 1e-15)::numeric, 10) AS per_r,
       round((crm.expected_purchases(crm.bgnbd_model(0.243, 4.414, 0.793, 2.426), interval '1 microsecond', 'week') * 1e14)::numeric, 10) AS one_microsecond;
SELECT round(crm.expected_purchases(crm.pareto_nbd_model(1e-300, 1e-300, 1e-300, 1e-300), 10)::numeric, 10) AS nbd_limit;
-- Where no form converges (r = 1e12), an error whose hint names the parameters as well.
SELECT crm.expected_purchases(crm.bgnbd_model(1e12, 4.414, 0.793, 2.426), 10);
-- MBG/NBD: a crm.bgnbd_model of that kind, fitted in the same forms; every prediction follows
-- the kind (a one-off buyer may have left), and crm.clv takes it.
CREATE TABLE clv_mbg AS
SELECT crm.mbg_nbd_fit(frequency, recency, t) AS m, crm.mbg_nbd_fit(frequency, recency, t, 0.01) AS p FROM clv_rfm;
SELECT round(r::numeric, 4) r, round(alpha::numeric, 3) alpha, round(a::numeric, 4) a, round(b::numeric, 4) b,
       round(crm.log_likelihood(m)::numeric, 2) AS log_likelihood, crm.customers(m), left(m::text, 19) AS text
FROM clv_mbg, crm.params(m);
SELECT s.name, round(s.std_error::numeric, 4) AS std_error FROM clv_mbg, crm.params_se(m) s;
SELECT round(r::numeric, 4) r, round(alpha::numeric, 3) alpha, round(a::numeric, 4) a, round(b::numeric, 4) b, d.penalizer
FROM clv_mbg, crm.params(p), crm.fit_diagnostics(p) d;
SELECT (SELECT crm.mbg_nbd_fit(frequency, recency, t, n) FROM (
            SELECT frequency, recency, t, count(*) n FROM clv_rfm GROUP BY 1, 2, 3) g)::text = m::text AS weighted,
       (SELECT crm.mbg_nbd_fit(frequency, recency, t, n::integer) FROM (
            SELECT frequency, recency, t, count(*) n FROM clv_rfm GROUP BY 1, 2, 3) g)::text = m::text AS integer_weight,
       (SELECT crm.mbg_nbd_fit(customer_id, ordered_at, '2025-01-01', 'week') FROM clv_orders)::text = m::text AS purchases,
       (SELECT crm.mbg_nbd_fit(customer_id::text, ordered_at, '2025-01-01', 'week') FROM clv_orders)::text = m::text AS text_ids,
       (SELECT crm.mbg_nbd_fit(md5(customer_id::text)::uuid, ordered_at, '2025-01-01', 'week') FROM clv_orders)::text = m::text AS uuid_ids,
       (SELECT crm.mbg_nbd_fit(frequency, recency, t, n, 0.01) FROM (
            SELECT frequency, recency, t, count(*) n FROM clv_rfm GROUP BY 1, 2, 3) g)::text = p::text AS weighted_penalized,
       (SELECT crm.mbg_nbd_fit(customer_id, ordered_at, '2025-01-01', 'week', 0.01) FROM clv_orders)::text = p::text AS purchases_penalized,
       m::text::crm.bgnbd_model::text = m::text AS text_round_trip
FROM clv_mbg;
SELECT public.force_parallel();
SELECT (SELECT crm.mbg_nbd_fit(frequency, recency, t) FROM clv_rfm)::text = m::text AS parallel_rows,
       (SELECT crm.mbg_nbd_fit(customer_id, ordered_at, '2025-01-01', 'week') FROM clv_orders)::text = m::text AS parallel_purchases
FROM clv_mbg;
SELECT public.serial();
-- lifetimes' ModifiedBetaGeoFitter with the published CDNOW parameters: P(alive) 0.706202, 0.389735
-- for a one-off buyer, E[X(39)] 1.262961 conditional, E[X(32)] 1.037183 unconditional.
SELECT round(crm.probability_alive(m, 2, 30.43, 38.86)::numeric, 6) AS alive,
       round(crm.probability_alive(m, 0, 0, 38.86)::numeric, 6) AS one_off_alive,
       round(crm.expected_purchases(m, 39, 2, 30.43, 38.86)::numeric, 6) AS conditional,
       round(crm.expected_purchases(m, 32)::numeric, 6) AS unconditional,
       round(crm.expected_purchases(m, interval '32 weeks', 'week')::numeric, 6) AS by_interval,
       round(crm.probability_alive(crm.bgnbd_model(0.525, 6.183, 0.891, 1.614), 0, 0, 38.86)::numeric, 6) AS bgnbd_one_off
FROM (SELECT crm.mbg_nbd_model(0.525, 6.183, 0.891, 1.614) AS m) x;
SELECT round(crm.clv(m, gg, 2, 30.43, 38.86, 22.35, 12, 0.01, 'week')::numeric, 4) AS mbg_clv,
       round(crm.clv(bg, gg, 2, 30.43, 38.86, 22.35, 12, 0.01, 'week')::numeric, 4) AS bgnbd_clv
FROM clv_mbg, clv_models;
-- No stationary point: the error names the last parameters and suggests a penalizer, which fixes it.
SELECT crm.bgnbd_fit(f, r, t) FROM (VALUES (2, 1::float8, 10::float8), (2, 9, 10), (0, 0, 10)) v(f, r, t);
SELECT round(r::numeric, 4) r, round(alpha::numeric, 4) alpha, round(a::numeric, 4) a, round(b::numeric, 4) b
FROM crm.params((SELECT crm.bgnbd_fit(f, r, t, 0.001) FROM (VALUES (2, 1::float8, 10::float8), (2, 9, 10), (0, 0, 10)) v(f, r, t)));
-- Penalizer errors: not the same on every row, negative, NaN, infinite.
SELECT public.error_of('SELECT crm.bgnbd_fit(frequency, recency, t, frequency::float8) FROM clv_rfm');
SELECT public.error_of('SELECT crm.bgnbd_fit(1, 0.5, 1, -0.01)');
SELECT public.error_of('SELECT crm.gamma_gamma_fit(1, 5, ''NaN'')');
SELECT public.error_of('SELECT crm.sbg_fit(1, true, ''Infinity'')');

-- Errors: SQLSTATE and message.
SELECT public.error_of('SELECT crm.bgnbd_fit(-1, 0, 1)');
SELECT public.error_of('SELECT crm.bgnbd_fit(2, 5, 3)');
SELECT public.error_of('SELECT crm.bgnbd_fit(1, 0, 1, -2)');
SELECT public.error_of('SELECT crm.bgnbd_fit(0, 0, g) FROM generate_series(1, 5) g');
SELECT public.error_of('SELECT crm.gamma_gamma_fit(2, 0)');
-- A spend past the range of double precision, either way, is 22003 naming it as Postgres's cast
-- does; numeric NaN and Infinity are named as themselves.
SELECT public.error_of('SELECT crm.gamma_gamma_fit(2, 1e400)');
SELECT public.error_of('SELECT crm.gamma_gamma_fit(2, -1.5e-401)');
SELECT public.error_of('SELECT crm.expected_average_value(crm.gamma_gamma_model(6.25, 3.74, 15.44), 2, 1e-400)');
SELECT public.error_of('SELECT crm.expected_average_value(crm.gamma_gamma_model(6.25, 3.74, 15.44), 2, ''NaN'')');
SELECT public.error_of('SELECT crm.clv(crm.bgnbd_model(0.243, 4.414, 0.793, 2.426), crm.gamma_gamma_model(6.25, 3.74, 15.44), 2, 30.43, 38.86, -1e400, 12, 0.01, ''week'')');
SELECT public.error_of('SELECT crm.clv(crm.bgbb_model(1, 1, 1, 1), 4, 5, 6, 1e400, 10, 0.1)');
SELECT public.error_of('SELECT crm.sbg_fit(-1, true)');
SELECT public.error_of('SELECT crm.rfm_agg(now(), 1, now(), ''fortnight'')');
SELECT public.error_of('SELECT crm.rfm_agg(''infinity'', 1, now(), ''day'')');
SELECT public.error_of('SELECT crm.rfm_agg(now(), 1e30, now(), ''day'')');
SELECT public.error_of('SELECT crm.rfm_agg(now(), ''NaN'', now(), ''day'')');
SELECT public.error_of('SELECT crm.bgnbd_model(0, 1, 1, 1)');
SELECT public.error_of('SELECT crm.expected_purchases(crm.bgnbd_model(1, 1, 1, 1), -1)');
SELECT public.error_of('SELECT crm.expected_average_value(crm.gamma_gamma_model(1, 0.5, 1), 0, 0)');
SELECT public.error_of('SELECT crm.expected_lifetime(crm.sbg_model(0.7, 1.2))');
SELECT public.error_of('SELECT crm.retention_rate(crm.sbg_model(1, 1), 0)');
SELECT public.error_of('SELECT crm.clv(crm.bgnbd_model(1, 1, 1, 1), crm.gamma_gamma_model(1, 2, 1), 1, 1, 2, 5, 12, 0.01, ''days'')');
SELECT public.error_of('SELECT crm.clv(-5, 1, 1)');
SELECT public.error_of('SELECT crm.clv(1e27, 1e6, 1e6)');
SELECT public.error_of('SELECT ''{"r":1}''::crm.bgnbd_model');
SELECT public.error_of('SELECT ''not json''::crm.gamma_gamma_model');

-- Pareto/NBD: a crm.bgnbd_model of that kind (parameters r, alpha, s, beta), fitted in the same
-- forms as crm.bgnbd_fit; every prediction, crm.clv and the accessors take it. These orders are
-- simulated with BG/NBD's dropout (no spread in dropout rates), so the unpenalized Pareto/NBD
-- fit runs s and beta off to infinity: the fits here are penalized.
CREATE TABLE clv_pareto AS
SELECT crm.pareto_nbd_fit(frequency, recency, t, 0.01) AS m, crm.pareto_nbd_fit(frequency, recency, t, 0.1) AS p FROM clv_rfm;
SELECT s.name, round(s.estimate::numeric, 3) AS estimate, round(s.std_error::numeric, 3) AS std_error
FROM clv_pareto, crm.params_se(m) s;
SELECT round(crm.log_likelihood(m)::numeric, 1) AS log_likelihood, crm.customers(m), left(m::text, 25) AS text,
       d.converged, d.penalizer
FROM clv_pareto, crm.fit_diagnostics(m) d;
SELECT round(r::numeric, 3) r, round(alpha::numeric, 2) alpha, round(a::numeric, 3) s, round(b::numeric, 2) beta, d.penalizer
FROM clv_pareto, crm.params(p), crm.fit_diagnostics(p) d;
SELECT (SELECT crm.pareto_nbd_fit(frequency, recency, t, n, 0.01) FROM (
            SELECT frequency, recency, t, count(*) n FROM clv_rfm GROUP BY 1, 2, 3) g)::text = m::text AS weighted,
       (SELECT crm.pareto_nbd_fit(customer_id, ordered_at, '2025-01-01', 'week', 0.01) FROM clv_orders)::text = m::text AS purchases,
       (SELECT crm.pareto_nbd_fit(customer_id::text, ordered_at, '2025-01-01', 'week', 0.01) FROM clv_orders)::text = m::text AS text_ids,
       (SELECT crm.pareto_nbd_fit(md5(customer_id::text)::uuid, ordered_at, '2025-01-01', 'week', 0.01) FROM clv_orders)::text = m::text AS uuid_ids,
       m::text::crm.bgnbd_model::text = m::text AS text_round_trip
FROM clv_pareto;
-- The published CDNOW values (Fader, Hardie & Lee 2005): P(alive | 26, 30.86, 31) 0.9979,
-- E[Y(52) | same] 25.46; lifetimes' ParetoNBDFitter with these parameters: E[X(52)] 1.472761.
SELECT round(crm.probability_alive(m, 26, 30.86, 31)::numeric, 4) AS alive,
       round(crm.expected_purchases(m, 52, 26, 30.86, 31)::numeric, 2) AS expected_52,
       round(crm.expected_purchases(m, 52)::numeric, 6) AS new_customer_52,
       round(crm.expected_purchases(m, interval '1 year', 'week')::numeric, 4) AS new_customer_year,
       round(crm.clv(m, crm.gamma_gamma_model(6.25, 3.74, 15.44), 2, 30.43, 38.86, 22.35, 12, 0.01, 'week')::numeric, 2) AS clv,
       m::text
FROM (SELECT crm.pareto_nbd_model(0.553, 10.58, 0.606, 11.67) m) x;
SELECT public.error_of('SELECT crm.pareto_nbd_model(0.553, 10.58, 0, 11.67)');
SELECT public.error_of('SELECT ''{"model":"pareto_nbd","r":1,"alpha":1,"a":1,"b":1,"fit":null}''::crm.bgnbd_model');

-- The states of the purchase aggregates have one binary form whatever the order of the rows
-- (days in order, one entry per day; customers' days sorted and each once), so states built
-- from the same rows are = and group together.
CREATE AGGREGATE regress_purchase_days(bigint, timestamptz, timestamptz, text)
    (sfunc = crm_internal.bgnbd_fit_purchases_bigint_trans, stype = crm.purchase_days);
CREATE AGGREGATE regress_rfm_state(timestamptz, numeric, timestamptz, text)
    (sfunc = crm_internal.rfm_agg_trans, stype = crm.rfm_state);
WITH d(o, c, t, a) AS (VALUES (1, 7::bigint, timestamptz '2025-01-01', 1.0), (2, 3, '2025-02-01', 2.50),
                              (3, 7, '2025-01-01', 0.25), (4, 3, '2025-03-01', 4))
SELECT regress_purchase_days(c, t, '2026-01-01', 'week' ORDER BY o)
         OPERATOR(crm.=) regress_purchase_days(c, t, '2026-01-01', 'week' ORDER BY o DESC) AS purchase_days_equal,
       regress_rfm_state(t, a, '2026-01-01', 'week' ORDER BY o)
         OPERATOR(crm.=) regress_rfm_state(t, a, '2026-01-01', 'week' ORDER BY o DESC) AS rfm_state_equal,
       crm_internal.rfm_state_send(regress_rfm_state(t, a, '2026-01-01', 'week' ORDER BY o DESC)) AS rfm_state_form
FROM d;
DROP AGGREGATE regress_purchase_days(bigint, timestamptz, timestamptz, text);
DROP AGGREGATE regress_rfm_state(timestamptz, numeric, timestamptz, text);
-- A state in the order 0.2.0 wrote (the rows' order) still reads, and is written in order.
SELECT '\x02018080a0a4afefed02000401e08e0101ce8f0102a88f0101ee9001'::crm.purchase_days AS purchase_days_as_0_2_0_wrote;
