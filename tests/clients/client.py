#!/usr/bin/env python3
"""psycopg 3 client: runs each spec entry as a server-side prepared statement (executed twice)
and checks each decoded value: numeric is a Decimal, double precision a float, interval a
timedelta, timestamptz an aware datetime, an anonymous record a tuple, a crm summary its text.

    client.py HOST PORT DATABASE SPEC
"""
import datetime
import decimal
import math
import os
import sys
import urllib.parse

import psycopg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spec import read_spec  # noqa: E402

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def check(kind, value, expected):
    """None when `value` decodes `expected` (canonical text), else why not."""
    if expected is None:
        return None if value is None else f"expected NULL, got {value!r}"
    text = urllib.parse.unquote(expected)
    if kind == "numeric":
        ok = isinstance(value, decimal.Decimal) and format(value, "f") == text
    elif kind in ("double precision", "real"):
        ok = isinstance(value, float) and (value == float(text) or (math.isnan(value) and text == "NaN"))
    elif kind in ("bigint", "integer", "smallint"):
        ok = isinstance(value, int) and str(value) == text
    elif kind == "boolean":
        ok = isinstance(value, bool) and ("t" if value else "f") == text
    elif kind == "date":
        ok = isinstance(value, datetime.date) and value.isoformat() == text
    elif kind == "timestamp with time zone":
        ok = (isinstance(value, datetime.datetime) and value.tzinfo is not None
              and (value - EPOCH) // datetime.timedelta(microseconds=1) == int(expected))
    elif kind == "interval":
        months, days, micros = (int(part) for part in expected.split())
        ok = isinstance(value, datetime.timedelta) and value == datetime.timedelta(
            days=days + 30 * months, microseconds=micros)
    elif kind == "record":
        ok = isinstance(value, tuple) and "(" + ",".join("" if v is None else v for v in value) + ")" == text
    else:  # text and the crm summary types: their text form
        ok = isinstance(value, str) and value == text
    return None if ok else f"{kind}: expected {text!r}, got {value!r}"


def run_entry(connection, entry):
    with connection.cursor() as cursor:
        for _ in range(2):
            cursor.execute(entry["sql"], prepare=True)
            rows = cursor.fetchall()
        names = [column.name for column in cursor.description]
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql")
        if cursor.fetchone()[0] == 0:
            return "no server-side prepared statement"
    if names != [name for name, _ in entry["columns"]]:
        return f"columns {names}"
    if len(rows) != len(entry["rows"]):
        return f"{len(rows)} rows, expected {len(entry['rows'])}"
    for row, expected_row in zip(rows, entry["rows"]):
        for (_, kind), value, expected in zip(entry["columns"], row, expected_row):
            why = check(kind, value, expected)
            if why:
                return why
    return None


def main():
    host, port, database, spec_path = sys.argv[1:5]
    connections = {}
    for entry in read_spec(spec_path):
        try:
            if entry["user"] not in connections:
                connections[entry["user"]] = psycopg.connect(
                    host=host, port=port, dbname=database, user=entry["user"], autocommit=True,
                    options="-c TimeZone=UTC -c IntervalStyle=postgres")
            why = run_entry(connections[entry["user"]], entry)
        except psycopg.Error as error:
            why = f"{type(error).__name__}: {error}"
        print(f"ok {entry['name']}" if why is None else f"FAILED {entry['name']}: {why}", flush=True)


if __name__ == "__main__":
    main()
