#!/usr/bin/env python3
"""Upgrade and dump/restore tests of crm_metrics (driven by tests/lifecycle/run).

    lifecycle.py before --host H --port P --work DIR --old-source DIR --counts FILE
    lifecycle.py after  --host H --port P --work DIR --old-source DIR --counts FILE --library SO

`before` (the previous version installed): creates database crm_lifecycle with the sample data
and the objects a user keeps (views of every query of the old tests/metric_queries.sql, the
tables, materialized views and views of tests/lifecycle/objects.sql, and everything the old
README.md and docs/*.md examples create, their SELECTs as views), checks that every crm base
type is stored in a column, records what every relation returns (text rows, and the binary form
of every crm value), dumps the database (pg_dump -Fc) and copies the stored values out in COPY's
binary format.

`after` (the new build installed): checks the old objects still answer identically with the new
library before the update, runs ALTER EXTENSION crm_metrics UPDATE, checks every relation again
(stored values, then after REFRESH MATERIALIZED VIEW), compares the upgraded catalog with a fresh
CREATE EXTENSION (tests/lifecycle/catalog.sql) and prints the differences, restores the old
version's dump and a dump of the upgraded database into fresh databases and checks them, and
reads the old version's binary COPY files back.
"""
import argparse
import difflib
import glob
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from crm_queries import ROOT, SESSION, write_counts  # noqa: E402

DATABASE = "crm_lifecycle"
FRESH = "crm_lifecycle_fresh"
FROM_OLD_DUMP = "crm_lifecycle_from_old_dump"
RESTORED = "crm_lifecycle_restored"
BINARY_IN = "crm_lifecycle_binary_in"
SYSTEM_SCHEMAS = "('crm', 'pg_catalog', 'information_schema', 'pg_toast')"
QUERY = re.compile(r"^-- query: (?P<name>\S+)\n(?P<sql>.*?)(?=^-- query: |\Z)", re.S | re.M)
DOC_BLOCK = re.compile(r"```sql\n(?P<sql>.*?)```", re.S)
SELECT = re.compile(r"^\s*(SELECT|WITH|VALUES)\b", re.I)


class Check:
    """Counts passed and failed checks and prints one line each."""

    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, ok, name, detail=""):
        if ok:
            self.passed += 1
            print(f"ok      {name}")
        else:
            self.failed += 1
            print(f"FAILED  {name}")
            if detail:
                print("        " + detail.rstrip().replace("\n", "\n        "))
        sys.stdout.flush()
        return ok


def run(args, sql, database, check=True, options=""):
    """psql: returns (ok, stdout, stderr); exits when check and the script failed."""
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", args.host, "-p", str(args.port),
               "-U", "postgres", "-d", database]
    environment = dict(os.environ, PGOPTIONS=f"{SESSION} {options}".strip())
    result = subprocess.run(command, input=sql, capture_output=True, text=True, env=environment)
    if check and result.returncode:
        sys.exit(f"lifecycle.py: psql failed in {database}:\n{result.stderr}")
    return result.returncode == 0, result.stdout, result.stderr


def value(args, sql, database):
    return run(args, "\\pset tuples_only on\n\\pset format unaligned\n" + sql, database)[1].strip()


def tool(args, *command):
    """Runs a client program (pg_dump, pg_restore, ...) against the test server."""
    environment = dict(os.environ, PGHOST=args.host, PGPORT=str(args.port), PGUSER="postgres",
                       PGOPTIONS=SESSION)
    return subprocess.run(list(command), capture_output=True, text=True, env=environment)


def recreate(args, database):
    for statement in (f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}"):
        run(args, statement, "postgres")


def relations(args, database):
    """[(qualified name, kind)] of every table, view and materialized view outside the system."""
    rows = value(args, f"""
        SELECT c.oid::regclass::text || '|' || c.relkind::text FROM pg_class c
        WHERE c.relkind IN ('r', 'v', 'm') AND c.relnamespace::regnamespace::text NOT IN {SYSTEM_SCHEMAS}
        ORDER BY 1""", database)
    return [tuple(line.split("|")) for line in rows.splitlines() if line]


