-- Service family: business calendars, business time, crm.service_agg, accessors, rollup,
-- one-step aggregates.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

-- Calendars: the text form is canonical and parses back.
SELECT crm.business_calendar();
SELECT crm.business_calendar('fri,thu,wed,tue,mon 9:00-12:00, 13:00-17:30; Sat 22:00-02:00',
                             'america/new_york', '{2026-12-25,2026-01-01,2026-12-25}');
SELECT c::text::crm.business_calendar::text = c::text AS round_trips
FROM (SELECT crm.business_calendar('Sun-Thu 08:00-16:00', 'Asia/Kolkata', '{2026-01-26}') AS c) t;
SELECT 'Mon-Fri 09:00-17:00'::crm.business_calendar AS bare_hours_are_utc;
SELECT crm.business_calendar('Mon-Sun 00:00-24:00'), crm.business_calendar('');

-- The worked examples of the issue (Mon-Fri 09:00-17:00 unless said).
SELECT crm.business_time(crm.business_calendar(), '2026-03-06 17:30+00', '2026-03-09 09:30+00') AS fri_to_mon,
       crm.business_time(crm.business_calendar(), '2026-03-09 08:30+00', '2026-03-09 09:15+00') AS before_opening;
SELECT crm.business_time(crm.business_calendar('Mon-Fri 09:00-17:00', 'UTC', '{2016-11-24}'),
                         '2016-11-21 14:00+00', '2016-12-01 11:00+00') AS with_thanksgiving;
SELECT crm.business_time(crm.business_calendar('Mon-Fri 08:00-18:00', 'Europe/London'),
                         '2018-10-17 17:15+01', '2018-10-18 18:00+01') AS london;
SELECT crm.business_time(crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York'),
                         '2026-03-06 16:00-05', '2026-03-09 10:00-04') AS new_york_across_dst,
       crm.business_time(crm.business_calendar('Mon-Fri 09:00-17:00', 'Etc/GMT+5'),
                         '2026-03-06 16:00-05', '2026-03-09 10:00-04') AS fixed_minus_5;
SELECT crm.business_add(crm.business_calendar(), '2026-03-06 16:00+00', '4 hours') AS due,
       crm.business_add(crm.business_calendar(), '2026-03-06 16:00+00', '1 hour') AS at_closing,
       crm.business_add(crm.business_calendar(), '2026-03-06 16:00+00', '0') AS zero;

-- Elapsed time: a 24/7 day in New York on 2026-03-08 holds 23 hours; negative spans.
SELECT crm.business_time(crm.business_calendar('Mon-Sun 00:00-24:00', 'America/New_York'),
                         '2026-03-08 00:00-05', '2026-03-09 00:00-04') AS spring_forward_day,
       crm.business_time(crm.business_calendar(), '2026-03-09 10:00+00', '2026-03-06 16:00+00') AS reversed;
-- Openings in the gap move forward by it; ambiguous ones are the later instant.
SELECT crm.business_time(crm.business_calendar('Sun 02:30-05:00', 'America/New_York'),
                         '2026-03-08 00:00-05', '2026-03-09 00:00-04') AS opening_in_gap,
       crm.business_time(crm.business_calendar('Sun 01:30-03:00', 'America/New_York'),
                         '2026-11-01 00:00-04', '2026-11-02 00:00-05') AS opening_in_overlap;
-- Overnight shifts belong to the day they start; holidays cancel that day's shifts.
SELECT crm.business_time(crm.business_calendar('Fri 22:00-06:00'), '2026-03-02', '2026-03-09') AS night_shift,
       crm.business_time(crm.business_calendar('Fri 22:00-06:00', 'UTC', '{2026-03-06}'), '2026-03-02', '2026-03-09') AS friday_off,
       crm.business_time(crm.business_calendar('Fri 22:00-06:00', 'UTC', '{2026-03-07}'), '2026-03-02', '2026-03-09') AS saturday_off;
