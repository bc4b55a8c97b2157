-- Hostile input, funnels: every function and aggregate with NULLs, empty sets, steps -1 and 33,
-- windows of zero, negative and with months, ±infinity and extreme timestamps, and malformed and
-- adversarial crm.funnel_state and crm.funnel_summary text. Each case succeeds ('ok: ' and its
-- rows) or fails with a class-22 SQLSTATE (54000 for work refused as too large).
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET statement_timeout = '60s';
\pset format unaligned
\pset fieldsep ' | '
SELECT n, query, outcome FROM hostile('funnels', ARRAY[
-- crm.window_funnel: NULLs, no rows, bad steps, windows, modes and times.
$q$SELECT crm.window_funnel(t, s, w) FROM (VALUES (NULL::timestamptz, 1, interval '1 day'), (now(), NULL, '1 day'), (now(), 1, NULL)) v(t, s, w)$q$,
$q$SELECT crm.window_funnel(t, s, w, NULL) FROM (VALUES (now(), 1, interval '1 day')) v(t, s, w)$q$,
$q$SELECT crm.window_funnel(t, s, w) FROM (VALUES (now(), 1, interval '1 day')) v(t, s, w) WHERE false$q$,
$q$SELECT crm.window_funnel(now(), -1, '1 day')$q$,
$q$SELECT crm.window_funnel(now(), 33, '1 day')$q$,
$q$SELECT crm.window_funnel(now(), 2147483647, '1 day')$q$,
$q$SELECT crm.window_funnel(now(), 32, '1 day')$q$,
$q$SELECT crm.window_funnel(now(), 1, '0 days')$q$,
$q$SELECT crm.window_funnel(now(), 1, '-1 day')$q$,
$q$SELECT crm.window_funnel(now(), 1, '1 month')$q$,
$q$SELECT crm.window_funnel(now(), 1, '1 month -30 days')$q$,
$q$SELECT crm.window_funnel(now(), 1, interval '2147483647 days' + interval '2147483647 hours' + interval '414564141 hours')$q$,
$q$SELECT crm.window_funnel(now(), 1, '1 day', 'STRICT_ORDER')$q$,
$q$SELECT crm.window_funnel(now(), 1, '1 day', 'strict')$q$,
$q$SELECT crm.window_funnel(now(), 1, '1 day', '')$q$,
$q$SELECT crm.window_funnel('infinity', 1, '1 day')$q$,
$q$SELECT crm.window_funnel('-infinity', 1, '1 day')$q$,
$q$SELECT crm.window_funnel(t, s, '106751991 days') FROM (VALUES (timestamptz '4714-11-24 00:00:00+00 BC', 1), ('294276-12-31 23:59:59.999999+00', 2)) v(t, s)$q$,
$q$SELECT crm.window_funnel(t, 1, w) FROM (VALUES (now(), interval '1 day'), (now(), '2 days')) v(t, w)$q$,
-- crm.funnel_agg over each id type: NULLs, no rows, bad arguments.
$q$SELECT crm.funnel_agg(id, t, s, '1 day') FROM (VALUES (NULL::bigint, now(), 1), (1, NULL, 1), (1, now(), NULL)) v(id, t, s)$q$,
$q$SELECT crm.funnel_agg(id, t, s, '1 day'), crm.funnel_agg(id::text, t, s, '1 day'), crm.funnel_agg(gen_random_uuid(), t, s, '1 day') FROM (VALUES (1::bigint, now(), 1)) v(id, t, s) WHERE false$q$,
$q$SELECT crm.funnel_agg(1, now(), 33, '1 day')$q$,
$q$SELECT crm.funnel_agg('x', now(), -1, '1 day', 'ordered')$q$,
$q$SELECT crm.funnel_agg(gen_random_uuid(), now(), 1, '1 month')$q$,
$q$SELECT crm.funnel_agg(1, 'infinity', 1, '1 day', 'strict_increase')$q$,
$q$SELECT crm.funnel_agg(id, now(), 1, '1 day') FROM (VALUES (''), (repeat('x', 1000000))) v(id)$q$,
$q$SELECT crm.funnel_agg(1, now(), 0, '1 day')$q$,
-- Rollup and crm.funnel_steps: NULLs, empty summaries, mismatches, overlapping entities.
$q$SELECT crm.rollup(s) FROM (VALUES (NULL::crm.funnel_summary)) v(s)$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"version":1,"key":"bigint","window_us":null,"mode":null,"steps":0,"events":[],"entities":[]}'::crm.funnel_summary), ('{"version":1,"key":"text","window_us":null,"mode":null,"steps":0,"events":[],"entities":[]}')) v(s)$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":1,"events":[],"entities":[["1",[0]]]}'::crm.funnel_summary), ('{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":1,"events":[],"entities":[["1",[0]]]}')) v(s)$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":2,"events":[],"entities":[["1",[0]]]}'::crm.funnel_summary), ('{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":2,"events":[],"entities":[["1",[0,5]]]}')) v(s)$q$,
$q$SELECT crm.rollup(s) FROM (VALUES ('{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":1,"events":[],"entities":[["1",[0]]]}'::crm.funnel_summary), ('{"version":1,"key":"bigint","window_us":11,"mode":"ordered","steps":1,"events":[],"entities":[["2",[0]]]}')) v(s)$q$,
$q$SELECT * FROM crm.funnel_steps(NULL)$q$,
$q$SELECT * FROM crm.funnel_steps('{"version":1,"key":"bigint","window_us":null,"mode":null,"steps":0,"events":[],"entities":[]}')$q$,
$q$SELECT * FROM crm.funnel_steps('{"version":1,"key":"bigint","window_us":9223372036854775807,"mode":"strict_order","steps":32,"events":[["5","294276-12-31 23:59:59.999999+00",32],["5","4714-11-24 00:00:00+00 BC",1]],"entities":[["6",[0,9223372036854775807]]]}')$q$,
$q$SELECT * FROM crm.funnel_steps('{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":2,"events":[["1","2025-01-01 00:00:00+00",1]],"entities":[["1",[0]]]}')$q$,
-- Malformed text forms.
$q$SELECT ''::crm.funnel_state$q$,
$q$SELECT '{}'::crm.funnel_state$q$,
$q$SELECT '{"version":2,"window_us":null,"mode":null,"events":[]}'::crm.funnel_state$q$,
$q$SELECT '{"version":1,"window_us":0,"mode":"ordered","events":[]}'::crm.funnel_state$q$,
$q$SELECT '{"version":1,"window_us":10,"mode":null,"events":[]}'::crm.funnel_state$q$,
$q$SELECT '{"version":1,"window_us":10,"mode":"ordered","events":[["2025-01-01 00:00:00+00",0]]}'::crm.funnel_state$q$,
$q$SELECT '{"version":1,"window_us":10,"mode":"ordered","events":[["2025-01-01 00:00:00+00",33]]}'::crm.funnel_state$q$,
$q$SELECT '{"version":1,"window_us":10,"mode":"ordered","events":[["infinity",1]]}'::crm.funnel_state$q$,
$q$SELECT '{"version":1,"window_us":10,"mode":"ordered","events":[["2025-01-01 00:00:00+00",1]],"extra":1}'::crm.funnel_state$q$,
$q$SELECT '{"version":1,"window_us":null,"mode":null,"events":[["2025-01-01 00:00:00+00",1]]}'::crm.funnel_state$q$,
$q$SELECT '[1,null,null,[]]'::crm.funnel_summary$q$,
$q$SELECT '{"version":1,"key":"int","window_us":null,"mode":null,"steps":0,"events":[],"entities":[]}'::crm.funnel_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":1,"events":[],"entities":[["1",[5]]]}'::crm.funnel_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":2,"events":[],"entities":[["1",[0,11]]]}'::crm.funnel_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":2,"events":[],"entities":[["1",[0,5,3]]]}'::crm.funnel_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":1,"events":[],"entities":[["1",[]]]}'::crm.funnel_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":33,"events":[],"entities":[]}'::crm.funnel_summary$q$,
$q$SELECT '{"version":1,"key":"bigint","window_us":10,"mode":"ordered","steps":1,"events":[["99999999999999999999","2025-01-01 00:00:00+00",1]],"entities":[]}'::crm.funnel_summary$q$,
$q$SELECT '{"version":1,"key":"uuid","window_us":10,"mode":"ordered","steps":1,"events":[["not-a-uuid","2025-01-01 00:00:00+00",1]],"entities":[]}'::crm.funnel_summary$q$,
$q$SELECT s::text::crm.funnel_summary OPERATOR(crm.=) s FROM (SELECT crm.funnel_agg(id, t, s, '1 day', 'strict_order') FROM (VALUES ('a', timestamptz '4714-11-24 00:00:00+00 BC', 1), ('a', '4714-11-24 12:00:00+00 BC', 0), ('b', '294276-12-31 23:59:59.999999+00', 1)) v(id, t, s)) x(s)$q$,
$q$SELECT s::text::crm.funnel_state OPERATOR(crm.=) s FROM (SELECT '{"version":1,"window_us":10,"mode":"strict_order","events":[["2025-01-01 00:00:00+00",0],["2025-01-01 00:00:00+00",1]]}'::crm.funnel_state) x(s)$q$,
$q$SELECT crm.window_funnel(now(), 1, '-200000000 days')$q$,
$q$SELECT crm.funnel_agg(1, now(), 1, '-200000000 days -5 hours')$q$,
$q$SELECT crm.window_funnel(t, 1, '1 day', m) FROM (VALUES (NULL::timestamptz, 'bogus'), (now(), NULL)) v(t, m)$q$,
$q$SELECT crm.funnel_agg(1, t, 1, w, 'bogus') FROM (VALUES (NULL::timestamptz, interval '1 day'), (now(), NULL)) v(t, w)$q$,
$q$SELECT crm_internal.funnel_agg_bigint_trans('{"version":1,"key":"text","window_us":null,"mode":null,"steps":0,"events":[],"entities":[]}', 1, now(), 1, '1 day')$q$,
$q$SELECT '{"version":1,"key":"bigint","window_us":10,"mode":"x","steps":0,"events":[],"entities":[]}'::crm.funnel_summary$q$
]);
