#!/usr/bin/env python3
"""CLV benchmarks, side by side with the `lifetimes` Python package (see shared references):

1. Raw transactions to a fitted BG/NBD model on the CDNOW master file (69,659 purchases by
   23,570 customers, shipped with lifetimes): ours is one aggregate over the purchases
   (crm.bgnbd_fit(customer_id, ordered_at, end, 'week')), and also the two-step query (crm.rfm_agg
   per customer, crm.bgnbd_fit over them); lifetimes is summary_data_from_transaction_data + BetaGeoFitter.fit
   on a DataFrame already in memory. Both in weeks, observation end 1998-06-30, same machine,
   interleaved rounds, medians.
2. Fitting BG/NBD on 10M simulated customers (day-grained recency and T, in weeks) already in a
   table: server-side time and the backend's peak memory (VmHWM) over its size before the query.

    python3 benches/clv.py --host H --port P --database D [--python .venv-ref/bin/python]
                           [--customers 10000000] [--rounds 7]

Needs a Python with lifetimes 0.11.3 (and numpy, pandas): see .venv-ref in the shared references.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

OURS = """SELECT crm.bgnbd_fit(customer_id, ordered_at, '1998-06-30 00:00+00', 'week') FROM cdnow_master"""
OURS_TWO_STEP = """SELECT crm.bgnbd_fit((r).frequency, (r).recency, (r).t) FROM (
    SELECT crm.rfm_agg(ordered_at, amount, '1998-06-30 00:00+00', 'week') AS r
    FROM cdnow_master GROUP BY customer_id) s"""

LIFETIMES = r"""
import sys, time, json, statistics, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from lifetimes import BetaGeoFitter
from lifetimes.utils import summary_data_from_transaction_data
path, rounds = sys.argv[1], int(sys.argv[2])
raw = pd.read_csv(path, sep=r"\s+", header=0, names=["customer_id", "date", "cds", "amount"],
                  dtype={"date": str})
raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
times = []
for _ in range(rounds):
    started = time.perf_counter()
    summary = summary_data_from_transaction_data(raw, "customer_id", "date", monetary_value_col="amount",
                                                 observation_period_end="1998-06-30", freq="D", freq_multiplier=7)
    model = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    times.append(time.perf_counter() - started)
print(json.dumps({"ms": [t * 1000 for t in times], "params": model.params_.to_dict(), "customers": len(summary)}))
"""

SIMULATE = r"""
import sys
import numpy as np
customers, path = int(sys.argv[1]), sys.argv[2]
random = np.random.default_rng(2026)
r, alpha, a, b = 0.25, 4.0, 0.8, 2.5          # weeks
rate = random.gamma(r, 1.0 / alpha, customers)
dropout = random.beta(a, b, customers)
age_days = random.integers(7, 731, customers)  # first purchase 1 week to 2 years before the end
age = age_days / 7.0
frequency = np.zeros(customers, dtype=np.int32)
last = np.zeros(customers)
now = np.zeros(customers)
active = np.arange(customers)
while active.size:
    now[active] += random.exponential(1.0, active.size) / rate[active]
    active = active[now[active] <= age[active]]
    frequency[active] += 1
    last[active] = now[active]
    active = active[random.random(active.size) >= dropout[active]]
recency_days = np.minimum(np.floor(last * 7.0), age_days).astype(np.int64)
recency_days[frequency == 0] = 0
with open(path, "w") as out:
    np.savetxt(out, np.column_stack([frequency, recency_days, age_days]), fmt="%d", delimiter=",")