def crm_columns(args, database):
    """{relation: [(column, send function)]}: the columns whose type is a crm base type."""
    rows = value(args, f"""
        SELECT a.attrelid::regclass::text || '|' || quote_ident(a.attname) || '|' || t.typsend::regproc::text
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid JOIN pg_class c ON c.oid = a.attrelid
        WHERE c.relkind IN ('r', 'v', 'm') AND c.relnamespace::regnamespace::text NOT IN {SYSTEM_SCHEMAS}
          AND a.attnum > 0 AND NOT a.attisdropped
          AND t.typnamespace = 'crm'::regnamespace AND t.typtype = 'b' AND t.typsend <> 0
        ORDER BY a.attrelid, a.attnum""", database)
    columns = {}
    for line in rows.splitlines():
        if line:
            relation, column, send = line.split("|")
            columns.setdefault(relation, []).append((column, send))
    return columns


def record_sql(relation, columns):
    """SQL printing the rows of `relation` (COPY text) and the binary form of every crm value."""
    sql = f"\\echo <<{relation}>>\n\\echo <rows>\nCOPY (SELECT * FROM {relation}) TO STDOUT;\n"
    for column, send in columns:
        sql += f"\\echo <binary {column}>\nCOPY (SELECT encode({send}({column}), 'hex') FROM {relation}) TO STDOUT;\n"
    return sql


def normalise(output):
    """Sorts the lines of each section: row order is not what the test compares."""
    sections, current = [], None
    for line in output.splitlines():
        if line.startswith("<") and line.endswith(">"):
            current = [line, []]
            sections.append(current)
        elif current is not None:
            current[1].append(line)
    return "".join(f"{head}\n" + "".join(f"{line}\n" for line in sorted(lines)) for head, lines in sections)


def record(args, database, directory, only=None):
    """Writes what every relation returns to directory/<relation>.txt; returns {relation: text}.
    One psql call reads them all; when one fails, each is read on its own to show which."""
    os.makedirs(directory, exist_ok=True)
    columns = crm_columns(args, database)
    names = [r for r, _ in relations(args, database) if only is None or r in only]
    ok, out, _ = run(args, "".join(record_sql(r, columns.get(r, [])) for r in names), database, check=False)
    results = {}
    if ok:
        pieces = re.split(r"^<<(.*)>>$", out, flags=re.M)
        for relation, text in zip(pieces[1::2], pieces[2::2]):
            results[relation] = normalise(text)
    else:
        for relation in names:
            ok, out, err = run(args, record_sql(relation, columns.get(relation, [])), database, check=False)
            results[relation] = normalise(out.split("\n", 1)[1]) if ok else "ERROR: " + err.strip() + "\n"
    for relation, text in results.items():
        with open(os.path.join(directory, relation + ".txt"), "w") as handle:
            handle.write(text)
    return results


def copy_out_binary(args, database, directory):
    """Copies every table and materialized view with a crm column out in COPY's binary format (what
    the send functions write); returns {relation: {"columns": definitions, "file": path}}."""
    stored, stored_columns = {}, crm_columns(args, database)
    for relation, kind in relations(args, database):
        if kind in ("r", "m") and relation in stored_columns:
            columns = value(args, f"""
                SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
                FROM pg_attribute WHERE attrelid = '{relation}'::regclass AND attnum > 0 AND NOT attisdropped""",
                            database)
            path = os.path.join(directory, relation + ".copy")
            os.makedirs(directory, exist_ok=True)
            run(args, f"\\copy (SELECT * FROM {relation}) TO '{path}' WITH (FORMAT binary)", database)
            stored[relation] = {"columns": columns, "file": path}
    return stored


def read_binary_copies(args, stored, directory):
    """Reads the files of `copy_out_binary` back into tables of a fresh database BINARY_IN;
    returns what each relation then holds (record's text, or the error of reading it)."""
    recreate(args, BINARY_IN)
    run(args, "CREATE EXTENSION crm_metrics;\nCREATE SCHEMA binary_in;", BINARY_IN)
    copied, names = {}, {}
    for relation, spec in stored.items():
        target = "binary_in." + relation.replace(".", "__")
        ok, _, err = run(args, f"CREATE TABLE {target} ({spec['columns']});\n"
                               f"\\copy {target} FROM '{spec['file']}' WITH (FORMAT binary)", BINARY_IN, check=False)
        if ok:
            names[target] = relation
        else:
            copied[relation] = "ERROR: " + err.strip() + "\n"
    for target, text in record(args, BINARY_IN, directory, only=set(names)).items():
        copied[names[target]] = text
    return copied


