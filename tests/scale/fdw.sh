#!/usr/bin/env bash
# postgres_fdw shards: two shard clusters and a coordinator on free local ports, the events of
# three months split over the shards as foreign partitions of one partitioned table on the
# coordinator (server option `extensions 'crm_metrics'`). For a representative aggregate of every
# family it checks that
#   - EXPLAIN VERBOSE of the query grouped by the partition key shows the crm. function in the
#     Remote SQL of the shards (the aggregate runs on the shards, only summaries travel),
#   - the answers grouped by month equal those of the same rows in one local table,
#   - the shard summaries rolled up on the coordinator equal the one-pass answer over all rows.
# Needs the extension installed (scripts/test installs it first). Usage: tests/scale/fdw.sh [--counts FILE]
# (FILE receives "passed failed"). Prints one line per check and "fdw: N passed, M failed".
source "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"

counts=""
if [ "${1:-}" = "--counts" ]; then counts=$2; fi

RUN_DIR="$(run_dir)/fdw"
mkdir -p "$RUN_DIR"
passed=0
failed=0
clusters=()
finish() {
    for dir in "${clusters[@]}"; do stop_cluster "$dir"; done
    echo "fdw: ${passed} passed, ${failed} failed"
    if [ -n "$counts" ]; then echo "$passed $failed" >"$counts"; fi
}
trap finish EXIT

# start NAME FIRST_PORT: a small cluster in $RUN_DIR/NAME on a free port from FIRST_PORT on; sets
# $port to the port it listens on (start_cluster moves on when a port cannot be bound yet; not in
# a subshell: the cluster must be in $clusters to be stopped on exit).
start() {
    local dir="$RUN_DIR/$1"
    port=$(free_port "$2")
    clusters+=("$dir")
    start_cluster "$dir" "$port" -c shared_buffers=32MB -c work_mem=16MB -c maintenance_work_mem=64MB \
        -c max_wal_size=256MB >/dev/null
    port=$PGPORT
}
start coordinator 54710
coordinator_port=$port
start shard1 $((coordinator_port + 1))
shard1_port=$port
start shard2 $((shard1_port + 1))
shard2_port=$port
on() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres -d postgres -p "$1" "${@:2}"; }

# Three months of rows with columns for every family; months 1 and 2 go to shard 1, month 3 to shard 2.
events() {
    cat <<SQL
SELECT m.month, (g % 500)::bigint AS customer_id,
       CASE WHEN g % 13 = 0 THEN NULL ELSE g % 11 END AS score,
       m.month::timestamptz + make_interval(days => g % 27, hours => g % 24) AS occurred_at,
       timestamptz '2023-06-01' + make_interval(days => g % 300) AS started_at,
       CASE WHEN g % 4 = 0 THEN timestamptz '2023-06-01' + make_interval(days => g % 300 + g % 200) END AS ended_at,
       CASE WHEN g % 9 = 0 THEN NULL ELSE round((g * 37 % 10000) / 7.0, 2) END AS amount,
       CASE WHEN g % 3 = 0 THEN m.month::timestamptz + make_interval(days => g % 27 + g % 40) END AS closed_at,
       CASE WHEN g % 3 = 0 THEN g % 2 = 0 END AS won,
       round((g * 13 % 900) / 3.0, 2) AS mrr,
       m.month::timestamptz + make_interval(days => g % 27, hours => g % 24, mins => g % 300) AS first_response_at,
       CASE WHEN g % 5 <> 0 THEN m.month::timestamptz + make_interval(days => g % 27, hours => g % 24, mins => g % 4000) END AS resolved_at,
       g % 4 AS replies, g % 17 = 0 AS reopened
FROM generate_series(1, 3000) g,
     LATERAL (SELECT (date '2024-01-01' + make_interval(months => g % 3))::date AS month) m
WHERE $1
SQL
}
for port in "$coordinator_port" "$shard1_port" "$shard2_port"; do
    on "$port" -c "CREATE EXTENSION crm_metrics"
