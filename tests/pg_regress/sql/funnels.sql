-- Funnels family: user-visible output of crm.window_funnel, crm.funnel_agg, crm.rollup and
-- crm.funnel_steps, with ClickHouse's documented windowFunnel examples.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET extra_float_digits = 0;
SET intervalstyle = 'postgres';

-- ClickHouse's documented example: user 1 viewed phones (event 1003), ordered one (1009),
-- viewed a phone product (1007) and ordered again (1010); rows arrive out of time order. The
-- funnel 1003 -> 1009 -> 1007 -> 1010 with ClickHouse's window of 6048000000000000 seconds
-- (here the largest window an interval holds) reaches level 4: one user.
CREATE TABLE trend (event_date date, user_id integer, "timestamp" timestamptz, event_id integer, product text);
INSERT INTO trend VALUES
    ('2019-01-28', 1, '2019-01-29 10:00:00', 1003, 'phone'),
    ('2019-01-31', 1, '2019-01-31 09:00:00', 1007, 'phone'),
    ('2019-01-30', 1, '2019-01-30 08:00:00', 1009, 'phone'),
    ('2019-02-01', 1, '2019-02-01 08:00:00', 1010, 'phone');
SELECT level, count(*) AS c
FROM (SELECT user_id,
             crm.window_funnel("timestamp",
                               CASE event_id WHEN 1003 THEN 1 WHEN 1009 THEN 2 WHEN 1007 THEN 3 WHEN 1010 THEN 4 ELSE 0 END,
                               interval '106751991 days')
                 AS level
      FROM trend
      WHERE event_date >= '2019-01-01' AND event_date <= '2019-02-02'
      GROUP BY user_id) per_user
GROUP BY level ORDER BY level;
-- With a one-day window the chain stops after step 2 (step 3 comes 47 hours after step 1).
SELECT crm.window_funnel("timestamp",
                         CASE event_id WHEN 1003 THEN 1 WHEN 1009 THEN 2 WHEN 1007 THEN 3 WHEN 1010 THEN 4 ELSE 0 END,
                         '1 day') AS level
FROM trend;

-- The modes as ClickHouse documents them: 'strict_order' stops A -> B -> D -> C at D (level 2);
-- 'strict_deduplication' stops A -> B -> C -> B -> D at the second B (level 3);
-- 'strict_increase' counts a step only strictly after the previous one; step 0 (another event)
-- breaks a chain under 'strict_order' only.
CREATE TABLE journeys (journey text, at timestamptz, step integer);
INSERT INTO journeys VALUES
    ('A B D C', '2025-01-01 10:00', 1), ('A B D C', '2025-01-01 10:01', 2),
    ('A B D C', '2025-01-01 10:02', 4), ('A B D C', '2025-01-01 10:03', 3),
    ('A B C B D', '2025-01-01 10:00', 1), ('A B C B D', '2025-01-01 10:01', 2),
    ('A B C B D', '2025-01-01 10:02', 3), ('A B C B D', '2025-01-01 10:03', 2),
    ('A B C B D', '2025-01-01 10:04', 4),
    ('A+B same instant, C', '2025-01-01 10:00', 1), ('A+B same instant, C', '2025-01-01 10:00', 2),
    ('A+B same instant, C', '2025-01-01 10:05', 3),
    ('A other B', '2025-01-01 10:00', 1), ('A other B', '2025-01-01 10:01', 0),
    ('A other B', '2025-01-01 10:02', 2),
    ('A, B after the window', '2025-01-01 10:00', 1), ('A, B after the window', '2025-01-01 11:00:01', 2),
    ('only other events', '2025-01-01 10:00', 0);
SELECT journey,
       crm.window_funnel(at, step, '1 hour') AS ordered,
       crm.window_funnel(at, step, '1 hour', 'strict_order') AS strict_order,
       crm.window_funnel(at, step, '1 hour', 'strict_deduplication') AS strict_deduplication,
       crm.window_funnel(at, step, '1 hour', 'strict_increase') AS strict_increase
FROM journeys GROUP BY journey ORDER BY journey;

-- Each step holds the latest chain to reach it: a new step-1 event replaces the chain, and
-- the times count from the chain that reached the level (a lead created on 1 and 4 January and
-- qualified on 6 January: 2 days; A at 10:00 and 10:02, B at 10:02 and 10:03 under
-- 'strict_increase': 1 minute; A at 10:00 and 10:01, B at 10:01: level 1).
SELECT step, entities, median_time_from_first FROM crm.funnel_steps((SELECT crm.funnel_agg(1, at, step, '30 days')
    FROM (VALUES (timestamptz '2025-01-01', 1), ('2025-01-04', 1), ('2025-01-06', 2)) v(at, step)));
