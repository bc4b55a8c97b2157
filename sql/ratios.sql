-- Plain ratios: the share-of-true aggregates and comments. Scalar functions and support
-- functions are defined (and declared in SQL) in src/ratios/sql.rs; this file runs last in the
-- install script, after every function it names.
--
-- The transition state crm.share_state (a type Citus can ship) is changed in place per row; an
-- internal state serves the moving aggregates.

CREATE AGGREGATE crm.win_rate(won boolean) (
    SFUNC = crm_internal.share_trans,
    STYPE = crm.share_state,
    FINALFUNC = crm_internal.share_final,
    COMBINEFUNC = crm_internal.share_combine,
    MSFUNC = crm_internal.share_trans,
    MINVFUNC = crm_internal.share_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.share_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.renewal_rate(renewed boolean) (
    SFUNC = crm_internal.share_trans,
    STYPE = crm.share_state,
    FINALFUNC = crm_internal.share_final,
    COMBINEFUNC = crm_internal.share_combine,
    MSFUNC = crm_internal.share_trans,
    MINVFUNC = crm_internal.share_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.share_final,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.conversion_rate(converted boolean) (
    SFUNC = crm_internal.share_trans,
    STYPE = crm.share_state,
    FINALFUNC = crm_internal.share_final,
    COMBINEFUNC = crm_internal.share_combine,
    MSFUNC = crm_internal.share_trans,
    MINVFUNC = crm_internal.share_inverse,
    MSTYPE = internal,
    MFINALFUNC = crm_internal.share_final,
    PARALLEL = SAFE
);

COMMENT ON FUNCTION crm.cac(numeric, bigint) IS
    'Customer acquisition cost: total_cost / new_customers (numeric); NULL when new_customers is 0; a negative cost or count is an error (22003). Example: SELECT crm.cac(50000, 125); -- 400';
COMMENT ON FUNCTION crm.roi(numeric, numeric) IS
    'Return on investment: (revenue - cost) / cost; NULL when cost is 0; a negative cost is an error (22003). Example: SELECT crm.roi(150000, 100000); -- 0.5';
COMMENT ON FUNCTION crm.quota_attainment(numeric, numeric) IS
    'Quota attainment: achieved / target; NULL when target is 0; a negative target is an error (22003), a negative achievement a value. Example: SELECT crm.quota_attainment(85, 80); -- 1.0625';
COMMENT ON FUNCTION crm.growth_rate(numeric, numeric) IS
    'Growth rate: (current - previous) / previous; NULL when previous is 0. Example: SELECT crm.growth_rate(1150, 1000); -- 0.15';
COMMENT ON FUNCTION crm.conversion_rate(bigint, bigint) IS
    'Conversion rate: converted / total; NULL when total is 0; negative counts are an error (22003), converted > total too (22023). Example: SELECT crm.conversion_rate(33, 100); -- 0.33';
COMMENT ON FUNCTION crm.ltv_to_cac(numeric, numeric) IS
    'LTV:CAC ratio: ltv / cac; NULL when cac is 0; a negative cac is an error (22003). Example: SELECT crm.ltv_to_cac(1200, 400); -- 3';
COMMENT ON FUNCTION crm.revenue_per_lead(numeric, bigint) IS
    'Revenue per lead: revenue / leads (numeric); NULL when leads is 0. Example: SELECT crm.revenue_per_lead(25000, 500); -- 50';
COMMENT ON FUNCTION crm.cost_per_lead(numeric, bigint) IS
    'Cost per lead: cost / leads (numeric); NULL when leads is 0; a negative cost is an error (22003). Example: SELECT crm.cost_per_lead(5000, 250); -- 20';
COMMENT ON FUNCTION crm.calls_per_sale(bigint, bigint) IS
    'Calls per sale: calls / sales; NULL when sales is 0. Example: SELECT crm.calls_per_sale(450, 15); -- 30';
COMMENT ON FUNCTION crm.renewal_rate(bigint, bigint) IS
    'Renewal rate: renewed / up_for_renewal; NULL when up_for_renewal is 0; renewed > up_for_renewal is an error (22023). Example: SELECT crm.renewal_rate(95, 100); -- 0.95';
COMMENT ON AGGREGATE crm.win_rate(boolean) IS
    'Win rate of closed deals: share of true among non-NULL rows (won / (won + lost)); NULL without such rows. Example: SELECT crm.win_rate(won) FROM opportunities;';
COMMENT ON AGGREGATE crm.renewal_rate(boolean) IS
    'Renewal rate: share of true among non-NULL rows; NULL without such rows. Example: SELECT crm.renewal_rate(renewed) FROM contract_renewals;';
COMMENT ON AGGREGATE crm.conversion_rate(boolean) IS
    'Conversion rate: share of true among non-NULL rows (converted / decided rows; NULL rows, e.g. leads still open, are skipped); NULL without such rows. Example: SELECT source, crm.conversion_rate(converted) FROM leads GROUP BY source;';
COMMENT ON FUNCTION crm_internal.share_trans(internal, boolean) IS 'Support function of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): moving-aggregate transition (window frames).';
COMMENT ON FUNCTION crm_internal.share_inverse(internal, boolean) IS 'Support function of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): inverse transition for window frames.';
COMMENT ON FUNCTION crm_internal.share_final(internal) IS 'Support function of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): moving-aggregate final share (window frames).';
-- Comments of the shippable state.
COMMENT ON TYPE crm.share_state IS
    'Transition state of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): true rows and non-NULL rows; text form {"true_rows":3,"rows":5} (Citus ships partial states in this form).';
COMMENT ON FUNCTION crm_internal.share_trans(crm.share_state, boolean) IS 'Support function of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): transition (state crm.share_state, changed in place).';
COMMENT ON FUNCTION crm_internal.share_combine(crm.share_state, crm.share_state) IS 'Support function of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): combine partial states (parallel query, Citus).';
COMMENT ON FUNCTION crm_internal.share_final(crm.share_state) IS 'Support function of crm.win_rate(boolean), crm.renewal_rate(boolean) and crm.conversion_rate(boolean): final share.';