SELECT t, crm.is_business_time(crm.business_calendar('Mon-Fri 09:00-17:00', 'Europe/Berlin'), t)
FROM (VALUES (timestamptz '2026-03-09 07:59:59+00'), ('2026-03-09 08:00+00'), ('2026-03-09 15:59:59.999999+00'),
             ('2026-03-09 16:00+00'), ('2026-03-07 12:00+00')) v(t);
-- A ten-year span costs what a day costs and agrees with a day-by-day sum.
SELECT crm.business_time(c, '2020-01-06 09:00-05', '2030-01-07 09:00-05') AS ten_years,
       (SELECT sum(crm.business_time(c, d, d + interval '1 day'))
        FROM generate_series(timestamptz '2020-01-06 09:00-05', '2030-01-06 09:00-05', interval '1 day') d) AS day_by_day
FROM (SELECT crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York', '{2024-12-25}') AS c) t;

-- Bad input: SQLSTATE and message.
SELECT error_of($$SELECT crm.business_calendar('Mon-Fry 09:00-17:00')$$);
SELECT error_of($$SELECT crm.business_calendar('Mon 09:00-12:00, 11:00-13:00', 'UTC')$$);
SELECT error_of($$SELECT crm.business_calendar('Sun 22:00-06:00; Mon 05:00-09:00', 'UTC')$$);
SELECT error_of($$SELECT crm.business_calendar('Mon 9-17', 'UTC')$$);
SELECT error_of($$SELECT crm.business_calendar('Mon-Fri 09:00-17:00', 'Mars/Olympus_Mons')$$);
-- Zones that count leap seconds are refused, saying why (where Postgres's zone data has them).
SELECT left(e, 5) AS sqlstate, e LIKE '%counts leap seconds%' OR error_of($q$SELECT now() AT TIME ZONE 'right/UTC'$q$) <> 'no error' AS says_why FROM error_of($$SELECT crm.business_calendar('Mon-Fri 09:00-17:00', 'right/UTC')$$) e;
-- Blanks are ASCII blanks: a no-break space separates nothing, as in every encoding.
SELECT error_of($$SELECT crm.business_calendar(U&'Mon\00A009:00-17:00', 'UTC')$$);
-- Option names are read in any case.
SELECT crm.sla_attainment(crm.service_agg('2024-01-01 10:00', '2024-01-01 11:00', NULL, 1, false), '1 hour', 'First_Response');
SELECT error_of($$SELECT crm.business_calendar('Mon-Fri 09:00-17:00', 'UTC', '{NULL}')$$);
SELECT error_of($$SELECT crm.business_add(crm.business_calendar(), now(), '-1 hour')$$);
SELECT error_of($$SELECT crm.business_add(crm.business_calendar(), now(), '1 day')$$);
SELECT error_of($$SELECT crm.business_add(crm.business_calendar(''), now(), '1 hour')$$);
SELECT error_of($$SELECT crm.business_add(crm.business_calendar(''), now(), '0')$$);
SELECT error_of($$SELECT crm.business_time(crm.business_calendar(), now(), 'infinity')$$);
SELECT error_of($$SELECT '{"hours":"Mon 09:00-17:00","time_zone":"UTC"}'::crm.business_calendar$$);

-- Tickets: three teams in different zones.
CREATE TABLE service_teams AS
SELECT * FROM (VALUES
    (1, crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York', '{2025-12-25}')),
    (2, crm.business_calendar('Mon-Fri 08:00-18:00', 'Europe/London', '{2025-12-25,2025-12-26}')),
    (3, crm.business_calendar('Mon-Sat 07:00-19:00', 'Australia/Sydney'))) v(team_id, calendar);
CREATE TABLE service_tickets AS
SELECT g AS id, 1 + g % 3 AS team_id, created_at,
       CASE WHEN g % 9 = 0 THEN NULL ELSE created_at + ((g * 7919) % 3000) * interval '1 minute' END AS first_response_at,
       CASE WHEN g % 7 = 0 THEN NULL ELSE created_at + ((g * 104729) % 40000) * interval '1 minute' + interval '1 hour' END AS resolved_at,
       (g * 31) % 4 AS agent_replies,
       g % 11 = 0 AS reopened
FROM generate_series(1, 20000) g,
     LATERAL (SELECT timestamptz '2025-01-01 00:00+00' + ((g * 2654435761) % 31536000) * interval '1 second' AS created_at) c;
ANALYZE service_tickets;

SELECT team_id, crm.tickets(s), crm.responded(s), crm.resolved(s), crm.reopened(s),
       crm.first_response_time(s) AS median_response, crm.first_response_time(s, 0.9) AS p90_response,
       crm.resolution_time(s) AS median_resolution, crm.mean_first_response_time(s) AS mean_response,
       round(crm.sla_attainment(s, '4 hours')::numeric, 4) AS sla_4h,
       round(crm.fcr_rate(s)::numeric, 4) AS fcr, round(crm.reopen_rate(s)::numeric, 4) AS reopen
FROM (SELECT team_id, crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar) AS s
      FROM service_tickets JOIN service_teams USING (team_id) GROUP BY team_id) t
ORDER BY team_id;

-- Independent references: percentile_disc, avg and FILTER over the same business times.
WITH d AS (
    SELECT team_id, agent_replies, reopened, resolved_at IS NOT NULL AS resolved,
           crm.business_time(calendar, created_at, first_response_at) AS response,
           crm.business_time(calendar, created_at, resolved_at) AS resolution
    FROM service_tickets JOIN service_teams USING (team_id)),
reference AS (
    SELECT team_id,
           percentile_disc(0.9) WITHIN GROUP (ORDER BY response) AS p90_response,
           percentile_disc(0.5) WITHIN GROUP (ORDER BY resolution) AS median_resolution,
           avg(extract(epoch FROM resolution)) AS mean_resolution,
           (count(*) FILTER (WHERE response <= interval '4 hours'))::float8 / count(response) AS sla,
           (count(*) FILTER (WHERE resolved AND NOT reopened AND agent_replies <= 1))::float8
               / count(*) FILTER (WHERE resolved) AS fcr
    FROM d GROUP BY team_id),
ours AS (
    SELECT team_id, crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar) AS s
    FROM service_tickets JOIN service_teams USING (team_id) GROUP BY team_id)
SELECT team_id,
       crm.first_response_time(s, 0.9) = p90_response AS p90_equal,
       crm.resolution_time(s) = median_resolution AS median_equal,
       abs(extract(epoch FROM crm.mean_resolution_time(s)) - mean_resolution) < 1e-6 AS mean_equal,
       crm.sla_attainment(s, '4 hours') = sla AS sla_equal,
       crm.fcr_rate(s) = fcr AS fcr_equal
FROM ours JOIN reference USING (team_id) ORDER BY team_id;

-- One-step aggregates, also as window functions; NULL rows are skipped.
SELECT round(crm.sla_attainment(created_at, first_response_at, '4 hours')::numeric, 4) AS sla_elapsed,
       round(crm.sla_attainment(created_at, first_response_at, '4 hours', calendar)::numeric, 4) AS sla_business,
       round(crm.fcr_rate(agent_replies, reopened, resolved_at IS NOT NULL)::numeric, 4) AS fcr
FROM service_tickets JOIN service_teams USING (team_id);
SELECT id, round(crm.sla_attainment(created_at, first_response_at, '24 hours')
                 OVER (ORDER BY id ROWS BETWEEN 4 PRECEDING AND CURRENT ROW)::numeric, 4) AS sla_last_5
FROM service_tickets WHERE id BETWEEN 1 AND 10 ORDER BY id;
SELECT crm.service_agg(c, c, c, 1, false), crm.sla_attainment(c, c, '1 hour'), crm.fcr_rate(NULL, NULL, NULL)
FROM (VALUES (NULL::timestamptz)) v(c);
SELECT crm.service_agg(now(), NULL, NULL, NULL, NULL)::text IS NOT NULL AS open_ticket_counts,
       crm.first_response_time(crm.service_agg(now(), NULL, NULL, NULL, NULL)) AS no_responses;

-- Rollup of daily summaries equals one pass; text forms round-trip.
CREATE TABLE service_daily AS
SELECT team_id, created_at::date AS day,
       crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar) AS summary