# Answers of the previous release's objects that the new library changes on purpose, each with
# its reason (docs/versioning.md). They are still recorded, and must still differ: a listed
# relation that answers as before fails the check, so the list cannot outlive its reason.
VELOCITY = ("0.3.0 pipeline velocities are exact quotients rounded once to 28 significant "
            "digits: the last digits of a velocity change (docs/versioning.md)")
INTENDED_CHANGES = {
    "doc_clv.example_5": "0.3.0 fits record standard errors: a new fit's text differs from the "
                         "model 0.2.0 stored (crm.params of both agree)",
    "queries.pipeline_by_owner": VELOCITY,
    "bi.pipeline_quarterly": VELOCITY,
    "lifecycle.pipeline_owner_kpis": VELOCITY,
    "lifecycle.mrr_retention": "0.3.0 ratios of money are the double nearest to the quotient: "
                               "revenue retention changes in the last place (docs/versioning.md)",
    "doc_customers.example_5": "0.3.0 states of crm.churn_rate record the rows' period (a state "
                               "with rows is written in the form's version 2)",
    "lifecycle.nps_by_segment": "0.3.0 crm.nps_difference is the exact difference of the two NPS "
                                "fractions rounded once: its difference, z and p-value change in "
                                "the last places (docs/versioning.md)",
    "lifecycle.sbg_projection": "0.3.0 sBG survival and retention are sums of ln(1 + α/(β + k)), "
                                "not differences of ln Γ values: the last places change "
                                "(docs/versioning.md)",
    "lifecycle.clv_top": "0.3.0 BG/NBD P(alive) takes ln((α + T)/(α + t_x)) with ln_1p: the "
                         "last places of P(alive), expected purchases and CLV change "
                         "(docs/versioning.md)",
}
# ... and once materialized views are refreshed (REFRESH, or a restore that refreshes them), the
# fits they hold are new fits too.
INTENDED_AFTER_REFRESH = dict(INTENDED_CHANGES, **{
    "lifecycle.sbg_models_mv": "a refreshed materialized view of a fit: the new fit records "
                               "standard errors",
})


def compare(check, name, expected, actual, shown=6, lines=16, intended=None):
    """One check: every relation of `expected` returns the same in `actual`. Prints the diff of
    the first `shown` relations that differ (`lines` lines each), then only the names. The
    relations of `intended` must differ instead."""
    intended = intended or {}
    problems = []
    for relation in sorted(expected):
        if relation not in actual:
            problems.append(f"{relation}: missing")
        elif relation in intended:
            if expected[relation] == actual[relation]:
                problems.append(f"{relation}: listed as an intended change ({intended[relation]}) "
                                "but answers as before")
        elif expected[relation] != actual[relation]:
            if len(problems) < shown:
                diff = list(difflib.unified_diff(expected[relation].splitlines(), actual[relation].splitlines(),
                                                 "before", "after", lineterm="", n=0))[2:]
                more = f"\n  ... {len(diff) - lines} more lines" if len(diff) > lines else ""
                problems.append(f"{relation}: differs\n  " + "\n  ".join(diff[:lines]) + more)
            else:
                problems.append(f"{relation}: differs")
    return check(not problems, f"{name} ({len(expected)} relations)", "\n".join(problems))