SELECT step, entities, median_time_from_first FROM crm.funnel_steps((SELECT crm.funnel_agg(1, at, step, '1 hour', 'strict_increase')
    FROM (VALUES (timestamptz '2025-01-01 10:00', 1), ('2025-01-01 10:02', 1), ('2025-01-01 10:02', 2), ('2025-01-01 10:03', 2)) v(at, step)));
SELECT crm.window_funnel(at, step, '1 hour', 'strict_increase')
FROM (VALUES (timestamptz '2025-01-01 10:00', 1), ('2025-01-01 10:01', 1), ('2025-01-01 10:01', 2)) v(at, step);

-- The same per-entity work in one aggregate: levels, conversions and median times.
SELECT * FROM crm.funnel_steps((SELECT crm.funnel_agg(journey, at, step, '1 hour') FROM journeys));
SELECT * FROM crm.funnel_steps((SELECT crm.funnel_agg(journey, at, step, '1 hour', 'strict_order') FROM journeys));
SELECT crm.funnel_agg(user_id::bigint, "timestamp", CASE event_id WHEN 1003 THEN 1 WHEN 1009 THEN 2 WHEN 1007 THEN 3 WHEN 1010 THEN 4 END, '7 days')
FROM trend;

-- Summaries of disjoint entity sets roll up to the summary of all; a summary rolled up twice
-- counts each entity once; an entity with two different results is 22023.
SELECT (SELECT crm.rollup(s) FROM (SELECT crm.funnel_agg(journey, at, step, '1 hour') s FROM journeys GROUP BY journey) per_journey)
       OPERATOR(crm.=) (SELECT crm.funnel_agg(journey, at, step, '1 hour') FROM journeys) AS rollup_equals_one_pass;
SELECT (SELECT crm.rollup(s) FROM (SELECT crm.funnel_agg(journey, at, step, '1 hour') s FROM journeys UNION ALL SELECT crm.funnel_agg(journey, at, step, '1 hour') FROM journeys) twice)
       OPERATOR(crm.=) (SELECT crm.funnel_agg(journey, at, step, '1 hour') FROM journeys) AS twice_equals_once;
SELECT error_of($$SELECT crm.rollup(s) FROM (SELECT crm.funnel_agg(journey, at, step, '1 hour') s FROM journeys UNION ALL SELECT crm.funnel_agg(journey, at, step, '1 hour') FROM journeys WHERE step = 1) x$$);

-- A parallel plan gives the serial answer.
CREATE TABLE many_journeys AS
SELECT l::bigint AS lead_id,
       timestamptz '2025-01-01' + make_interval(hours => (l * 7 + e * 13 + (l * e) % 17) % 900) AS at,
       ((l * 31 + e * 7) % 5)::integer AS step
FROM generate_series(1, 20000) l, generate_series(1, 1 + l % 9) e;
ANALYZE many_journeys;
SELECT * FROM crm.funnel_steps((SELECT crm.funnel_agg(lead_id, at, step, '10 days') FROM many_journeys));
SELECT force_parallel();
SELECT * FROM crm.funnel_steps((SELECT crm.funnel_agg(lead_id, at, step, '10 days') FROM many_journeys));
SELECT level, count(*) FROM (SELECT crm.window_funnel(at, step, '10 days', 'strict_increase') AS level FROM many_journeys GROUP BY lead_id) x GROUP BY level ORDER BY level;
SELECT serial();
SELECT level, count(*) FROM (SELECT crm.window_funnel(at, step, '10 days', 'strict_increase') AS level FROM many_journeys GROUP BY lead_id) x GROUP BY level ORDER BY level;

-- Errors: step outside 0..32, windows of zero or less or with months, unknown modes, infinite
-- times, a window or mode that changes between rows.
SELECT error_of($$SELECT crm.window_funnel(now(), 33, '1 day')$$);
SELECT error_of($$SELECT crm.window_funnel(now(), -1, '1 day')$$);
SELECT error_of($$SELECT crm.window_funnel(now(), 1, '0 seconds')$$);
SELECT error_of($$SELECT crm.window_funnel(now(), 1, '1 month')$$);
SELECT error_of($$SELECT crm.window_funnel(now(), 1, '1 day', 'strict')$$);
SELECT error_of($$SELECT crm.window_funnel('infinity', 1, '1 day')$$);
SELECT error_of($$SELECT crm.funnel_agg(1, now(), 1, w) FROM (VALUES (interval '1 day'), ('2 days')) v(w)$$);
SELECT error_of($$SELECT crm.funnel_agg(1, now(), 1, '1 day', m) FROM (VALUES ('ordered'), ('strict_order')) v(m)$$);