FROM service_tickets JOIN service_teams USING (team_id) GROUP BY 1, 2;
SELECT (SELECT crm.rollup(summary)::text FROM service_daily)
     = (SELECT crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar)::text
        FROM service_tickets JOIN service_teams USING (team_id)) AS rollup_equals_one_pass;
SELECT crm.service_agg(c, c + interval '90 minutes', c + interval '1 day', 1, false)
FROM (VALUES (timestamptz '2026-03-09 09:00+00')) v(c);
SELECT error_of($$SELECT '{"version":1,"time":"elapsed","tickets":0,"reopened":0,"first_contact_resolved":0,"first_response_us":[5],"resolution_us":[]}'::crm.service_summary$$);
SELECT error_of($$SELECT crm.service_agg(timestamptz '2026-03-02 10:00+00', timestamptz '2026-03-02 09:59:59+00', NULL, 0, false)$$);
SELECT error_of($$SELECT crm.service_agg(now(), NULL, NULL, -1, false)$$);
SELECT error_of($$SELECT crm.sla_attainment(crm.service_agg(now(), now(), now(), 1, false, crm.business_calendar()), '1 day')$$);

-- Forced parallel plan: Partial and Finalize Aggregate, same results as serial.
CREATE TABLE service_serial AS
SELECT crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened)::text AS elapsed,
       crm.sla_attainment(created_at, first_response_at, '3 hours') AS sla,
       crm.fcr_rate(agent_replies, reopened, resolved_at IS NOT NULL) AS fcr,
       (SELECT crm.rollup(summary)::text FROM service_daily) AS rolled