def create_objects(args, check):
    """The objects of a 0.1.0 user: query views, objects.sql, the docs' examples."""
    run(args, "CREATE SCHEMA queries;", DATABASE)
    with open(os.path.join(args.old_source, "tests", "metric_queries.sql")) as handle:
        queries = [(m.group("name"), m.group("sql").strip().rstrip(";").strip())
                   for m in QUERY.finditer(handle.read())]
    failures = []
    for name, sql in queries:
        ok, _, err = run(args, f"CREATE VIEW queries.{name} AS\n{sql};", DATABASE, check=False)
        if not ok and "pseudo-type record" in err:
            # A view cannot have a column of type record: the rows as text then.
            ok, _, err = run(args, f"CREATE VIEW queries.{name} AS\nSELECT q::text AS row FROM (\n{sql}) q;",
                             DATABASE, check=False)
        if not ok:
            failures.append(f"{name}: {err.strip()}")
    check(queries and not failures, f"a view of every query of the old tests/metric_queries.sql ({len(queries)})",
          "\n".join(failures))

    ok, _, err = run(args, f"\\i {os.path.join(HERE, 'objects.sql')}", DATABASE, check=False)
    check(ok, "tests/lifecycle/objects.sql (stored summaries, models, calendars; views over them)", err)

    documents = [os.path.join(args.old_source, "README.md")] + sorted(
        glob.glob(os.path.join(args.old_source, "docs", "*.md")))
    for path in documents:
        with open(path) as handle:
            blocks = [m.group("sql") for m in DOC_BLOCK.finditer(handle.read())]
        if not blocks:
            continue
        schema = "doc_" + os.path.splitext(os.path.basename(path))[0].lower()
        script = f"CREATE SCHEMA {schema};\n"
        number = 0
        for block in blocks:
            statements = [block] if "$" in block else [s for s in re.split(r";\s*(?:\n|$)", block) if s.strip()]
            for statement in statements:
                script += f"RESET ALL;\nSET search_path = {schema}, public;\n"
                if "pg_extension" in statement:
                    continue  # the extension's version: it changes with the update, by design
                if SELECT.match(statement) and "$" not in statement:
                    number += 1
                    script += f"CREATE VIEW {schema}.example_{number} AS\n{statement.strip().rstrip(';')};\n"
                else:
                    script += statement.rstrip().rstrip(";") + ";\n"
        # Without ON_ERROR_STOP: examples that show an error, or whose view cannot exist (two
        # columns with one name), are left out; the others are the database's objects.
        command = ["psql", "-X", "-q", "-h", args.host, "-p", str(args.port), "-U", "postgres", "-d", DATABASE]
        subprocess.run(command, input=script, capture_output=True, text=True,
                       env=dict(os.environ, PGOPTIONS=SESSION))
    # A view of an example that fails when read (the docs show errors too) is not kept.
    run(args, """
        DO $drop$
        DECLARE r record;
        BEGIN
            FOR r IN SELECT c.oid::regclass AS rel FROM pg_class c
                     WHERE c.relkind = 'v' AND c.relnamespace::regnamespace::text LIKE 'doc\\_%' LOOP
                BEGIN
                    EXECUTE format('SELECT count(*) FROM %s', r.rel);
                EXCEPTION WHEN OTHERS THEN
                    EXECUTE format('DROP VIEW %s CASCADE', r.rel);
                END;
            END LOOP;
        END
        $drop$;""", DATABASE)
    counts = value(args, """
        SELECT count(*) FILTER (WHERE relkind = 'v') || ' views, ' || count(*) FILTER (WHERE relkind = 'm')
               || ' materialized views, ' || count(*) FILTER (WHERE relkind = 'r') || ' tables'
        FROM pg_class WHERE relnamespace::regnamespace::text LIKE 'doc\\_%' AND relkind IN ('r', 'v', 'm')""",
                   DATABASE)
    print(f"        from the old README.md and docs/*.md examples: {counts}")


def before(args):
    check = Check()
    recreate(args, DATABASE)
    run(args, f"CREATE EXTENSION crm_metrics;\nRESET search_path;\n\\set rows 2000\n\\o /dev/null\n"
              f"\\i {os.path.join(args.old_source, 'scripts', 'sample_data.sql')}\n", DATABASE)
    version = value(args, "SELECT extversion FROM pg_extension WHERE extname = 'crm_metrics'", DATABASE)
    check(version == args.old_version, f"CREATE EXTENSION crm_metrics is version {args.old_version} (got {version})")
    create_objects(args, check)

    missing = value(args, f"""
        SELECT string_agg(format_type(t.oid, NULL), ', ' ORDER BY t.typname) FROM pg_type t
        WHERE t.typnamespace = 'crm'::regnamespace AND t.typtype IN ('b', 'c') AND t.typelem = 0
          AND (t.typtype = 'b' OR (SELECT relkind FROM pg_class WHERE oid = t.typrelid) = 'c')
          AND NOT EXISTS (SELECT FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
                          WHERE a.atttypid = t.oid AND c.relkind IN ('r', 'm') AND NOT a.attisdropped
                            AND c.relnamespace::regnamespace::text NOT IN {SYSTEM_SCHEMAS})""", DATABASE)
    check(not missing, "every crm type of the old version is stored in a table or materialized view",
          f"not stored anywhere: {missing} (add them to tests/lifecycle/objects.sql)")

    results = record(args, DATABASE, os.path.join(args.work, "before"))
    errors = sorted(r for r, text in results.items() if text.startswith("ERROR"))
    check(not errors, f"every relation answers with {args.old_version} ({len(results)} relations)",
          "\n".join(f"{r}: {results[r]}" for r in errors))
    with open(os.path.join(args.work, "before.json"), "w") as handle:
        json.dump(results, handle)

    # The C functions the old SQL names: the new library must still export them.
    symbols = value(args, """
        SELECT string_agg(DISTINCT prosrc, ' ') FROM pg_proc
        WHERE prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
          AND oid IN (SELECT objid FROM pg_depend WHERE classid = 'pg_proc'::regclass AND deptype = 'e'
                      AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'crm_metrics'))""", DATABASE)
    with open(os.path.join(args.work, "old-symbols.txt"), "w") as handle:
        handle.write(symbols.replace(" ", "\n") + "\n")

    dump = tool(args, "pg_dump", "-Fc", "-f", os.path.join(args.work, "old.dump"), DATABASE)
    check(dump.returncode == 0, f"pg_dump -Fc of the {args.old_version} database", dump.stderr)

    stored = copy_out_binary(args, DATABASE, os.path.join(args.work, "binary"))
    with open(os.path.join(args.work, "binary.json"), "w") as handle:
        json.dump(stored, handle)
    check(bool(stored), f"stored crm values copied out in binary format ({len(stored)} relations)")
    return check


