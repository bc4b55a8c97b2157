-- BG/BB (CLV family): the donations data of Fader, Hardie & Shang (2010) (tests/fixtures/
-- donations.csv: 11,104 donors, 6 yearly opportunities, 22 distinct rows): the fit against the
-- published estimates and lifetimes 0.11.3, predictions, forms, parallel plans and errors.
SET extra_float_digits = 0;
CREATE TABLE donations (frequency integer, recency integer, n_periods integer, donors bigint);
INSERT INTO donations VALUES
    (0, 0, 6, 3464), (1, 1, 6, 1091), (1, 2, 6, 277), (1, 3, 6, 129), (1, 4, 6, 78), (1, 5, 6, 119),
    (1, 6, 6, 129), (2, 2, 6, 613), (2, 3, 6, 255), (2, 4, 6, 155), (2, 5, 6, 173), (2, 6, 6, 234),
    (3, 3, 6, 322), (3, 4, 6, 181), (3, 5, 6, 225), (3, 6, 6, 357), (4, 4, 6, 240), (4, 5, 6, 284),
    (4, 6, 6, 512), (5, 5, 6, 335), (5, 6, 6, 728), (6, 6, 6, 1203);
-- One row per donor, for the unweighted form.
CREATE TABLE donors AS SELECT frequency, recency, n_periods FROM donations, generate_series(1, donors);
CREATE TABLE bgbb_models AS
SELECT (SELECT crm.bgbb_fit(frequency, recency, n_periods, donors) FROM donations) AS m,
       (SELECT crm.bgbb_fit(frequency, recency, n_periods) FROM donors) AS per_donor,
       (SELECT crm.bgbb_fit(frequency, recency, n_periods, donors::integer) FROM donations) AS integer_weight;

-- The paper: alpha 1.204, beta 0.750, gamma 0.657, delta 2.784, LL -33,225.58 (lifetimes:
-- alpha 1.203522, beta 0.749716, gamma 0.656718, delta 2.783442).
SELECT round(alpha::numeric, 4) AS alpha, round(beta::numeric, 4) AS beta,
       round(gamma::numeric, 4) AS gamma, round(delta::numeric, 4) AS delta,
       round(crm.log_likelihood(m)::numeric, 2) AS log_likelihood, crm.customers(m) AS customers
FROM bgbb_models, crm.params(m);
-- The same model from one row per donor and from integer weights.
SELECT per_donor::text = m::text AS per_donor_equal, integer_weight::text = m::text AS integer_weight_equal
FROM bgbb_models;
SELECT converged, gradient_norm < 1e-6 AS stationary, round(log_likelihood::numeric, 2) AS log_likelihood, customers, penalizer
FROM bgbb_models, crm.fit_diagnostics(m);

-- Predictions (lifetimes: conditional_probability_alive(1, ...) and
-- conditional_expected_number_of_purchases_up_to_time(10, ...)); the paper gives 3.628 expected
-- donations in the next 10 years for a donor who gave 4 times in 6, the last in year 5.
SELECT frequency, recency, round(crm.probability_alive(m, frequency, recency, 6)::numeric, 4) AS p_alive,
       round(crm.expected_purchases(m, 10, frequency, recency, 6)::numeric, 3) AS next_10
FROM bgbb_models, (VALUES (0, 0), (1, 1), (4, 5), (3, 6), (6, 6)) v(frequency, recency)
ORDER BY frequency, recency;
-- E[X(n)] of a new donor: 2.2202 in the first 6 years, as lifetimes' distribution gives.
SELECT n, round(crm.expected_purchases(m, n)::numeric, 4) AS expected
FROM bgbb_models, unnest(ARRAY[0, 1, 6, 10]) n ORDER BY n;
-- The fitted mean agrees with the donors' own: 2.2 donations each in 6 years.
SELECT round((sum(frequency * donors)::numeric / sum(donors)), 4) AS observed_mean FROM donations;

-- Discounted CLV: DERT, Fader, Hardie & Shang (2010), times the value per transaction. An
-- independent reference in plain SQL: the discounted sum over the next opportunities k of
-- P(transaction at n + k | history) = E[X(n, n + k) | ...] - E[X(n, n + k - 1) | ...], at 10 %
-- per opportunity.
SELECT frequency, recency,
       round(crm.clv(m, frequency, recency, 6, 1, 10, 0.1)::numeric, 10) AS dert_10,
       round((SELECT sum((crm.expected_purchases(m, k, frequency, recency, 6)
                         - crm.expected_purchases(m, k - 1, frequency, recency, 6)) / 1.1 ^ k)
              FROM generate_series(1, 10) k)::numeric, 10) AS plain_sum_10,
       round(crm.clv(m, frequency, recency, 6, 1, 2147483647, 0.1)::numeric, 6) AS dert_unbounded,
       round(crm.clv(m, frequency, recency, 6, 25.00, 10, 0.1)::numeric, 4) AS clv_at_25
FROM bgbb_models, (VALUES (0, 0), (1, 1), (4, 5), (3, 6), (6, 6)) v(frequency, recency)
ORDER BY frequency, recency;
-- Without discounting it is the conditional expectation; with a Gamma-Gamma spend model it is
-- E[spend | frequency, monetary_value] times DERT.
SELECT crm.clv(m, 4, 5, 6, 1, 10, 0) = crm.expected_purchases(m, 10, 4, 5, 6) AS undiscounted_equal,
       abs(crm.clv(m, crm.gamma_gamma_model(6.25, 3.74, 15.44), 4, 5, 6, 40, 10, 0.1)
           / (crm.expected_average_value(crm.gamma_gamma_model(6.25, 3.74, 15.44), 4, 40)
              * crm.clv(m, 4, 5, 6, 1, 10, 0.1)) - 1) < 1e-12 AS spend_times_dert,
       crm.clv(m, 4, 5, 6, 1, 0, 0.1) AS horizon_0
