-- Databases that are not UTF-8: text customer ids are hashed by their bytes in
-- the database encoding, and option arguments that are not valid names are a clean 22023.
-- (Non-ASCII bytes are written as octal escapes, so this file is ASCII.)
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
-- An ASCII id hashes the same in every encoding: this is the summary in UTF-8.
SELECT crm.cohort_agg(id, '2024-03-05', 'month') FROM (VALUES ('cafe')) v(id);
CREATE DATABASE crm_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;
CREATE DATABASE crm_sql_ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0;

\c crm_latin1
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION crm_metrics;
CREATE FUNCTION error_of(query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
SELECT crm.cohort_agg(id, '2024-03-05', 'month') FROM (VALUES ('cafe')) v(id);
-- 'caf\351' is "cafe" with an acute e in LATIN1: two customers, one of them twice.
SELECT crm.customers(s), crm.repeat_rate(s)
FROM (SELECT crm.cohort_agg(id, t, 'month', 'Europe/Berlin') AS s
      FROM (VALUES (E'caf\351', timestamptz '2024-01-05'), ('cafe', '2024-01-06'), (E'caf\351', '2024-02-01')) v(id, t)) x;
SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(id, t, 'month')
      FROM (VALUES (E'caf\351', timestamptz '2024-01-05'), ('cafe', '2024-01-06'), (E'caf\351', '2024-02-01')) v(id, t)));
-- Option arguments that are not names.
SELECT error_of($q$SELECT crm.cohort_agg('a', now(), E'mon\351')$q$);
SELECT error_of($q$SELECT crm.rfm_agg(now(), 1, now(), E'w\344ek')$q$);
SELECT error_of($q$SELECT crm.cohort_agg('a', now(), 'month', E'Europe/Z\374rich')$q$);
SELECT error_of($q$SELECT crm.cohort_agg(1::bigint, now(), 'day', E'\377')$q$);
SELECT error_of($q$SELECT crm.churn_rate(now(), NULL, now(), now() + interval '1 day', E'st\344rt')$q$);
SELECT error_of($q$SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(1::bigint, now(), 'day')), E'cl\341ssic')$q$);
-- The text arguments of churn_series, the service family and text ids of mrr_agg.
SELECT error_of($q$SELECT * FROM crm.churn_series((SELECT crm.customer_agg('2023-01-01', NULL)), '2024-01-01', '2024-03-01', '1 month', E'st\344rt')$q$);
SELECT error_of($q$SELECT * FROM crm.churn_series((SELECT crm.customer_agg('2023-01-01', NULL)), '2024-01-01', '2024-03-01', '1 month', 'start', E'Europe/Z\374rich')$q$);
SELECT error_of($q$SELECT crm.business_calendar(E'Mon-Fri 09:00-17:00 \351', 'UTC')$q$);
SELECT error_of($q$SELECT crm.business_calendar('Mon-Fri 09:00-17:00', E'Europe/Z\374rich')$q$);
SELECT error_of($q$SELECT E'Mon-Fri 09:00-17:00\351'::crm.business_calendar$q$);
SELECT error_of($q$SELECT crm.sla_attainment(crm.service_agg('2024-01-01 10:00', '2024-01-01 11:00', NULL, 1, false), '1 hour', E'r\351solution')$q$);
SELECT error_of($q$SELECT crm.clv(crm.bgnbd_model(0.24, 4.4, 0.79, 2.4), crm.gamma_gamma_model(6.25, 3.74, 15.44), 2, 30, 38, 20, 12, 0.01, E'w\351ek')$q$);
-- LATIN1 text whose bytes happen to be UTF-8 ('\303\251' is the UTF-8 of an acute e, here two
-- other characters) is shown by its bytes like any other non-ASCII name, not as the character
-- the UTF-8 would be; a LATIN1 no-break space is no blank in business hours, as in UTF-8.
SELECT error_of($q$SELECT crm.cohort_agg(1::bigint, now(), E'\303\251')$q$);
SELECT error_of($q$SELECT * FROM crm.churn_series((SELECT crm.customer_agg('2023-01-01', NULL)), '2024-01-01', '2024-03-01', '1 month', E'st\303\251rt')$q$);
SELECT error_of($q$SELECT crm.business_calendar(E'Mon\24009:00-17:00', 'UTC')$q$);
-- A JSON escape in a summary's text names a character the message shows escaped, not as
-- UTF-8 bytes the database encoding would misread.
SELECT error_of($q$SELECT '{"version":1,"period":"day\u00e9","time_zone":"UTC","key":"bigint","customers":[]}'::crm.cohort_summary$q$);
SELECT error_of($q$SELECT '{"version":1,"period":"day\u0080","time_zone":"UTC","key":"bigint","customers":[]}'::crm.cohort_summary$q$);
SELECT month, customers_at_end
FROM crm.mrr_movements((SELECT crm.mrr_agg(id, date '2024-01-01', 5) FROM (VALUES (E'caf\351'), ('cafe'), (E'caf\351')) v(id)));
SELECT crm.churn_rate(s, e, '2024-01-01', '2024-02-01', 'average')
FROM (VALUES (timestamptz '2023-06-01', timestamptz '2024-01-15'), ('2023-07-01', NULL)) v(s, e);

\c crm_sql_ascii
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE EXTENSION crm_metrics;
CREATE FUNCTION error_of(query text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE query;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END $$;
-- Any bytes: '\377\376' is not UTF-8.
SELECT crm.customers(crm.cohort_agg(id, '2024-03-05', 'week'))
FROM (VALUES (E'\377\376'), (E'\377\376'), ('cafe'), (E'caf\303\251')) v(id);
SELECT error_of($q$SELECT crm.cohort_agg('a', now(), E'week\377')$q$);
SELECT error_of($q$SELECT crm.churn_rate(now(), NULL, now(), now() + interval '1 day', E'\377')$q$);

\c crm_regress
DROP DATABASE crm_latin1;
DROP DATABASE crm_sql_ascii;
