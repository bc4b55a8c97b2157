#!/usr/bin/env bash
# Citus: a coordinator and two workers (shared_preload_libraries = citus) on free local ports, the
# sample CRM data (scripts/sample_data.sql) plus tables of stored summaries distributed over the
# workers, and the same rows in a plain database on the coordinator for reference. For every crm
# aggregate (the catalog is the list: an aggregate without a case below fails), grouped by a column
# that is not the distribution column, so that Citus has to combine partial states, it checks that
#   - the answers equal those of single-node Postgres (the plain database),
#   - EXPLAIN VERBOSE shows worker_partial_agg in the worker query (the aggregate is pushed down)
#     when the aggregate's transition type is not a pseudo-type. Citus never pushes down an
#     aggregate whose state is `internal`: for those it prints "NOT PUSHED DOWN (internal state)",
#     counts them neither passed nor failed, and fails if one is pushed down after all.
# The first case is a control: a plain SQL aggregate with an int8[] state and a combine function,
# which Citus does push down (so the push-down check itself is known to work).
# Without Citus installed (no citus.control) it prints one SKIPPED line and counts nothing.
# Needs crm_metrics installed (scripts/test installs it first) and Citus (scripts/install-citus,
# see docs/scaling.md). Usage: tests/scale/citus.sh [--counts FILE] (FILE receives
# "passed failed"). Ends with "citus: N passed, M failed, K not pushed down (internal state)".
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

counts=""
if [ "${1:-}" = "--counts" ]; then counts=$2; fi

if [ ! -f "$("$PG_CONFIG" --sharedir)/extension/citus.control" ]; then
    echo "SKIPPED: Citus is not installed (see docs/scaling.md)"
    if [ -n "$counts" ]; then echo "0 0" >"$counts"; fi
    exit 0
fi

ROWS=${CITUS_TEST_ROWS:-20000}   # sample_data.sql size: rows/10 customers, rows orders, ...
RUN_DIR="$(run_dir)/citus"
mkdir -p "$RUN_DIR"
passed=0
failed=0
internal=0
clusters=()
finish() {
    for dir in "${clusters[@]}"; do stop_cluster "$dir"; done
    echo "citus: ${passed} passed, ${failed} failed, ${internal} not pushed down (internal state)"
    if [ -n "$counts" ]; then echo "$passed $failed" >"$counts"; fi
}
trap finish EXIT

# start NAME FIRST_PORT: a small Citus node in $RUN_DIR/NAME on a free port from FIRST_PORT on;
# sets $port to the port it listens on (start_cluster moves on when a port cannot be bound yet;
# not in a subshell: the cluster must be in $clusters to be stopped on exit).
start() {
    local dir="$RUN_DIR/$1"
    port=$(free_port "$2")
    clusters+=("$dir")
    start_cluster "$dir" "$port" -c shared_preload_libraries=citus \
        -c citus.enable_statistics_collection=off -c shared_buffers=64MB -c work_mem=16MB \
        -c maintenance_work_mem=64MB -c max_wal_size=256MB >/dev/null
    port=$PGPORT
}
start coordinator 54760
coordinator_port=$port
start worker1 $((coordinator_port + 1))
worker1_port=$port
start worker2 $((worker1_port + 1))
worker2_port=$port
# on PORT [DATABASE] psql-arguments...: postgres is the Citus database, plain the reference one.
on() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -p "$1" "${@:2}"; }
citus() { on "$coordinator_port" -d postgres "$@"; }
plain() { on "$coordinator_port" -d plain "$@"; }

check() {
    local name=$1 ok=$2
    if [ "$ok" = true ]; then
        passed=$((passed + 1)); echo "ok    citus $name"
    else
        failed=$((failed + 1)); echo "FAIL  citus $name"
    fi
}

# The reference database first: it never gets the citus extension, so it plans like plain Postgres.
on "$coordinator_port" -d postgres -c "CREATE DATABASE plain"
for port in "$coordinator_port" "$worker1_port" "$worker2_port"; do
    on "$port" -d postgres -c "CREATE EXTENSION citus" -c "CREATE EXTENSION crm_metrics"
done
plain -c "CREATE EXTENSION crm_metrics"
citus -At >/dev/null <<SQL
SELECT citus_set_coordinator_host('127.0.0.1', $coordinator_port);
SELECT citus_add_node('127.0.0.1', $worker1_port);
SELECT citus_add_node('127.0.0.1', $worker2_port);
SQL

# The same rows in both databases: the sample data, stored summaries of every family (as a user
# would keep them per customer, owner or team and year) and per-customer inputs of the model fits.
derived="
CREATE TABLE survey_summaries AS
    SELECT customer_id, channel, crm.nps_agg(nps_score) AS summary
    FROM survey_responses GROUP BY customer_id, channel;
CREATE TABLE customer_summaries AS
    SELECT customer_id, segment, crm.customer_agg(started_at, ended_at) AS summary
    FROM customers GROUP BY customer_id, segment;
