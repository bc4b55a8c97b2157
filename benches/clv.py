#!/usr/bin/env python3
"""CLV benchmarks, side by side with the `lifetimes` Python package (see shared references):

1. Raw transactions to a fitted model on the CDNOW master file (69,659 purchases by 23,570
   customers, shipped with lifetimes), for BG/NBD, MBG/NBD and Pareto/NBD: ours is one aggregate
   over the purchases (crm.bgnbd_fit(customer_id, ordered_at, end, 'week'), crm.mbg_nbd_fit(...),
   crm.pareto_nbd_fit(...)), BG/NBD also as the two-step query (crm.rfm_agg per customer,
   crm.bgnbd_fit over them); lifetimes is summary_data_from_transaction_data + the matching
   fitter's fit on a DataFrame already in memory. Both in weeks, observation end 1998-06-30.
   BG/BB has no purchases form (its data are discrete opportunities): it is fitted from the
   11,104 per-donor RFM rows of lifetimes' donations data set (one row per donor, no weights),
   crm.bgbb_fit(frequency, recency, n_periods) against BetaGeoBetaBinomFitter.fit on the same
   rows. Same machine, interleaved rounds (one of ours for every model, then one lifetimes
   process fitting every model), medians; the parameters of both sides are printed with their
   largest relative difference.
2. Fitting 10M simulated customers already in a table: BG/NBD (day-grained recency and T, in
   weeks) and BG/BB (6 to 10 opportunities each, 10M rows of (frequency, recency, n_periods));
   server-side time and, for BG/NBD, the backend's peak memory (VmHWM) over its size before.

    python3 benches/clv.py --host H --port P --database D [--python .venv-ref/bin/python]
                           [--customers 10000000] [--rounds 7] [--skip-simulated | --simulated-only]
                           [--models BG/NBD ...] [--reuse-tables]

--models also picks the simulated cases (BG/NBD, BG/BB); --simulated-only skips the CDNOW part;
--reuse-tables keeps a simulated table already loaded with as many customers.

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

END = "'1998-06-30 00:00+00'"
# (name, our query, lifetimes fitter, parameter names in crm.params's order)
MODELS = [
    ("BG/NBD", f"SELECT crm.bgnbd_fit(customer_id, ordered_at, {END}, 'week') FROM cdnow_master",
     "BetaGeoFitter", ["r", "alpha", "a", "b"]),
    ("MBG/NBD", f"SELECT crm.mbg_nbd_fit(customer_id, ordered_at, {END}, 'week') FROM cdnow_master",
     "ModifiedBetaGeoFitter", ["r", "alpha", "a", "b"]),
    ("Pareto/NBD", f"SELECT crm.pareto_nbd_fit(customer_id, ordered_at, {END}, 'week') FROM cdnow_master",
     "ParetoNBDFitter", ["r", "alpha", "s", "beta"]),
    ("BG/BB", "SELECT crm.bgbb_fit(frequency, recency, n_periods) FROM donors",
     "BetaGeoBetaBinomFitter", ["alpha", "beta", "gamma", "delta"]),
]
OURS_TWO_STEP = f"""SELECT crm.bgnbd_fit((r).frequency, (r).recency, (r).t) FROM (
    SELECT crm.rfm_agg(ordered_at, amount, {END}, 'week') AS r
    FROM cdnow_master GROUP BY customer_id) s"""

LIFETIMES = r"""
import sys, time, json, warnings
warnings.filterwarnings("ignore")
import numpy as np
import pandas as pd
import lifetimes
from lifetimes.utils import summary_data_from_transaction_data
master, donations_path, names = sys.argv[1], sys.argv[2], sys.argv[3].split(",")
raw = pd.read_csv(master, sep=r"\s+", header=0, names=["customer_id", "date", "cds", "amount"],
                  dtype={"date": str})
raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d")
donations = pd.read_csv(donations_path)
donors = donations.loc[donations.index.repeat(donations["weights"])].reset_index(drop=True)
results = {}
for name in names:
    fitter = getattr(lifetimes, name)
    started = time.perf_counter()
    if name == "BetaGeoBetaBinomFitter":
        model = fitter().fit(donors["frequency"], donors["recency"], donors["periods"])
    else:
        summary = summary_data_from_transaction_data(raw, "customer_id", "date",
                                                     observation_period_end="1998-06-30", freq="D",
                                                     freq_multiplier=7)
        model = fitter().fit(summary["frequency"], summary["recency"], summary["T"])
    results[name] = {"ms": (time.perf_counter() - started) * 1000, "params": model.params_.to_dict()}