FROM service_tickets;
SELECT force_parallel();
-- Merging these growing states is costed by the rows aggregated (crm_internal.merged_state_cost),
-- so the planner would rather gather the rows: free operators and a small tuple cost force the
-- partial aggregates whose combine this checks.
SET cpu_operator_cost = 0;
SET parallel_tuple_cost = 0.0001;
EXPLAIN (COSTS OFF)
SELECT crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened),
       crm.sla_attainment(created_at, first_response_at, '3 hours'),
       crm.fcr_rate(agent_replies, reopened, resolved_at IS NOT NULL)
FROM service_tickets;
SELECT p.elapsed = s.elapsed AS summary_equal, p.sla = s.sla AS sla_equal, p.fcr = s.fcr AS fcr_equal,
       p.rolled = s.rolled AS rollup_equal
FROM service_serial s,
     (SELECT crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened)::text AS elapsed,
             crm.sla_attainment(created_at, first_response_at, '3 hours') AS sla,
             crm.fcr_rate(agent_replies, reopened, resolved_at IS NOT NULL) AS fcr,
             (SELECT crm.rollup(summary)::text FROM service_daily) AS rolled
      FROM service_tickets) p;
SELECT serial();
RESET cpu_operator_cost;

-- SLA as of an instant: 24 tickets still unanswered at as_of, 22 of them waiting longer than a
-- 2-hour target (breached) and 2 within it (pending, one exactly on target), and 6 answered
-- tickets (2 within the target); one ticket is answered only after as_of (it was waiting: pending),
-- and one is created after as_of (not a ticket yet). Without as_of, both count as answered.
CREATE TABLE waiting_tickets AS
SELECT g AS id,
       timestamptz '2026-03-09 12:00+00' - CASE WHEN g <= 22 THEN interval '2 hours' + g * interval '5 minutes'
                                                WHEN g = 23 THEN interval '90 minutes' ELSE interval '2 hours' END AS created_at,
       NULL::timestamptz AS first_response_at, NULL::timestamptz AS resolved_at, NULL::int AS agent_replies, false AS reopened