done
on "$shard1_port" -c "CREATE TABLE events AS $(events "m.month < '2024-03-01'")"
on "$shard2_port" -c "CREATE TABLE events AS $(events "m.month >= '2024-03-01'")"
on "$coordinator_port" <<SQL
CREATE EXTENSION postgres_fdw;
CREATE TABLE events_local AS $(events true);
CREATE SERVER shard1 FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '127.0.0.1', port '$shard1_port', dbname 'postgres', extensions 'crm_metrics');
CREATE SERVER shard2 FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '127.0.0.1', port '$shard2_port', dbname 'postgres', extensions 'crm_metrics');
CREATE USER MAPPING FOR postgres SERVER shard1 OPTIONS (user 'postgres');
CREATE USER MAPPING FOR postgres SERVER shard2 OPTIONS (user 'postgres');
CREATE TABLE events (LIKE events_local) PARTITION BY RANGE (month);
CREATE FOREIGN TABLE events_shard1 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-03-01')
    SERVER shard1 OPTIONS (table_name 'events');
CREATE FOREIGN TABLE events_shard2 PARTITION OF events FOR VALUES FROM ('2024-03-01') TO ('2024-04-01')
    SERVER shard2 OPTIONS (table_name 'events');
SQL

check() {
    local name=$1 ok=$2
    if [ "$ok" = true ]; then
        passed=$((passed + 1)); echo "ok    fdw $name"
    else
        failed=$((failed + 1)); echo "FAIL  fdw $name"
    fi
}

families=(
    "nps_agg|crm.nps_agg(score)"
    "customer_agg|crm.customer_agg(started_at, ended_at)"
    "cohort_agg|crm.cohort_agg(customer_id, occurred_at, 'month')"
    "pipeline_agg|crm.pipeline_agg(amount, occurred_at, closed_at, won)"
    "mrr_agg|crm.mrr_agg(customer_id, month, mrr)"
    "service_agg|crm.service_agg(occurred_at, first_response_at, resolved_at, replies, reopened)"
)
settings="SET enable_partitionwise_aggregate = on;"
for family in "${families[@]}"; do
    name=${family%%|*}
    call=${family#*|}
    plan=$(on "$coordinator_port" -At -c "$settings EXPLAIN (VERBOSE, COSTS OFF)
        SELECT month, $call FROM events GROUP BY month")
    pushed=$(grep -c "Remote SQL: SELECT .*crm\.${name}(" <<<"$plan" || true)
    # postgres_fdw ships an aggregate with a collatable (text) input only when that input's
    # collation comes from a foreign column: cohort_agg's constant period 'month' keeps it on
    # the coordinator (right answer, raw rows fetched). Check that it stays there, so that a
    # change of this behaviour is noticed.
    if [ "$name" = cohort_agg ]; then expected=0; what="aggregates on the coordinator (text argument)"
    else expected=2; what="both shards aggregate (Remote SQL)"; fi
    if [ "$pushed" -eq "$expected" ]; then check "$name: $what" true; else
        check "$name: $what" false; echo "$plan"; fi
    same=$(on "$coordinator_port" -At -c "$settings
        SELECT (SELECT string_agg(format('%s %s', month, s), E'\n' ORDER BY month)
                FROM (SELECT month, ($call)::text s FROM events GROUP BY month) t)
             = (SELECT string_agg(format('%s %s', month, s), E'\n' ORDER BY month)
                FROM (SELECT month, ($call)::text s FROM events_local GROUP BY month) t)")
    check "$name: per-month answers equal one local table" "$([ "$same" = t ] && echo true || echo false)"
    same=$(on "$coordinator_port" -At -c "$settings
        SELECT (SELECT crm.rollup(s)::text FROM (SELECT month, $call AS s FROM events GROUP BY month) t)
             = (SELECT ($call)::text FROM events_local)")
    check "$name: shard summaries roll up to the one-pass answer" "$([ "$same" = t ] && echo true || echo false)"
done
[ "$failed" -eq 0 ]