CREATE TABLE cohort_summaries AS
    SELECT customer_id, date_part('year', ordered_at)::int AS year,
           crm.cohort_agg(customer_id, ordered_at, 'month') AS summary
    FROM orders GROUP BY customer_id, 2;
CREATE TABLE pipeline_summaries AS
    SELECT opportunity_id, owner, crm.pipeline_agg(amount, created_at, closed_at, won) AS summary
    FROM opportunities GROUP BY opportunity_id, owner;
CREATE TABLE mrr_summaries AS
    SELECT customer_id, date_part('year', month)::int AS year,
           crm.mrr_agg(customer_id, month, mrr) AS summary
    FROM subscriptions_mrr GROUP BY customer_id, 2;
CREATE TABLE service_summaries AS
    SELECT customer_id, team_id,
           crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened) AS summary
    FROM tickets GROUP BY customer_id, team_id;
CREATE TABLE survival_summaries AS
    SELECT customer_id, segment, crm.survival_agg(started_at, ended_at, '2026-01-01') AS summary
    FROM customers GROUP BY customer_id, segment;
CREATE TABLE funnel_summaries AS
    SELECT lead_id, source, crm.funnel_agg(lead_id, occurred_at, step, '30 days') AS summary
    FROM lead_events GROUP BY lead_id, source;
CREATE TABLE customer_rfm AS
    SELECT customer_id, segment, (crm.rfm_agg(ordered_at, o.amount, '2026-01-01', 'week')).*
    FROM shop_orders o JOIN customers USING (customer_id) GROUP BY customer_id, segment;
-- Renewals made by each customer over at most 7 yearly periods (churned: left before the 8th),
-- with a churn probability of its own (0.05 to 0.65): the heterogeneity that the sBG model fits.
CREATE TABLE renewals AS
    SELECT customer_id, region, least(floor(ln(u) / ln(1 - p))::int, 7) AS renewals,
           floor(ln(u) / ln(1 - p)) < 7 AS churned
    FROM (SELECT customer_id, region, ((customer_id * 104729) % 10007 + 1) / 10008.0 AS u,
                 0.05 + 0.6 * ((customer_id * 7919) % 1000) / 1000.0 AS p
          FROM customers) c;
-- Donations in 6 yearly opportunities (BG/BB): each customer gives with a probability of its own
-- (u^2, u uniform) while alive, and stays alive a geometric number of years with a dropout
-- probability of its own (0.05 to 0.55); md5 of the customer id makes the draws.
CREATE TABLE donors AS
    SELECT customer_id, region, (count(*) FILTER (WHERE gave))::int AS frequency,
           coalesce(max(k) FILTER (WHERE gave), 0)::int AS recency, 6 AS n_periods
    FROM (SELECT customer_id, region, k, k <= lifetime
                 AND ('x' || substr(md5(customer_id || ':' || k), 1, 7))::bit(28)::int / 268435456.0 < p AS gave
          FROM (SELECT customer_id, region,
                       (('x' || substr(md5(customer_id || 'p'), 1, 7))::bit(28)::int / 268435456.0) ^ 2 AS p,
                       floor(ln((('x' || substr(md5(customer_id || 'u'), 1, 7))::bit(28)::int + 1) / 268435457.0)
                             / ln(0.95 - 0.5 * ('x' || substr(md5(customer_id || 't'), 1, 7))::bit(28)::int / 268435456.0)) AS lifetime
                FROM customers) c,
               generate_series(1, 6) AS k) s
    GROUP BY customer_id, region;
