#!/usr/bin/env python3
"""Runs the SQL examples of Markdown files and compares them with the output shown there.

In a Markdown file, a ```sql block is an example; when a ```text block follows it directly,
that block is the exact psql output the example must print. Every file runs against a fresh
database `crm_docs` holding the extension and the deterministic sample data
(scripts/sample_data.sql with rows=2000), one psql call per example, in file order, from the
repository root (so that an example's `\\copy` finds the fixtures by a relative path).

    tests/doc_examples.py --host H --port P README.md docs/*.md          # check
    tests/doc_examples.py --host H --port P --update README.md docs/*.md # rewrite outputs
"""
import argparse
import difflib
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK = re.compile(r"```sql\n(?P<sql>.*?)```\n(?:\n?```text\n(?P<out>.*?)```\n)?", re.S)
DATABASE = "crm_docs"


def psql(args, sql, database=DATABASE):
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", args.host, "-p", str(args.port),
               "-U", "postgres", "-d", database]
    environment = dict(os.environ, PGTZ="UTC", PGDATESTYLE="ISO, YMD", PGOPTIONS="-c extra_float_digits=1")
    return subprocess.run(command, input=sql, capture_output=True, text=True, env=environment, cwd=ROOT)


def fresh_database(args):
    for statement in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
        result = psql(args, statement, database="postgres")
        if result.returncode:
            sys.exit(result.stderr)
    setup = "CREATE EXTENSION crm_metrics;\n\\set rows 2000\n\\i " + os.path.join(ROOT, "scripts/sample_data.sql")
    result = psql(args, setup)
    if result.returncode:
        sys.exit(result.stderr)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--update", action="store_true")
    parser.add_argument("--counts", default=os.path.join(ROOT, ".run", "doc-examples.counts"),
                        help="file that receives 'passed failed'")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    passed = failed = 0
    for path in args.files:
        fresh_database(args)
        with open(path) as handle:
            document = handle.read()
        pieces, position = [], 0
        for match in BLOCK.finditer(document):
            sql, expected = match.group("sql"), match.group("out")
            result = psql(args, sql)
            actual = result.stdout + (("ERROR: " + result.stderr) if result.returncode else "")
            line = document.count("\n", 0, match.start()) + 1
            ok = result.returncode == 0 and (expected is None or actual == expected)
            if ok:
                passed += 1
            else:
                failed += 1
                print(f"FAILED {path}:{line}")
                print("".join(difflib.unified_diff((expected or "").splitlines(True),
                                                   actual.splitlines(True), "expected", "actual")))
            if args.update and expected is not None and result.returncode == 0:
                pieces.append(document[position:match.start("out")] + actual)
                position = match.end("out")
        if args.update:
            pieces.append(document[position:])
            with open(path, "w") as handle:
                handle.write("".join(pieces))
    os.makedirs(os.path.dirname(args.counts), exist_ok=True)
    with open(args.counts, "w") as handle:
        handle.write(f"{passed} {failed}\n")
    print(f"doc examples: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
