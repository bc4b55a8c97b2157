-- Customer lifetime value family: aggregates and comments. The aggregates' transition, combine
-- and final functions are raw V1 C functions defined (and declared in SQL) in src/clv/sql.rs, and
-- the composite type crm.rfm there too; this file runs last in the install script, after every
-- function it names. The states are the types crm.rfm_state, crm.fit_rows and crm.purchase_days,
-- kept as expanded objects while an aggregate runs (crm.rfm_state first as a small in-place
-- working form); Citus ships them in their text form.

-- SSPACE: the crm.rfm_state of one customer takes 64 bytes while it has at most seven purchase
-- days, 128 bytes up to eight (in-place working forms, src/clv/state/rfm_flat.rs) and about 256
-- bytes plus its days past them (an expanded object); without it the planner assumes 8 kB per
-- group and plans a GROUP BY customer_id to spill.
CREATE AGGREGATE crm.rfm_agg(occurred_at timestamptz, amount numeric, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.rfm_agg_trans,
    STYPE = crm.rfm_state,
    SSPACE = 256,
    FINALFUNC = crm_internal.rfm_agg_final,
    COMBINEFUNC = crm_internal.rfm_agg_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.bgnbd_fit(frequency integer, recency double precision, t double precision) (
    SFUNC = crm_internal.bgnbd_fit_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgnbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.bgnbd_fit(frequency integer, recency double precision, t double precision, weight bigint) (
    SFUNC = crm_internal.bgnbd_fit_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgnbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.bgnbd_fit(customer_id bigint, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.bgnbd_fit_purchases_bigint_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.bgnbd_purchases_final,
    COMBINEFUNC = crm_internal.bgnbd_purchases_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.bgnbd_fit(customer_id text, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.bgnbd_fit_purchases_text_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.bgnbd_purchases_final,
    COMBINEFUNC = crm_internal.bgnbd_purchases_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.bgnbd_fit(customer_id uuid, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.bgnbd_fit_purchases_uuid_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.bgnbd_purchases_final,
    COMBINEFUNC = crm_internal.bgnbd_purchases_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.gamma_gamma_fit(frequency integer, monetary_value numeric) (
    SFUNC = crm_internal.gamma_gamma_fit_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.gamma_gamma_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.sbg_fit(periods_survived integer, churned boolean) (
    SFUNC = crm_internal.sbg_fit_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.sbg_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.sbg_fit(periods_survived integer, churned boolean, weight bigint) (
    SFUNC = crm_internal.sbg_fit_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.sbg_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);

COMMENT ON TYPE crm.rfm IS
    'One customer''s RFM values as lifetimes'' summary_data_from_transaction_data computes them at daily grain: frequency = purchase days - 1, recency = last - first purchase day, t = observation end - first purchase day (both in the time unit), monetary_value = mean daily total over the repeat days (0 without).';
COMMENT ON TYPE crm.gamma_gamma_model IS
    'A Gamma-Gamma spend model: parameters p, q, v and, when fitted, the fit diagnostics; text form {"p":6.25,"q":3.74,"v":15.44,"fit":null}.';
COMMENT ON TYPE crm.sbg_model IS
    'A shifted-beta-geometric contractual retention model (Fader & Hardie 2007): parameters alpha, beta and, when fitted, the fit diagnostics; text form {"alpha":0.704,"beta":1.182,"fit":null}.';

COMMENT ON AGGREGATE crm.rfm_agg(timestamptz, numeric, timestamptz, text) IS
    'RFM summary (crm.rfm) of one customer''s purchases, used with GROUP BY customer: same-UTC-day purchases merge, purchases on days after observation_end are ignored, time_unit is day, week, month (365.25/12 days) or year (365.25 days). Example: SELECT customer_id, crm.rfm_agg(ordered_at, amount, ''2025-01-01'', ''week'') FROM orders GROUP BY customer_id;';
COMMENT ON AGGREGATE crm.bgnbd_fit(integer, double precision, double precision) IS
    'Maximum-likelihood BG/NBD fit over customers (frequency, recency, t), identical rows merged first. Example: SELECT crm.bgnbd_fit((r).frequency, (r).recency, (r).t) FROM customer_rfm;';
COMMENT ON AGGREGATE crm.bgnbd_fit(integer, double precision, double precision, bigint) IS
    'Maximum-likelihood BG/NBD fit over rows (frequency, recency, t) that each stand for weight customers.';
COMMENT ON AGGREGATE crm.gamma_gamma_fit(integer, numeric) IS
    'Maximum-likelihood Gamma-Gamma spend fit over repeat buyers (rows with frequency 0 are ignored). Example: SELECT crm.gamma_gamma_fit((r).frequency, (r).monetary_value) FROM customer_rfm;';
COMMENT ON AGGREGATE crm.sbg_fit(integer, boolean) IS
    'Maximum-likelihood sBG fit: one row per customer with the renewals made and whether they churned (false = still active). Example: SELECT crm.sbg_fit(renewals, churned) FROM (SELECT contract_id, (count(*) FILTER (WHERE renewed))::integer AS renewals, coalesce(bool_or(NOT renewed), false) AS churned FROM contract_renewals GROUP BY contract_id) c;';
COMMENT ON AGGREGATE crm.sbg_fit(integer, boolean, bigint) IS
    'Maximum-likelihood sBG fit over rows (renewals made, churned) that each stand for weight customers.';

COMMENT ON FUNCTION crm.clv(numeric, double precision, double precision) IS
    'Simple CLV = average_purchase_value * purchases_per_year * lifespan_years, exact in numeric. Example: SELECT crm.clv(45.50, 4, 3); -- 546';
COMMENT ON FUNCTION crm.clv(numeric, double precision) IS
    'Simple CLV = arpa / churn_rate (NULL when churn_rate is 0). Example: SELECT crm.clv(100, 0.04); -- 2500';
COMMENT ON FUNCTION crm.clv(crm.bgnbd_model, crm.gamma_gamma_model, integer, double precision, double precision, numeric, integer, double precision, text) IS
    'Discounted CLV of a customer over horizon_months: sum over months k of E[spend] * (E[Y(k f)] - E[Y((k-1) f)]) / (1 + monthly_discount_rate)^k, f = time units per month; frequency, recency, t in time_unit.';
COMMENT ON FUNCTION crm.clv(crm.bgnbd_model, crm.gamma_gamma_model, integer, double precision, double precision, numeric, interval, double precision, text) IS
    'Discounted CLV of a customer over a horizon interval (months of 365.25/12 days): the whole months as the horizon_months form sums them, then a final partial month discounted at the horizon; at most 100 years. Example: crm.clv(bg, gg, frequency, recency, t, monetary_value, interval ''1 year'', 0.01, ''week'').';
COMMENT ON FUNCTION crm.bgnbd_model(double precision, double precision, double precision, double precision) IS
    'A BG/NBD model from known parameters r, alpha, a, b (each positive and finite).';
COMMENT ON FUNCTION crm.gamma_gamma_model(double precision, double precision, double precision) IS
    'A Gamma-Gamma model from known parameters p, q, v (each positive and finite).';
COMMENT ON FUNCTION crm.sbg_model(double precision, double precision) IS
    'An sBG model from known parameters alpha, beta (each positive and finite).';
COMMENT ON FUNCTION crm.params(crm.bgnbd_model) IS 'Parameters (r, alpha, a, b) of a BG/NBD model.';
COMMENT ON FUNCTION crm.params(crm.gamma_gamma_model) IS 'Parameters (p, q, v) of a Gamma-Gamma model.';
COMMENT ON FUNCTION crm.params(crm.sbg_model) IS 'Parameters (alpha, beta) of an sBG model.';
COMMENT ON FUNCTION crm.log_likelihood(crm.bgnbd_model) IS 'Log-likelihood of a fitted BG/NBD model at its estimate; NULL for a model built from parameters.';
COMMENT ON FUNCTION crm.log_likelihood(crm.gamma_gamma_model) IS 'Log-likelihood of a fitted Gamma-Gamma model at its estimate; NULL for a model built from parameters.';
COMMENT ON FUNCTION crm.log_likelihood(crm.sbg_model) IS 'Log-likelihood of a fitted sBG model at its estimate; NULL for a model built from parameters.';
COMMENT ON FUNCTION crm.customers(crm.bgnbd_model) IS 'Customers a BG/NBD model was fitted on (0 when built from parameters).';
COMMENT ON FUNCTION crm.customers(crm.gamma_gamma_model) IS 'Repeat buyers a Gamma-Gamma model was fitted on (0 when built from parameters).';
COMMENT ON FUNCTION crm.customers(crm.sbg_model) IS 'Customers an sBG model was fitted on (0 when built from parameters).';
COMMENT ON FUNCTION crm.expected_purchases(crm.bgnbd_model, double precision) IS
    'E[X(t)]: expected purchases of a new customer within horizon time units (BG/NBD).';
COMMENT ON FUNCTION crm.expected_purchases(crm.bgnbd_model, double precision, integer, double precision, double precision) IS
    'E[Y(t) | x, t_x, T]: expected purchases within the next horizon time units of a customer with that frequency, recency and t (BG/NBD).';
COMMENT ON FUNCTION crm.expected_purchases(crm.bgnbd_model, interval, text) IS
    'E[X(t)]: expected purchases of a new customer within the horizon interval, read in time_unit (day, week, month, year: the unit the model was fitted in; a year is 365.25 days, a month 365.25/12). Example: crm.expected_purchases(m, interval ''52 weeks'', ''week'').';
COMMENT ON FUNCTION crm.expected_purchases(crm.bgnbd_model, interval, text, integer, double precision, double precision) IS
    'E[Y(t) | x, t_x, T]: expected purchases within the horizon interval, read in time_unit (the unit of the model, recency and t), of a customer with that frequency, recency and t (BG/NBD).';
COMMENT ON FUNCTION crm.probability_alive(crm.bgnbd_model, integer, double precision, double precision) IS
    'P(alive | x, t_x, T): probability that a customer with that frequency, recency and t is still active (BG/NBD).';
COMMENT ON FUNCTION crm.expected_average_value(crm.gamma_gamma_model, integer, numeric) IS
    'E[Z | x, m]: expected mean spend per transaction of a customer with frequency x and mean repeat spend m; p(v + x m)/(p x + q - 1), as lifetimes'' conditional_expected_average_profit; m = 0 (free or refunded repeat orders) gives p v/(p x + q - 1), a negative m is an error (22023).';
COMMENT ON FUNCTION crm.survival(crm.sbg_model, integer) IS 'S(n): share of a cohort still active after period renewals (sBG).';
COMMENT ON FUNCTION crm.retention_rate(crm.sbg_model, integer) IS
    'r_t = (beta + t - 1)/(alpha + beta + t - 1): share of customers active in period t - 1 who renew into period t (sBG), t >= 1.';
COMMENT ON FUNCTION crm.expected_lifetime(crm.sbg_model, double precision) IS
    'DEL: discounted expected lifetime in periods of a new customer, sum over k >= 0 of S(k)/(1 + d)^k (sBG).';
COMMENT ON FUNCTION crm.residual_lifetime(crm.sbg_model, integer, double precision) IS
    'DERL: discounted expected renewals still to come of a customer who renewed periods_survived times (sBG).';

COMMENT ON TYPE crm.rfm_state IS
    'Transition state of crm.rfm_agg: one customer''s daily purchase totals with the observation end and time unit. Opaque text form: \x and the hex digits of the binary form (as bytea prints it), validated on input; Citus ships partial states in this form.';
COMMENT ON TYPE crm.fit_rows IS
    'Transition state of crm.bgnbd_fit over (frequency, recency, t), crm.gamma_gamma_fit and crm.sbg_fit: distinct input rows with the customers each stands for. Opaque text form: \x and the hex digits of the binary form (as bytea prints it), validated on input; Citus ships partial states in this form.';
COMMENT ON TYPE crm.purchase_days IS
    'Transition state of crm.bgnbd_fit straight from purchases: (customer, purchase day) pairs with the observation end and time unit. Opaque text form: \x and the hex digits of the binary form (as bytea prints it), validated on input; Citus ships partial states in this form.';
COMMENT ON FUNCTION crm_internal.rfm_agg_trans(crm.rfm_state, timestamptz, numeric, timestamptz, text) IS 'Support function of aggregate crm.rfm_agg: transition (state crm.rfm_state changed in place: a 64-byte working form for up to seven purchase days whose totals share one scale, then a 128-byte one for up to eight, an expanded object past them).';
COMMENT ON FUNCTION crm_internal.rfm_agg_combine(crm.rfm_state, crm.rfm_state) IS 'Support function of aggregate crm.rfm_agg: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.rfm_agg_final(crm.rfm_state) IS 'Support function of aggregate crm.rfm_agg: final RFM values.';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_trans(crm.fit_rows, integer, double precision, double precision) IS 'Support function of aggregate crm.bgnbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_weighted_trans(crm.fit_rows, integer, double precision, double precision, bigint) IS 'Support function of the weighted aggregate crm.bgnbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.gamma_gamma_fit_trans(crm.fit_rows, integer, numeric) IS 'Support function of aggregate crm.gamma_gamma_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.sbg_fit_trans(crm.fit_rows, integer, boolean) IS 'Support function of aggregate crm.sbg_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.sbg_fit_weighted_trans(crm.fit_rows, integer, boolean, bigint) IS 'Support function of the weighted aggregate crm.sbg_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.clv_fit_combine(crm.fit_rows, crm.fit_rows) IS 'Support function of the model fit aggregates: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_final(crm.fit_rows) IS 'Support function of aggregate crm.bgnbd_fit: the maximum-likelihood fit (22023 for a state holding rows of another model).';
COMMENT ON FUNCTION crm_internal.gamma_gamma_fit_final(crm.fit_rows) IS 'Support function of aggregate crm.gamma_gamma_fit: the maximum-likelihood fit (22023 for a state holding rows of another model).';
COMMENT ON FUNCTION crm_internal.sbg_fit_final(crm.fit_rows) IS 'Support function of aggregate crm.sbg_fit: the maximum-likelihood fit (22023 for a state holding rows of another model).';
COMMENT ON AGGREGATE crm.bgnbd_fit(bigint, timestamptz, timestamptz, text) IS
    'Maximum-likelihood BG/NBD fit straight from purchases (one row per purchase, bigint customer ids): the same model as crm.rfm_agg per customer followed by crm.bgnbd_fit, in one aggregate. Example: SELECT crm.bgnbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.bgnbd_fit(bigint, timestamptz, timestamptz, text): transition.';
COMMENT ON AGGREGATE crm.bgnbd_fit(text, timestamptz, timestamptz, text) IS
    'Maximum-likelihood BG/NBD fit straight from purchases (one row per purchase, text customer ids): the same model as crm.rfm_agg per customer followed by crm.bgnbd_fit, in one aggregate. Example: SELECT crm.bgnbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.bgnbd_fit(text, timestamptz, timestamptz, text): transition.';
COMMENT ON AGGREGATE crm.bgnbd_fit(uuid, timestamptz, timestamptz, text) IS
    'Maximum-likelihood BG/NBD fit straight from purchases (one row per purchase, uuid customer ids): the same model as crm.rfm_agg per customer followed by crm.bgnbd_fit, in one aggregate. Example: SELECT crm.bgnbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.bgnbd_fit(uuid, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.bgnbd_purchases_combine(crm.purchase_days, crm.purchase_days) IS 'Support function of the purchases form of aggregate crm.bgnbd_fit: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.bgnbd_purchases_final(crm.purchase_days) IS 'Support function of the purchases form of aggregate crm.bgnbd_fit: customers from their purchase days, then the maximum-likelihood fit.';

-- Penalized fits: every fit aggregate with a trailing penalizer (lifetimes' penalizer_coef),
-- and integer weights as their own forms (Postgres would otherwise resolve an integer weight to
-- the double precision penalizer, which it prefers over bigint). Their transition functions
-- live in crm_internal; they share the states, combine and final functions of the unpenalized
-- forms (the states carry the penalizer).

CREATE AGGREGATE crm.bgnbd_fit(frequency integer, recency double precision, t double precision, weight integer) (
    SFUNC = crm_internal.bgnbd_fit_integer_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgnbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.sbg_fit(periods_survived integer, churned boolean, weight integer) (
    SFUNC = crm_internal.sbg_fit_integer_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.sbg_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgnbd_fit(frequency integer, recency double precision, t double precision, penalizer double precision) (
    SFUNC = crm_internal.bgnbd_fit_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgnbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgnbd_fit(frequency integer, recency double precision, t double precision, weight bigint, penalizer double precision) (
    SFUNC = crm_internal.bgnbd_fit_weighted_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgnbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgnbd_fit(customer_id bigint, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.bgnbd_fit_purchases_bigint_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.bgnbd_purchases_final,
    COMBINEFUNC = crm_internal.bgnbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgnbd_fit(customer_id text, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.bgnbd_fit_purchases_text_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.bgnbd_purchases_final,
    COMBINEFUNC = crm_internal.bgnbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgnbd_fit(customer_id uuid, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.bgnbd_fit_purchases_uuid_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.bgnbd_purchases_final,
    COMBINEFUNC = crm_internal.bgnbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.gamma_gamma_fit(frequency integer, monetary_value numeric, penalizer double precision) (
    SFUNC = crm_internal.gamma_gamma_fit_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.gamma_gamma_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.sbg_fit(periods_survived integer, churned boolean, penalizer double precision) (
    SFUNC = crm_internal.sbg_fit_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.sbg_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.sbg_fit(periods_survived integer, churned boolean, weight bigint, penalizer double precision) (
    SFUNC = crm_internal.sbg_fit_weighted_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.sbg_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);

COMMENT ON AGGREGATE crm.bgnbd_fit(integer, double precision, double precision, integer) IS
    'Maximum-likelihood BG/NBD fit over rows (frequency, recency, t) that each stand for weight customers (an integer weight; a double precision fourth argument is the penalizer).';
COMMENT ON AGGREGATE crm.sbg_fit(integer, boolean, integer) IS
    'Maximum-likelihood sBG fit over rows (renewals made, churned) that each stand for weight customers (an integer weight; a double precision third argument is the penalizer). Example: SELECT crm.sbg_fit(renewals, renewals < 7, customers) FROM (VALUES (0, 369), (7, 241)) v(renewals, customers);';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_integer_weighted_trans(crm.fit_rows, integer, double precision, double precision, integer) IS 'Support function of the integer-weighted aggregate crm.bgnbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.sbg_fit_integer_weighted_trans(crm.fit_rows, integer, boolean, integer) IS 'Support function of the integer-weighted aggregate crm.sbg_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON AGGREGATE crm.bgnbd_fit(integer, double precision, double precision, double precision) IS
    'Penalized BG/NBD fit over customers (frequency, recency, t): minimizes the mean negative log-likelihood + penalizer * (r^2 + (alpha / max t)^2 + a^2 + b^2), as lifetimes'' penalizer_coef; the penalizer is the same on every row (NULL: 0). Example: SELECT crm.bgnbd_fit(frequency, recency, t, 0.001) FROM customer_rfm;';
COMMENT ON AGGREGATE crm.bgnbd_fit(integer, double precision, double precision, bigint, double precision) IS
    'Penalized BG/NBD fit over rows (frequency, recency, t) that each stand for weight customers; the penalizer as in crm.bgnbd_fit(frequency, recency, t, penalizer).';
COMMENT ON AGGREGATE crm.bgnbd_fit(bigint, timestamptz, timestamptz, text, double precision) IS
    'Penalized BG/NBD fit straight from purchases (bigint customer ids); the penalizer as in crm.bgnbd_fit(frequency, recency, t, penalizer). Example: SELECT crm.bgnbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'', 0.001) FROM orders;';
COMMENT ON AGGREGATE crm.bgnbd_fit(text, timestamptz, timestamptz, text, double precision) IS
    'Penalized BG/NBD fit straight from purchases (text customer ids); the penalizer as in crm.bgnbd_fit(frequency, recency, t, penalizer).';
COMMENT ON AGGREGATE crm.bgnbd_fit(uuid, timestamptz, timestamptz, text, double precision) IS
    'Penalized BG/NBD fit straight from purchases (uuid customer ids); the penalizer as in crm.bgnbd_fit(frequency, recency, t, penalizer).';
COMMENT ON AGGREGATE crm.gamma_gamma_fit(integer, numeric, double precision) IS
    'Penalized Gamma-Gamma spend fit over repeat buyers: minimizes the mean negative log-likelihood + penalizer * (p^2 + q^2 + v^2), as lifetimes'' penalizer_coef (v in money units); the penalizer is the same on every row (NULL: 0). Example: SELECT crm.gamma_gamma_fit(frequency, monetary_value, 0.001) FROM customer_rfm;';
COMMENT ON AGGREGATE crm.sbg_fit(integer, boolean, double precision) IS
    'Penalized sBG fit: minimizes the mean negative log-likelihood + penalizer * (alpha^2 + beta^2); the penalizer is the same on every row (NULL: 0). Example: SELECT crm.sbg_fit(renewals, churned, 0.001) FROM contracts;';
COMMENT ON AGGREGATE crm.sbg_fit(integer, boolean, bigint, double precision) IS
    'Penalized sBG fit over rows (renewals made, churned) that each stand for weight customers; the penalizer as in crm.sbg_fit(periods_survived, churned, penalizer).';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_penalized_trans(crm.fit_rows, integer, double precision, double precision, double precision) IS 'Support function of the penalized aggregate crm.bgnbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_weighted_penalized_trans(crm.fit_rows, integer, double precision, double precision, bigint, double precision) IS 'Support function of the weighted penalized aggregate crm.bgnbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.bgnbd_fit(bigint, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.bgnbd_fit(text, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON FUNCTION crm_internal.bgnbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.bgnbd_fit(uuid, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON FUNCTION crm_internal.gamma_gamma_fit_penalized_trans(crm.fit_rows, integer, numeric, double precision) IS 'Support function of the penalized aggregate crm.gamma_gamma_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.sbg_fit_penalized_trans(crm.fit_rows, integer, boolean, double precision) IS 'Support function of the penalized aggregate crm.sbg_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.sbg_fit_weighted_penalized_trans(crm.fit_rows, integer, boolean, bigint, double precision) IS 'Support function of the weighted penalized aggregate crm.sbg_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm.fit_diagnostics(crm.bgnbd_model) IS
    'Fit diagnostics of a BG/NBD model: converged, optimizer iterations, gradient norm, log-likelihood (without the penalty), customers and the penalizer; NULLs and 0 customers for a model built from parameters. Example: SELECT d.* FROM clv_models, crm.fit_diagnostics(bg) d;';
COMMENT ON FUNCTION crm.fit_diagnostics(crm.gamma_gamma_model) IS
    'Fit diagnostics of a Gamma-Gamma model: converged, optimizer iterations, gradient norm, log-likelihood (without the penalty), repeat buyers and the penalizer; NULLs and 0 customers for a model built from parameters.';
COMMENT ON FUNCTION crm.fit_diagnostics(crm.sbg_model) IS
    'Fit diagnostics of an sBG model: converged, optimizer iterations, gradient norm, log-likelihood (without the penalty), customers and the penalizer; NULLs and 0 customers for a model built from parameters.';
COMMENT ON FUNCTION crm.params_se(crm.bgnbd_model) IS
    'Parameters of a BG/NBD model with standard errors and 95 % intervals: one row (name, estimate, std_error, low, high) per parameter r, alpha, a, b; std_error from the inverse of the Hessian of the log-likelihood (penalized, as fitted) at the estimate, low/high = estimate -/+ 1.96 std_error (the normal interval of lifetimes'' summary); NULL std_error, low and high for a model built from parameters or stored before standard errors were recorded, or when the Hessian is singular. Example: SELECT s.* FROM clv_models, crm.params_se(bg) s;';
COMMENT ON FUNCTION crm.params_se(crm.gamma_gamma_model) IS
    'Parameters p, q, v of a Gamma-Gamma model with standard errors and 95 % intervals (estimate -/+ 1.96 std_error), as crm.params_se(crm.bgnbd_model).';
COMMENT ON FUNCTION crm.params_se(crm.sbg_model) IS
    'Parameters alpha, beta of an sBG model with standard errors and 95 % intervals (estimate -/+ 1.96 std_error), as crm.params_se(crm.bgnbd_model).';

-- MBG/NBD: the same forms as crm.bgnbd_fit, a crm.bgnbd_model of kind MBG/NBD.
CREATE AGGREGATE crm.mbg_nbd_fit(frequency integer, recency double precision, t double precision) (
    SFUNC = crm_internal.mbg_nbd_fit_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.mbg_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(frequency integer, recency double precision, t double precision, weight bigint) (
    SFUNC = crm_internal.mbg_nbd_fit_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.mbg_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(frequency integer, recency double precision, t double precision, weight integer) (
    SFUNC = crm_internal.mbg_nbd_fit_integer_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.mbg_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(frequency integer, recency double precision, t double precision, penalizer double precision) (
    SFUNC = crm_internal.mbg_nbd_fit_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.mbg_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(frequency integer, recency double precision, t double precision, weight bigint, penalizer double precision) (
    SFUNC = crm_internal.mbg_nbd_fit_weighted_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.mbg_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(customer_id bigint, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.mbg_nbd_fit_purchases_bigint_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.mbg_nbd_purchases_final,
    COMBINEFUNC = crm_internal.mbg_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(customer_id bigint, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.mbg_nbd_fit_purchases_bigint_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.mbg_nbd_purchases_final,
    COMBINEFUNC = crm_internal.mbg_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(customer_id text, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.mbg_nbd_fit_purchases_text_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.mbg_nbd_purchases_final,
    COMBINEFUNC = crm_internal.mbg_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(customer_id text, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.mbg_nbd_fit_purchases_text_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.mbg_nbd_purchases_final,
    COMBINEFUNC = crm_internal.mbg_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(customer_id uuid, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.mbg_nbd_fit_purchases_uuid_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.mbg_nbd_purchases_final,
    COMBINEFUNC = crm_internal.mbg_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.mbg_nbd_fit(customer_id uuid, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.mbg_nbd_fit_purchases_uuid_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.mbg_nbd_purchases_final,
    COMBINEFUNC = crm_internal.mbg_nbd_purchases_combine,
    PARALLEL = SAFE
);
COMMENT ON TYPE crm.bgnbd_model IS
    'A BG/NBD purchase model (Fader, Hardie & Lee 2005), or an MBG/NBD one (Batislam, Denizel & Filiztekin 2007; crm.mbg_nbd_fit, crm.mbg_nbd_model): parameters r, alpha, a, b and, when fitted, the fit diagnostics; every prediction follows the kind. Text form {"r":0.243,"alpha":4.414,"a":0.793,"b":2.426,"fit":null}, an MBG/NBD model starting with "model":"mbg_nbd".';
COMMENT ON FUNCTION crm.mbg_nbd_model(double precision, double precision, double precision, double precision) IS
    'An MBG/NBD model (a crm.bgnbd_model of that kind) from known parameters r, alpha, a, b (each positive and finite). Example: SELECT crm.probability_alive(crm.mbg_nbd_model(0.525, 6.183, 0.891, 1.614), 0, 0, 38.86);';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(integer, double precision, double precision) IS
    'Maximum-likelihood MBG/NBD fit (Batislam, Denizel & Filiztekin 2007; lifetimes'' ModifiedBetaGeoFitter) over customers (frequency, recency, t): BG/NBD with a dropout chance right after the first purchase too; returns a crm.bgnbd_model of kind MBG/NBD, which crm.probability_alive, crm.expected_purchases, crm.clv and the accessors take. Example: SELECT crm.mbg_nbd_fit(frequency, recency, t) FROM customer_rfm;';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(integer, double precision, double precision, bigint) IS
    'Maximum-likelihood MBG/NBD fit over rows (frequency, recency, t) that each stand for weight customers.';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(integer, double precision, double precision, integer) IS
    'Maximum-likelihood MBG/NBD fit over rows (frequency, recency, t) that each stand for weight customers (an integer weight; a double precision fourth argument is the penalizer).';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(integer, double precision, double precision, double precision) IS
    'Penalized MBG/NBD fit: minimizes the mean negative log-likelihood + penalizer * (r^2 + (alpha / max t)^2 + a^2 + b^2), as lifetimes'' penalizer_coef; the penalizer is the same on every row (NULL: 0). Example: SELECT crm.mbg_nbd_fit(frequency, recency, t, 0.001) FROM customer_rfm;';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(integer, double precision, double precision, bigint, double precision) IS
    'Penalized MBG/NBD fit over rows (frequency, recency, t) that each stand for weight customers; the penalizer as in crm.mbg_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(bigint, timestamptz, timestamptz, text) IS
    'Maximum-likelihood MBG/NBD fit straight from purchases (one row per purchase, bigint customer ids), as crm.bgnbd_fit from purchases. Example: SELECT crm.mbg_nbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(bigint, timestamptz, timestamptz, text, double precision) IS
    'Penalized MBG/NBD fit straight from purchases (bigint customer ids); the penalizer as in crm.mbg_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.mbg_nbd_fit(bigint, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.mbg_nbd_fit(bigint, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(text, timestamptz, timestamptz, text) IS
    'Maximum-likelihood MBG/NBD fit straight from purchases (one row per purchase, text customer ids), as crm.bgnbd_fit from purchases. Example: SELECT crm.mbg_nbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(text, timestamptz, timestamptz, text, double precision) IS
    'Penalized MBG/NBD fit straight from purchases (text customer ids); the penalizer as in crm.mbg_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.mbg_nbd_fit(text, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.mbg_nbd_fit(text, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(uuid, timestamptz, timestamptz, text) IS
    'Maximum-likelihood MBG/NBD fit straight from purchases (one row per purchase, uuid customer ids), as crm.bgnbd_fit from purchases. Example: SELECT crm.mbg_nbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON AGGREGATE crm.mbg_nbd_fit(uuid, timestamptz, timestamptz, text, double precision) IS
    'Penalized MBG/NBD fit straight from purchases (uuid customer ids); the penalizer as in crm.mbg_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.mbg_nbd_fit(uuid, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.mbg_nbd_fit(uuid, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_trans(crm.fit_rows, integer, double precision, double precision) IS 'Support function of aggregate crm.mbg_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_weighted_trans(crm.fit_rows, integer, double precision, double precision, bigint) IS 'Support function of the weighted aggregate crm.mbg_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_integer_weighted_trans(crm.fit_rows, integer, double precision, double precision, integer) IS 'Support function of the integer-weighted aggregate crm.mbg_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_penalized_trans(crm.fit_rows, integer, double precision, double precision, double precision) IS 'Support function of the penalized aggregate crm.mbg_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_weighted_penalized_trans(crm.fit_rows, integer, double precision, double precision, bigint, double precision) IS 'Support function of the weighted penalized aggregate crm.mbg_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_fit_final(crm.fit_rows) IS 'Support function of aggregate crm.mbg_nbd_fit: the maximum-likelihood fit (22023 for a state holding rows of another model).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_purchases_combine(crm.purchase_days, crm.purchase_days) IS 'Support function of the purchases form of aggregate crm.mbg_nbd_fit: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.mbg_nbd_purchases_final(crm.purchase_days) IS 'Support function of the purchases form of aggregate crm.mbg_nbd_fit: customers from their purchase days, then the maximum-likelihood fit.';

-- Calibration/holdout split (crm.rfm_holdout_agg): the state crm.rfm_holdout_state keeps one
-- customer's purchase days up to the observation end, as crm.rfm_state does (plus each day's
-- number of purchases), so the same SSPACE.
CREATE AGGREGATE crm.rfm_holdout_agg(occurred_at timestamptz, amount numeric, calibration_end timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.rfm_holdout_agg_trans,
    STYPE = crm.rfm_holdout_state,
    SSPACE = 256,
    FINALFUNC = crm_internal.rfm_holdout_agg_final,
    COMBINEFUNC = crm_internal.rfm_holdout_agg_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.rfm_holdout_agg(timestamptz, numeric, timestamptz, timestamptz, text) IS
    'Calibration and holdout summary (crm.rfm_holdout) of one customer''s purchases, used with GROUP BY customer, as lifetimes'' calibration_and_holdout_data: purchases on days up to calibration_end''s UTC day give the RFM columns *_cal, those on later days up to observation_end''s day the holdout columns; NULL for a customer whose first purchase is after calibration_end (filter with WHERE r IS NOT NULL). Example: SELECT customer_id, crm.rfm_holdout_agg(ordered_at, amount, ''2025-06-30'', ''2025-12-31'', ''week'') AS r FROM orders GROUP BY customer_id;';
COMMENT ON TYPE crm.rfm_holdout IS
    'Result of crm.rfm_holdout_agg: frequency_cal, recency_cal, t_cal and monetary_value_cal as crm.rfm at the calibration end; frequency_holdout (days with purchases after the calibration end''s day, up to the observation end''s), monetary_value_holdout (mean amount of those purchases, each purchase counted once, 0 without any) and duration_holdout (the holdout period in time units).';
COMMENT ON TYPE crm.rfm_holdout_state IS
    'Transition state of crm.rfm_holdout_agg: one customer''s daily purchase totals and counts with the calibration end, observation end and time unit. Opaque text form: \x and the hex digits of the binary form (as bytea prints it), validated on input; Citus ships partial states in this form.';
COMMENT ON FUNCTION crm_internal.rfm_holdout_agg_trans(crm.rfm_holdout_state, timestamptz, numeric, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.rfm_holdout_agg: transition (state crm.rfm_holdout_state, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.rfm_holdout_agg_combine(crm.rfm_holdout_state, crm.rfm_holdout_state) IS 'Support function of aggregate crm.rfm_holdout_agg: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.rfm_holdout_agg_final(crm.rfm_holdout_state) IS 'Support function of aggregate crm.rfm_holdout_agg: final calibration and holdout values.';
-- Pareto/NBD: the same forms as crm.bgnbd_fit, a crm.bgnbd_model of kind Pareto/NBD.
CREATE AGGREGATE crm.pareto_nbd_fit(frequency integer, recency double precision, t double precision) (
    SFUNC = crm_internal.pareto_nbd_fit_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.pareto_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(frequency integer, recency double precision, t double precision, weight bigint) (
    SFUNC = crm_internal.pareto_nbd_fit_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.pareto_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(frequency integer, recency double precision, t double precision, weight integer) (
    SFUNC = crm_internal.pareto_nbd_fit_integer_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.pareto_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(frequency integer, recency double precision, t double precision, penalizer double precision) (
    SFUNC = crm_internal.pareto_nbd_fit_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.pareto_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(frequency integer, recency double precision, t double precision, weight bigint, penalizer double precision) (
    SFUNC = crm_internal.pareto_nbd_fit_weighted_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.pareto_nbd_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(customer_id bigint, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.pareto_nbd_fit_purchases_bigint_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.pareto_nbd_purchases_final,
    COMBINEFUNC = crm_internal.pareto_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(customer_id bigint, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.pareto_nbd_fit_purchases_bigint_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.pareto_nbd_purchases_final,
    COMBINEFUNC = crm_internal.pareto_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(customer_id text, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.pareto_nbd_fit_purchases_text_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.pareto_nbd_purchases_final,
    COMBINEFUNC = crm_internal.pareto_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(customer_id text, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.pareto_nbd_fit_purchases_text_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.pareto_nbd_purchases_final,
    COMBINEFUNC = crm_internal.pareto_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(customer_id uuid, occurred_at timestamptz, observation_end timestamptz, time_unit text) (
    SFUNC = crm_internal.pareto_nbd_fit_purchases_uuid_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.pareto_nbd_purchases_final,
    COMBINEFUNC = crm_internal.pareto_nbd_purchases_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.pareto_nbd_fit(customer_id uuid, occurred_at timestamptz, observation_end timestamptz, time_unit text, penalizer double precision) (
    SFUNC = crm_internal.pareto_nbd_fit_purchases_uuid_penalized_trans,
    STYPE = crm.purchase_days,
    FINALFUNC = crm_internal.pareto_nbd_purchases_final,
    COMBINEFUNC = crm_internal.pareto_nbd_purchases_combine,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE crm.pareto_nbd_fit(integer, double precision, double precision, bigint) IS
    'Maximum-likelihood Pareto/NBD fit over rows (frequency, recency, t) that each stand for weight customers.';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(integer, double precision, double precision, integer) IS
    'Maximum-likelihood Pareto/NBD fit over rows (frequency, recency, t) that each stand for weight customers (an integer weight; a double precision fourth argument is the penalizer).';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(integer, double precision, double precision, bigint, double precision) IS
    'Penalized Pareto/NBD fit over rows (frequency, recency, t) that each stand for weight customers; the penalizer as in crm.pareto_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(bigint, timestamptz, timestamptz, text) IS
    'Maximum-likelihood Pareto/NBD fit straight from purchases (one row per purchase, bigint customer ids), as crm.bgnbd_fit from purchases. Example: SELECT crm.pareto_nbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(bigint, timestamptz, timestamptz, text, double precision) IS
    'Penalized Pareto/NBD fit straight from purchases (bigint customer ids); the penalizer as in crm.pareto_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_purchases_bigint_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.pareto_nbd_fit(bigint, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_purchases_bigint_penalized_trans(crm.purchase_days, bigint, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.pareto_nbd_fit(bigint, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(text, timestamptz, timestamptz, text) IS
    'Maximum-likelihood Pareto/NBD fit straight from purchases (one row per purchase, text customer ids), as crm.bgnbd_fit from purchases. Example: SELECT crm.pareto_nbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(text, timestamptz, timestamptz, text, double precision) IS
    'Penalized Pareto/NBD fit straight from purchases (text customer ids); the penalizer as in crm.pareto_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_purchases_text_trans(crm.purchase_days, text, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.pareto_nbd_fit(text, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_purchases_text_penalized_trans(crm.purchase_days, text, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.pareto_nbd_fit(text, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(uuid, timestamptz, timestamptz, text) IS
    'Maximum-likelihood Pareto/NBD fit straight from purchases (one row per purchase, uuid customer ids), as crm.bgnbd_fit from purchases. Example: SELECT crm.pareto_nbd_fit(customer_id, ordered_at, ''1998-06-30'', ''week'') FROM orders;';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(uuid, timestamptz, timestamptz, text, double precision) IS
    'Penalized Pareto/NBD fit straight from purchases (uuid customer ids); the penalizer as in crm.pareto_nbd_fit(frequency, recency, t, penalizer).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_purchases_uuid_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text) IS 'Support function of aggregate crm.pareto_nbd_fit(uuid, timestamptz, timestamptz, text): transition.';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_purchases_uuid_penalized_trans(crm.purchase_days, uuid, timestamptz, timestamptz, text, double precision) IS 'Support function of aggregate crm.pareto_nbd_fit(uuid, timestamptz, timestamptz, text, double precision): transition.';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_trans(crm.fit_rows, integer, double precision, double precision) IS 'Support function of aggregate crm.pareto_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_weighted_trans(crm.fit_rows, integer, double precision, double precision, bigint) IS 'Support function of the weighted aggregate crm.pareto_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_integer_weighted_trans(crm.fit_rows, integer, double precision, double precision, integer) IS 'Support function of the integer-weighted aggregate crm.pareto_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_penalized_trans(crm.fit_rows, integer, double precision, double precision, double precision) IS 'Support function of the penalized aggregate crm.pareto_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_weighted_penalized_trans(crm.fit_rows, integer, double precision, double precision, bigint, double precision) IS 'Support function of the weighted penalized aggregate crm.pareto_nbd_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_fit_final(crm.fit_rows) IS 'Support function of aggregate crm.pareto_nbd_fit: the maximum-likelihood fit (22023 for a state holding rows of another model).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_purchases_combine(crm.purchase_days, crm.purchase_days) IS 'Support function of the purchases form of aggregate crm.pareto_nbd_fit: combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.pareto_nbd_purchases_final(crm.purchase_days) IS 'Support function of the purchases form of aggregate crm.pareto_nbd_fit: customers from their purchase days, then the maximum-likelihood fit.';
COMMENT ON TYPE crm.bgnbd_model IS
    'A BG/NBD purchase model (Fader, Hardie & Lee 2005), an MBG/NBD one (Batislam, Denizel & Filiztekin 2007; crm.mbg_nbd_fit, crm.mbg_nbd_model) or a Pareto/NBD one (Schmittlein, Morrison & Colombo 1987; crm.pareto_nbd_fit, crm.pareto_nbd_model): parameters r, alpha, a, b (Pareto/NBD: r, alpha, s, beta, which crm.params returns in its columns a and b) and, when fitted, the fit diagnostics; every prediction follows the kind. Text form {"r":0.243,"alpha":4.414,"a":0.793,"b":2.426,"fit":null}, an MBG/NBD model starting with "model":"mbg_nbd", a Pareto/NBD one {"model":"pareto_nbd","r":0.553,"alpha":10.58,"s":0.606,"beta":11.67,"fit":null}.';
COMMENT ON FUNCTION crm.pareto_nbd_model(double precision, double precision, double precision, double precision) IS
    'A Pareto/NBD model (a crm.bgnbd_model of that kind) from known parameters r, alpha, s, beta (each positive and finite). Example: SELECT crm.probability_alive(crm.pareto_nbd_model(0.553, 10.58, 0.606, 11.67), 26, 30.86, 31);';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(integer, double precision, double precision) IS
    'Maximum-likelihood Pareto/NBD fit (Schmittlein, Morrison & Colombo 1987; likelihood as Fader, Hardie & Lee 2005, through the Gauss hypergeometric function; lifetimes'' ParetoNBDFitter) over customers (frequency, recency, t): customers buy at a Poisson rate while alive and leave at any time after an exponential lifetime; returns a crm.bgnbd_model of kind Pareto/NBD (parameters r, alpha, s, beta), which crm.probability_alive, crm.expected_purchases, crm.clv and the accessors take. Example: SELECT crm.pareto_nbd_fit(frequency, recency, t) FROM customer_rfm;';
COMMENT ON AGGREGATE crm.pareto_nbd_fit(integer, double precision, double precision, double precision) IS
    'Penalized Pareto/NBD fit: minimizes the mean negative log-likelihood + penalizer * (r^2 + (alpha / max t)^2 + s^2 + (beta / max t)^2) (lifetimes'' ParetoNBDFitter penalizes the total instead: its penalizer_coef is this penalizer times the number of rows); the penalizer is the same on every row (NULL: 0). Example: SELECT crm.pareto_nbd_fit(frequency, recency, t, 0.001) FROM customer_rfm;';

-- The fits straight from purchases keep every customer's purchase days: merging their partial
-- states costs about what scanning the purchases does, so the planner charges it per row
-- aggregated (crm_internal.merged_state_cost, src/common/costs.rs) and turning parallel query
-- on does not pick a plan slower than the serial one.
ALTER FUNCTION crm_internal.bgnbd_purchases_combine(crm.purchase_days, crm.purchase_days) SUPPORT crm_internal.merged_state_cost;
ALTER FUNCTION crm_internal.mbg_nbd_purchases_combine(crm.purchase_days, crm.purchase_days) SUPPORT crm_internal.merged_state_cost;
ALTER FUNCTION crm_internal.pareto_nbd_purchases_combine(crm.purchase_days, crm.purchase_days) SUPPORT crm_internal.merged_state_cost;
