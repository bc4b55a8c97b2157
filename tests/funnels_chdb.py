#!/usr/bin/env python3
"""crm.window_funnel and crm.funnel_agg against ClickHouse's own windowFunnel (through chdb).

    tests/funnels_chdb.py --host H --port P [--counts FILE] [--write-fixture]

Seeded random event streams (entities with 0 to 30 events: ties of time and of step, repeated
steps, steps out of order, step-0 "other" events) are ranked by ClickHouse's windowFunnel for
every mode and several windows: `windowFunnel(window[, 'mode'])(t, s = 1, s = 2, s = 3, s = 4)` over
times in microseconds (UInt64, window in microseconds), which is how crm.window_funnel counts
(timestamptz is microseconds). Each entity's level from crm.window_funnel must equal
ClickHouse's, and crm.funnel_steps over crm.funnel_agg must count, per step, the entities whose
ClickHouse level is at least that step.

ClickHouse's answers come from chdb (4.4.0) when it is importable, else from the committed fixture tests/fixtures/funnels_chdb.json (the events and
chdb's answers), so a machine without chdb still checks. --write-fixture (with chdb) rewrites
the fixture. Prints `funnels-chdb: N passed, M failed`.
"""
import argparse
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from crm_queries import ROOT, psql, write_counts  # noqa: E402

DATABASE = "crm_funnels_chdb"
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "funnels_chdb.json")
SEED = 20251205
ENTITIES = 600
STEPS = 4
MODES = ["ordered", "strict_order", "strict_deduplication", "strict_increase"]
MINUTE = 60_000_000
# Windows in microseconds: 1 second (ties only), 1 hour, 6 hours, 1 day, 30 days.
WINDOWS = [1_000_000, 60 * MINUTE, 360 * MINUTE, 1440 * MINUTE, 30 * 1440 * MINUTE]
# The first instant of the streams: 2025-01-01 00:00:00 UTC, in microseconds since 1970.
EPOCH_2025 = 1_735_689_600_000_000


def events():
    """[(entity, microseconds since 1970, step)]: the seeded streams."""
    rng = random.Random(SEED)
    rows = []
    for entity in range(1, ENTITIES + 1):
        # Coarse grids make ties; fine ones spread the events around the windows' edges.
        grid = rng.choice([MINUTE, 30 * MINUTE, 360 * MINUTE, 1440 * MINUTE])
        span = rng.choice([4, 12, 48, 200])
        for _ in range(rng.randint(0, 30)):
            step = rng.choices(range(STEPS + 1), weights=[2, 4, 3, 3, 2])[0]
            offset = rng.randint(0, span) * grid + rng.choice([0, 0, 0, rng.randint(0, grid)])
            rows.append((entity, EPOCH_2025 + offset, step))
    rng.shuffle(rows)
    return rows


def chdb_answers(rows):
    """{"window|mode": {entity: level}} from ClickHouse's windowFunnel in chdb."""
    import chdb  # noqa: PLC0415

    data = "\n".join(f"{e},{t},{s}" for e, t, s in rows)
    conditions = ", ".join(f"s = {k}" for k in range(1, STEPS + 1))
    answers = {}
    for window in WINDOWS:
        for mode in MODES:
            # ClickHouse's default is crm_metrics's 'ordered': no option.
            parameters = f"{window}" if mode == "ordered" else f"{window}, '{mode}'"
            query = (
                f"SELECT e, windowFunnel({parameters})(t, {conditions}) "
                f"FROM format(CSV, 'e UInt32, t UInt64, s UInt8', $${data}$$) "
                "GROUP BY e ORDER BY e FORMAT CSV"
            )
            result = chdb.query(query).bytes().decode()
            levels = {}
            for line in result.strip().splitlines():
                entity, level = line.split(",")
                levels[int(entity)] = int(level)
            answers[f"{window}|{mode}"] = levels
    return answers


