-- BG/BB model of discrete transaction opportunities (CLV family): the aggregate crm.bgbb_fit and
-- the comments of the type and functions src/clv/sql/bgbb.rs declares. Runs in the install
-- script's finalize step, after sql/clv.sql. The state is crm.fit_rows, shared with the other
-- fits (combine crm_internal.clv_fit_combine); integer weights are their own form, as for the
-- other fits, so that an integer weight never resolves to the double precision penalizer.

CREATE AGGREGATE crm.bgbb_fit(frequency integer, recency integer, n_periods integer) (
    SFUNC = crm_internal.bgbb_fit_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgbb_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgbb_fit(frequency integer, recency integer, n_periods integer, weight bigint) (
    SFUNC = crm_internal.bgbb_fit_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgbb_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgbb_fit(frequency integer, recency integer, n_periods integer, weight integer) (
    SFUNC = crm_internal.bgbb_fit_integer_weighted_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgbb_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgbb_fit(frequency integer, recency integer, n_periods integer, penalizer double precision) (
    SFUNC = crm_internal.bgbb_fit_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgbb_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);
CREATE AGGREGATE crm.bgbb_fit(frequency integer, recency integer, n_periods integer, weight bigint, penalizer double precision) (
    SFUNC = crm_internal.bgbb_fit_weighted_penalized_trans,
    STYPE = crm.fit_rows,
    FINALFUNC = crm_internal.bgbb_fit_final,
    COMBINEFUNC = crm_internal.clv_fit_combine,
    PARALLEL = SAFE
);

COMMENT ON TYPE crm.bgbb_model IS
    'A BG/BB model of discrete transaction opportunities (Fader, Hardie & Shang 2010): parameters alpha, beta (transaction probability ~ Beta(alpha, beta)), gamma, delta (dropout probability ~ Beta(gamma, delta)) and, when fitted, the fit diagnostics; text form {"alpha":1.204,"beta":0.75,"gamma":0.657,"delta":2.784,"fit":null}.';
COMMENT ON AGGREGATE crm.bgbb_fit(integer, integer, integer) IS
    'Maximum-likelihood BG/BB fit over customers (frequency, recency, n_periods): transactions in n_periods opportunities, the last at opportunity recency (0 without transactions); 0 <= frequency <= recency <= n_periods. Example: SELECT crm.bgbb_fit(donations, last_year, 6) FROM donors;';
COMMENT ON AGGREGATE crm.bgbb_fit(integer, integer, integer, bigint) IS
    'Maximum-likelihood BG/BB fit over rows (frequency, recency, n_periods) that each stand for weight customers.';
COMMENT ON AGGREGATE crm.bgbb_fit(integer, integer, integer, integer) IS
    'Maximum-likelihood BG/BB fit over rows (frequency, recency, n_periods) that each stand for weight customers (an integer weight; a double precision fourth argument is the penalizer).';
COMMENT ON AGGREGATE crm.bgbb_fit(integer, integer, integer, double precision) IS
    'Penalized BG/BB fit: minimizes the mean negative log-likelihood + penalizer * (alpha^2 + beta^2 + gamma^2 + delta^2), as lifetimes'' penalizer_coef; the penalizer is the same on every row (NULL: 0). Example: SELECT crm.bgbb_fit(frequency, recency, n_periods, 0.001) FROM donors;';
COMMENT ON AGGREGATE crm.bgbb_fit(integer, integer, integer, bigint, double precision) IS
    'Penalized BG/BB fit over rows (frequency, recency, n_periods) that each stand for weight customers; the penalizer as in crm.bgbb_fit(frequency, recency, n_periods, penalizer).';
COMMENT ON FUNCTION crm_internal.bgbb_fit_trans(crm.fit_rows, integer, integer, integer) IS 'Support function of aggregate crm.bgbb_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgbb_fit_weighted_trans(crm.fit_rows, integer, integer, integer, bigint) IS 'Support function of the weighted aggregate crm.bgbb_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgbb_fit_integer_weighted_trans(crm.fit_rows, integer, integer, integer, integer) IS 'Support function of the integer-weighted aggregate crm.bgbb_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgbb_fit_penalized_trans(crm.fit_rows, integer, integer, integer, double precision) IS 'Support function of the penalized aggregate crm.bgbb_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgbb_fit_weighted_penalized_trans(crm.fit_rows, integer, integer, integer, bigint, double precision) IS 'Support function of the weighted penalized aggregate crm.bgbb_fit: transition (state crm.fit_rows, an expanded object changed in place).';
COMMENT ON FUNCTION crm_internal.bgbb_fit_final(crm.fit_rows) IS 'Support function of aggregate crm.bgbb_fit: the maximum-likelihood fit (22023 for a state holding rows of another model).';
COMMENT ON FUNCTION crm.bgbb_model(double precision, double precision, double precision, double precision) IS
    'A BG/BB model from known parameters alpha, beta, gamma, delta (each positive and finite).';
COMMENT ON FUNCTION crm.params(crm.bgbb_model) IS 'Parameters (alpha, beta, gamma, delta) of a BG/BB model.';
COMMENT ON FUNCTION crm.log_likelihood(crm.bgbb_model) IS 'Log-likelihood of a fitted BG/BB model at its estimate; NULL for a model built from parameters.';
COMMENT ON FUNCTION crm.customers(crm.bgbb_model) IS 'Customers a BG/BB model was fitted on (0 when built from parameters).';
COMMENT ON FUNCTION crm.fit_diagnostics(crm.bgbb_model) IS
    'Fit diagnostics of a BG/BB model: converged, optimizer iterations, gradient norm, log-likelihood (without the penalty), customers and the penalizer; NULLs and 0 customers for a model built from parameters.';
COMMENT ON FUNCTION crm.expected_purchases(crm.bgbb_model, integer) IS
    'E[X(n)]: expected transactions of a new customer in the first horizon transaction opportunities (BG/BB, Fader, Hardie & Shang 2010, eq. 7).';
COMMENT ON FUNCTION crm.expected_purchases(crm.bgbb_model, integer, integer, integer, integer) IS
    'E[X(n, n + horizon) | x, t_x, n]: expected transactions in the next horizon opportunities of a customer with that frequency, recency and n_periods (BG/BB, eq. 13; lifetimes'' conditional_expected_number_of_purchases_up_to_time).';
COMMENT ON FUNCTION crm.probability_alive(crm.bgbb_model, integer, integer, integer) IS
    'P(alive at opportunity n_periods + 1 | frequency, recency, n_periods) (BG/BB, eq. 11; lifetimes'' conditional_probability_alive with m_periods_in_future = 1).';
COMMENT ON FUNCTION crm.params_se(crm.bgbb_model) IS
    'Parameters alpha, beta, gamma, delta of a BG/BB model with standard errors and 95 % intervals (estimate -/+ 1.96 std_error), as crm.params_se(crm.bgnbd_model).';
COMMENT ON FUNCTION crm.clv(crm.bgbb_model, crm.gamma_gamma_model, integer, integer, integer, numeric, integer, double precision) IS
    'Discounted CLV of a customer over the next horizon transaction opportunities (BG/BB with Gamma-Gamma spend): E[spend | frequency, monetary_value] * sum over k = 1..horizon of P(transaction at opportunity n_periods + k | frequency, recency, n_periods) / (1 + discount_rate)^k, the discounted expected residual transactions (DERT, Fader, Hardie & Shang 2010, eq. 14, which is the limit of a long horizon); discount_rate per opportunity, greater than -1. Example: SELECT crm.clv(bg, gg, 4, 5, 6, 40.00, 10, 0.1);';
COMMENT ON FUNCTION crm.clv(crm.bgbb_model, integer, integer, integer, numeric, integer, double precision) IS
    'Discounted CLV of a customer over the next horizon transaction opportunities at a known value per transaction: value_per_transaction * DERT, as crm.clv(crm.bgbb_model, crm.gamma_gamma_model, ...); with value_per_transaction 1, the discounted expected residual transactions themselves. Example: SELECT crm.clv(bg, 4, 5, 6, 1, 10, 0.1);';