"""


def psql(args, sql, output=True):
    command = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", args.host, "-p",
               str(args.port), "-U", "postgres", "-d", args.database]
    result = subprocess.run(command, input=sql, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"query failed: {sql}\n{result.stderr}")
    return result.stdout if output else None


def execution_ms(args, query):
    plan = psql(args, "SET max_parallel_workers_per_gather = 0;\n"
                      f"EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) {query}")
    return float(re.search(r"Execution Time: ([0-9.]+) ms", plan).group(1))


def lifetimes_dir(args):
    return subprocess.run([args.python, "-c", "import lifetimes, os; print(os.path.dirname(lifetimes.__file__))"],
                          capture_output=True, text=True, check=True).stdout.strip()


def cdnow_case(args):
    master = os.path.join(lifetimes_dir(args), "datasets", "CDNOW_master.txt")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as csv:
        with open(master) as raw:
            next(raw)
            for line in raw:
                customer, day, cds, amount = line.split()
                csv.write(f"{customer},{day[:4]}-{day[4:6]}-{day[6:]} 00:00+00,{cds},{amount}\n")
    os.chmod(csv.name, 0o644)
    psql(args, f"""DROP TABLE IF EXISTS cdnow_master;
        CREATE TABLE cdnow_master (customer_id int, ordered_at timestamptz, cds int, amount numeric);
        \\copy cdnow_master FROM '{csv.name}' WITH (FORMAT csv)
        VACUUM ANALYZE cdnow_master;""")
    os.unlink(csv.name)
    rows = psql(args, "SELECT count(*), count(DISTINCT customer_id) FROM cdnow_master").strip()
    model = psql(args, f"SELECT row(p.*) FROM crm.params(({OURS})) p").strip()
    same = psql(args, f"SELECT ({OURS})::text = ({OURS_TWO_STEP})::text").strip()
    execution_ms(args, OURS)  # warm-up
    execution_ms(args, OURS_TWO_STEP)
    import json
    ours, ours_two_step, ours_walls, theirs, theirs_params = [], [], [], [], None
    for _ in range(args.rounds):
        # Interleaved: one round of ours, then one of lifetimes (its own process, timed inside it
        # after pandas and the data are loaded), so both see the same load on a shared machine.
        ours.append(execution_ms(args, OURS))
        ours_two_step.append(execution_ms(args, OURS_TWO_STEP))
        started = time.perf_counter()
        psql(args, OURS)
        ours_walls.append((time.perf_counter() - started) * 1000)
        result = subprocess.run([args.python, "-c", LIFETIMES, master, "1"], capture_output=True,
                                text=True, check=True)
        measured = json.loads(result.stdout.strip().splitlines()[-1])
        theirs.extend(measured["ms"])
        theirs_params = measured["params"]
    ours_ms, theirs_ms = statistics.median(ours), statistics.median(theirs)
    print(f"CDNOW master: {rows.replace('|', ' purchases, ')} customers")
    two_step_ms = statistics.median(ours_two_step)
    print(f"  ours      bgnbd_fit(purchases) median {ours_ms:7.1f} ms, best {min(ours):7.1f} ms server-side"
          f" ({statistics.median(ours_walls):.1f} ms with a psql process and round trip)")
    print(f"  ours      rfm_agg + bgnbd_fit  median {two_step_ms:7.1f} ms, best {min(ours_two_step):7.1f} ms server-side"
          f" (same model as the one-aggregate form: {'yes' if same == 't' else 'NO'})")
    print(f"            params (r, alpha, a, b) {model}")
    print(f"  lifetimes summary + fit        median {theirs_ms:7.1f} ms, best {min(theirs):7.1f} ms in-process")
    print(f"            params {', '.join(f'{k} {v:.6f}' for k, v in theirs_params.items())}")
    print(f"  speed-up {theirs_ms / ours_ms:.1f}x (medians), {min(theirs) / min(ours):.1f}x (best runs),"
          f" {theirs_ms / statistics.median(ours_walls):.1f}x counting psql's start-up; two-step query"
          f" {theirs_ms / two_step_ms:.1f}x (medians); {args.rounds} interleaved rounds", flush=True)


def status_kb(args, field):
    return f"(SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM '{field}:\\s+(\\d+) kB')::bigint)"


def simulated_case(args):
    started = time.time()
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as csv:
        pass
    subprocess.run([args.python, "-c", SIMULATE, str(args.customers), csv.name], check=True)
    os.chmod(csv.name, 0o644)
    psql(args, f"""DROP TABLE IF EXISTS bench_clv_days, bench_clv_customers;
        CREATE TABLE bench_clv_days (frequency int, recency_days int, age_days int);
        \\copy bench_clv_days FROM '{csv.name}' WITH (FORMAT csv)
        CREATE TABLE bench_clv_customers AS
            SELECT frequency, recency_days / 7.0::float8 AS recency, age_days / 7.0::float8 AS t FROM bench_clv_days;
        DROP TABLE bench_clv_days;
        VACUUM ANALYZE bench_clv_customers;""")
    os.unlink(csv.name)
    print(f"\n{args.customers} simulated customers (r 0.25, alpha 4, a 0.8, b 2.5) loaded in "
          f"{time.time() - started:.0f} s", flush=True)
    query = "SELECT crm.bgnbd_fit(frequency, recency, t) FROM bench_clv_customers"
    times = []
    for _ in range(max(1, args.rounds // 2)):
        times.append(execution_ms(args, query))
    memory = psql(args, f"""SET max_parallel_workers_per_gather = 0;
        SELECT {status_kb(args, "VmRSS")} AS rss \\gset before_
        SELECT m::text AS model FROM ({query}) f(m) \\gset
        SELECT :before_rss, {status_kb(args, 'VmHWM')}, {status_kb(args, 'RssAnon')}, :'model';""").strip()
    before, peak, anonymous, model = memory.split("|", 3)
    print(f"  crm.bgnbd_fit over {args.customers} rows: {statistics.median(times):.0f} ms server-side "
          f"(median of {len(times)}, serial)")
    print(f"  backend memory: {int(before) / 1024:.0f} MB before, peak {int(peak) / 1024:.0f} MB "
          f"(of which shared buffers touched by the scan count too), anonymous {int(anonymous) / 1024:.0f} MB after")
    print(f"  model: {model}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--python", default=os.path.join(ROOT, ".venv-ref", "bin", "python"))
    parser.add_argument("--customers", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--skip-simulated", action="store_true")
    args = parser.parse_args()
    cdnow_case(args)
    if not args.skip_simulated:
        simulated_case(args)


if __name__ == "__main__":
    main()