def postgres_levels(host, port, rows):
    """({"window|mode": {entity: level}}, {"window|mode": {step: entities}}) from crm_metrics."""
    for statement in (f"DROP DATABASE IF EXISTS {DATABASE}", f"CREATE DATABASE {DATABASE}"):
        ok, _, err = psql(host, port, statement, "postgres")
        if not ok:
            raise SystemExit(err)
    values = ",\n".join(f"({e}, {t}, {s})" for e, t, s in rows)
    setup = (
        "CREATE EXTENSION crm_metrics;\n"
        "CREATE TABLE raw_events (entity integer, micros bigint, step integer);\n"
        f"INSERT INTO raw_events VALUES {values};\n"
        "CREATE TABLE events AS SELECT entity, "
        "timestamptz '1970-01-01 00:00:00+00' + micros * interval '1 microsecond' AS occurred_at, step "
        "FROM raw_events;\n"
    )
    ok, _, err = psql(host, port, setup, DATABASE)
    if not ok:
        raise SystemExit(err)
    levels, steps = {}, {}
    for window in WINDOWS:
        for mode in MODES:
            window_sql = f"interval '{window} microseconds'"
            query = (
                "COPY (SELECT entity, crm.window_funnel(occurred_at, step, "
                f"{window_sql}, '{mode}') FROM events GROUP BY entity ORDER BY entity) TO STDOUT;\n"
                "COPY (SELECT step, entities FROM crm.funnel_steps((SELECT crm.funnel_agg("
                f"entity::bigint, occurred_at, step, {window_sql}, '{mode}') FROM events))) TO STDOUT;\n"
            )
            ok, out, err = psql(host, port, query, DATABASE)
            if not ok:
                raise SystemExit(err)
            lines = [line.split("\t") for line in out.strip().splitlines()]
            key = f"{window}|{mode}"
            # The first COPY has a row per entity, the second one per step (STEPS rows).
            levels[key] = {int(a): int(b) for a, b in lines[: len(lines) - STEPS]}
            steps[key] = {int(a): int(b) for a, b in lines[len(lines) - STEPS:]}
    ok, _, _ = psql(host, port, f"DROP DATABASE IF EXISTS {DATABASE}", "postgres")
    return levels, steps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default=os.environ.get("PGHOST", "localhost"))
    parser.add_argument("--port", default=os.environ.get("PGPORT", "5432"))
    parser.add_argument("--counts", default=os.path.join(ROOT, ".run", "funnels_chdb.counts"))
    parser.add_argument("--write-fixture", action="store_true")
    args = parser.parse_args()

    rows = events()
    try:
        answers = chdb_answers(rows)
        source = "chdb"
    except ImportError:
        if args.write_fixture:
            raise SystemExit("--write-fixture needs chdb")
        with open(FIXTURE) as handle:
            fixture = json.load(handle)
        if [tuple(row) for row in fixture["events"]] != rows:
            raise SystemExit(f"{FIXTURE} holds other events than this script generates")
        answers = {key: {int(e): level for e, level in levels.items()}
                   for key, levels in fixture["answers"].items()}
        source = "the fixture"
    if args.write_fixture:
        with open(FIXTURE, "w") as handle:
            json.dump({"about": "ClickHouse windowFunnel answers (chdb 4.4.0) for tests/funnels_chdb.py",
                       "events": rows,
                       "answers": {key: {str(e): level for e, level in sorted(levels.items())}
                                   for key, levels in answers.items()}},
                      handle, separators=(",", ":"))
            handle.write("\n")

    levels, steps = postgres_levels(args.host, args.port, rows)
    passed = failed = 0
    for key, expected in sorted(answers.items()):
        got = levels.get(key, {})
        for entity in sorted(set(expected) | set(got)):
            if got.get(entity) == expected.get(entity):
                passed += 1
            else:
                failed += 1
                events_of = sorted((t, s) for e, t, s in rows if e == entity)
                print(f"FAIL  {key} entity {entity}: crm.window_funnel {got.get(entity)}, "
                      f"ClickHouse {expected.get(entity)}; events {events_of}")
        for step in range(1, STEPS + 1):
            reached = sum(1 for level in expected.values() if level >= step)
            if steps.get(key, {}).get(step) == reached:
                passed += 1
            else:
                failed += 1
                print(f"FAIL  {key} crm.funnel_steps step {step}: {steps.get(key, {}).get(step)} "
                      f"entities, ClickHouse {reached}")
    write_counts(args.counts, passed, failed)
    print(f"funnels-chdb ({source}): {len(rows)} events, {ENTITIES} entities, "
          f"{len(WINDOWS)} windows x {len(MODES)} modes")
    print(f"funnels-chdb: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
