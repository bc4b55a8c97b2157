-- Deterministic sample CRM data, generated in SQL.
-- Usage: psql -v rows=100000 -f scripts/sample_data.sql
-- `rows` sizes everything: `rows` orders, rows/2 survey responses, rows/10 customers,
-- rows/20 opportunities, and one subscriptions_mrr row per paying customer-month.
-- The data covers 2023-01-01 .. 2025-12-31; 2026-01-01 is "now" (the observation end).
\set ON_ERROR_STOP on
\if :{?rows}
\else
\set rows 100000
\endif
SET client_min_messages = warning;
-- random() and setseed() draw from xoroshiro128** (seeded through splitmix64) since Postgres 15;
-- before 15 the same seed gives other numbers. There this script draws from the same generator
-- written in PL/pgSQL (schema crm_sample_prng, searched before pg_catalog in this session, dropped
-- at the end), so every version makes the same rows.
SELECT current_setting('server_version_num')::int < 150000 AS own_random \gset
\if :own_random
DROP SCHEMA IF EXISTS crm_sample_prng CASCADE;
CREATE SCHEMA crm_sample_prng;
-- 64-bit words are bigints holding the bits; numeric does the sums and products modulo 2^64.
CREATE FUNCTION crm_sample_prng.wrap(x numeric) RETURNS bigint LANGUAGE sql IMMUTABLE AS
$$ SELECT (CASE WHEN m >= 9223372036854775808 THEN m - 18446744073709551616 ELSE m END)::bigint
   FROM (SELECT mod(x, 18446744073709551616) AS m) s $$;
CREATE FUNCTION crm_sample_prng.unsigned(x bigint) RETURNS numeric LANGUAGE sql IMMUTABLE AS
$$ SELECT CASE WHEN x < 0 THEN x + 18446744073709551616 ELSE x END $$;
-- x >> n without sign extension, and x rotated left by n bits (0 < n < 64).
CREATE FUNCTION crm_sample_prng.shr(x bigint, n integer) RETURNS bigint LANGUAGE sql IMMUTABLE AS
$$ SELECT (x >> n) & ~(-1::bigint << (64 - n)) $$;
CREATE FUNCTION crm_sample_prng.rotl(x bigint, n integer) RETURNS bigint LANGUAGE sql IMMUTABLE AS
$$ SELECT (x << n) | crm_sample_prng.shr(x, 64 - n) $$;
CREATE FUNCTION crm_sample_prng.setseed(seed double precision) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    state numeric := crm_sample_prng.unsigned(trunc(4503599627370495 * seed)::bigint);
    z bigint;
    words bigint[] := '{}';