def catalog(args, database):
    with open(os.path.join(HERE, "catalog.sql")) as handle:
        return value(args, handle.read(), database).splitlines()


def after(args):
    check = Check()
    with open(os.path.join(args.work, "before.json")) as handle:
        expected = json.load(handle)

    # Between installing the new build and ALTER EXTENSION ... UPDATE, the old SQL calls the
    # new library (an `apt upgrade`, Citus workers upgraded one by one). The library keeps every C
    # entry point the previous release's SQL names (docs/versioning.md), so every object must
    # answer exactly as before, none with "could not find function".
    exported = subprocess.run(["nm", "-D", "--defined-only", args.library], capture_output=True, text=True)
    exported = {line.split()[-1] for line in exported.stdout.splitlines() if line.strip()}
    with open(os.path.join(args.work, "old-symbols.txt")) as handle:
        wanted = [line.strip() for line in handle if line.strip()]
    missing = [symbol for symbol in wanted if symbol not in exported]
    check(bool(wanted) and not missing,
          f"the new library exports every C symbol the {args.old_version} SQL names ({len(wanted)})",
          "missing: " + (" ".join(missing) or "none read"))
    old_library = record(args, DATABASE, os.path.join(args.work, "new-library"))
    unavailable = [relation for relation, text in old_library.items()
                   if text.startswith("ERROR") and "could not find function" in text]
    check(not unavailable, f"before ALTER EXTENSION UPDATE: no {args.old_version} object fails with "
                           "'could not find function'", " ".join(unavailable))
    compare(check, f"before ALTER EXTENSION UPDATE: the {args.old_version} objects answer identically with the new "
                   f"library, but for {len(INTENDED_CHANGES)} intended change(s)", expected, old_library,
            intended=INTENDED_CHANGES)

    ok, _, err = run(args, "ALTER EXTENSION crm_metrics UPDATE;", DATABASE, check=False)
    version = value(args, "SELECT extversion FROM pg_extension WHERE extname = 'crm_metrics'", DATABASE)
    updated = check(ok and version == args.new_version,
                    f"ALTER EXTENSION crm_metrics UPDATE: {args.old_version} -> {version} (expected {args.new_version})",
                    err)
    if updated:
        upgraded_checks(args, check, expected)
    restore_checks(args, check, expected)
    return check