FROM generate_series(1, 24) g
UNION ALL
SELECT 24 + g, timestamptz '2026-03-09 06:00+00', timestamptz '2026-03-09 06:00+00' + g * interval '50 minutes',
       timestamptz '2026-03-09 11:00+00', 1, false
FROM generate_series(1, 6) g
UNION ALL
SELECT 31, timestamptz '2026-03-09 11:30+00', timestamptz '2026-03-09 12:30+00', NULL, 1, false
UNION ALL
SELECT 32, timestamptz '2026-03-09 12:30+00', timestamptz '2026-03-09 12:31+00', NULL, 1, false;
CREATE TABLE waiting_summaries AS
SELECT crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened,
                       crm.business_calendar('Mon-Sun 00:00-24:00'), timestamptz '2026-03-09 12:00+00') AS as_of,
       crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened,
                       crm.business_calendar('Mon-Sun 00:00-24:00')) AS without_as_of
FROM waiting_tickets;
SELECT 'as_of' AS rule, c.*, round(crm.sla_attainment(as_of, '2 hours')::numeric, 4) AS attainment, crm.tickets(as_of)
FROM waiting_summaries, crm.sla_counts(as_of, '2 hours') c
UNION ALL
SELECT 'without', c.*, round(crm.sla_attainment(without_as_of, '2 hours')::numeric, 4), crm.tickets(without_as_of)
FROM waiting_summaries, crm.sla_counts(without_as_of, '2 hours') c;
-- Only the 24 unanswered tickets: breached 22, pending 2.
SELECT c.* FROM crm.sla_counts((SELECT crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened,
                                                       crm.business_calendar('Mon-Sun 00:00-24:00'), timestamptz '2026-03-09 12:00+00')
                                FROM waiting_tickets WHERE id <= 24), '2 hours') c;
-- Resolution: resolved by 11:00 or still open at as_of.
SELECT c.* FROM waiting_summaries, crm.sla_counts(as_of, '5 hours', 'resolution') c;
-- The one-step aggregate with as_of equals the summary's attainment, also as a window function.
SELECT round(crm.sla_attainment(created_at, first_response_at, '2 hours', crm.business_calendar('Mon-Sun 00:00-24:00'),
                                timestamptz '2026-03-09 12:00+00')::numeric, 4) AS one_step,
       round(crm.sla_attainment(created_at, first_response_at, '2 hours', crm.business_calendar('Mon-Sun 00:00-24:00'))::numeric, 4) AS answered_only
FROM waiting_tickets;
SELECT id, round(crm.sla_attainment(created_at, first_response_at, '2 hours', crm.business_calendar('Mon-Sun 00:00-24:00'),
                                    timestamptz '2026-03-09 12:00+00')
                 OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)::numeric, 4) AS last_3
FROM waiting_tickets WHERE id BETWEEN 21 AND 28 ORDER BY id;
-- Waiting time is business time: created Friday 16:00, still waiting Monday 10:00 in Mon-Fri
-- 09:00-17:00 has waited exactly 2 business hours (pending), 3 by Monday 11:00 (breached).
SELECT t.as_of, c.*
FROM (SELECT a.as_of, crm.service_agg(timestamptz '2026-03-06 16:00+00', NULL, NULL, 1, false, crm.business_calendar(), a.as_of) AS s
      FROM (VALUES (timestamptz '2026-03-09 10:00+00'), ('2026-03-09 11:00+00')) a(as_of) GROUP BY a.as_of) t,
     crm.sla_counts(t.s, '2 hours') c
