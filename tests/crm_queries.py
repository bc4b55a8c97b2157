"""Shared helpers of the script-driven tests: the metric query list and a psql runner.

tests/metric_queries.sql holds the queries; each starts with a line "-- query: NAME".
"""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QUERY_FILE = os.path.join(ROOT, "tests", "metric_queries.sql")
QUERY = re.compile(r"^-- query: (?P<name>\S+)\n(?P<sql>.*?)(?=^-- query: |\Z)", re.S | re.M)
# Settings every test session uses, so that text output is the same everywhere.
SESSION = "-c extra_float_digits=1 -c TimeZone=UTC -c DateStyle=ISO,YMD -c IntervalStyle=postgres"


def load_queries():
    """[(name, sql)] in file order; sql has no trailing semicolon or blank lines."""
    with open(QUERY_FILE) as handle:
        text = handle.read()
    queries = [(m.group("name"), m.group("sql").strip().rstrip(";").strip()) for m in QUERY.finditer(text)]
    if not queries:
        raise SystemExit(f"no queries in {QUERY_FILE}")
    return queries


def psql(host, port, sql, database, user="postgres", options=""):
    """Runs sql with psql; returns (ok, stdout, stderr)."""
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", str(port),
               "-U", user, "-d", database]
    environment = dict(os.environ, PGOPTIONS=f"{SESSION} {options}".strip())
    result = subprocess.run(command, input=sql, capture_output=True, text=True, env=environment)
    return result.returncode == 0, result.stdout, result.stderr


def fresh_database(host, port, database, setup_sql="", rows=2000):
    """Drops and creates `database`, runs setup_sql, then CREATE EXTENSION and the sample data."""
    for statement in (f"DROP DATABASE IF EXISTS {database}", f"CREATE DATABASE {database}"):
        ok, _, err = psql(host, port, statement, "postgres")
        if not ok:
            raise SystemExit(err)
    script = (setup_sql + "\nCREATE EXTENSION crm_metrics;\nRESET search_path;\n"
              f"\\set rows {rows}\n\\o /dev/null\n\\i {os.path.join(ROOT, 'scripts', 'sample_data.sql')}\n")
    ok, _, err = psql(host, port, script, database)
    if not ok:
        raise SystemExit(err)


def write_counts(path, passed, failed):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(f"{passed} {failed}\n")
