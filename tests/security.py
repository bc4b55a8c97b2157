#!/usr/bin/env python3
"""Security tests of crm_metrics over every query of tests/metric_queries.sql.

    tests/security.py --host H --port P [--counts FILE]

Per query, three checks against the result the superuser gets:
  reader   a plain role granted only USAGE on schema crm (and SELECT on the sample tables) gets
           the same rows;
  hostile  with hostile same-named functions and operators in `public` and in a schema before
           pg_catalog on search_path (copies of the crm functions, of common built-ins such as
           sum, round, date_trunc, generate_series, current_setting (the default of
           crm.churn_series's time_zone calls it), and of the comparison and arithmetic
           operators, all raising "hijacked"), the query, stored in a view (which binds the
           query's own names when it is created), gets the same rows:
           nothing inside the extension resolves a name through search_path;
  rls      with row-level security on every sample table (the plain role sees about half the
           rows), the plain role gets exactly what the superuser gets over copies holding only
           those rows, also with a forced parallel plan.
Plus catalog checks: no extension function is SECURITY DEFINER; none is written in a language
that resolves names at run time without pinning its search_path; the plain role may execute every
extension function and use every extension type; the hostile objects do hijack unqualified
calls (so the hostile check can fail); row-level security changed at least one result.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crm_queries import ROOT, fresh_database, load_queries, psql, write_counts  # noqa: E402

READER = "crm_reader"
SECURE_DB = "crm_security"
HOSTILE_DB = "crm_hostile"
SCHEMA_DB = "crm_schema_owner"
HOSTILE_PATH = "-c search_path=evil,public,pg_catalog,crm"
PARALLEL = ("-c parallel_setup_cost=0 -c parallel_tuple_cost=0 -c min_parallel_table_scan_size=0 "
            "-c max_parallel_workers_per_gather=2")

BUILTINS = """sum count avg min max array_agg string_agg generate_series date_trunc date_part now
make_interval make_date make_timestamptz age abs round floor ceil ceiling sqrt power exp ln log
array_length cardinality unnest format concat lower upper length to_char to_timestamp timezone
isfinite width_bucket jsonb_build_object json_build_object to_jsonb row_number lag lead random
hashtext numeric int8 int4 float8 text date timestamptz interval justify_interval
current_setting set_config""".split()
OPERATORS = "= <> < <= > >= + - * / % || @> <@ && -> ->> ~~".split()


def text_array(items):
    return "ARRAY[" + ", ".join("'" + i.replace("'", "''") + "'" for i in items) + "]::text[]"


def hostile_objects(namespaces):
    """SQL creating, in schemas evil and public, a raising copy of every function named in
    BUILTINS (pg_catalog) or living in one of `namespaces`, and of every operator in OPERATORS."""
    return f"""
CREATE SCHEMA IF NOT EXISTS evil;
DO $hostile$
DECLARE
    target text; f record; op record; n integer := 0; body text;