BEGIN
    FOR i IN 1..2 LOOP  -- splitmix64
        state := mod(state + 11400714819323198485, 18446744073709551616);
        z := crm_sample_prng.wrap(state);
        z := crm_sample_prng.wrap(crm_sample_prng.unsigned(z # crm_sample_prng.shr(z, 30)) * 13787848793156543929);
        z := crm_sample_prng.wrap(crm_sample_prng.unsigned(z # crm_sample_prng.shr(z, 27)) * 10723151780598845931);
        words := words || (z # crm_sample_prng.shr(z, 31));
    END LOOP;
    IF words[1] = 0 AND words[2] = 0 THEN
        words := ARRAY[6364136223846793005, 1442695040888963407];
    END IF;
    PERFORM set_config('crm_sample_prng.s0', words[1]::text, false),
            set_config('crm_sample_prng.s1', words[2]::text, false);
END $$;
CREATE FUNCTION crm_sample_prng.random() RETURNS double precision LANGUAGE plpgsql COST 1 AS $$
DECLARE
    s0 bigint := current_setting('crm_sample_prng.s0');
    sx bigint := s0 # current_setting('crm_sample_prng.s1')::bigint;
    r bigint := crm_sample_prng.wrap(crm_sample_prng.unsigned(
        crm_sample_prng.rotl(crm_sample_prng.wrap(crm_sample_prng.unsigned(s0) * 5), 7)) * 9);
BEGIN  -- xoroshiro128**
    PERFORM set_config('crm_sample_prng.s0', (crm_sample_prng.rotl(s0, 24) # sx # (sx << 16))::text, false),
            set_config('crm_sample_prng.s1', crm_sample_prng.rotl(sx, 37)::text, false);
    RETURN crm_sample_prng.shr(r, 12) / 4503599627370496.0::float8;
END $$;
SELECT current_setting('search_path') AS search_path_before \gset
DO $$ BEGIN
    PERFORM set_config('search_path', concat_ws(', ', nullif(current_setting('search_path'), ''),
                                                'crm_sample_prng', 'pg_catalog'), false);
    IF 'random()'::regprocedure <> 'crm_sample_prng.random()'::regprocedure THEN
        RAISE EXCEPTION 'scripts/sample_data.sql: search_path % names pg_catalog before crm_sample_prng',
            current_setting('search_path');
    END IF;
END $$;
\endif
-- One transaction: with wal_level = minimal (as scripts/lib.sh starts its clusters), tables
-- created and filled in the same transaction skip the write-ahead log.
BEGIN;
SET max_parallel_workers_per_gather = 0;  -- one process: random() stays deterministic
SELECT setseed(0.42);

DROP TABLE IF EXISTS survey_responses, opportunities, subscriptions_mrr, orders, customers;

CREATE TABLE customers (
    customer_id bigint NOT NULL,
    name        text NOT NULL,
    segment     text NOT NULL,   -- 'SMB' | 'Mid-Market' | 'Enterprise'
    region      text NOT NULL,   -- 'EMEA' | 'NA' | 'APAC' | 'LATAM'
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz      -- NULL while the customer is active
);

INSERT INTO customers
SELECT id,
       'Customer ' || id,
       segment,
       (ARRAY['EMEA', 'NA', 'APAC', 'LATAM'])[1 + floor(random() * 4)::int],
       started_at,
       CASE WHEN ended_at < timestamptz '2026-01-01' THEN ended_at END
FROM (
    SELECT id, segment, started_at,
           -- lifetime: exponential, mean 14 / 24 / 40 months by segment
           started_at + make_interval(days => (-ln(1 - random()) * 30.4 *
               CASE segment WHEN 'SMB' THEN 14 WHEN 'Mid-Market' THEN 24 ELSE 40 END)::int) AS ended_at
    FROM (
        SELECT id,
               CASE WHEN r < 0.6 THEN 'SMB' WHEN r < 0.9 THEN 'Mid-Market' ELSE 'Enterprise' END AS segment,
               timestamptz '2023-01-01' + random() * interval '1095 days' AS started_at
        FROM (SELECT id, random() AS r FROM generate_series(1, greatest(:rows / 10, 10)) AS id) ids
    ) c
) c;

CREATE TABLE orders (
    order_id    bigint NOT NULL,
    customer_id bigint NOT NULL,
    ordered_at  timestamptz NOT NULL,
    amount      numeric(12, 2) NOT NULL
);

INSERT INTO orders
SELECT o.id, c.customer_id,
       c.started_at + o.position * (coalesce(c.ended_at, timestamptz '2026-01-01') - c.started_at),
       round((exp(random() * 2.5) * CASE c.segment WHEN 'SMB' THEN 20 WHEN 'Mid-Market' THEN 60 ELSE 200 END)::numeric, 2)
FROM (SELECT id, 1 + floor(random() * greatest(:rows / 10, 10))::bigint AS customer_id, random() AS position
      FROM generate_series(1, :rows) AS id) o
JOIN customers c USING (customer_id);

CREATE TABLE subscriptions_mrr (
    customer_id bigint NOT NULL,
    month       date NOT NULL,      -- first day of the month
    mrr         numeric(12, 2) NOT NULL
);

INSERT INTO subscriptions_mrr
SELECT customer_id, month::date,
       -- the plan price grows or shrinks 2 % every 6 months; some months are paused (0)
       CASE WHEN random() < 0.03 THEN 0
            ELSE round(base_mrr * (1 + 0.02 * (months_in / 6) * CASE WHEN customer_id % 5 = 0 THEN -1 ELSE 1 END), 2)
       END
FROM (
    SELECT c.customer_id, m.month, (m.position - 1)::int AS months_in,
           CASE c.segment WHEN 'SMB' THEN 49 + (c.customer_id % 4) * 50
                          WHEN 'Mid-Market' THEN 400 + (c.customer_id % 5) * 150
                          ELSE 2500 + (c.customer_id % 6) * 1000 END AS base_mrr
    FROM customers c,
         generate_series(date_trunc('month', c.started_at AT TIME ZONE 'UTC'),
                         date_trunc('month', coalesce(c.ended_at, timestamptz '2025-12-31') AT TIME ZONE 'UTC') - interval '1 month' *
                             (c.ended_at IS NOT NULL)::int,
                         interval '1 month') WITH ORDINALITY AS m(month, position)
) s;

CREATE TABLE opportunities (
    opportunity_id bigint NOT NULL,
    owner          text NOT NULL,
    stage          text NOT NULL,    -- open stages, then 'Closed Won' / 'Closed Lost'
    amount         numeric(12, 2) NOT NULL,
    created_at     timestamptz NOT NULL,
    closed_at      timestamptz,      -- NULL while open
    won            boolean           -- NULL while open
);

INSERT INTO opportunities
SELECT id, owner,
       CASE WHEN closed_at IS NULL
            THEN (ARRAY['Prospecting', 'Qualification', 'Proposal', 'Negotiation'])[1 + floor(random() * 4)::int]
            WHEN won THEN 'Closed Won' ELSE 'Closed Lost' END,
       amount, created_at, closed_at, CASE WHEN closed_at IS NOT NULL THEN won END
FROM (
    SELECT id,
           (ARRAY['Ava', 'Ben', 'Chloe', 'Dev', 'Elena', 'Femi', 'Gus', 'Hana', 'Ivan', 'Jade', 'Kofi', 'Lina'])[1 + floor(random() * 12)::int] AS owner,
           round((1000 * exp(random() * 3.5))::numeric, 2) AS amount,
           created_at,
           CASE WHEN closes_at < timestamptz '2026-01-01' THEN closes_at END AS closed_at,
           random() < 0.28 AS won
    FROM (SELECT id, created_at,
                 created_at + make_interval(secs => -ln(1 - random()) * 45 * 86400) AS closes_at
          FROM (SELECT id, timestamptz '2023-01-01' + random() * interval '1095 days' AS created_at
                FROM generate_series(1, greatest(:rows / 20, 10)) AS id) o) o
) o;

CREATE TABLE survey_responses (
    response_id  bigint NOT NULL,
    customer_id  bigint NOT NULL,
    responded_at timestamptz NOT NULL,
    channel      text NOT NULL,      -- 'email' | 'in-app' | 'phone'
    nps_score    integer,            -- 0..10, NULL when skipped
    csat_score   integer             -- 1..5, NULL when skipped
);

INSERT INTO survey_responses
SELECT id, customer_id, responded_at, channel,
       CASE WHEN random() < 0.04 THEN NULL ELSE nps END,
       CASE WHEN random() < 0.06 THEN NULL ELSE least(5, greatest(1, round(nps / 2.2 + random() * 1.2)))::int END
FROM (
    SELECT r.id, c.customer_id,
           c.started_at + r.position * (coalesce(c.ended_at, timestamptz '2026-01-01') - c.started_at) AS responded_at,
           (ARRAY['email', 'in-app', 'phone'])[1 + floor(random() * 3)::int] AS channel,
           -- a bell-shaped score around 8, better for larger customers
           least(10, greatest(0, round(8.0 + CASE c.segment WHEN 'Enterprise' THEN 0.6 WHEN 'Mid-Market' THEN 0.2 ELSE -0.2 END
                 + 2.6 * (random() + random() + random() - 1.5))))::int AS nps
    FROM (SELECT id, 1 + floor(random() * greatest(:rows / 10, 10))::bigint AS customer_id, random() AS position
          FROM generate_series(1, greatest(:rows / 2, 10)) AS id) r
    JOIN customers c USING (customer_id)
) s;

-- Keys and references are added after loading: one validation pass instead of a check per row.
ALTER TABLE customers ADD PRIMARY KEY (customer_id);
ALTER TABLE orders ADD PRIMARY KEY (order_id), ADD FOREIGN KEY (customer_id) REFERENCES customers;
ALTER TABLE subscriptions_mrr ADD PRIMARY KEY (customer_id, month), ADD FOREIGN KEY (customer_id) REFERENCES customers;
ALTER TABLE opportunities ADD PRIMARY KEY (opportunity_id);
ALTER TABLE survey_responses ADD PRIMARY KEY (response_id), ADD FOREIGN KEY (customer_id) REFERENCES customers;
COMMIT;
ANALYZE customers, orders, subscriptions_mrr, opportunities, survey_responses;

SELECT 'customers' AS "table", count(*) AS "rows" FROM customers
UNION ALL SELECT 'orders', count(*) FROM orders
UNION ALL SELECT 'subscriptions_mrr', count(*) FROM subscriptions_mrr
UNION ALL SELECT 'opportunities', count(*) FROM opportunities
UNION ALL SELECT 'survey_responses', count(*) FROM survey_responses;

-- Customer lifetime value (crm.rfm_agg, crm.bgnbd_fit, crm.gamma_gamma_fit): a web shop's
-- purchases by the same customers, with the repeat-buying behaviour those models describe:
-- each customer buys at their own rate (exponentially distributed across customers, one
-- purchase every 3 weeks on average), may stop for good after any repeat purchase (with their
-- own probability, 5 % to 50 %), and spends around their own mean. First purchase = started_at.
BEGIN;
SET max_parallel_workers_per_gather = 0;
DROP TABLE IF EXISTS shop_orders;
CREATE TABLE shop_orders (
    customer_id bigint NOT NULL,
    ordered_at  timestamptz NOT NULL,
    amount      numeric(12, 2) NOT NULL
);
INSERT INTO shop_orders
WITH shoppers AS (
    SELECT customer_id, started_at AS first_at,
           -ln(1 - random()) / 21.0 AS purchases_per_day,
           1 + floor(ln(1 - random()) / ln(1 - (0.05 + 0.45 * random()))) AS last_repeat,
           15 * exp(1.5 * random()) AS mean_spend
    FROM customers),
repeats AS (
    SELECT customer_id, first_at, mean_spend, k, last_repeat,
           sum(-ln(1 - random()) / purchases_per_day) OVER (PARTITION BY customer_id ORDER BY k) AS days_after
    FROM shoppers, generate_series(1, 60) AS k)
SELECT customer_id, first_at, round((mean_spend * (0.6 + 0.8 * random()))::numeric, 2) FROM shoppers
UNION ALL
SELECT customer_id, first_at + days_after * interval '1 day', round((mean_spend * (0.6 + 0.8 * random()))::numeric, 2)
FROM repeats
WHERE k <= last_repeat AND first_at + days_after * interval '1 day' < timestamptz '2026-01-01';
ALTER TABLE shop_orders ADD FOREIGN KEY (customer_id) REFERENCES customers;
COMMIT;
ANALYZE shop_orders;
SELECT 'shop_orders' AS "table", count(*) AS "rows" FROM shop_orders;

-- === Service: support teams with business calendars, and their tickets ==========
-- rows/5 tickets over 2024-2025, each handled by one of four teams whose business hours are in
-- different time zones. Seeded on its own, so other sections do not change these rows.
BEGIN;
SET max_parallel_workers_per_gather = 0;
SELECT setseed(0.12);
DROP TABLE IF EXISTS tickets, teams;

CREATE TABLE teams (
    team_id  integer NOT NULL,
    name     text NOT NULL,
    calendar crm.business_calendar NOT NULL   -- business hours, time zone, holidays
);

INSERT INTO teams VALUES
    (1, 'Support Americas', crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York',
        '{2024-11-28,2024-12-25,2025-01-01,2025-05-26,2025-07-04,2025-09-01,2025-11-27,2025-12-25}')),
    (2, 'Support EMEA', crm.business_calendar('Mon-Fri 08:00-18:00', 'Europe/London',
        '{2024-12-25,2024-12-26,2025-01-01,2025-04-18,2025-04-21,2025-12-25,2025-12-26}')),
    (3, 'Support APAC', crm.business_calendar('Mon-Fri 08:30-12:30, 13:30-17:30', 'Australia/Sydney',
        '{2025-01-01,2025-01-27,2025-04-25,2025-12-25,2025-12-26}')),
    (4, 'Priority desk', crm.business_calendar('Mon-Sun 00:00-24:00', 'UTC'));

CREATE TABLE tickets (
    ticket_id         bigint NOT NULL,
    customer_id       bigint NOT NULL,
    team_id           integer NOT NULL,
    created_at        timestamptz NOT NULL,
    first_response_at timestamptz,        -- first public agent reply; NULL: not answered yet
    resolved_at       timestamptz,        -- NULL: still open
    agent_replies     integer NOT NULL,   -- public agent replies
    reopened          boolean NOT NULL    -- reopened after being resolved
);

-- Agents answer and resolve in their team's business hours: the first response comes a random
-- amount of business time after creation (mean 2 hours; 20 minutes on the 24/7 desk), the
-- resolution a random amount after that (mean 12 business hours; 3 on the 24/7 desk).
INSERT INTO tickets
SELECT id, customer_id, team_id, created_at,
       CASE WHEN responds AND responded_at < timestamptz '2026-01-01' THEN responded_at END,
       CASE WHEN resolves AND resolved_at < timestamptz '2026-01-01' THEN resolved_at END,
       CASE WHEN NOT responds THEN 0 WHEN resolves THEN replies ELSE least(replies, 1) END,
       resolves AND random() < 0.07
FROM (
    SELECT t.*, crm.business_add(calendar, responded_at, make_interval(secs => resolution_hours * 3600)) AS resolved_at
    FROM (
        SELECT t.*, teams.calendar,
               crm.business_add(teams.calendar, created_at, make_interval(secs => response_hours * 3600)) AS responded_at
        FROM (
            SELECT id, 1 + floor(random() * greatest(:rows / 10, 10))::bigint AS customer_id,
                   team_id, created_at,
                   random() < 0.95 AS responds,
                   random() < 0.88 AS resolves,
                   1 + floor(-ln(1 - random()) * 1.3)::int AS replies,
                   round((-ln(1 - random()) * CASE team_id WHEN 4 THEN 1.0 / 3 ELSE 2 END)::numeric, 4)::float8 AS response_hours,
                   round((-ln(1 - random()) * CASE team_id WHEN 4 THEN 3 ELSE 12 END)::numeric, 4)::float8 AS resolution_hours
            FROM (SELECT id, 1 + floor(random() * 4)::int AS team_id,
                         date_trunc('second', timestamptz '2024-01-01' + random() * interval '731 days') AS created_at
                  FROM generate_series(1, greatest(:rows / 5, 10)) AS id) t
        ) t JOIN teams USING (team_id)
    ) t
) t;

ALTER TABLE teams ADD PRIMARY KEY (team_id);
ALTER TABLE tickets ADD PRIMARY KEY (ticket_id), ADD FOREIGN KEY (team_id) REFERENCES teams,
    ADD FOREIGN KEY (customer_id) REFERENCES customers;
COMMIT;
ANALYZE teams, tickets;
SELECT 'tickets' AS "table", count(*) AS "rows" FROM tickets;
-- === end of the service section ===========================================================

-- === Ratios: leads, yearly contract renewals and sales quotas ==============================
-- Seeded on their own, after every other section, so the rows above do not change.
--   leads: rows/4 leads over 2023-2025, each from a source and worked by one of the sales owners
--     of `opportunities`; converted is true or false once decided (after about 3 weeks on
--     average), NULL while the lead is still open on 2026-01-01 (crm.conversion_rate skips it).
--   contract_renewals: rows/10 yearly contracts signed 2016-2025, one row per term; a contract
--     renews at the end of each term until it churns, with its own churn probability (Beta(1, 3)
--     across contracts, the shifted-beta-geometric story of crm.sbg_fit); renewed is NULL for
--     the term still running on 2026-01-01.
--   quotas: a yearly quota per owner for 2023-2025 (the won value to reach, sized by `rows`).
BEGIN;
SET max_parallel_workers_per_gather = 0;
SELECT setseed(0.27);
DROP TABLE IF EXISTS leads, contract_renewals, quotas;

CREATE TABLE leads (
    lead_id    bigint NOT NULL,
    source     text NOT NULL,       -- 'Web' | 'Referral' | 'Event' | 'Outbound' | 'Partner'
    owner      text NOT NULL,       -- the sales owner working the lead
    created_at timestamptz NOT NULL,
    converted  boolean              -- NULL while the lead is open
);

INSERT INTO leads
SELECT id, source, owner, created_at,
       CASE WHEN decided_at < timestamptz '2026-01-01' THEN converts END
FROM (
    SELECT id, source, owner, created_at,
           created_at + make_interval(secs => -ln(1 - random()) * 21 * 86400) AS decided_at,
           random() < CASE source WHEN 'Referral' THEN 0.32 WHEN 'Partner' THEN 0.24
                                  WHEN 'Event' THEN 0.15 WHEN 'Web' THEN 0.09 ELSE 0.05 END AS converts
    FROM (SELECT id,
                 (ARRAY['Web', 'Web', 'Web', 'Outbound', 'Outbound', 'Event', 'Referral', 'Partner'])[1 + floor(random() * 8)::int] AS source,
                 (ARRAY['Ava', 'Ben', 'Chloe', 'Dev', 'Elena', 'Femi', 'Gus', 'Hana', 'Ivan', 'Jade', 'Kofi', 'Lina'])[1 + floor(random() * 12)::int] AS owner,
                 date_trunc('second', timestamptz '2023-01-01' + random() * interval '1095 days') AS created_at
          FROM generate_series(1, greatest(:rows / 4, 10)) AS id) l
) l;

CREATE TABLE contract_renewals (
    contract_id bigint NOT NULL,
    segment     text NOT NULL,      -- 'SMB' | 'Mid-Market' | 'Enterprise'
    term        integer NOT NULL,   -- 1 = the first year, 2 = the year after the first renewal, ...
    term_start  date NOT NULL,
    term_end    date NOT NULL,      -- term_start + 1 year: the renewal date
    renewed     boolean             -- renewed at term_end; NULL while the term runs
);

INSERT INTO contract_renewals
SELECT contract_id, segment, term, term_start, term_end,
       CASE WHEN term_end < date '2026-01-01' THEN renews END
FROM (
    SELECT t.*,
           count(*) FILTER (WHERE NOT renews) OVER (PARTITION BY contract_id ORDER BY term
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS churned_before
    FROM (
        SELECT c.contract_id, c.segment, k AS term,
               (c.signed_on + (k - 1) * interval '1 year')::date AS term_start,
               (c.signed_on + k * interval '1 year')::date AS term_end,
               random() >= c.churn_probability AS renews
        FROM (SELECT id AS contract_id,
                     CASE WHEN r < 0.6 THEN 'SMB' WHEN r < 0.9 THEN 'Mid-Market' ELSE 'Enterprise' END AS segment,
                     date '2016-01-01' + floor(random() * 3653)::int AS signed_on,
                     1 - random() ^ (1.0 / 3) AS churn_probability
              FROM (SELECT id, random() AS r FROM generate_series(1, greatest(:rows / 10, 10)) AS id) ids) c,
             generate_series(1, 10) AS k
        WHERE c.signed_on + (k - 1) * interval '1 year' < date '2026-01-01'
    ) t
) t
WHERE churned_before = 0;

CREATE TABLE quotas (
    owner        text NOT NULL,
    period_start date NOT NULL,     -- the quota covers [period_start, period_end)
    period_end   date NOT NULL,
    quota        numeric(12, 2) NOT NULL
);

INSERT INTO quotas
SELECT owner, make_date(year, 1, 1), make_date(year + 1, 1, 1),
       round((greatest(:rows, 200) * (7 + 6 * random()))::numeric, -2)
FROM unnest(ARRAY['Ava', 'Ben', 'Chloe', 'Dev', 'Elena', 'Femi', 'Gus', 'Hana', 'Ivan', 'Jade', 'Kofi', 'Lina']) AS owner,
     generate_series(2023, 2025) AS year
ORDER BY year, owner;

ALTER TABLE leads ADD PRIMARY KEY (lead_id);
ALTER TABLE contract_renewals ADD PRIMARY KEY (contract_id, term);
ALTER TABLE quotas ADD PRIMARY KEY (owner, period_start);
COMMIT;
ANALYZE leads, contract_renewals, quotas;
SELECT 'leads' AS "table", count(*) AS "rows" FROM leads
UNION ALL SELECT 'contract_renewals', count(*) FROM contract_renewals
UNION ALL SELECT 'quotas', count(*) FROM quotas;
-- === end of the ratios section ============================================================

-- === Funnels: lead journeys =================================================================
-- Seeded on its own, after every other section, so the rows above do not change.
--   lead_events: the journey of every lead of `leads` (its source and owner) through the funnel
--     created (step 1) -> qualified (2) -> opportunity (3) -> won (4): a created event at the
--     lead's created_at, then each later stage with a probability that depends on the source,
--     a few days to weeks after the previous one. Some leads skip the qualified event (straight
--     to an opportunity), some are qualified twice, and some get a "note" event (step 0, another
--     event); events after 2026-01-01 have not happened yet.
BEGIN;
SET max_parallel_workers_per_gather = 0;
SELECT setseed(0.61);
DROP TABLE IF EXISTS lead_events;

CREATE TABLE lead_events (
    lead_id     bigint NOT NULL,
    source      text NOT NULL,       -- the lead's source, as in `leads`
    owner       text NOT NULL,       -- the lead's sales owner
    stage       text NOT NULL,       -- 'created' | 'qualified' | 'opportunity' | 'won' | 'note'
    step        integer NOT NULL,    -- 1 | 2 | 3 | 4 | 0 (a note is another event)
    occurred_at timestamptz NOT NULL
);

INSERT INTO lead_events
SELECT lead_id, source, owner, stage, step, occurred_at
FROM (
    SELECT l.*,
           date_trunc('second', created_at + make_interval(secs => (1 + 13 * r_qualify_days) * 86400)) AS qualified_at,
           date_trunc('second', created_at + make_interval(secs => (1 + 13 * r_qualify_days + 2 + 40 * r_open_days) * 86400)) AS opened_at,
           date_trunc('second', created_at + make_interval(secs => (1 + 13 * r_qualify_days + 2 + 40 * r_open_days + 5 + 60 * r_win_days) * 86400)) AS won_at,
           r_qualify < CASE source WHEN 'Referral' THEN 0.7 WHEN 'Partner' THEN 0.6 WHEN 'Event' THEN 0.45 WHEN 'Web' THEN 0.35 ELSE 0.25 END AS qualifies,
           r_open < 0.55 AS opens,
           r_win < CASE source WHEN 'Referral' THEN 0.45 WHEN 'Partner' THEN 0.4 ELSE 0.3 END AS wins
    FROM (SELECT lead_id, source, owner, created_at,
                 random() AS r_qualify, random() AS r_open, random() AS r_win,
                 random() AS r_qualify_days, random() AS r_open_days, random() AS r_win_days,
                 random() AS r_skip, random() AS r_repeat, random() AS r_note
          FROM (SELECT * FROM leads ORDER BY lead_id) ordered) l
) l,
LATERAL (VALUES
    ('created', 1, created_at, true),
    ('qualified', 2, qualified_at, qualifies AND r_skip >= 0.05),
    ('qualified', 2, qualified_at + interval '3 days', qualifies AND r_repeat < 0.1),
    ('note', 0, created_at + interval '2 days', r_note < 0.2),
    ('opportunity', 3, opened_at, qualifies AND opens),
    ('won', 4, won_at, qualifies AND opens AND wins)
) AS event(stage, step, occurred_at, happens)
WHERE happens AND occurred_at < timestamptz '2026-01-01'
ORDER BY lead_id, occurred_at, step;

COMMIT;
ANALYZE lead_events;
SELECT 'lead_events' AS "table", count(*) AS "rows" FROM lead_events;
-- === end of the funnels section ===========================================================
\if :own_random
SELECT set_config('search_path', :'search_path_before', false) AS search_path_restored \gset
DROP SCHEMA crm_sample_prng CASCADE;
\endif