FROM bgbb_models;
SELECT public.error_of('SELECT crm.clv(crm.bgbb_model(1, 1, 1, 1), 4, 5, 6, 1, -1, 0.1)');
SELECT public.error_of('SELECT crm.clv(crm.bgbb_model(1, 1, 1, 1), 4, 5, 6, 1, 10, -1)');
SELECT public.error_of('SELECT crm.clv(crm.bgbb_model(1, 1, 1, 1), 4, 5, 6, -1, 10, 0.1)');
SELECT public.error_of('SELECT crm.clv(crm.bgbb_model(1, 1, 1, 1), 4, 5, 6, 1, 2147483647, -0.5)');

-- Penalized (lifetimes with penalizer_coef 0.01: alpha 0.9775, beta 0.6181, gamma 0.3142,
-- delta 1.0121).
SELECT round(alpha::numeric, 4) AS alpha, round(beta::numeric, 4) AS beta,
       round(gamma::numeric, 4) AS gamma, round(delta::numeric, 4) AS delta, d.penalizer
FROM (SELECT crm.bgbb_fit(frequency, recency, n_periods, donors, 0.01) AS p FROM donations) f,
     crm.params(p), crm.fit_diagnostics(p) d;
SELECT (SELECT crm.bgbb_fit(frequency, recency, n_periods, 0.01) FROM donors)::text
     = (SELECT crm.bgbb_fit(frequency, recency, n_periods, donors, 0.01) FROM donations)::text AS penalized_per_donor_equal;

-- A parallel plan (partial states combined) fits the same model.
ALTER TABLE donors SET (parallel_workers = 2);
SELECT public.force_parallel();
SELECT (SELECT crm.bgbb_fit(frequency, recency, n_periods) FROM donors)::text = m::text AS parallel_equal
FROM bgbb_models;
SELECT public.serial();

-- Text and binary forms round-trip; a model from parameters has no diagnostics.
SELECT m::text::crm.bgbb_model OPERATOR(crm.=) m AS text_round_trip,
       crm_internal.bgbb_model_send(m) = crm_internal.bgbb_model_send(m::text::crm.bgbb_model) AS same_binary_form
FROM bgbb_models;
SELECT crm.bgbb_model(1.2, 0.75, 0.66, 2.8);
SELECT * FROM crm.fit_diagnostics(crm.bgbb_model(1.2, 0.75, 0.66, 2.8));
SELECT crm.customers(crm.bgbb_model(1, 1, 1, 1)), crm.log_likelihood(crm.bgbb_model(1, 1, 1, 1));

-- NULL rows are skipped; no rows: NULL.
SELECT crm.bgbb_fit(f, r, n) IS NULL AS no_rows FROM (VALUES (1, 1, 6)) v(f, r, n) WHERE false;
SELECT crm.bgbb_fit(f, r, n) IS NULL AS only_nulls FROM (VALUES (NULL::integer, 1, 6), (1, NULL, 6)) v(f, r, n);

-- Errors: SQLSTATE and message.
SELECT public.error_of('SELECT crm.bgbb_fit(2, 7, 6)');
SELECT public.error_of('SELECT crm.bgbb_fit(4, 3, 6)');
SELECT public.error_of('SELECT crm.bgbb_fit(0, 2, 6)');
SELECT public.error_of('SELECT crm.bgbb_fit(-1, 0, 6)');
SELECT public.error_of('SELECT crm.bgbb_fit(1, 1, 6, -3)');
SELECT public.error_of('SELECT crm.bgbb_fit(1, 1, 6, ''NaN''::float8)');
SELECT public.error_of('SELECT crm.bgbb_fit(2, 3, 6)');
SELECT public.error_of('SELECT crm.bgbb_fit(f, f, 6) FROM (VALUES (6), (3)) v(f)');
SELECT public.error_of('SELECT crm.bgbb_model(1, 1, 0, 1)');
SELECT public.error_of('SELECT crm.expected_purchases(crm.bgbb_model(1, 1, 1, 1), -1)');
SELECT public.error_of('SELECT crm.probability_alive(crm.bgbb_model(1, 1, 1, 1), 2, 7, 6)');
SELECT public.error_of('SELECT ''{"alpha":1,"beta":1,"gamma":1}''::crm.bgbb_model');
SELECT public.error_of('SELECT crm_internal.bgbb_fit_final(crm_internal.sbg_fit_trans(NULL::crm.fit_rows, 3, true))');
DROP TABLE donations, donors, bgbb_models;

-- A long history under a large gamma: 1/L and the alive terms are each past a double's range,
-- their product is not (mpmath: 0.49408636504990167 and 3.1229023343667608e-8).
SELECT round(crm.expected_purchases(crm.bgbb_model(1, 1, 537, 8), 5, 270, 540, 540)::numeric, 12) AS five_more,
       crm.expected_purchases(crm.bgbb_model(1, 1, 537, 8), 50, 985, 996, 1000)::numeric(20, 19) AS fifty_more;
