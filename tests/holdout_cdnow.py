#!/usr/bin/env python3
"""crm.rfm_holdout_agg against lifetimes' calibration_and_holdout_data on the CDNOW master file
(69,659 purchases by 23,570 customers; fixtures in tests/fixtures/holdout, see its generate.py):
calibration to 1997-09-30, holdout to 1998-06-30, in days. Checks every customer's row, the
totals lifetimes reports, and that a parallel plan (partial states combined) gives the same.

    tests/holdout_cdnow.py --host H --port P [--counts FILE]
"""
import argparse
import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crm_queries import ROOT, psql, write_counts  # noqa: E402

DATABASE = "crm_holdout"
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "holdout")
PARALLEL = ("SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; "
            "SET max_parallel_workers_per_gather = 2; SET parallel_leader_participation = off; "
            "SET enable_hashagg = off;")
OURS = """SELECT customer_id, crm.rfm_holdout_agg(ordered_at, amount, '1997-09-30 00:00+00',
    '1998-06-30 00:00+00', 'day') AS r FROM cdnow_master GROUP BY customer_id"""


def quote(sql):
    return "'" + sql.replace("'", "''") + "'"


def load_sql():
    with gzip.open(os.path.join(FIXTURES, "CDNOW_master.txt.gz"), "rt") as source:
        purchases = [line.split() for line in source.read().splitlines()[1:] if line.strip()]
    with gzip.open(os.path.join(FIXTURES, "cdnow_holdout.csv.gz"), "rt") as source:
        expected = source.read().splitlines()[1:]
    parts = ["CREATE EXTENSION crm_metrics;",
             "CREATE TABLE cdnow_master (customer_id bigint, ordered_at timestamptz, amount numeric);",
             "COPY cdnow_master FROM STDIN;"]
    parts += [f"{int(c)}\t{d[:4]}-{d[4:6]}-{d[6:]} 00:00+00\t{amount}" for c, d, _, amount in purchases]
    parts += ["\\.",
              "CREATE TABLE lifetimes (customer_id bigint, frequency_cal float8, recency_cal float8, "
              "t_cal float8, monetary_value_cal float8, frequency_holdout float8, "
              "monetary_value_holdout float8, duration_holdout float8);",
              "COPY lifetimes FROM STDIN (FORMAT csv);"]
    parts += expected
    parts += ["\\.", "ANALYZE cdnow_master;"]
    return "\n".join(parts) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--counts", default=os.path.join(ROOT, ".run", "holdout-cdnow.counts"))
    args = parser.parse_args()
    passed = failed = 0

    def check(name, sql, expected, settings=""):
        nonlocal passed, failed
        ok, out, err = psql(args.host, args.port, f"{settings}\n\\pset format unaligned\n\\pset tuples_only on\n{sql}", DATABASE)
        found = out.strip() if ok else f"ERROR {err.strip()}"
        if found == expected:
            passed += 1
            print(f"ok   {name}: {found}")
        else:
            failed += 1
            print(f"FAIL {name}: got {found!r}, expected {expected!r}")

    for statement in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
        ok, _, err = psql(args.host, args.port, statement, "postgres")
        if not ok:
            raise SystemExit(err)
    ok, _, err = psql(args.host, args.port, load_sql(), DATABASE)
    if not ok:
        raise SystemExit(err)

    check("purchases loaded", "SELECT count(*) FROM cdnow_master", "69659")
    # Customers in the calibration data and holdout repeat purchases, as lifetimes reports them.
    totals = f"SELECT count(r), sum((r).frequency_holdout) FROM ({OURS}) s"
    check("customers and holdout purchase days", totals, "23570|19684")
    # Every customer's row: counts and whole days exact, mean amounts within float rounding.
    mismatches = f"""WITH ours AS (SELECT customer_id, (r).* FROM ({OURS}) s WHERE r IS NOT NULL)
        SELECT count(*) FROM ours FULL JOIN lifetimes l USING (customer_id)
        WHERE ours.frequency_cal IS DISTINCT FROM l.frequency_cal
           OR ours.recency_cal IS DISTINCT FROM l.recency_cal OR ours.t_cal IS DISTINCT FROM l.t_cal
           OR ours.frequency_holdout IS DISTINCT FROM l.frequency_holdout
           OR ours.duration_holdout IS DISTINCT FROM l.duration_holdout
           OR NOT abs(ours.monetary_value_cal - l.monetary_value_cal::numeric) <= 1e-9
           OR NOT abs(ours.monetary_value_holdout - l.monetary_value_holdout::numeric) <= 1e-9"""
    check("customers differing from lifetimes", mismatches, "0")
    # A parallel plan (partial aggregation in workers, states combined) gives the same rows.
    same = f"""SELECT count(*) FROM (SELECT customer_id, r::text FROM ({OURS}) s
        EXCEPT SELECT customer_id, r::text FROM ours_serial) d"""
    setup = f"CREATE TEMP TABLE ours_serial AS {OURS};\n{PARALLEL}\nALTER TABLE cdnow_master SET (parallel_workers = 2);"
    check("a parallel plan gives the same rows", same, "0", settings=setup)
    plan = f"SELECT count(*) FROM pg_temp.plan_lines() WHERE line ~ 'Partial GroupAggregate'"
    explain = (f"{PARALLEL}\nALTER TABLE cdnow_master SET (parallel_workers = 2);\n"
               "CREATE FUNCTION pg_temp.plan_lines() RETURNS TABLE (line text) LANGUAGE plpgsql AS $f$ BEGIN "
               f"RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || {quote(OURS)}; END $f$;")
    check("that plan aggregates partially in the workers", plan, "1", settings=explain)

    write_counts(args.counts, passed, failed)
    print(f"holdout on CDNOW: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