BEGIN
    SET LOCAL search_path = pg_catalog;   -- format_type then qualifies every non-catalog type
    FOREACH target IN ARRAY ARRAY['evil', 'public'] LOOP
        FOR f IN
            SELECT p.proname, pg_get_function_identity_arguments(p.oid) AS args,
                   pg_get_function_result(p.oid) AS result
            FROM pg_proc p
            WHERE p.prokind IN ('f', 'a', 'w')
              AND ((p.pronamespace = 'pg_catalog'::regnamespace AND p.proname = ANY ({text_array(BUILTINS)}))
                   OR p.pronamespace::regnamespace::text = ANY ({text_array(namespaces)}))
              AND NOT EXISTS (SELECT FROM unnest(p.proargtypes::oid[] || p.prorettype) AS t(oid)
                              JOIN pg_type ty ON ty.oid = t.oid
                              WHERE ty.typtype = 'p' AND ty.typname NOT IN ('record', 'void'))
        LOOP
            body := format('BEGIN RAISE EXCEPTION USING MESSAGE = %L; END', 'hijacked: ' || f.proname);
            BEGIN
                EXECUTE format('CREATE FUNCTION %I.%I(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                               target, f.proname, f.args, f.result, body);
            EXCEPTION WHEN duplicate_function THEN NULL;
            END;
        END LOOP;
        FOR op IN
            SELECT o.oprname, o.oprleft, o.oprright, o.oprresult
            FROM pg_operator o
            WHERE o.oprname = ANY ({text_array(OPERATORS)})
              AND (o.oprnamespace = 'pg_catalog'::regnamespace
                   OR o.oprnamespace::regnamespace::text = ANY ({text_array(namespaces)}))
              AND NOT EXISTS (SELECT FROM unnest(ARRAY[o.oprleft, o.oprright, o.oprresult]) AS t(oid)
                              JOIN pg_type ty ON ty.oid = t.oid WHERE ty.typtype = 'p')
        LOOP
            n := n + 1;
            body := format('BEGIN RAISE EXCEPTION USING MESSAGE = %L; END', 'hijacked: operator ' || op.oprname);
            BEGIN
                IF op.oprleft = 0 THEN
                    EXECUTE format('CREATE FUNCTION %I.hostile_op_%s(%s) RETURNS %s LANGUAGE plpgsql AS %L',
                                   target, n, format_type(op.oprright, NULL), format_type(op.oprresult, NULL), body);
                    EXECUTE format('CREATE OPERATOR %I.%s (RIGHTARG = %s, FUNCTION = %I.hostile_op_%s)',
                                   target, op.oprname, format_type(op.oprright, NULL), target, n);
                ELSE
                    EXECUTE format('CREATE FUNCTION %I.hostile_op_%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS %L',
                                   target, n, format_type(op.oprleft, NULL), format_type(op.oprright, NULL),
                                   format_type(op.oprresult, NULL), body);
                    EXECUTE format('CREATE OPERATOR %I.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = %I.hostile_op_%s)',
                                   target, op.oprname, format_type(op.oprleft, NULL),
                                   format_type(op.oprright, NULL), target, n);
                END IF;
            EXCEPTION WHEN duplicate_function OR duplicate_object THEN NULL;
            END;
        END LOOP;
    END LOOP;
END
$hostile$;
"""


READER_GRANTS = f"""
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO {READER};
GRANT USAGE ON SCHEMA crm TO {READER};
GRANT SELECT ON ALL TABLES IN SCHEMA public TO {READER};
"""

# Row-level security on every sample table: the reader sees the rows whose first column hashes
# even; schema `filtered` holds copies with exactly those rows, for the reference result.
ROW_LEVEL_SECURITY = f"""
CREATE SCHEMA filtered;
DO $rls$
DECLARE t record;
BEGIN
    FOR t IN SELECT c.relname, a.attname
             FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = 1
             WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
    LOOP
        EXECUTE format('CREATE TABLE filtered.%I AS SELECT * FROM public.%I WHERE hashtext(%I::text) %% 2 = 0',
                       t.relname, t.relname, t.attname);
        EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t.relname);
        EXECUTE format('CREATE POLICY even_rows ON public.%I FOR SELECT TO {READER} USING (hashtext(%I::text) %% 2 = 0)',
                       t.relname, t.attname);
        EXECUTE format('ANALYZE public.%I', t.relname);
    END LOOP;
END
$rls$;
"""

CATALOG_CHECKS = [
    ("no extension function is SECURITY DEFINER", """
SELECT count(*) FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'crm_metrics') AND p.prosecdef"""),
    ("no function in schema crm or crm_internal is SECURITY DEFINER", """
SELECT count(*) FROM pg_proc WHERE pronamespace IN ('crm'::regnamespace, 'crm_internal'::regnamespace) AND prosecdef"""),
    # A SQL or PL/pgSQL body resolves its names at run time through the caller's search_path:
    # every extension function is C (argument defaults are parse trees bound at CREATE time),
    # or, if one is ever written in SQL, it must pin its search_path.
    ("every extension function is C, or pins its search_path", """
SELECT count(*) FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
JOIN pg_language l ON l.oid = p.prolang
WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'crm_metrics')
  AND p.prokind <> 'a' AND l.lanname NOT IN ('c', 'internal')
  AND NOT EXISTS (SELECT FROM unnest(p.proconfig) AS c(setting) WHERE c.setting LIKE 'search_path=%')"""),
    ("the plain role may execute every extension function", f"""
SELECT count(*) FROM pg_depend d JOIN pg_proc p ON p.oid = d.objid
WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'crm_metrics')
  AND NOT has_function_privilege('{READER}', p.oid, 'EXECUTE')"""),
    ("the plain role may use every extension type", f"""
