-- Cohorts family: aggregates and comments. Support functions are in src/cohorts/sql.rs.

CREATE AGGREGATE crm.cohort_agg(customer_id bigint, occurred_at timestamptz, period text) (
    SFUNC = crm.cohort_bigint_trans,
    STYPE = internal,
    FINALFUNC = crm.cohort_final,
    COMBINEFUNC = crm.cohort_combine,
    SERIALFUNC = crm.cohort_serialize,
    DESERIALFUNC = crm.cohort_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.cohort_agg(customer_id bigint, occurred_at timestamptz, period text, time_zone text) (
    SFUNC = crm.cohort_bigint_zone_trans,
    STYPE = internal,
    FINALFUNC = crm.cohort_final,
    COMBINEFUNC = crm.cohort_combine,
    SERIALFUNC = crm.cohort_serialize,
    DESERIALFUNC = crm.cohort_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.cohort_agg(customer_id text, occurred_at timestamptz, period text) (
    SFUNC = crm.cohort_text_trans,
    STYPE = internal,
    FINALFUNC = crm.cohort_final,
    COMBINEFUNC = crm.cohort_combine,
    SERIALFUNC = crm.cohort_serialize,
    DESERIALFUNC = crm.cohort_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.cohort_agg(customer_id text, occurred_at timestamptz, period text, time_zone text) (
    SFUNC = crm.cohort_text_zone_trans,
    STYPE = internal,
    FINALFUNC = crm.cohort_final,
    COMBINEFUNC = crm.cohort_combine,
    SERIALFUNC = crm.cohort_serialize,
    DESERIALFUNC = crm.cohort_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.cohort_agg(customer_id uuid, occurred_at timestamptz, period text) (
    SFUNC = crm.cohort_uuid_trans,
    STYPE = internal,
    FINALFUNC = crm.cohort_final,
    COMBINEFUNC = crm.cohort_combine,
    SERIALFUNC = crm.cohort_serialize,
    DESERIALFUNC = crm.cohort_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.cohort_agg(customer_id uuid, occurred_at timestamptz, period text, time_zone text) (
    SFUNC = crm.cohort_uuid_zone_trans,
    STYPE = internal,
    FINALFUNC = crm.cohort_final,
    COMBINEFUNC = crm.cohort_combine,
    SERIALFUNC = crm.cohort_serialize,
    DESERIALFUNC = crm.cohort_deserialize,
    PARALLEL = SAFE
);

CREATE AGGREGATE crm.rollup(summary crm.cohort_summary) (
    SFUNC = crm.cohort_rollup_trans,
    STYPE = internal,
    FINALFUNC = crm.cohort_final,
    COMBINEFUNC = crm.cohort_combine,
    SERIALFUNC = crm.cohort_serialize,
    DESERIALFUNC = crm.cohort_deserialize,
    PARALLEL = SAFE
);

COMMENT ON TYPE crm.cohort_summary IS
    'Per customer, its cohort and the calendar periods it was active in (period kind and time zone included); read with crm.cohort_retention and crm.repeat_rate, merge with crm.rollup.';
COMMENT ON AGGREGATE crm.cohort_agg(bigint, timestamptz, text) IS
    'Cohort summary of activity events (bigint customer ids, exact ids): each customer''s cohort is the calendar period (day, week, month, quarter, year; UTC) of its first event. Example: SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, ordered_at, ''month'') FROM orders));';
COMMENT ON AGGREGATE crm.cohort_agg(bigint, timestamptz, text, text) IS
    'Cohort summary of activity events (bigint customer ids, exact ids) with calendar periods in the given IANA time zone (weeks start Monday).';
COMMENT ON FUNCTION crm.cohort_bigint_trans(internal, bigint, timestamptz, text) IS 'Support function of aggregate crm.cohort_agg(bigint, timestamptz, text): transition.';
COMMENT ON FUNCTION crm.cohort_bigint_zone_trans(internal, bigint, timestamptz, text, text) IS 'Support function of aggregate crm.cohort_agg(bigint, timestamptz, text, text): transition.';
COMMENT ON AGGREGATE crm.cohort_agg(text, timestamptz, text) IS
    'Cohort summary of activity events (text customer ids, ids hashed to 128 bits (XXH3)): each customer''s cohort is the calendar period (day, week, month, quarter, year; UTC) of its first event. Example: SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, ordered_at, ''month'') FROM orders));';
COMMENT ON AGGREGATE crm.cohort_agg(text, timestamptz, text, text) IS
    'Cohort summary of activity events (text customer ids, ids hashed to 128 bits (XXH3)) with calendar periods in the given IANA time zone (weeks start Monday).';
COMMENT ON FUNCTION crm.cohort_text_trans(internal, text, timestamptz, text) IS 'Support function of aggregate crm.cohort_agg(text, timestamptz, text): transition.';
COMMENT ON FUNCTION crm.cohort_text_zone_trans(internal, text, timestamptz, text, text) IS 'Support function of aggregate crm.cohort_agg(text, timestamptz, text, text): transition.';
COMMENT ON AGGREGATE crm.cohort_agg(uuid, timestamptz, text) IS
    'Cohort summary of activity events (uuid customer ids, exact ids): each customer''s cohort is the calendar period (day, week, month, quarter, year; UTC) of its first event. Example: SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, ordered_at, ''month'') FROM orders));';
COMMENT ON AGGREGATE crm.cohort_agg(uuid, timestamptz, text, text) IS
    'Cohort summary of activity events (uuid customer ids, exact ids) with calendar periods in the given IANA time zone (weeks start Monday).';
COMMENT ON FUNCTION crm.cohort_uuid_trans(internal, uuid, timestamptz, text) IS 'Support function of aggregate crm.cohort_agg(uuid, timestamptz, text): transition.';
COMMENT ON FUNCTION crm.cohort_uuid_zone_trans(internal, uuid, timestamptz, text, text) IS 'Support function of aggregate crm.cohort_agg(uuid, timestamptz, text, text): transition.';
COMMENT ON AGGREGATE crm.rollup(crm.cohort_summary) IS 'Merges cohort summaries of the same period kind, time zone and customer id type (exact union of activity).';
COMMENT ON FUNCTION crm.cohort_retention(crm.cohort_summary, text) IS
    'Cohort retention table: one row per cohort and period number k = 0 .. last period in the data - cohort, zeros included. Mode ''classic'' (default): active in period k; ''unbounded'': active in period k or later.';
COMMENT ON FUNCTION crm.repeat_rate(crm.cohort_summary) IS 'Share of customers active in at least two distinct periods; NULL without customers.';
COMMENT ON FUNCTION crm.customers(crm.cohort_summary) IS 'Number of distinct customers in a cohort summary.';
COMMENT ON FUNCTION crm.cohort_summary_in(cstring) IS 'Text input of crm.cohort_summary.';
COMMENT ON FUNCTION crm.cohort_summary_out(crm.cohort_summary) IS 'Text output of crm.cohort_summary.';
COMMENT ON FUNCTION crm.cohort_rollup_trans(internal, crm.cohort_summary) IS 'Support function of aggregate crm.rollup(crm.cohort_summary): transition.';
COMMENT ON FUNCTION crm.cohort_combine(internal, internal) IS 'Support function of crm.cohort_agg and crm.rollup(crm.cohort_summary): combine partial states.';
COMMENT ON FUNCTION crm.cohort_serialize(internal) IS 'Support function of crm.cohort_agg and crm.rollup(crm.cohort_summary): serialize a partial state.';
COMMENT ON FUNCTION crm.cohort_deserialize(bytea, internal) IS 'Support function of crm.cohort_agg and crm.rollup(crm.cohort_summary): deserialize a partial state.';
COMMENT ON FUNCTION crm.cohort_final(internal) IS 'Support function of crm.cohort_agg and crm.rollup(crm.cohort_summary): final summary.';