ORDER BY t.as_of;
-- The text form of an as_of summary (version 2) lists the waiting times; forms round-trip.
SELECT crm.service_agg(c, NULL, NULL, NULL, NULL, crm.business_calendar(), timestamptz '2026-03-09 11:00+00')
FROM (VALUES (timestamptz '2026-03-06 16:00+00'), ('2026-03-09 10:30+00')) v(c);
SELECT as_of::text::crm.service_summary::text = as_of::text AS text_round_trips FROM waiting_summaries;
-- Summaries with and without as_of do not roll up together; NULL as_of skips the row.
SELECT error_of($$SELECT crm.rollup(s) FROM (SELECT as_of FROM waiting_summaries UNION ALL SELECT without_as_of FROM waiting_summaries) v(s)$$);
SELECT crm.service_agg(now(), NULL, NULL, 1, false, crm.business_calendar(), NULL) AS null_as_of;
-- Version 1 values (stored by the first release) still read, and summaries without the new
-- fields keep their version 1 form.
SELECT '{"version":1,"time":"elapsed","tickets":3,"reopened":0,"first_contact_resolved":1,"first_response_us":[1,2,3],"resolution_us":[4]}'::crm.service_summary;
SELECT crm_internal.service_summary_send('{"version":1,"time":"elapsed","tickets":3,"reopened":0,"first_contact_resolved":1,"first_response_us":[1,2,3],"resolution_us":[4]}');

-- First-contact resolution: a NULL agent_replies is unknown, so the ticket is left out (both
-- sides), in the one-step aggregate and in the summary alike; reopen_rate still counts it.
CREATE TABLE fcr_tickets (id int, replies int, reopened boolean, resolved boolean);
INSERT INTO fcr_tickets VALUES (1, 1, false, true), (2, 0, false, true), (3, 3, false, true),
    (4, NULL, false, true), (5, NULL, true, true), (6, NULL, false, false), (7, 1, true, true);
SELECT crm.fcr_rate(replies, reopened, resolved) AS one_step,
       crm.fcr_rate(crm.service_agg(t, t, CASE WHEN resolved THEN t END, replies, reopened)) AS summary,
       crm.reopen_rate(crm.service_agg(t, t, CASE WHEN resolved THEN t END, replies, reopened)) AS reopen_rate,
       (count(*) FILTER (WHERE resolved AND NOT reopened AND replies <= 1))::float8
           / count(*) FILTER (WHERE resolved AND replies IS NOT NULL) AS plain_sql
