#!/usr/bin/env python3
"""Real-client tests: psycopg (Python), node-postgres and the PostgreSQL JDBC driver run every
query of tests/metric_queries.sql and read every view of docs/bi.md, with server-side prepared
statements, and compare each decoded value with the text psql prints.

    tests/clients/run.py --host H --port P --work DIR [--counts FILE]

DIR holds the compiled Java client and node_modules (tests/clients/run sets them up). The
expected values go to DIR/spec.txt, one record a line:
    E name user         an entry: a query, run as `user`
    S sql               its SQL (URL-encoded)
    C name type         a column and its type as format_type prints it
    R v1 v2 ...         a row: URL-encoded psql text, or \\N for NULL; an interval is
                        "months days microseconds", a timestamptz microseconds since 1970
Fields are separated by tabs. Each client prints "ok NAME" or "FAILED NAME: why" per entry.
"""
import argparse
import datetime
import os
import re
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from crm_queries import ROOT, fresh_database, load_queries, psql, write_counts  # noqa: E402

DATABASE = "crm_clients"
BI_DOC = os.path.join(ROOT, "docs", "bi.md")
SQL_BLOCK = re.compile(r"```sql\n(?P<sql>.*?)```\n", re.S)
INTERVAL_PART = re.compile(r"(-?\d+) (year|mon|day)s?")
INTERVAL_TIME = re.compile(r"(-?)(\d+):(\d\d):(\d\d(?:\.\d+)?)")
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def debian_python():
    return "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"


def interval_canonical(text):
    months = days = micros = 0
    for number, unit in INTERVAL_PART.findall(text):
        if unit == "year":
            months += 12 * int(number)
        elif unit == "mon":
            months += int(number)
        else:
            days += int(number)
    time = INTERVAL_TIME.search(text)
    if time:
        sign = -1 if time.group(1) else 1
        seconds = int(time.group(2)) * 3600 + int(time.group(3)) * 60
        micros = sign * (seconds * 1_000_000 + round(float(time.group(4)) * 1_000_000))
    return f"{months} {days} {micros}"


def timestamptz_canonical(text):
    value = datetime.datetime.fromisoformat(text if len(text) > 22 and text[-3] == ":" else text + ":00")
    return str((value - EPOCH) // datetime.timedelta(microseconds=1))


def canonical(kind, text):
    if text is None:
        return "\\N"
    if kind == "interval":
        return interval_canonical(text)
    if kind == "timestamp with time zone":
        return timestamptz_canonical(text)
    return urllib.parse.quote(text, safe="")


def describe(host, port, sql):
    ok, out, err = psql(host, port, f"\\pset format unaligned\n\\pset tuples_only on\n\\pset fieldsep '\\t'\n{sql} \\gdesc\n", DATABASE)
    if not ok:
        raise SystemExit(err)
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


def rows(host, port, sql):
    ok, out, err = psql(host, port, "\\pset format unaligned\n\\pset tuples_only on\n"
                        "\\pset fieldsep '\\037'\n\\pset recordsep '\\036'\n\\pset null '\\\\N'\n" + sql + ";\n", DATABASE)
    if not ok:
        raise SystemExit(err)
    out = out[:-1] if out.endswith("\n") else out
    return [[None if v == "\\N" else v for v in record.split("\x1f")] for record in out.split("\x1e") if record != ""]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--work", required=True)
    parser.add_argument("--counts", default=os.path.join(ROOT, ".run", "clients.counts"))
    args = parser.parse_args()
    host, port, work = args.host, args.port, args.work

    fresh_database(host, port, DATABASE)
    with open(BI_DOC) as handle:
        for match in SQL_BLOCK.finditer(handle.read()):
            ok, _, err = psql(host, port, match.group("sql"), DATABASE)
            if not ok:
                raise SystemExit(f"docs/bi.md: {err}")
    ok, out, err = psql(host, port, "\\pset tuples_only on\n\\pset format unaligned\n"
                        "SELECT table_name FROM information_schema.views WHERE table_schema = 'bi' ORDER BY 1;", DATABASE)
    if not ok or not out.split():
        raise SystemExit(err or "docs/bi.md creates no view in schema bi")
    entries = [(name, "postgres", sql) for name, sql in load_queries()]
    for view in out.split():
        columns = describe(host, port, f"SELECT * FROM bi.{view}")
        order = ", ".join(str(i + 1) for i in range(len(columns)))
        entries.append((f"bi.{view}", "dashboard", f"SELECT * FROM bi.{view} ORDER BY {order}"))

    spec = []
    for name, user, sql in entries:
        columns = describe(host, port, sql)
        spec.append(f"E\t{name}\t{user}")
        spec.append("S\t" + urllib.parse.quote(sql, safe=""))
        spec.extend(f"C\t{column}\t{kind}" for column, kind in columns)
        for row in rows(host, port, sql):
            spec.append("R\t" + "\t".join(canonical(kind, value) for (_, kind), value in zip(columns, row)))
    spec_path = os.path.join(work, "spec.txt")
    with open(spec_path, "w") as handle:
        handle.write("\n".join(spec) + "\n")

    connection = ["127.0.0.1", str(port), DATABASE, spec_path]  # JDBC speaks TCP only
    clients = [
        # The Debian python3 holds python3-psycopg (a python3 earlier on PATH may not).
        ("psycopg", [debian_python(), os.path.join(HERE, "client.py")] + connection, {}),
        ("node-postgres", ["node", os.path.join(HERE, "client.js")] + connection,
         {"NODE_PATH": os.path.join(work, "node", "node_modules"), "TZ": "UTC"}),
        ("jdbc", ["java", "-cp", os.path.join(work, "java") + ":/usr/share/java/postgresql.jar", "Client"] + connection, {}),
    ]
    passed = failed = 0
    for label, command, environment in clients:
        result = subprocess.run(command, capture_output=True, text=True, env=dict(os.environ, **environment))
        oks = [line for line in result.stdout.splitlines() if line.startswith("ok ")]
        bad = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
        if result.returncode and not bad:
            bad = [f"FAILED {label}: exit {result.returncode}\n{result.stderr[-3000:]}"]
        for line in bad:
            print(f"{label}: {line}")
        if len(oks) + len(bad) < len(entries) and not bad:
            bad = [f"FAILED {label}: only {len(oks)} of {len(entries)} entries reported"]
            print(bad[0])
        passed += len(oks)
        failed += len(bad)
        print(f"{label}: {len(oks)} passed, {len(bad)} failed")
    psql(host, port, f"DROP DATABASE IF EXISTS {DATABASE}", "postgres")
    write_counts(args.counts, passed, failed)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