print(json.dumps(results))
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

SIMULATE_BGBB = r"""
import sys
import numpy as np
customers, path = int(sys.argv[1]), sys.argv[2]
random = np.random.default_rng(2026)
alpha, beta, gamma, delta = 1.2, 0.75, 0.66, 2.8  # close to the donations estimates
p = random.beta(alpha, beta, customers)
theta = random.beta(gamma, delta, customers)
periods = random.integers(6, 11, customers)       # 6 to 10 opportunities
frequency = np.zeros(customers, dtype=np.int32)
recency = np.zeros(customers, dtype=np.int32)
alive = np.ones(customers, dtype=bool)
for opportunity in range(1, 11):
    alive &= random.random(customers) >= theta     # may leave before each opportunity
    bought = alive & (opportunity <= periods) & (random.random(customers) < p)
    frequency += bought
    recency[bought] = opportunity
with open(path, "w") as out:
    np.savetxt(out, np.column_stack([frequency, recency, periods]), fmt="%d", delimiter=",")
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


def load_tables(args, master, donations):
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as csv:
        with open(master) as raw:
            next(raw)
            for line in raw:
                customer, day, cds, amount = line.split()
                csv.write(f"{customer},{day[:4]}-{day[4:6]}-{day[6:]} 00:00+00,{cds},{amount}\n")
    os.chmod(csv.name, 0o644)
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as rows:
        with open(donations) as raw:
            next(raw)
            for line in raw:
                frequency, recency, periods, weight = line.strip().split(",")
                rows.write(f"{frequency},{recency},{periods}\n" * int(weight))
    os.chmod(rows.name, 0o644)
    psql(args, f"""DROP TABLE IF EXISTS cdnow_master, donors;
        CREATE TABLE cdnow_master (customer_id int, ordered_at timestamptz, cds int, amount numeric);
        \\copy cdnow_master FROM '{csv.name}' WITH (FORMAT csv)
        CREATE TABLE donors (frequency int, recency int, n_periods int);
        \\copy donors FROM '{rows.name}' WITH (FORMAT csv)
        VACUUM ANALYZE cdnow_master;
        VACUUM ANALYZE donors;""")
    os.unlink(csv.name)
    os.unlink(rows.name)


def cdnow_case(args):
    import json
    master = os.path.join(lifetimes_dir(args), "datasets", "CDNOW_master.txt")
    donations = os.path.join(lifetimes_dir(args), "datasets", "donations.csv")
    load_tables(args, master, donations)
    rows = psql(args, "SELECT count(*), count(DISTINCT customer_id) FROM cdnow_master").strip()
    donors = psql(args, "SELECT count(*) FROM donors").strip()
    models = [model for model in MODELS if not args.models or model[0] in args.models]
    params = {}
    for name, query, _, _ in models:
        values = psql(args, f"SELECT p.* FROM crm.params(({query})) p").strip().split("|")
        params[name] = [float(value) for value in values]
        execution_ms(args, query)  # warm-up
    two_step = any(name == "BG/NBD" for name, *_ in models)
    if two_step:
        same = psql(args, f"SELECT ({MODELS[0][1]})::text = ({OURS_TWO_STEP})::text").strip()
        execution_ms(args, OURS_TWO_STEP)
    ours = {name: [] for name, *_ in models}
    ours_two_step, theirs, theirs_params = [], {name: [] for name, *_ in models}, {}
    fitters = ",".join(fitter for _, _, fitter, _ in models)
    for _ in range(args.rounds):
        # Interleaved: one round of ours (every model), then one lifetimes process fitting every
        # model (timed inside it after pandas and the data are loaded), so both see the same load.
        for name, query, _, _ in models:
            ours[name].append(execution_ms(args, query))
        if two_step:
            ours_two_step.append(execution_ms(args, OURS_TWO_STEP))
        result = subprocess.run([args.python, "-c", LIFETIMES, master, donations, fitters],
                                capture_output=True, text=True, check=True)
        measured = json.loads(result.stdout.strip().splitlines()[-1])
        for name, _, fitter, _ in models:
            theirs[name].append(measured[fitter]["ms"])
            theirs_params[name] = measured[fitter]["params"]
    print(f"CDNOW master: {rows.replace('|', ' purchases, ')} customers; donations: {donors} donors "
          f"(BG/BB); {args.rounds} interleaved rounds, medians (best) of server-side time against "
          f"lifetimes in-process", flush=True)
    print(f"{'model':<11} {'ours ms':>15} {'lifetimes ms':>17} {'ratio':>7}  parameters (ours / lifetimes)")
    for name, _, _, names in models:
        mine, other = ours[name], theirs[name]
        theirs_values = [theirs_params[name][key] for key in names]
        difference = max(abs(a - b) / abs(b) for a, b in zip(params[name], theirs_values))
        print(f"{name:<11} {statistics.median(mine):7.1f} ({min(mine):5.1f}) {statistics.median(other):8.1f} "
              f"({min(other):6.1f}) {statistics.median(other) / statistics.median(mine):6.1f}x  "
              + ", ".join(f"{key} {value:.6g}" for key, value in zip(names, params[name])))
        print(f"{'':<52}  " + ", ".join(f"{key} {value:.6g}" for key, value in zip(names, theirs_values))
              + f" (largest relative difference {difference:.1e})")
    if two_step:
        median = statistics.median(ours_two_step)
        print(f"BG/NBD as rfm_agg per customer + bgnbd_fit: {median:.1f} ms ({min(ours_two_step):.1f}), "
              f"{statistics.median(theirs['BG/NBD']) / median:.1f}x; same model as the one-aggregate "
              f"form: {'yes' if same == 't' else 'NO'}", flush=True)


def status_kb(args, field):
    return f"(SELECT substring(pg_read_file('/proc/' || pg_backend_pid() || '/status') FROM '{field}:\\s+(\\d+) kB')::bigint)"


def loaded(args, table):
    """Whether --reuse-tables is given and `table` already holds --customers rows."""
    if not args.reuse_tables:
        return False
    exists = psql(args, f"SELECT to_regclass('{table}') IS NOT NULL").strip() == "t"
    return exists and psql(args, f"SELECT count(*) FROM {table}").strip() == str(args.customers)


def simulated_case(args):
    if loaded(args, "bench_clv_customers"):
        load = None
    else:
        load = load_simulated(args)
    print(f"\n{args.customers} simulated customers (r 0.25, alpha 4, a 0.8, b 2.5) "
          + (f"loaded in {load:.0f} s" if load is not None else "already loaded"), flush=True)
    fit_simulated(args)


def load_simulated(args):
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
    return time.time() - started


def fit_simulated(args):
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


def simulated_bgbb_case(args):
    started = time.time()
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as csv:
        pass
    subprocess.run([args.python, "-c", SIMULATE_BGBB, str(args.customers), csv.name], check=True)
    os.chmod(csv.name, 0o644)
    psql(args, f"""DROP TABLE IF EXISTS bench_bgbb_customers;
        CREATE TABLE bench_bgbb_customers (frequency int, recency int, n_periods int);
        \\copy bench_bgbb_customers FROM '{csv.name}' WITH (FORMAT csv)
        VACUUM ANALYZE bench_bgbb_customers;""")
    os.unlink(csv.name)
    distinct = psql(args, "SELECT count(*) FROM (SELECT DISTINCT * FROM bench_bgbb_customers) d").strip()
    print(f"\n{args.customers} simulated BG/BB customers (alpha 1.2, beta 0.75, gamma 0.66, delta 2.8; "
          f"6 to 10 opportunities; {distinct} distinct rows) loaded in {time.time() - started:.0f} s", flush=True)
    query = "SELECT crm.bgbb_fit(frequency, recency, n_periods) FROM bench_bgbb_customers"
    scan = "SELECT count(*) FROM bench_bgbb_customers"
    times, scans = [], []
    for _ in range(max(1, args.rounds // 2)):
        times.append(execution_ms(args, query))
        scans.append(execution_ms(args, scan))
    model = psql(args, f"SELECT m::text FROM ({query}) f(m)").strip()
    print(f"  crm.bgbb_fit over {args.customers} rows of (frequency, recency, n_periods): "
          f"{statistics.median(times):.0f} ms server-side (median of {len(times)}, serial; "
          f"count(*) over the table {statistics.median(scans):.0f} ms)")
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
    parser.add_argument("--simulated-only", action="store_true")
    parser.add_argument("--reuse-tables", action="store_true")
    parser.add_argument("--models", nargs="*", help="CDNOW models to run (default: all), e.g. BG/NBD BG/BB")
    args = parser.parse_args()
    if not args.simulated_only:
        cdnow_case(args)
    if not args.skip_simulated:
        if not args.models or "BG/NBD" in args.models:
            simulated_case(args)
        if not args.models or "BG/BB" in args.models:
            simulated_bgbb_case(args)


if __name__ == "__main__":
    main()