-- The control: a plain SQL aggregate (count and sum) with an int8[] state and a combine function.
CREATE FUNCTION count_sum_step(int8[], integer) RETURNS int8[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT CASE WHEN \$2 IS NULL THEN \$1 ELSE ARRAY[\$1[1] + 1, \$1[2] + \$2] END';
CREATE FUNCTION count_sum_combine(int8[], int8[]) RETURNS int8[] LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS 'SELECT ARRAY[\$1[1] + \$2[1], \$1[2] + \$2[2]]';
CREATE AGGREGATE count_sum(integer) (SFUNC = count_sum_step, STYPE = int8[],
    COMBINEFUNC = count_sum_combine, INITCOND = '{0,0}', PARALLEL = SAFE);
"
load() {
    "$1" -v rows="$ROWS" -f "$REPO_ROOT/scripts/sample_data.sql" >/dev/null
    "$1" -c "$derived"
}
load plain
load citus

# Distribute: every customer table by customer_id, colocated with customers (joins on customer_id
# stay on one worker), opportunities by opportunity_id, lead events by lead_id, stored summaries
# by their key, and teams
# as a reference table (a copy on every node). Citus wants every primary key of a distributed
# table to include the distribution column, so those of orders, survey_responses and tickets
# become (customer_id, id). The foreign key of tickets to teams is added again once both are
# distributed (Citus does not convert a local table that references a reference table while
# it also references a distributed one).
citus -At >/dev/null <<'SQL'
SET citus.shard_count = 4;
SET client_min_messages = warning;
ALTER TABLE tickets DROP CONSTRAINT tickets_team_id_fkey;
ALTER TABLE orders DROP CONSTRAINT orders_pkey, ADD PRIMARY KEY (customer_id, order_id);
ALTER TABLE survey_responses DROP CONSTRAINT survey_responses_pkey,
    ADD PRIMARY KEY (customer_id, response_id);
ALTER TABLE tickets DROP CONSTRAINT tickets_pkey, ADD PRIMARY KEY (customer_id, ticket_id);
SELECT create_distributed_table('customers', 'customer_id');
SELECT create_reference_table('teams');
SELECT create_distributed_table('orders', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('subscriptions_mrr', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('survey_responses', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('shop_orders', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('tickets', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('survey_summaries', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('customer_summaries', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('cohort_summaries', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('mrr_summaries', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('service_summaries', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('survival_summaries', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('customer_rfm', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('renewals', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('donors', 'customer_id', colocate_with => 'customers');
SELECT create_distributed_table('opportunities', 'opportunity_id');
SELECT create_distributed_table('pipeline_summaries', 'opportunity_id', colocate_with => 'opportunities');
SELECT create_distributed_table('lead_events', 'lead_id');
SELECT create_distributed_table('funnel_summaries', 'lead_id', colocate_with => 'lead_events');
ALTER TABLE tickets ADD FOREIGN KEY (team_id) REFERENCES teams;
SQL

# The distributed tables hold the rows of the plain ones: per table, the row count and an
# order-free hash of the rows, which must match and not be empty.
tables=$(citus -At -c "SELECT logicalrelid::text FROM pg_dist_partition ORDER BY 1")
differ=""
for table in $tables; do
    fingerprint="SELECT count(*) || ':' || sum(hashtext(r::text)::numeric) FROM $table r"
    rows_here=$(citus -At -c "$fingerprint")
    if [ "$rows_here" != "$(plain -At -c "$fingerprint")" ] || [ "${rows_here%%:*}" -eq 0 ]; then
        differ="$differ $table"
    fi
done
if [ -z "$differ" ]; then
    check "the $(wc -w <<<"$tables") distributed tables hold the rows of the plain database" true
else
    check "the distributed tables hold the rows of the plain database; differing:$differ" false
fi

# Cases: NAME | SIGNATURE (regprocedure) | QUERY (grouped by a column that is not the
# distribution column of its table; the aggregate is the only one in the query).
cases=(
    "control: plain SQL aggregate, int8[] state|count_sum(integer)|SELECT channel, count_sum(nps_score) FROM survey_responses GROUP BY channel"
    # --- survey ---
    "nps|crm.nps(integer)|SELECT channel, crm.nps(nps_score) FROM survey_responses GROUP BY channel"
    "nps_agg|crm.nps_agg(integer)|SELECT channel, crm.nps_agg(nps_score) FROM survey_responses GROUP BY channel"
    "csat|crm.csat(integer)|SELECT channel, crm.csat(csat_score) FROM survey_responses GROUP BY channel"
    "csat (satisfied_from)|crm.csat(integer,integer)|SELECT channel, crm.csat(csat_score, 5) FROM survey_responses GROUP BY channel"
    "rollup(nps_summary)|crm.rollup(crm.nps_summary)|SELECT channel, crm.rollup(summary) FROM survey_summaries GROUP BY channel"
    # --- customers ---
    "retention_rate|crm.retention_rate(timestamptz,timestamptz,timestamptz,timestamptz)|SELECT segment, crm.retention_rate(started_at, ended_at, '2025-01-01', '2026-01-01') FROM customers GROUP BY segment"
    "churn_rate|crm.churn_rate(timestamptz,timestamptz,timestamptz,timestamptz)|SELECT segment, crm.churn_rate(started_at, ended_at, '2025-01-01', '2026-01-01') FROM customers GROUP BY segment"
    "churn_rate (denominator)|crm.churn_rate(timestamptz,timestamptz,timestamptz,timestamptz,text)|SELECT segment, crm.churn_rate(started_at, ended_at, '2025-01-01', '2026-01-01', 'average') FROM customers GROUP BY segment"
    "customer_agg|crm.customer_agg(timestamptz,timestamptz)|SELECT region, crm.customer_agg(started_at, ended_at) FROM customers GROUP BY region"
    "rollup(customer_summary)|crm.rollup(crm.customer_summary)|SELECT segment, crm.rollup(summary) FROM customer_summaries GROUP BY segment"
    # --- cohorts ---
    "cohort_agg|crm.cohort_agg(bigint,timestamptz,text)|SELECT date_part('year', ordered_at) AS year, crm.cohort_agg(customer_id, ordered_at, 'month') FROM orders GROUP BY 1"
    "cohort_agg (time zone)|crm.cohort_agg(bigint,timestamptz,text,text)|SELECT date_part('year', ordered_at) AS year, crm.cohort_agg(customer_id, ordered_at, 'week', 'Europe/Berlin') FROM orders GROUP BY 1"
    "cohort_agg (text id)|crm.cohort_agg(text,timestamptz,text)|SELECT date_part('year', ordered_at) AS year, crm.cohort_agg('c' || customer_id, ordered_at, 'quarter') FROM orders GROUP BY 1"
    "cohort_agg (text id, time zone)|crm.cohort_agg(text,timestamptz,text,text)|SELECT date_part('year', ordered_at) AS year, crm.cohort_agg('c' || customer_id, ordered_at, 'month', 'America/New_York') FROM orders GROUP BY 1"
    "cohort_agg (uuid id)|crm.cohort_agg(uuid,timestamptz,text)|SELECT date_part('year', ordered_at) AS year, crm.cohort_agg(md5(customer_id::text)::uuid, ordered_at, 'month') FROM orders GROUP BY 1"
    "cohort_agg (uuid id, time zone)|crm.cohort_agg(uuid,timestamptz,text,text)|SELECT date_part('year', ordered_at) AS year, crm.cohort_agg(md5(customer_id::text)::uuid, ordered_at, 'day', 'Asia/Tokyo') FROM orders GROUP BY 1"
    "rollup(cohort_summary)|crm.rollup(crm.cohort_summary)|SELECT year, crm.rollup(summary) FROM cohort_summaries GROUP BY year"
    # --- pipeline and ratios ---
    "pipeline_agg|crm.pipeline_agg(numeric,timestamptz,timestamptz,boolean)|SELECT stage, crm.pipeline_agg(amount, created_at, closed_at, won) FROM opportunities GROUP BY stage"
    "pipeline_velocity|crm.pipeline_velocity(numeric,timestamptz,timestamptz,boolean)|SELECT owner, crm.pipeline_velocity(amount, created_at, closed_at, won) FROM opportunities GROUP BY owner"
    "rollup(pipeline_summary)|crm.rollup(crm.pipeline_summary)|SELECT owner, crm.rollup(summary) FROM pipeline_summaries GROUP BY owner"
    "win_rate|crm.win_rate(boolean)|SELECT owner, crm.win_rate(won) FROM opportunities GROUP BY owner"
    "renewal_rate|crm.renewal_rate(boolean)|SELECT region, crm.renewal_rate(ended_at IS NULL) FROM customers GROUP BY region"
    "conversion_rate|crm.conversion_rate(boolean)|SELECT stage, crm.conversion_rate(won) FROM opportunities GROUP BY stage"
    # --- revenue ---
    "mrr_agg|crm.mrr_agg(bigint,date,numeric)|SELECT date_part('year', month) AS year, crm.mrr_agg(customer_id, month, mrr) FROM subscriptions_mrr GROUP BY 1"
    "mrr_agg (text id)|crm.mrr_agg(text,date,numeric)|SELECT date_part('year', month) AS year, crm.mrr_agg('c' || customer_id, month, mrr) FROM subscriptions_mrr GROUP BY 1"
    "mrr_agg (uuid id)|crm.mrr_agg(uuid,date,numeric)|SELECT date_part('year', month) AS year, crm.mrr_agg(md5(customer_id::text)::uuid, month, mrr) FROM subscriptions_mrr GROUP BY 1"
    "rollup(mrr_summary)|crm.rollup(crm.mrr_summary)|SELECT year, crm.rollup(summary) FROM mrr_summaries GROUP BY year"
    # --- funnels (lead_events are distributed by lead_id, grouped by owner or source) ---
    "window_funnel|crm.window_funnel(timestamptz,integer,interval)|SELECT owner, crm.window_funnel(occurred_at, step, '30 days') FROM lead_events GROUP BY owner"
    "window_funnel (mode)|crm.window_funnel(timestamptz,integer,interval,text)|SELECT owner, crm.window_funnel(occurred_at, step, '90 days', 'strict_order') FROM lead_events GROUP BY owner"
    "funnel_agg|crm.funnel_agg(bigint,timestamptz,integer,interval)|SELECT source, crm.funnel_agg(lead_id, occurred_at, step, '30 days') FROM lead_events GROUP BY source"
    "funnel_agg (mode)|crm.funnel_agg(bigint,timestamptz,integer,interval,text)|SELECT source, crm.funnel_agg(lead_id, occurred_at, step, '90 days', 'strict_deduplication') FROM lead_events GROUP BY source"
    "funnel_agg (text id)|crm.funnel_agg(text,timestamptz,integer,interval)|SELECT source, crm.funnel_agg('l' || lead_id, occurred_at, step, '30 days') FROM lead_events GROUP BY source"
    "funnel_agg (text id, mode)|crm.funnel_agg(text,timestamptz,integer,interval,text)|SELECT source, crm.funnel_agg('l' || lead_id, occurred_at, step, '90 days', 'strict_increase') FROM lead_events GROUP BY source"
    "funnel_agg (uuid id)|crm.funnel_agg(uuid,timestamptz,integer,interval)|SELECT source, crm.funnel_agg(md5(lead_id::text)::uuid, occurred_at, step, '30 days') FROM lead_events GROUP BY source"
    "funnel_agg (uuid id, mode)|crm.funnel_agg(uuid,timestamptz,integer,interval,text)|SELECT source, crm.funnel_agg(md5(lead_id::text)::uuid, occurred_at, step, '90 days', 'strict_order') FROM lead_events GROUP BY source"
    "rollup(funnel_summary)|crm.rollup(crm.funnel_summary)|SELECT source, crm.rollup(summary) FROM funnel_summaries GROUP BY source"
    # --- service (tickets are distributed by customer_id, grouped by team) ---
    "service_agg|crm.service_agg(timestamptz,timestamptz,timestamptz,integer,boolean)|SELECT team_id, crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened) FROM tickets GROUP BY team_id"
    "service_agg (calendar)|crm.service_agg(timestamptz,timestamptz,timestamptz,integer,boolean,crm.business_calendar)|SELECT team_id, crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, crm.business_calendar('Mon-Fri 09:00-17:00', 'Europe/Berlin')) FROM tickets GROUP BY team_id"
    "rollup(service_summary)|crm.rollup(crm.service_summary)|SELECT team_id, crm.rollup(summary) FROM service_summaries GROUP BY team_id"
    "sla_attainment|crm.sla_attainment(timestamptz,timestamptz,interval)|SELECT team_id, crm.sla_attainment(created_at, first_response_at, '4 hours') FROM tickets GROUP BY team_id"
    "sla_attainment (calendar)|crm.sla_attainment(timestamptz,timestamptz,interval,crm.business_calendar)|SELECT team_id, crm.sla_attainment(created_at, first_response_at, '4 hours', crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York')) FROM tickets GROUP BY team_id"
    "service_agg (as of)|crm.service_agg(timestamptz,timestamptz,timestamptz,integer,boolean,crm.business_calendar,timestamptz)|SELECT team_id, crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, crm.business_calendar('Mon-Fri 09:00-17:00', 'Europe/Berlin'), '2026-01-01') FROM tickets GROUP BY team_id"
    "sla_attainment (as of)|crm.sla_attainment(timestamptz,timestamptz,interval,crm.business_calendar,timestamptz)|SELECT team_id, crm.sla_attainment(created_at, first_response_at, '4 hours', crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York'), '2026-01-01') FROM tickets GROUP BY team_id"
    "fcr_rate|crm.fcr_rate(integer,boolean,boolean)|SELECT team_id, crm.fcr_rate(agent_replies, reopened, resolved_at IS NOT NULL) FROM tickets GROUP BY team_id"
    # --- survival ---
    "survival_agg|crm.survival_agg(timestamptz,timestamptz,timestamptz)|SELECT segment, crm.survival_agg(started_at, ended_at, '2026-01-01') FROM customers GROUP BY segment"
    "survival_agg (duration)|crm.survival_agg(interval,boolean)|SELECT team_id, crm.survival_agg(coalesce(resolved_at, '2026-01-01') - created_at, resolved_at IS NOT NULL) FROM tickets GROUP BY team_id"
    "rollup(survival_summary)|crm.rollup(crm.survival_summary)|SELECT segment, crm.rollup(summary) FROM survival_summaries GROUP BY segment"
    # --- customer lifetime value ---
    "rfm_agg|crm.rfm_agg(timestamptz,numeric,timestamptz,text)|SELECT date_part('year', ordered_at) AS year, crm.rfm_agg(ordered_at, amount, '2026-01-01', 'week') FROM shop_orders GROUP BY 1"
    "rfm_holdout_agg|crm.rfm_holdout_agg(timestamptz,numeric,timestamptz,timestamptz,text)|SELECT date_part('year', ordered_at) AS year, crm.rfm_holdout_agg(ordered_at, amount, '2025-07-01', '2026-01-01', 'week') FROM shop_orders GROUP BY 1"
    "bgnbd_fit|crm.bgnbd_fit(integer,double precision,double precision)|SELECT segment, crm.bgnbd_fit(frequency, recency, t) FROM customer_rfm GROUP BY segment"
    "bgnbd_fit (weight)|crm.bgnbd_fit(integer,double precision,double precision,bigint)|SELECT segment, crm.bgnbd_fit(frequency, recency, t, 1 + customer_id % 3) FROM customer_rfm GROUP BY segment"
    "bgnbd_fit (purchases, bigint)|crm.bgnbd_fit(bigint,timestamp with time zone,timestamp with time zone,text)|SELECT c.segment, crm.bgnbd_fit(o.customer_id::bigint, o.ordered_at, '2026-01-01', 'week') FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "bgnbd_fit (purchases, text)|crm.bgnbd_fit(text,timestamp with time zone,timestamp with time zone,text)|SELECT c.segment, crm.bgnbd_fit(o.customer_id::text, o.ordered_at, '2026-01-01', 'week') FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "bgnbd_fit (purchases, uuid)|crm.bgnbd_fit(uuid,timestamp with time zone,timestamp with time zone,text)|SELECT c.segment, crm.bgnbd_fit(md5(o.customer_id::text)::uuid, o.ordered_at, '2026-01-01', 'week') FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "gamma_gamma_fit|crm.gamma_gamma_fit(integer,numeric)|SELECT segment, crm.gamma_gamma_fit(frequency, monetary_value) FROM customer_rfm GROUP BY segment"
    "sbg_fit|crm.sbg_fit(integer,boolean)|SELECT region, crm.sbg_fit(renewals, churned) FROM renewals GROUP BY region"
    "sbg_fit (weight)|crm.sbg_fit(integer,boolean,bigint)|SELECT region, crm.sbg_fit(renewals, churned, 1 + customer_id % 2) FROM renewals GROUP BY region"
    "bgnbd_fit (integer weight)|crm.bgnbd_fit(integer,double precision,double precision,integer)|SELECT segment, crm.bgnbd_fit(frequency, recency, t, (1 + customer_id % 3)::integer) FROM customer_rfm GROUP BY segment"
    "bgnbd_fit (penalizer)|crm.bgnbd_fit(integer,double precision,double precision,double precision)|SELECT segment, crm.bgnbd_fit(frequency, recency, t, 0.01::float8) FROM customer_rfm GROUP BY segment"
    "bgnbd_fit (weight, penalizer)|crm.bgnbd_fit(integer,double precision,double precision,bigint,double precision)|SELECT segment, crm.bgnbd_fit(frequency, recency, t, 1 + customer_id % 3, 0.01) FROM customer_rfm GROUP BY segment"
    "bgnbd_fit (purchases, bigint, penalizer)|crm.bgnbd_fit(bigint,timestamp with time zone,timestamp with time zone,text,double precision)|SELECT c.segment, crm.bgnbd_fit(o.customer_id::bigint, o.ordered_at, '2026-01-01', 'week', 0.01) FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "bgnbd_fit (purchases, text, penalizer)|crm.bgnbd_fit(text,timestamp with time zone,timestamp with time zone,text,double precision)|SELECT c.segment, crm.bgnbd_fit(o.customer_id::text, o.ordered_at, '2026-01-01', 'week', 0.01) FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "bgnbd_fit (purchases, uuid, penalizer)|crm.bgnbd_fit(uuid,timestamp with time zone,timestamp with time zone,text,double precision)|SELECT c.segment, crm.bgnbd_fit(md5(o.customer_id::text)::uuid, o.ordered_at, '2026-01-01', 'week', 0.01) FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "mbg_nbd_fit|crm.mbg_nbd_fit(integer,double precision,double precision)|SELECT count(*) > 0 AS any_rows, crm.mbg_nbd_fit(frequency, recency, t) FROM customer_rfm"
    "mbg_nbd_fit (weight)|crm.mbg_nbd_fit(integer,double precision,double precision,bigint)|SELECT count(*) > 0 AS any_rows, crm.mbg_nbd_fit(frequency, recency, t, 1 + customer_id % 3) FROM customer_rfm"
    "mbg_nbd_fit (purchases, bigint)|crm.mbg_nbd_fit(bigint,timestamp with time zone,timestamp with time zone,text)|SELECT count(*) > 0 AS any_rows, crm.mbg_nbd_fit(o.customer_id::bigint, o.ordered_at, '2026-01-01', 'week') FROM shop_orders o"
    "mbg_nbd_fit (purchases, text)|crm.mbg_nbd_fit(text,timestamp with time zone,timestamp with time zone,text)|SELECT count(*) > 0 AS any_rows, crm.mbg_nbd_fit(o.customer_id::text, o.ordered_at, '2026-01-01', 'week') FROM shop_orders o"
    "mbg_nbd_fit (purchases, uuid)|crm.mbg_nbd_fit(uuid,timestamp with time zone,timestamp with time zone,text)|SELECT count(*) > 0 AS any_rows, crm.mbg_nbd_fit(md5(o.customer_id::text)::uuid, o.ordered_at, '2026-01-01', 'week') FROM shop_orders o"
    "mbg_nbd_fit (integer weight)|crm.mbg_nbd_fit(integer,double precision,double precision,integer)|SELECT count(*) > 0 AS any_rows, crm.mbg_nbd_fit(frequency, recency, t, (1 + customer_id % 3)::integer) FROM customer_rfm"
    "mbg_nbd_fit (penalizer)|crm.mbg_nbd_fit(integer,double precision,double precision,double precision)|SELECT segment, crm.mbg_nbd_fit(frequency, recency, t, 0.01::float8) FROM customer_rfm GROUP BY segment"
    "mbg_nbd_fit (weight, penalizer)|crm.mbg_nbd_fit(integer,double precision,double precision,bigint,double precision)|SELECT segment, crm.mbg_nbd_fit(frequency, recency, t, 1 + customer_id % 3, 0.01) FROM customer_rfm GROUP BY segment"
    "mbg_nbd_fit (purchases, bigint, penalizer)|crm.mbg_nbd_fit(bigint,timestamp with time zone,timestamp with time zone,text,double precision)|SELECT c.segment, crm.mbg_nbd_fit(o.customer_id::bigint, o.ordered_at, '2026-01-01', 'week', 0.01) FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "mbg_nbd_fit (purchases, text, penalizer)|crm.mbg_nbd_fit(text,timestamp with time zone,timestamp with time zone,text,double precision)|SELECT c.segment, crm.mbg_nbd_fit(o.customer_id::text, o.ordered_at, '2026-01-01', 'week', 0.01) FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "mbg_nbd_fit (purchases, uuid, penalizer)|crm.mbg_nbd_fit(uuid,timestamp with time zone,timestamp with time zone,text,double precision)|SELECT c.segment, crm.mbg_nbd_fit(md5(o.customer_id::text)::uuid, o.ordered_at, '2026-01-01', 'week', 0.01) FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "pareto_nbd_fit|crm.pareto_nbd_fit(integer,double precision,double precision)|SELECT segment, crm.pareto_nbd_fit(frequency, recency, t) FROM customer_rfm GROUP BY segment"
    "pareto_nbd_fit (weight)|crm.pareto_nbd_fit(integer,double precision,double precision,bigint)|SELECT segment, crm.pareto_nbd_fit(frequency, recency, t, 1 + customer_id % 3) FROM customer_rfm GROUP BY segment"
    "pareto_nbd_fit (purchases, bigint)|crm.pareto_nbd_fit(bigint,timestamp with time zone,timestamp with time zone,text)|SELECT c.segment, crm.pareto_nbd_fit(o.customer_id::bigint, o.ordered_at, '2026-01-01', 'week') FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "pareto_nbd_fit (purchases, text)|crm.pareto_nbd_fit(text,timestamp with time zone,timestamp with time zone,text)|SELECT c.segment, crm.pareto_nbd_fit(o.customer_id::text, o.ordered_at, '2026-01-01', 'week') FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "pareto_nbd_fit (purchases, uuid)|crm.pareto_nbd_fit(uuid,timestamp with time zone,timestamp with time zone,text)|SELECT c.segment, crm.pareto_nbd_fit(md5(o.customer_id::text)::uuid, o.ordered_at, '2026-01-01', 'week') FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "pareto_nbd_fit (integer weight)|crm.pareto_nbd_fit(integer,double precision,double precision,integer)|SELECT segment, crm.pareto_nbd_fit(frequency, recency, t, (1 + customer_id % 3)::integer) FROM customer_rfm GROUP BY segment"
    "pareto_nbd_fit (penalizer)|crm.pareto_nbd_fit(integer,double precision,double precision,double precision)|SELECT segment, crm.pareto_nbd_fit(frequency, recency, t, 0.01::float8) FROM customer_rfm GROUP BY segment"
    "pareto_nbd_fit (weight, penalizer)|crm.pareto_nbd_fit(integer,double precision,double precision,bigint,double precision)|SELECT segment, crm.pareto_nbd_fit(frequency, recency, t, 1 + customer_id % 3, 0.01) FROM customer_rfm GROUP BY segment"
    "pareto_nbd_fit (purchases, bigint, penalizer)|crm.pareto_nbd_fit(bigint,timestamp with time zone,timestamp with time zone,text,double precision)|SELECT c.segment, crm.pareto_nbd_fit(o.customer_id::bigint, o.ordered_at, '2026-01-01', 'week', 0.01) FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "pareto_nbd_fit (purchases, text, penalizer)|crm.pareto_nbd_fit(text,timestamp with time zone,timestamp with time zone,text,double precision)|SELECT c.segment, crm.pareto_nbd_fit(o.customer_id::text, o.ordered_at, '2026-01-01', 'week', 0.01) FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "pareto_nbd_fit (purchases, uuid, penalizer)|crm.pareto_nbd_fit(uuid,timestamp with time zone,timestamp with time zone,text,double precision)|SELECT c.segment, crm.pareto_nbd_fit(md5(o.customer_id::text)::uuid, o.ordered_at, '2026-01-01', 'week', 0.01) FROM shop_orders o JOIN customers c USING (customer_id) GROUP BY c.segment"
    "gamma_gamma_fit (penalizer)|crm.gamma_gamma_fit(integer,numeric,double precision)|SELECT segment, crm.gamma_gamma_fit(frequency, monetary_value, 0.01) FROM customer_rfm GROUP BY segment"
    "sbg_fit (integer weight)|crm.sbg_fit(integer,boolean,integer)|SELECT region, crm.sbg_fit(renewals, churned, (1 + customer_id % 2)::integer) FROM renewals GROUP BY region"
    "sbg_fit (penalizer)|crm.sbg_fit(integer,boolean,double precision)|SELECT region, crm.sbg_fit(renewals, churned, 0.01::float8) FROM renewals GROUP BY region"
    "sbg_fit (weight, penalizer)|crm.sbg_fit(integer,boolean,bigint,double precision)|SELECT region, crm.sbg_fit(renewals, churned, 1 + customer_id % 2, 0.01) FROM renewals GROUP BY region"
    "bgbb_fit|crm.bgbb_fit(integer,integer,integer)|SELECT region, crm.bgbb_fit(frequency, recency, n_periods) FROM donors GROUP BY region"
    "bgbb_fit (weight)|crm.bgbb_fit(integer,integer,integer,bigint)|SELECT region, crm.bgbb_fit(frequency, recency, n_periods, 1 + customer_id % 2) FROM donors GROUP BY region"
    "bgbb_fit (integer weight)|crm.bgbb_fit(integer,integer,integer,integer)|SELECT region, crm.bgbb_fit(frequency, recency, n_periods, (1 + customer_id % 2)::integer) FROM donors GROUP BY region"
    "bgbb_fit (penalizer)|crm.bgbb_fit(integer,integer,integer,double precision)|SELECT region, crm.bgbb_fit(frequency, recency, n_periods, 0.01::float8) FROM donors GROUP BY region"
    "bgbb_fit (weight, penalizer)|crm.bgbb_fit(integer,integer,integer,bigint,double precision)|SELECT region, crm.bgbb_fit(frequency, recency, n_periods, 1 + customer_id % 2, 0.01) FROM donors GROUP BY region"
)

# Every crm aggregate of the catalog has a case.
covered=()
for case in "${cases[@]}"; do
    rest=${case#*|}
    covered+=("${rest%%|*}")
done
missing=$(citus -At -c "SELECT string_agg(a.aggfnoid::regprocedure::text, E'\n' ORDER BY 1)
    FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
    WHERE p.pronamespace = 'crm'::regnamespace
      AND a.aggfnoid NOT IN (SELECT s::regprocedure
                             FROM unnest(string_to_array('$(IFS='#'; echo "${covered[*]}")', '#')) s)") \
    || missing="(the catalog query failed)"
if [ -z "$missing" ]; then check "every crm aggregate of the catalog has a case" true; else
    check "every crm aggregate of the catalog has a case; missing: $(tr '\n' ' ' <<<"$missing")" false; fi

# ordered QUERY: the query (one row per group key) in the order of its group key.
ordered() { printf 'SELECT * FROM (%s) q ORDER BY 1' "$1"; }
for case in "${cases[@]}"; do
    name=${case%%|*}
    rest=${case#*|}
    signature=${rest%%|*}
    query=${rest#*|}
    distributed="" single=""
    pseudo=$(citus -At -c "SELECT t.typtype = 'p' FROM pg_aggregate a JOIN pg_type t ON t.oid = a.aggtranstype
                           WHERE a.aggfnoid = '$signature'::regprocedure") || pseudo=error
    if [ "$pseudo" != t ] && [ "$pseudo" != f ]; then
        check "$name: $signature is an aggregate" false
        continue
    fi
    # (a) the answers equal single-node Postgres (and are not all NULL).
    if distributed=$(citus -At -c "$(ordered "$query")" 2>&1) && single=$(plain -At -c "$(ordered "$query")" 2>&1) \
        && [ "$distributed" = "$single" ] && grep -q '|.' <<<"$single"; then
        check "$name: answers equal single-node Postgres ($(wc -l <<<"$single") groups)" true
    else
        check "$name: answers equal single-node Postgres" false
        diff <(echo "${single:-}") <(echo "${distributed:-}") | head -n 10 || true
    fi
    # (b) pushed down: worker_partial_agg of this aggregate in the query sent to the workers.
    plan=$(citus -At -c "EXPLAIN (VERBOSE, COSTS OFF) $query" 2>&1) || true
    aggregate=${signature%%(*}
    if grep -qE "Query: SELECT .*worker_partial_agg\('(public\.)?${aggregate//./\\.}\(" <<<"$plan"; then
        pushed=true
    else
        pushed=false
    fi
    if [ "$pseudo" = f ]; then
        check "$name: pushed down (worker_partial_agg in the worker query)" "$pushed"
        if [ "$pushed" = false ]; then echo "$plan"; fi
    elif [ "$pushed" = false ]; then
        internal=$((internal + 1))
        echo "NOT PUSHED DOWN (internal state): $signature"
    else
        check "$name: an internal state cannot be pushed down, yet the plan shows worker_partial_agg" false
        echo "$plan"
    fi
done
[ "$failed" -eq 0 ]