SELECT count(*) FROM pg_depend d JOIN pg_type t ON t.oid = d.objid
WHERE d.classid = 'pg_type'::regclass AND d.deptype = 'e'
  AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'crm_metrics')
  AND NOT has_type_privilege('{READER}', t.oid, 'USAGE')"""),
]


class Counter:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAILED security: {name}\n{detail}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--counts", default=os.path.join(ROOT, ".run", "security.counts"))
    args = parser.parse_args()
    host, port = args.host, args.port
    queries = load_queries()
    counter = Counter()

    def run(sql, database, **kwargs):
        return psql(host, port, sql, database, **kwargs)

    # The reader role is cluster-wide: drop the databases that may hold its grants first.
    for statement in (f"DROP DATABASE IF EXISTS {SECURE_DB}", f"DROP DATABASE IF EXISTS {HOSTILE_DB}",
                      f"DROP DATABASE IF EXISTS {SCHEMA_DB}",
                      f"DROP ROLE IF EXISTS {READER}", f"CREATE ROLE {READER} LOGIN NOSUPERUSER NOINHERIT"):
        ok, _, err = run(statement, "postgres")
        if not ok:
            sys.exit(err)

    fresh_database(host, port, SECURE_DB)
    ok, _, err = run(READER_GRANTS, SECURE_DB)
    if not ok:
        sys.exit(err)

    baseline = {}
    for name, sql in queries:
        ok, out, err = run(sql + ";", SECURE_DB)
        counter.check(f"{name}: runs as the superuser", ok, err)
        baseline[name] = out if ok else None

    for label, sql in CATALOG_CHECKS:
        ok, out, err = run("\\pset tuples_only on\n" + sql + ";", SECURE_DB)
        counter.check(label, ok and out.strip() == "0", err or f"count: {out.strip()}")

    for name, sql in queries:
        ok, out, err = run(sql + ";", SECURE_DB, user=READER)
        counter.check(f"{name}: same rows for the plain role", ok and out == baseline[name],
                      err or f"expected:\n{baseline[name]}\nactual:\n{out}")

    # Hostile objects exist before CREATE EXTENSION (built-in names and operators) and after it
    # (copies of every crm function and operator too); the views bind the query's own names.
    setup = hostile_objects([]) + "SET search_path = evil, public, pg_catalog;\n"
    fresh_database(host, port, HOSTILE_DB, setup_sql=setup)
    # Each row as one text value: a view cannot have a column of an anonymous record type.
    views = "CREATE SCHEMA checks;\n" + "".join(
        f"CREATE VIEW checks.{name} AS SELECT q::text AS row FROM (\n{sql}\n) q;\n" for name, sql in queries)
    ok, _, err = run(views + hostile_objects(["crm", "crm_internal"]), HOSTILE_DB)
    if not ok:
        sys.exit(err)
    ok, _, err = run("SELECT round(1.5::numeric);\nSELECT 1::bigint = 1::bigint;", HOSTILE_DB,
                     options=HOSTILE_PATH)
    counter.check("the hostile objects hijack unqualified calls", not ok and "hijacked" in err,
                  "round() and = were not hijacked")
    for name, sql in queries:
        _, expected, _ = run(f"SELECT q::text AS row FROM (\n{sql}\n) q;", SECURE_DB)
        ok, out, err = run(f"SELECT * FROM checks.{name};", HOSTILE_DB, options=HOSTILE_PATH)
        counter.check(f"{name}: same rows with hostile objects on search_path", ok and out == expected,
                      err or f"expected:\n{expected}\nactual:\n{out}")

    ok, _, err = run(ROW_LEVEL_SECURITY, SECURE_DB)
    if not ok:
        sys.exit(err)
    changed = 0
    for name, sql in queries:
        ok, expected, err = run(sql + ";", SECURE_DB, options="-c search_path=filtered,public")
        if not ok:
            counter.check(f"{name}: reference over the filtered copies", False, err)
            continue
        changed += expected != baseline[name]
        for label, options in (("serial", ""), ("parallel", PARALLEL)):
            ok, out, err = run(sql + ";", SECURE_DB, user=READER, options=options)
            counter.check(f"{name}: row-level security honoured ({label})", ok and out == expected,
                          err or f"expected:\n{expected}\nactual:\n{out}")
    counter.check("row-level security changed some results", changed > 0, "no result changed")

    # A schema crm made beforehand by a role that is not a superuser is refused: that role could
    # add overloads that users' calls reach instead of the extension's. Owned by the installing
    # role, it is taken.
    for statement in (f"DROP DATABASE IF EXISTS {SCHEMA_DB}", f"CREATE DATABASE {SCHEMA_DB}"):
        ok, _, err = run(statement, "postgres")
        if not ok:
            sys.exit(err)
    ok, _, err = run(f"CREATE SCHEMA crm AUTHORIZATION {READER};\nCREATE EXTENSION crm_metrics;", SCHEMA_DB)
    counter.check("CREATE EXTENSION refuses a schema crm owned by another role",
                  not ok and "schema crm is owned by role crm_reader" in err, err or "it was taken")
    ok, _, err = run("ALTER SCHEMA crm OWNER TO postgres;\nCREATE EXTENSION crm_metrics;\n"
                     "SELECT crm.nps(9);", SCHEMA_DB)
    counter.check("CREATE EXTENSION takes a schema crm owned by the installing role", ok, err)

    for statement in (f"DROP DATABASE IF EXISTS {SECURE_DB}", f"DROP DATABASE IF EXISTS {HOSTILE_DB}",
                      f"DROP DATABASE IF EXISTS {SCHEMA_DB}", f"DROP ROLE IF EXISTS {READER}"):
        run(statement, "postgres")
    write_counts(args.counts, counter.passed, counter.failed)
    print(f"security: {counter.passed} passed, {counter.failed} failed")
    sys.exit(1 if counter.failed else 0)


if __name__ == "__main__":
    main()
