#!/usr/bin/env python3
"""A database of every crm type moved to a newer PostgreSQL major version (driven by
tests/lifecycle/cross-major).

    cross_major.py --old-host H --old-port P --old-bindir DIR
                   --new-host H --new-port P --new-bindir DIR --work DIR --counts FILE

Both servers run the same crm_metrics build. On the old server: database crm_lifecycle with the
sample data and the objects a user keeps (as tests/lifecycle/lifecycle.py creates them from this
checkout: views of tests/metric_queries.sql, tests/lifecycle/objects.sql, the docs' examples),
every relation recorded (text rows and the binary form of every crm value), a dump by the old
version's pg_dump and the stored values copied out in COPY's binary format. On the new server:
the dump restored by the new version's pg_restore (without owners and grants: roles
belong to a cluster), then every materialized view refreshed, then
the binary COPY files read back; every relation must answer identically each time.
"""
import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))
import lifecycle  # noqa: E402
from crm_queries import ROOT, write_counts  # noqa: E402
from lifecycle import DATABASE, Check, compare, record, recreate, run, value  # noqa: E402

def side(host, port):
    """The arguments lifecycle.py's helpers take for one server (objects from this checkout)."""
    return argparse.Namespace(host=host, port=port, old_source=ROOT)


def client(server, program, *arguments):
    """A client program of `program`'s path against `server`."""
    environment = dict(os.environ, PGHOST=server.host, PGPORT=str(server.port), PGUSER="postgres",
                       PGOPTIONS=lifecycle.SESSION)
    return subprocess.run([program, *arguments], capture_output=True, text=True, env=environment)


def main():
    parser = argparse.ArgumentParser()
    for name in ("old-host", "old-port", "old-bindir", "new-host", "new-port", "new-bindir", "work", "counts"):
        parser.add_argument("--" + name, required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    old, new = side(args.old_host, args.old_port), side(args.new_host, args.new_port)
    versions = {"old": value(old, "SHOW server_version", "postgres").split()[0],
                "new": value(new, "SHOW server_version", "postgres").split()[0]}
    check = Check()

    # --- the old server: the objects, what they answer, a dump, the binary forms ---
    recreate(old, DATABASE)
    run(old, "CREATE EXTENSION crm_metrics;\nRESET search_path;\n\\set rows 2000\n\\o /dev/null\n"
             f"\\i {os.path.join(ROOT, 'scripts', 'sample_data.sql')}\n", DATABASE)
    lifecycle.create_objects(old, check)
    expected = record(old, DATABASE, os.path.join(args.work, "old"))
    errors = sorted(r for r, text in expected.items() if text.startswith("ERROR"))
    check(not errors, f"every relation answers on PostgreSQL {versions['old']} ({len(expected)} relations)",
          "\n".join(f"{r}: {expected[r]}" for r in errors))
    dump = os.path.join(args.work, "old.dump")
    result = client(old, os.path.join(args.old_bindir, "pg_dump"), "-Fc", "-f", dump, DATABASE)
    check(result.returncode == 0, f"pg_dump -Fc of PostgreSQL {versions['old']} (its own pg_dump)", result.stderr)
    stored = lifecycle.copy_out_binary(old, DATABASE, os.path.join(args.work, "binary"))
    check(bool(stored), f"stored crm values copied out in binary format ({len(stored)} relations)")

    # --- the new server: the dump restored, refreshed, the binary forms read back ---
    label = f"PostgreSQL {versions['old']} to {versions['new']}"
    recreate(new, DATABASE)
    # Roles are the cluster's, not the database's (the docs create some): owners and grants stay behind.
    result = client(new, os.path.join(args.new_bindir, "pg_restore"), "--exit-on-error", "--no-owner",
                    "--no-acl", "-d", DATABASE, dump)
    if check(result.returncode == 0, f"{label}: pg_restore of the dump", result.stderr):
        compare(check, f"{label}: the restored database answers identically", expected,
                record(new, DATABASE, os.path.join(args.work, "restored")))
        views = value(new, "SELECT string_agg(oid::regclass::text, ' ') FROM pg_class WHERE relkind = 'm'",
                      DATABASE).split()
        run(new, "".join(f"REFRESH MATERIALIZED VIEW {view};\n" for view in views), DATABASE)
        compare(check, f"{label}: after REFRESH of its {len(views)} materialized views, identically", expected,
                record(new, DATABASE, os.path.join(args.work, "refreshed")))

    copied = lifecycle.read_binary_copies(new, stored, os.path.join(args.work, "binary-in"))
    compare(check, f"{label}: binary forms (COPY FORMAT binary) read back", {r: expected[r] for r in stored}, copied)
    write_counts(args.counts, check.passed, check.failed)
    return 0 if check.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