def upgraded_checks(args, check, expected):
    """The upgraded database: its relations, its catalog, and a dump of it restored."""
    compare(check, "after the update: every relation answers identically (stored values as stored)",
            expected, record(args, DATABASE, os.path.join(args.work, "upgraded")), intended=INTENDED_CHANGES)
    matviews = [r for r, kind in relations(args, DATABASE) if kind == "m"]
    ok, _, err = run(args, "".join(f"REFRESH MATERIALIZED VIEW {m};\n" for m in matviews), DATABASE, check=False)
    check(ok, f"REFRESH MATERIALIZED VIEW of every materialized view ({len(matviews)})", err)
    compare(check, "after the update and REFRESH: every relation answers identically",
            expected, record(args, DATABASE, os.path.join(args.work, "refreshed")), intended=INTENDED_AFTER_REFRESH)

    recreate(args, FRESH)
    run(args, "CREATE EXTENSION crm_metrics;", FRESH)
    upgraded, fresh = catalog(args, DATABASE), catalog(args, FRESH)
    diff = list(difflib.unified_diff(upgraded, fresh, "upgraded", "fresh", lineterm="", n=0))
    hint = (f"\n'-' lines: only in the upgraded database; '+' lines: only in a fresh CREATE EXTENSION.\n"
            f"Make sql/crm_metrics--{args.old_version}--{args.new_version}.sql create, change or drop them "
            f"(the generated crm_metrics--{args.new_version}.sql holds the statements of a fresh install).")
    check(not diff and len(fresh) > 100,
          f"the upgraded catalog equals a fresh CREATE EXTENSION crm_metrics {args.new_version} ({len(fresh)} facts)",
          "\n".join(diff) + hint)

    dump = os.path.join(args.work, "upgraded.dump")
    result = tool(args, "pg_dump", "-Fc", "-f", dump, DATABASE)
    if check(result.returncode == 0, "pg_dump -Fc of the upgraded database", result.stderr):
        restore(args, check, expected, "a dump of the upgraded database restored", RESTORED, dump)


def restore(args, check, expected, label, database, dump):
    recreate(args, database)
    result = tool(args, "pg_restore", "--exit-on-error", "-d", database, dump)
    if check(result.returncode == 0, f"pg_restore: {label}", result.stderr):
        compare(check, f"{label}: every relation answers identically", expected,
                record(args, database, os.path.join(args.work, database)), intended=INTENDED_AFTER_REFRESH)


def restore_checks(args, check, expected):
    """The old version's dump and binary COPY files read by the new version."""
    # A view that names a support function (the docs call a few directly) names it in schema crm:
    # 0.3.0 moved them to crm_internal (docs/versioning.md). An upgraded database keeps such views
    # (they refer to functions by OID), but a dump spells the old name; the documented fix, done
    # here, is to name the function in crm_internal in the dump's script. Nothing else changes.
    moved = value(args, """
        SELECT string_agg(DISTINCT p.proname, ' ') FROM pg_proc p
        WHERE p.pronamespace = 'crm_internal'::regnamespace
          AND NOT EXISTS (SELECT FROM pg_proc q WHERE q.pronamespace = 'crm'::regnamespace
                          AND q.proname = p.proname)""", DATABASE).split()
    script = tool(args, "pg_restore", "-f", "-", os.path.join(args.work, "old.dump"))
    check(script.returncode == 0 and bool(moved), "pg_restore -f -: the old dump as a script", script.stderr)
    pattern = re.compile(r"\bcrm\.(" + "|".join(map(re.escape, moved)) + r")\(")
    renamed = [line for line in script.stdout.splitlines() if pattern.search(line)]
    print(f"info: {len(renamed)} lines of the {args.old_version} dump name a support function in crm", flush=True)
    label = f"the {args.old_version} dump restored into {args.new_version}"
    recreate(args, FROM_OLD_DUMP)
    ok, _, err = run(args, pattern.sub(r"crm_internal.\1(", script.stdout), FROM_OLD_DUMP, check=False)
    if check(ok, f"{label} (support functions named in crm_internal)", err):
        compare(check, f"{label}: every relation answers identically", expected,
                record(args, FROM_OLD_DUMP, os.path.join(args.work, FROM_OLD_DUMP)), intended=INTENDED_AFTER_REFRESH)

    # The old version's binary forms (COPY ... FORMAT binary) read by the new version.
    with open(os.path.join(args.work, "binary.json")) as handle:
        stored = json.load(handle)
    copied = read_binary_copies(args, stored, os.path.join(args.work, "binary-in"))
    compare(check, f"the {args.old_version} binary forms read back by {args.new_version} (COPY FORMAT binary)",
            {r: expected[r] for r in stored}, copied)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["before", "after"])
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--old-source", required=True)
    parser.add_argument("--old-version", required=True)
    parser.add_argument("--new-version", required=True)
    parser.add_argument("--library", help="the new build's shared library (phase after)")
    parser.add_argument("--counts", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    check = before(args) if args.phase == "before" else after(args)
    write_counts(args.counts, check.passed, check.failed)
    return 0 if check.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