FROM fcr_tickets, (VALUES (timestamptz '2026-03-09 10:00+00')) v(t);
SELECT id, crm.fcr_rate(replies, reopened, resolved) OVER (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS last_3
FROM fcr_tickets ORDER BY id;
SELECT crm.service_agg(t, t, t, replies, reopened) FROM fcr_tickets, (VALUES (timestamptz '2026-03-09 10:00+00')) v(t) WHERE id IN (1, 4);
SELECT crm.fcr_rate(replies, reopened, resolved) AS only_unknown FROM fcr_tickets WHERE id IN (4, 5, 6);
DROP TABLE waiting_tickets, waiting_summaries, fcr_tickets;

-- A calendar's zone name is read as AT TIME ZONE reads it in the session that uses it: after
-- SET timezone_abbreviations the same stored calendar follows the new reading ('EST' is -05:00
-- in Default, +10:00 in Australia), also when this backend prepared it before.
CREATE TABLE abbreviation_calendars AS SELECT crm.business_calendar('Mon-Fri 09:00-17:00', 'EST') AS cal;
SELECT crm.business_time(cal, '2026-03-02 00:00+00', '2026-03-02 12:00+00') AS business_time,
       crm.is_business_time(cal, '2026-03-02 15:00+00') AS open_at_15_utc,
       timestamp '2026-03-02 09:00' AT TIME ZONE 'EST' AS opens
FROM abbreviation_calendars;
SET timezone_abbreviations = 'Australia';
SELECT crm.business_time(cal, '2026-03-02 00:00+00', '2026-03-02 12:00+00') AS business_time,
       crm.is_business_time(cal, '2026-03-02 15:00+00') AS open_at_15_utc,
       timestamp '2026-03-02 09:00' AT TIME ZONE 'EST' AS opens
FROM abbreviation_calendars;
RESET timezone_abbreviations;
SELECT crm.business_time(cal, '2026-03-02 00:00+00', '2026-03-02 12:00+00') AS business_time
FROM abbreviation_calendars;
-- The same in a PL/pgSQL expression, whose state lasts the transaction, and between the rows of
-- one open cursor: the reading is the setting's at the time of each call.
CREATE FUNCTION abbreviation_business_time(cal crm.business_calendar) RETURNS interval
LANGUAGE plpgsql AS $$
BEGIN
    RETURN crm.business_time(cal, '2026-03-02 00:00+00', '2026-03-02 12:00+00');
END
$$;
BEGIN;
SELECT abbreviation_business_time(cal) AS default_reading FROM abbreviation_calendars;
SET LOCAL timezone_abbreviations = 'Australia';
SELECT abbreviation_business_time(cal) AS australia_reading FROM abbreviation_calendars;
SELECT set_config('timezone_abbreviations', 'Default', true) AS abbreviations,
       abbreviation_business_time(cal) AS default_again FROM abbreviation_calendars;
DECLARE abbreviation_rows CURSOR FOR
    SELECT n, crm.business_time(cal, '2026-03-02 00:00+00', '2026-03-02 12:00+00') AS business_time,
           crm.is_business_time(cal, '2026-03-02 15:00+00') AS open_at_15_utc
    FROM abbreviation_calendars, generate_series(1, 3) n;
FETCH 1 FROM abbreviation_rows;
SET LOCAL timezone_abbreviations = 'Australia';
FETCH 2 FROM abbreviation_rows;
COMMIT;
DROP FUNCTION abbreviation_business_time(crm.business_calendar);
DROP TABLE abbreviation_calendars;
-- A name only another abbreviation set reads ('SAT' is +09:30 in Australia): the stored
-- calendar still prints, compares and copies (pg_dump writes it), and computing with it says
-- which zone this session does not read (22023), not that the value is corrupt.
SET timezone_abbreviations = 'Australia';
CREATE TABLE australian_calendars AS SELECT crm.business_calendar('Mon-Fri 09:00-17:00', 'SAT') AS cal;
SELECT crm.business_time(cal, '2026-03-02 00:00+00', '2026-03-02 12:00+00') AS australia_reading
FROM australian_calendars;
RESET timezone_abbreviations;
SELECT cal, cal::text::jsonb ->> 'time_zone' AS time_zone FROM australian_calendars;
COPY australian_calendars TO STDOUT;
SELECT crm.business_time(cal, '2026-03-02 00:00+00', '2026-03-02 12:00+00') FROM australian_calendars;
SELECT crm.is_business_time(cal, '2026-03-02 00:00+00') FROM australian_calendars;
DROP TABLE australian_calendars;
-- A POSIX rule whose summer time covers the whole year ends and restarts it at the same second
-- each New Year: AT TIME ZONE reads summer time all year (-04:00), and so does the calendar.
SELECT crm.is_business_time(c, timestamp '2026-06-30 12:30' AT TIME ZONE z) AS open_at_12_30,
       crm.business_time(c, '2026-06-30 16:00+00', '2026-06-30 17:00+00') AS noon_hour_utc_16,
       timestamp '2026-06-30 12:00' AT TIME ZONE z AS opens,
       crm.business_add(c, '1800-06-30 00:00+00', '30 minutes') AS opening_1800_plus_30_minutes,
       crm.business_time(c, '2026-01-01 00:00+00', '2027-01-01 00:00+00') AS year_2026
FROM (VALUES ('EST5EDT,0/0,J365/25'), ('<-00>0<+01>,0/0,J365/25')) v(z),
     crm.business_calendar('Mon-Sun 12:00-13:00', z) c;
