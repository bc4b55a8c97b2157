//! Behaviour every family shares, checked inside Postgres: the catalog entries of the
//! aggregates, and every aggregate as a window function.
#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    /// One aggregate and rows to feed it. `rows` and `null_rows` are `VALUES` lists whose first
    /// column is the row number `i` (1, 2, ...) and whose other columns are named by `columns`;
    /// in `null_rows` no row is usable (each misses a required input).
    struct Case {
        /// The aggregate, as `pg_aggregate.aggfnoid::regprocedure` prints it with `search_path`
        /// set to `pg_catalog`.
        signature: &'static str,
        call: &'static str,
        columns: &'static str,
        rows: &'static str,
        null_rows: &'static str,
    }

    const NPS_ROWS: &str =
        "(1, NULL::int), (2, NULL), (3, 9), (4, NULL), (5, 3), (6, 7), (7, NULL),
                            (8, NULL), (9, 10), (10, NULL)";
    const CSAT_ROWS: &str =
        "(1, NULL::int), (2, NULL), (3, 5), (4, NULL), (5, 2), (6, 4), (7, NULL),
                             (8, NULL), (9, 1), (10, NULL)";
    const INT_NULLS: &str = "(1, NULL::int), (2, NULL), (3, NULL), (4, NULL)";
    /// `(started_at, ended_at, period_start, period_end)`; a NULL `ended_at` is a usable row.
    const CUSTOMER_ROWS: &str = "
        (1, NULL::timestamptz, NULL::timestamptz, '2024-02-01'::timestamptz, '2024-03-01'::timestamptz),
        (2, '2024-01-05', NULL, NULL, '2024-03-01'),
        (3, '2024-01-10', NULL, '2024-02-01', '2024-03-01'),
        (4, NULL, '2024-02-10', '2024-02-01', '2024-03-01'),
        (5, '2024-01-01', '2024-02-15', '2024-02-01', '2024-03-01'),
        (6, '2024-02-05', NULL, '2024-02-01', '2024-03-01'),
        (7, NULL, NULL, '2024-02-01', '2024-03-01'),
        (8, '2024-01-20', NULL, '2024-02-01', NULL),
        (9, '2023-12-01', '2024-03-01', '2024-02-01', '2024-03-01'),
        (10, NULL, NULL, '2024-02-01', '2024-03-01')";
    const CUSTOMER_NULLS: &str = "
        (1, NULL::timestamptz, NULL::timestamptz, '2024-02-01'::timestamptz, '2024-03-01'::timestamptz),
        (2, '2024-01-05', NULL, NULL, '2024-03-01'),
        (3, NULL, '2024-02-10', '2024-02-01', '2024-03-01'),
        (4, '2024-01-20', NULL, '2024-02-01', NULL)";
    const DENOMINATOR_ROWS: &str = "
        (1, NULL::timestamptz, NULL::timestamptz, 'average'),
        (2, '2024-01-05', NULL, NULL),
        (3, '2024-01-10', NULL, 'average'),
        (4, NULL, '2024-02-10', 'average'),
        (5, '2024-01-01', '2024-02-15', 'average'),
        (6, '2024-02-05', NULL, 'average'),
        (7, '2024-01-07', NULL, NULL),
        (8, NULL, NULL, 'average'),
        (9, '2023-12-01', '2024-03-01', 'average'),
        (10, '2024-01-03', '2024-02-03', NULL)";
    const DENOMINATOR_NULLS: &str = "
        (1, NULL::timestamptz, NULL::timestamptz, 'average'),
        (2, '2024-01-05', NULL, NULL),
        (3, NULL, '2024-02-10', 'start'),
        (4, '2024-01-20', NULL, NULL)";
    const EVENT_ROWS: &str = "
        (1, NULL::bigint, '2024-01-03'::timestamptz, 'UTC'),
        (2, 7, NULL, 'UTC'),
        (3, 7, '2024-01-10', 'UTC'),
        (4, NULL, '2024-02-10', 'UTC'),
        (5, 8, '2024-02-15', 'Europe/Berlin'),
        (6, 7, '2024-03-05', 'Europe/Berlin'),
        (7, 9, '2024-03-06', NULL),
        (8, NULL, NULL, 'UTC'),
        (9, 8, '2024-04-01', 'Europe/Berlin'),
        (10, NULL, '2024-04-02', 'UTC')";
    const EVENT_NULLS: &str = "
        (1, NULL::bigint, '2024-01-03'::timestamptz, 'UTC'),
        (2, 7, NULL, 'UTC'),
        (3, NULL, NULL, NULL),
        (4, NULL, '2024-02-15', NULL)";

    const PIPELINE_ROWS: &str = "
        (1, NULL::numeric, '2024-01-01'::timestamptz, NULL::timestamptz, NULL::boolean),
        (2, 100, '2024-01-01', '2024-01-11', true),
        (3, 50, NULL, NULL, NULL),
        (4, 200, '2024-01-05', '2024-01-20', false),
        (5, NULL, NULL, NULL, NULL),
        (6, 300, '2024-02-01', NULL, NULL),
        (7, 120, '2024-02-01', '2024-03-01', true),
        (8, NULL, '2024-02-01', NULL, NULL),
        (9, 80, '2024-02-03', '2024-02-04', true),
        (10, NULL, NULL, NULL, NULL)";
    const PIPELINE_NULLS: &str = "
        (1, NULL::numeric, '2024-01-01'::timestamptz, NULL::timestamptz, NULL::boolean),
        (2, 10, NULL, NULL, NULL),
        (3, NULL, NULL, NULL, NULL)";
    const MRR_ROWS: &str = "
        (1, NULL::bigint, '2024-01-01'::date, 10::numeric),
        (2, 1, '2024-01-01', 10),
        (3, 2, NULL, 5),
        (4, 1, '2024-02-01', 20),
        (5, NULL, NULL, NULL),
        (6, 2, '2024-02-01', 7),
        (7, 3, '2024-03-01', NULL),
        (8, 1, '2024-03-01', 0),
        (9, 3, '2024-03-01', 4),
        (10, NULL, '2024-04-01', 1)";
    const MRR_NULLS: &str = "
        (1, NULL::bigint, '2024-01-01'::date, 10::numeric),
        (2, 1, NULL, 5),
        (3, 2, '2024-01-01', NULL)";
    const BOOLEAN_ROWS: &str = "(1, NULL::boolean), (2, true), (3, false), (4, NULL), (5, true),
                                (6, NULL), (7, NULL), (8, false), (9, true), (10, NULL)";
    const BOOLEAN_NULLS: &str = "(1, NULL::boolean), (2, NULL), (3, NULL)";
    /// Tickets `(created_at, first_response_at, resolved_at, agent_replies, reopened)`.
    const TICKET_ROWS: &str = "
        (1, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::int, NULL::bool),
        (2, '2024-03-04 10:00+00', '2024-03-04 11:30+00', '2024-03-05 09:00+00', 1, false),
        (3, NULL, '2024-03-04 12:00+00', NULL, 2, false),
        (4, '2024-03-04 16:00+00', NULL, NULL, 0, NULL),
        (5, '2024-03-08 15:00+00', '2024-03-11 09:30+00', '2024-03-11 12:00+00', 3, true),
        (6, '2024-03-09 10:00+00', '2024-03-09 10:05+00', '2024-03-09 11:00+00', NULL, false),
        (7, NULL, NULL, NULL, NULL, NULL),
        (8, '2024-03-11 08:00+00', '2024-03-11 13:00+00', '2024-03-12 10:00+00', 1, true),
        (9, '2024-03-12 09:00+00', '2024-03-12 09:10+00', NULL, 1, false),
        (10, NULL, NULL, NULL, 1, false)";
    /// No usable ticket: no `created_at`, and nothing resolved.
    const TICKET_NULLS: &str = "
        (1, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::int, NULL::bool),
        (2, NULL, '2024-03-04 12:00+00', NULL, 2, false),
        (3, NULL, NULL, NULL, 1, true)";

    /// Customers `(started_at, ended_at)` observed at 2024-06-01: NULL starts (skipped), still
    /// active, ended, zero-length (skipped) and starting after 2024-06-01 (skipped).
    const SURVIVAL_CUSTOMER_ROWS: &str = "
        (1, NULL::timestamptz, NULL::timestamptz),
        (2, '2024-01-01+00', '2024-03-01+00'),
        (3, '2024-02-01+00', NULL),
        (4, NULL, '2024-03-01+00'),
        (5, '2024-01-15+00', '2024-07-01+00'),
        (6, '2024-03-01+00', '2024-03-01+00'),
        (7, '2024-07-01+00', NULL),
        (8, '2024-01-01+00', '2024-03-01+00'),
        (9, '2024-04-01+00', '2024-05-01+00'),
        (10, NULL, NULL)";
    /// No usable customer: no start, zero length, or starting after as_of.
    const SURVIVAL_CUSTOMER_NULLS: &str = "
        (1, NULL::timestamptz, NULL::timestamptz),
        (2, '2024-03-01+00', '2024-03-01+00'),
        (3, '2024-07-01+00', NULL)";
    /// Durations with event flags: NULLs, ties, zero (skipped).
    const SURVIVAL_DURATION_ROWS: &str = "
        (1, NULL::interval, NULL::boolean),
        (2, '3 days', true),
        (3, '5 days', false),
        (4, '3 days', NULL),
        (5, '3 days', false),
        (6, NULL, true),
        (7, '0 days', true),
        (8, '1 day', true),
        (9, '40 days 02:00', true),
        (10, NULL, NULL)";
    const SURVIVAL_DURATION_NULLS: &str = "
        (1, NULL::interval, NULL::boolean),
        (2, '0 days', true),
        (3, NULL, false)";

    /// The model fits work as window functions too (src/clv/tests.rs fits `crm.sbg_fit` over
    /// window partitions), but have no case here: a frame of a few rows does not identify a model,
    /// so most frames would end in the fit's non-convergence error instead of a comparable value.
    const MODEL_FITS: [&str; 45] = [
        "crm.bgbb_fit(integer,integer,integer)",
        "crm.bgbb_fit(integer,integer,integer,bigint)",
        "crm.bgbb_fit(integer,integer,integer,bigint,double precision)",
        "crm.bgbb_fit(integer,integer,integer,double precision)",
        "crm.bgbb_fit(integer,integer,integer,integer)",
        "crm.bgnbd_fit(bigint,timestamp with time zone,timestamp with time zone,text)",
        "crm.bgnbd_fit(bigint,timestamp with time zone,timestamp with time zone,text,double precision)",
        "crm.bgnbd_fit(integer,double precision,double precision)",
        "crm.bgnbd_fit(integer,double precision,double precision,bigint)",
        "crm.bgnbd_fit(integer,double precision,double precision,bigint,double precision)",
        "crm.bgnbd_fit(integer,double precision,double precision,double precision)",
        "crm.bgnbd_fit(integer,double precision,double precision,integer)",
        "crm.bgnbd_fit(text,timestamp with time zone,timestamp with time zone,text)",
        "crm.bgnbd_fit(text,timestamp with time zone,timestamp with time zone,text,double precision)",
        "crm.bgnbd_fit(uuid,timestamp with time zone,timestamp with time zone,text)",
        "crm.bgnbd_fit(uuid,timestamp with time zone,timestamp with time zone,text,double precision)",
        "crm.gamma_gamma_fit(integer,numeric)",
        "crm.gamma_gamma_fit(integer,numeric,double precision)",
        "crm.mbg_nbd_fit(bigint,timestamp with time zone,timestamp with time zone,text)",
        "crm.mbg_nbd_fit(bigint,timestamp with time zone,timestamp with time zone,text,double precision)",
        "crm.mbg_nbd_fit(integer,double precision,double precision)",
        "crm.mbg_nbd_fit(integer,double precision,double precision,bigint)",
        "crm.mbg_nbd_fit(integer,double precision,double precision,bigint,double precision)",
        "crm.mbg_nbd_fit(integer,double precision,double precision,double precision)",
        "crm.mbg_nbd_fit(integer,double precision,double precision,integer)",
        "crm.mbg_nbd_fit(text,timestamp with time zone,timestamp with time zone,text)",
        "crm.mbg_nbd_fit(text,timestamp with time zone,timestamp with time zone,text,double precision)",
        "crm.mbg_nbd_fit(uuid,timestamp with time zone,timestamp with time zone,text)",
        "crm.mbg_nbd_fit(uuid,timestamp with time zone,timestamp with time zone,text,double precision)",
        "crm.pareto_nbd_fit(bigint,timestamp with time zone,timestamp with time zone,text)",
        "crm.pareto_nbd_fit(bigint,timestamp with time zone,timestamp with time zone,text,double precision)",
        "crm.pareto_nbd_fit(integer,double precision,double precision)",
        "crm.pareto_nbd_fit(integer,double precision,double precision,bigint)",
        "crm.pareto_nbd_fit(integer,double precision,double precision,bigint,double precision)",
        "crm.pareto_nbd_fit(integer,double precision,double precision,double precision)",
        "crm.pareto_nbd_fit(integer,double precision,double precision,integer)",
        "crm.pareto_nbd_fit(text,timestamp with time zone,timestamp with time zone,text)",
        "crm.pareto_nbd_fit(text,timestamp with time zone,timestamp with time zone,text,double precision)",
        "crm.pareto_nbd_fit(uuid,timestamp with time zone,timestamp with time zone,text)",
        "crm.pareto_nbd_fit(uuid,timestamp with time zone,timestamp with time zone,text,double precision)",
        "crm.sbg_fit(integer,boolean)",
        "crm.sbg_fit(integer,boolean,bigint)",
        "crm.sbg_fit(integer,boolean,bigint,double precision)",
        "crm.sbg_fit(integer,boolean,double precision)",
        "crm.sbg_fit(integer,boolean,integer)",
    ];

    /// Funnel events (time, step, entity): steps out of order, ties, a step-0 event.
    const FUNNEL_ROWS: &str = "
        (1, '2024-01-01 00:00+00'::timestamptz, 1, 7::bigint),
        (2, NULL, 2, 7),
        (3, '2024-01-01 05:00+00', 2, 7),
        (4, '2024-01-01 05:00+00', 1, 8),
        (5, '2024-01-01 04:00+00', 3, 7),
        (6, '2024-01-01 06:00+00', 0, 8),
        (7, '2024-01-01 06:00+00', NULL, 8),
        (8, '2024-01-02 07:00+00', 2, 8),
        (9, '2024-01-01 09:00+00', 3, 8),
        (10, '2024-01-01 10:00+00', 2, 7)";
    /// No usable funnel event: a NULL time or step on every row.
    const FUNNEL_NULLS: &str = "
        (1, NULL::timestamptz, 1, 7::bigint), (2, '2024-01-01 00:00+00', NULL, 7), (3, NULL, NULL, 8)";

    const CASES: &[Case] = &[
        Case {
            signature: "crm.nps(integer)",
            call: "crm.nps(x)",
            columns: "x",
            rows: NPS_ROWS,
            null_rows: INT_NULLS,
        },
        Case {
            signature: "crm.nps_agg(integer)",
            call: "crm.nps_agg(x)",
            columns: "x",
            rows: NPS_ROWS,
            null_rows: INT_NULLS,
        },
        Case {
            signature: "crm.rollup(crm.nps_summary)",
            call: "crm.rollup(s)",
            columns: "s",
            rows: r#"(1, NULL::crm.nps_summary), (2, NULL),
                     (3, '{"promoters":2,"passives":1,"detractors":0}'), (4, NULL),
                     (5, '{"promoters":0,"passives":0,"detractors":0}'),
                     (6, '{"promoters":0,"passives":3,"detractors":1}'), (7, NULL), (8, NULL),
                     (9, '{"promoters":0,"passives":0,"detractors":0}'), (10, NULL)"#,
            null_rows: "(1, NULL::crm.nps_summary), (2, NULL), (3, NULL)",
        },
        Case {
            signature: "crm.csat(integer)",
            call: "crm.csat(x)",
            columns: "x",
            rows: CSAT_ROWS,
            null_rows: INT_NULLS,
        },
        Case {
            signature: "crm.csat(integer,integer)",
            call: "crm.csat(x, y)",
            columns: "x, y",
            rows: "(1, NULL::int, 3), (2, 4, NULL::int), (3, 5, 3), (4, NULL, NULL), (5, 2, 3),
                   (6, 4, 3), (7, 1, NULL), (8, NULL, 3), (9, 1, 3), (10, NULL, 3)",
            null_rows: "(1, NULL::int, 3), (2, 4, NULL::int), (3, NULL, NULL), (4, 5, NULL)",
        },
        Case {
            signature: "crm.retention_rate(timestamp with time zone,timestamp with time zone,timestamp with time zone,timestamp with time zone)",
            call: "crm.retention_rate(s, e, ps, pe)",
            columns: "s, e, ps, pe",
            rows: CUSTOMER_ROWS,
            null_rows: CUSTOMER_NULLS,
        },
        Case {
            signature: "crm.churn_rate(timestamp with time zone,timestamp with time zone,timestamp with time zone,timestamp with time zone)",
            call: "crm.churn_rate(s, e, ps, pe)",
            columns: "s, e, ps, pe",
            rows: CUSTOMER_ROWS,
            null_rows: CUSTOMER_NULLS,
        },
        Case {
            signature: "crm.churn_rate(timestamp with time zone,timestamp with time zone,timestamp with time zone,timestamp with time zone,text)",
            call: "crm.churn_rate(s, e, '2024-02-01', '2024-03-01', d)",
            columns: "s, e, d",
            rows: DENOMINATOR_ROWS,
            null_rows: DENOMINATOR_NULLS,
        },
        Case {
            signature: "crm.customer_agg(timestamp with time zone,timestamp with time zone)",
            call: "crm.customer_agg(s, e)",
            columns: "s, e, ps, pe",
            rows: CUSTOMER_ROWS,
            null_rows: "(1, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz, NULL::timestamptz),
                        (2, NULL, '2024-02-10', NULL, NULL)",
        },
        Case {
            signature: "crm.rollup(crm.customer_summary)",
            call: "crm.rollup(s)",
            columns: "s",
            rows: r#"(1, NULL::crm.customer_summary), (2, NULL),
                     (3, '{"version":1,"customers":2,"spans":[["2024-01-01 00:00:00+00",null,2]]}'),
                     (4, NULL), (5, '{"version":1,"customers":0,"spans":[]}'),
                     (6, '{"version":1,"customers":1,"spans":[["2024-01-01 00:00:00+00","2024-02-01 00:00:00+00",1]]}'),
                     (7, NULL), (8, NULL), (9, '{"version":1,"customers":0,"spans":[]}'), (10, NULL)"#,
            null_rows: "(1, NULL::crm.customer_summary), (2, NULL), (3, NULL)",
        },
        Case {
            signature: "crm.cohort_agg(bigint,timestamp with time zone,text)",
            call: "crm.cohort_agg(id, at, 'month')",
            columns: "id, at, z",
            rows: EVENT_ROWS,
            null_rows: EVENT_NULLS,
        },
        Case {
            signature: "crm.cohort_agg(bigint,timestamp with time zone,text,text)",
            call: "crm.cohort_agg(id, at, 'week', 'Europe/Berlin')",
            columns: "id, at, z",
            rows: EVENT_ROWS,
            null_rows: EVENT_NULLS,
        },
        Case {
            signature: "crm.cohort_agg(text,timestamp with time zone,text)",
            call: "crm.cohort_agg(id::text, at, 'day')",
            columns: "id, at, z",
            rows: EVENT_ROWS,
            null_rows: EVENT_NULLS,
        },
        Case {
            signature: "crm.cohort_agg(text,timestamp with time zone,text,text)",
            call: "crm.cohort_agg(id::text, at, 'month', z)",
            columns: "id, at, z",
            rows: "(1, NULL::bigint, '2024-01-03'::timestamptz, 'UTC'), (2, 7, NULL, 'UTC'),
                   (3, 7, '2024-01-10', 'UTC'), (4, NULL, '2024-02-10', 'UTC'),
                   (5, 8, '2024-02-15', 'UTC'), (6, 7, '2024-03-05', NULL),
                   (7, 9, '2024-03-06', 'UTC'), (8, NULL, NULL, 'UTC'), (9, 8, '2024-04-01', 'UTC'),
                   (10, NULL, '2024-04-02', 'UTC')",
            null_rows: "(1, NULL::bigint, '2024-01-03'::timestamptz, 'UTC'), (2, 7, NULL, 'UTC'),
                        (3, 8, '2024-02-15', NULL)",
        },
        Case {
            signature: "crm.cohort_agg(uuid,timestamp with time zone,text)",
            call: "crm.cohort_agg(md5(id::text)::uuid, at, 'quarter')",
            columns: "id, at, z",
            rows: EVENT_ROWS,
            null_rows: EVENT_NULLS,
        },
        Case {
            signature: "crm.cohort_agg(uuid,timestamp with time zone,text,text)",
            call: "crm.cohort_agg(md5(id::text)::uuid, at, 'year', 'America/New_York')",
            columns: "id, at, z",
            rows: EVENT_ROWS,
            null_rows: EVENT_NULLS,
        },
        Case {
            signature: "crm.rollup(crm.cohort_summary)",
            call: "crm.rollup(s)",
            columns: "s",
            rows: r#"(1, NULL::crm.cohort_summary), (2, NULL),
                     (3, '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[288,290]]]}'),
                     (4, NULL),
                     (5, '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[]}'),
                     (6, '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[289]],["7",[291]]]}'),
                     (7, NULL), (8, NULL),
                     (9, '{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[]}'),
                     (10, NULL)"#,
            null_rows: "(1, NULL::crm.cohort_summary), (2, NULL), (3, NULL)",
        },
        Case {
            signature: "crm.rfm_agg(timestamp with time zone,numeric,timestamp with time zone,text)",
            call: "crm.rfm_agg(at, amount, '2024-12-31', 'week')",
            columns: "at, amount",
            rows: "(1, NULL::timestamptz, 10::numeric), (2, '2024-01-03', 20), (3, '2024-01-03', NULL),
                   (4, '2024-02-10', 5.5), (5, NULL, NULL), (6, '2024-02-10 18:00', 4.5),
                   (7, NULL, 3), (8, '2024-06-01', 12), (9, '2024-09-09', 1), (10, NULL, NULL)",
            null_rows: "(1, NULL::timestamptz, 10::numeric), (2, '2024-01-03', NULL), (3, NULL, NULL)",
        },
        Case {
            signature: "crm.rfm_holdout_agg(timestamp with time zone,numeric,timestamp with time zone,timestamp with time zone,text)",
            call: "crm.rfm_holdout_agg(at, amount, '2024-03-31', '2024-12-31', 'week')",
            columns: "at, amount",
            rows: "(1, NULL::timestamptz, 10::numeric), (2, '2024-01-03', 20), (3, '2024-01-03', NULL),
                   (4, '2024-02-10', 5.5), (5, NULL, NULL), (6, '2024-04-10 18:00', 4.5),
                   (7, NULL, 3), (8, '2024-06-01', 12), (9, '2024-09-09', 1), (10, NULL, NULL)",
            null_rows: "(1, NULL::timestamptz, 10::numeric), (2, '2024-01-03', NULL), (3, NULL, NULL)",
        },
        Case {
            signature: "crm.pipeline_agg(numeric,timestamp with time zone,timestamp with time zone,boolean)",
            call: "crm.pipeline_agg(a, c, cl, w)",
            columns: "a, c, cl, w",
            rows: PIPELINE_ROWS,
            null_rows: PIPELINE_NULLS,
        },
        Case {
            signature: "crm.pipeline_velocity(numeric,timestamp with time zone,timestamp with time zone,boolean)",
            call: "crm.pipeline_velocity(a, c, cl, w)",
            columns: "a, c, cl, w",
            rows: PIPELINE_ROWS,
            null_rows: PIPELINE_NULLS,
        },
        Case {
            signature: "crm.rollup(crm.pipeline_summary)",
            call: "crm.rollup(s)",
            columns: "s",
            rows: "(1, NULL::crm.pipeline_summary), (2, NULL),
                   (3, (SELECT crm.pipeline_agg(100::numeric, '2024-01-01'::timestamptz, '2024-01-11'::timestamptz, true))),
                   (4, NULL),
                   (5, (SELECT crm.pipeline_agg(200::numeric, '2024-01-05'::timestamptz, '2024-01-20'::timestamptz, false))),
                   (6, (SELECT crm.pipeline_agg(300::numeric, '2024-02-01'::timestamptz, NULL, NULL))),
                   (7, NULL), (8, NULL),
                   (9, (SELECT crm.pipeline_agg(120::numeric, '2024-02-01'::timestamptz, '2024-03-01'::timestamptz, true))),
                   (10, NULL)",
            null_rows: "(1, NULL::crm.pipeline_summary), (2, NULL), (3, NULL)",
        },
        Case {
            signature: "crm.mrr_agg(bigint,date,numeric)",
            call: "crm.mrr_agg(id, m, v)",
            columns: "id, m, v",
            rows: MRR_ROWS,
            null_rows: MRR_NULLS,
        },
        Case {
            signature: "crm.mrr_agg(text,date,numeric)",
            call: "crm.mrr_agg(id::text, m, v)",
            columns: "id, m, v",
            rows: MRR_ROWS,
            null_rows: MRR_NULLS,
        },
        Case {
            signature: "crm.mrr_agg(uuid,date,numeric)",
            call: "crm.mrr_agg(md5(id::text)::uuid, m, v)",
            columns: "id, m, v",
            rows: MRR_ROWS,
            null_rows: MRR_NULLS,
        },
        Case {
            signature: "crm.rollup(crm.mrr_summary)",
            call: "crm.rollup(s)",
            columns: "s",
            rows: "(1, NULL::crm.mrr_summary), (2, NULL),
                   (3, (SELECT crm.mrr_agg(1::bigint, '2024-01-01'::date, 10::numeric))),
                   (4, NULL),
                   (5, (SELECT crm.mrr_agg(1::bigint, '2024-02-01'::date, 20::numeric))),
                   (6, (SELECT crm.mrr_agg(2::bigint, '2024-02-01'::date, 7::numeric))),
                   (7, NULL), (8, NULL),
                   (9, (SELECT crm.mrr_agg(1::bigint, '2024-03-01'::date, 0::numeric))),
                   (10, NULL)",
            null_rows: "(1, NULL::crm.mrr_summary), (2, NULL), (3, NULL)",
        },
        Case {
            signature: "crm.window_funnel(timestamp with time zone,integer,interval)",
            call: "crm.window_funnel(t, s, '1 day')",
            columns: "t, s, id",
            rows: FUNNEL_ROWS,
            null_rows: FUNNEL_NULLS,
        },
        Case {
            signature: "crm.window_funnel(timestamp with time zone,integer,interval,text)",
            call: "crm.window_funnel(t, s, '1 day', 'strict_order')",
            columns: "t, s, id",
            rows: FUNNEL_ROWS,
            null_rows: FUNNEL_NULLS,
        },
        Case {
            signature: "crm.funnel_agg(bigint,timestamp with time zone,integer,interval)",
            call: "crm.funnel_agg(id, t, s, '1 day')",
            columns: "t, s, id",
            rows: FUNNEL_ROWS,
            null_rows: FUNNEL_NULLS,
        },
        Case {
            signature: "crm.funnel_agg(bigint,timestamp with time zone,integer,interval,text)",
            call: "crm.funnel_agg(id, t, s, '1 day', 'strict_increase')",
            columns: "t, s, id",
            rows: FUNNEL_ROWS,
            null_rows: FUNNEL_NULLS,
        },
        Case {
            signature: "crm.funnel_agg(text,timestamp with time zone,integer,interval)",
            call: "crm.funnel_agg(id::text, t, s, '1 day')",
            columns: "t, s, id",
            rows: FUNNEL_ROWS,
            null_rows: FUNNEL_NULLS,
        },
        Case {
            signature: "crm.funnel_agg(text,timestamp with time zone,integer,interval,text)",
            call: "crm.funnel_agg(id::text, t, s, '1 day', 'strict_increase')",
            columns: "t, s, id",
            rows: FUNNEL_ROWS,
            null_rows: FUNNEL_NULLS,
        },
        Case {
            signature: "crm.funnel_agg(uuid,timestamp with time zone,integer,interval)",
            call: "crm.funnel_agg(md5(id::text)::uuid, t, s, '1 day')",
            columns: "t, s, id",
            rows: FUNNEL_ROWS,
            null_rows: FUNNEL_NULLS,
        },
        Case {
            signature: "crm.funnel_agg(uuid,timestamp with time zone,integer,interval,text)",
            call: "crm.funnel_agg(md5(id::text)::uuid, t, s, '1 day', 'strict_increase')",
            columns: "t, s, id",
            rows: FUNNEL_ROWS,
            null_rows: FUNNEL_NULLS,
        },
        Case {
            signature: "crm.rollup(crm.funnel_summary)",
            call: "crm.rollup(f)",
            columns: "f",
            rows: "(1, NULL::crm.funnel_summary), (2, NULL),
                   (3, (SELECT crm.funnel_agg(1::bigint, '2024-01-01'::timestamptz, 1, '1 day'))),
                   (4, NULL),
                   (5, (SELECT crm.funnel_agg(2::bigint, '2024-01-01'::timestamptz, 2, '1 day'))),
                   (6, (SELECT crm.funnel_agg(e, t, s, '1 day') FROM (VALUES (3::bigint, '2024-01-01'::timestamptz, 1), (3, '2024-01-01 05:00', 2)) v(e, t, s))),
                   (7, NULL), (8, NULL),
                   (9, (SELECT crm.funnel_agg(4::bigint, '2024-01-03'::timestamptz, 1, '1 day'))),
                   (10, NULL)",
            null_rows: "(1, NULL::crm.funnel_summary), (2, NULL), (3, NULL)",
        },
        Case {
            signature: "crm.win_rate(boolean)",
            call: "crm.win_rate(w)",
            columns: "w",
            rows: BOOLEAN_ROWS,
            null_rows: BOOLEAN_NULLS,
        },
        Case {
            signature: "crm.renewal_rate(boolean)",
            call: "crm.renewal_rate(w)",
            columns: "w",
            rows: BOOLEAN_ROWS,
            null_rows: BOOLEAN_NULLS,
        },
        Case {
            signature: "crm.conversion_rate(boolean)",
            call: "crm.conversion_rate(w)",
            columns: "w",
            rows: BOOLEAN_ROWS,
            null_rows: BOOLEAN_NULLS,
        },
        // --- service ---
        Case {
            signature: "crm.service_agg(timestamp with time zone,timestamp with time zone,timestamp with time zone,integer,boolean)",
            call: "crm.service_agg(c, r, s, n, o)",
            columns: "c, r, s, n, o",
            rows: TICKET_ROWS,
            null_rows: TICKET_NULLS,
        },
        Case {
            signature: "crm.service_agg(timestamp with time zone,timestamp with time zone,timestamp with time zone,integer,boolean,crm.business_calendar)",
            call: "crm.service_agg(c, r, s, n, o, crm.business_calendar('Mon-Fri 09:00-17:00', 'Europe/Berlin'))",
            columns: "c, r, s, n, o",
            rows: TICKET_ROWS,
            null_rows: TICKET_NULLS,
        },
        Case {
            signature: "crm.service_agg(timestamp with time zone,timestamp with time zone,timestamp with time zone,integer,boolean,crm.business_calendar,timestamp with time zone)",
            call: "crm.service_agg(c, r, s, n, o, crm.business_calendar('Mon-Fri 09:00-17:00', 'Europe/Berlin'), timestamptz '2024-03-11 12:00+00')",
            columns: "c, r, s, n, o",
            rows: TICKET_ROWS,
            null_rows: TICKET_NULLS,
        },
        Case {
            signature: "crm.rollup(crm.service_summary)",
            call: "crm.rollup(s)",
            columns: "s",
            rows: r#"(1, NULL::crm.service_summary), (2, NULL),
                     (3, '{"version":1,"time":"elapsed","tickets":1,"reopened":0,"first_contact_resolved":1,"first_response_us":[60000000],"resolution_us":[3600000000]}'),
                     (4, NULL),
                     (5, '{"version":1,"time":"elapsed","tickets":2,"reopened":1,"first_contact_resolved":0,"first_response_us":[5],"resolution_us":[7200000000]}'),
                     (6, '{"version":1,"time":"elapsed","tickets":1,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[]}'),
                     (7, NULL), (8, NULL),
                     (9, '{"version":1,"time":"elapsed","tickets":3,"reopened":0,"first_contact_resolved":1,"first_response_us":[1,2,3],"resolution_us":[4]}'),
                     (10, NULL)"#,
            null_rows: "(1, NULL::crm.service_summary), (2, NULL), (3, NULL)",
        },
        Case {
            signature: "crm.sla_attainment(timestamp with time zone,timestamp with time zone,interval)",
            call: "crm.sla_attainment(c, r, interval '2 hours')",
            columns: "c, r, s, n, o",
            rows: TICKET_ROWS,
            null_rows: TICKET_NULLS,
        },
        Case {
            signature: "crm.sla_attainment(timestamp with time zone,timestamp with time zone,interval,crm.business_calendar)",
            call: "crm.sla_attainment(c, r, interval '2 hours', crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York'))",
            columns: "c, r, s, n, o",
            rows: TICKET_ROWS,
            null_rows: TICKET_NULLS,
        },
        Case {
            signature: "crm.sla_attainment(timestamp with time zone,timestamp with time zone,interval,crm.business_calendar,timestamp with time zone)",
            call: "crm.sla_attainment(c, r, interval '2 hours', crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York'), timestamptz '2024-03-11 12:00+00')",
            columns: "c, r, s, n, o",
            rows: TICKET_ROWS,
            null_rows: TICKET_NULLS,
        },
        Case {
            signature: "crm.fcr_rate(integer,boolean,boolean)",
            call: "crm.fcr_rate(n, o, s IS NOT NULL)",
            columns: "c, r, s, n, o",
            rows: TICKET_ROWS,
            null_rows: TICKET_NULLS,
        },
        // --- survival ---
        Case {
            signature: "crm.survival_agg(timestamp with time zone,timestamp with time zone,timestamp with time zone)",
            call: "crm.survival_agg(s, e, timestamptz '2024-06-01+00')",
            columns: "s, e",
            rows: SURVIVAL_CUSTOMER_ROWS,
            null_rows: SURVIVAL_CUSTOMER_NULLS,
        },
        Case {
            signature: "crm.survival_agg(interval,boolean)",
            call: "crm.survival_agg(d, e)",
            columns: "d, e",
            rows: SURVIVAL_DURATION_ROWS,
            null_rows: SURVIVAL_DURATION_NULLS,
        },
        Case {
            signature: "crm.rollup(crm.survival_summary)",
            call: "crm.rollup(s)",
            columns: "s",
            rows: r#"(1, NULL::crm.survival_summary), (2, NULL),
                     (3, '{"version":1,"durations":[[86400000000,1,0]]}'),
                     (4, NULL),
                     (5, '{"version":1,"durations":[[86400000000,0,2],[172800000000,1,0]]}'),
                     (6, '{"version":1,"durations":[[3600000000,1,1]]}'),
                     (7, NULL), (8, NULL),
                     (9, '{"version":1,"durations":[[172800000000,3,0]]}'),
                     (10, NULL)"#,
            null_rows: "(1, NULL::crm.survival_summary), (2, NULL), (3, NULL)",
        },
    ];

    /// Frames as SQL and as the rows `i + low ..= i + high` they hold: frames that start on NULL
    /// rows, hold only NULL rows, slide over NULL rows, shrink to empty and start empty.
    const FRAMES: [(&str, i32, i32); 8] = [
        ("ROWS BETWEEN 1 PRECEDING AND CURRENT ROW", -1, 0),
        ("ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING", -2, -1),
        ("ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING", 0, 1),
        ("ROWS BETWEEN 1 FOLLOWING AND 3 FOLLOWING", 1, 3),
        ("ROWS BETWEEN 2 PRECEDING AND 2 FOLLOWING", -2, 2),
        ("ROWS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING", 0, 1_000),
        (
            "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
            -1_000,
            0,
        ),
        (
            "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
            -1_000,
            1_000,
        ),
    ];

    /// For one case, rows and frame: (rows whose window result differs from the aggregate
    /// recomputed over the frame's rows with a plain subquery, window results that are not NULL).
    fn window_mismatches(case: &Case, rows: &str, frame: &str, low: i32, high: i32) -> (i64, i64) {
        let query = format!(
            "WITH t(i, {columns}) AS (VALUES {rows}),
                  w AS (SELECT i, ({call} OVER (ORDER BY i {frame}))::text AS got FROM t)
             SELECT count(*) FILTER (WHERE got IS DISTINCT FROM
                        (SELECT ({call})::text FROM t WHERE t.i BETWEEN w.i + {low} AND w.i + {high})),
                    count(got)
             FROM w",
            columns = case.columns,
            call = case.call,
        );
        match Spi::get_two::<i64, i64>(&query) {
            Ok((Some(mismatches), Some(results))) => (mismatches, results),
            other => panic!("{}: {frame}: {other:?}", case.signature),
        }
    }

    #[pg_test]
    fn every_aggregate_as_a_window_function_equals_a_recomputation() {
        for case in CASES {
            for (frame, low, high) in FRAMES {
                let (mismatches, results) = window_mismatches(case, case.rows, frame, low, high);
                assert_eq!(mismatches, 0, "{} {frame}", case.signature);
                assert!(results > 0, "{} {frame}: every result NULL", case.signature);
                let (mismatches, results) =
                    window_mismatches(case, case.null_rows, frame, low, high);
                assert_eq!(mismatches, 0, "{} {frame}, NULL rows", case.signature);
                assert_eq!(
                    results, 0,
                    "{} {frame}: NULL rows give NULL",
                    case.signature
                );
            }
        }
    }

    /// Loads `rows` of `case`, each 8 times in a row, into a fresh table `scale_rows` of one row
    /// per page (a 5000-byte uncompressed pad), so that a parallel scan can hand pages to both
    /// workers.
    fn load_one_row_per_page(case: &Case, rows: &str) {
        Spi::run(&format!(
            "DROP TABLE IF EXISTS scale_rows, scale_source;
             CREATE TABLE scale_source AS SELECT * FROM (VALUES {rows}) v(i, {columns});
             CREATE TABLE scale_rows (LIKE scale_source, pad text);
             ALTER TABLE scale_rows ALTER pad SET STORAGE PLAIN,
                 SET (parallel_workers = 2, autovacuum_enabled = off);
             INSERT INTO scale_rows SELECT s.*, repeat('x', 5000)
                 FROM scale_source s, generate_series(1, 8) ORDER BY s.i;
             ANALYZE scale_rows",
            columns = case.columns,
        ))
        .unwrap_or_else(|e| panic!("{}: loading rows: {e}", case.signature));
    }

    /// `query` as text with parallel query off, then with a parallel plan forced; panics unless
    /// EXPLAIN shows a Partial and a Finalize Aggregate for the forced plan.
    ///
    /// The tables are tiny, so besides the usual settings (no setup cost, no minimum size) page
    /// reads cost nothing (else the saving is within the planner's 1 % fuzz), a tuple sent to
    /// the leader costs a little (at 0, gathering raw rows beats partial aggregation), and
    /// operators cost nothing (merging growing states is costed per row aggregated,
    /// `crm_internal.merged_state_cost`, which would otherwise make gathering the rows cheaper).
    fn serial_and_parallel(label: &str, query: &str) -> (Option<String>, Option<String>) {
        let run = |settings: &str| {
            Spi::run(settings).expect("settings apply");
            Spi::get_one::<String>(query).unwrap_or_else(|e| panic!("{label}: {query}: {e}"))
        };
        let serial = run("SET LOCAL max_parallel_workers_per_gather = 0");
        let parallel = run(
            "SET LOCAL max_parallel_workers_per_gather = 2; SET LOCAL parallel_setup_cost = 0;
             SET LOCAL parallel_tuple_cost = 0.01; SET LOCAL min_parallel_table_scan_size = 0;
             SET LOCAL seq_page_cost = 0; SET LOCAL cpu_operator_cost = 0;
             SET LOCAL parallel_leader_participation = off",
        );
        let plan =
            Spi::get_one::<pgrx::datum::Json>(&format!("EXPLAIN (FORMAT JSON, COSTS OFF) {query}"))
                .expect("EXPLAIN runs")
                .expect("EXPLAIN returns a plan")
                .0
                .to_string();
        assert!(
            plan.contains("\"Partial Mode\":\"Partial\"")
                && plan.contains("\"Partial Mode\":\"Finalize\""),
            "{label}: no parallel plan (Partial + Finalize Aggregate) for {query}: {plan}"
        );
        (serial, parallel)
    }

    /// Every aggregate of the catalog (the window cases cover all of them) under a forced
    /// parallel plan: EXPLAIN shows Partial and Finalize Aggregate, and the answer as text equals
    /// the serial one, for usable rows and for rows of which none is usable. Each row sleeps
    /// 1 ms in the scan so that the second worker starts before the first has read every page,
    /// and both partial states are usually non-empty (combine is exercised, not only skipped).
    #[pg_test]
    fn every_aggregate_in_a_parallel_plan_equals_serial() {
        for case in CASES {
            for (label, rows) in [("rows", case.rows), ("NULL rows", case.null_rows)] {
                load_one_row_per_page(case, rows);
                let pages = Spi::get_one::<i32>(
                    "SELECT relpages FROM pg_class WHERE oid = 'scale_rows'::regclass",
                )
                .expect("catalog query runs");
                assert!(
                    pages > Some(8),
                    "{} ({label}): {pages:?} pages",
                    case.signature
                );
                let query = format!(
                    "SELECT ({})::text FROM scale_rows WHERE pg_sleep(0.001)::text IS NOT NULL",
                    case.call
                );
                let label = format!("{} ({label})", case.signature);
                let (serial, parallel) = serial_and_parallel(&label, &query);
                assert_eq!(parallel, serial, "{label}");
                assert_eq!(serial.is_some(), rows == case.rows, "{label}: {serial:?}");
            }
        }
    }

    /// A representative aggregate of each family with a summary: (name, call over the columns of
    /// `scale_flat`, summary type).
    const FAMILIES: [(&str, &str, &str); 6] = [
        ("nps_agg", "crm.nps_agg(score)", "crm.nps_summary"),
        (
            "customer_agg",
            "crm.customer_agg(started_at, ended_at)",
            "crm.customer_summary",
        ),
        (
            "cohort_agg",
            "crm.cohort_agg(customer_id, occurred_at, 'month')",
            "crm.cohort_summary",
        ),
        (
            "pipeline_agg",
            "crm.pipeline_agg(amount, occurred_at, closed_at, won)",
            "crm.pipeline_summary",
        ),
        (
            "mrr_agg",
            "crm.mrr_agg(customer_id, month, mrr)",
            "crm.mrr_summary",
        ),
        (
            "service_agg",
            "crm.service_agg(occurred_at, first_response_at, resolved_at, replies, reopened)",
            "crm.service_summary",
        ),
    ];

    /// 3000 rows over three months with columns for every family (and NULLs), once as the plain
    /// table `scale_flat` and once as `scale_monthly`, partitioned by `month` into three tables.
    fn monthly_tables() {
        Spi::run(
            "CREATE TABLE scale_flat AS
             SELECT m.month, g % 2 AS segment, (g % 500)::bigint AS customer_id,
                    CASE WHEN g % 13 = 0 THEN NULL ELSE g % 11 END AS score,
                    m.month + make_interval(days => g % 27, hours => g % 24) AS occurred_at,
                    timestamptz '2023-06-01' + make_interval(days => g % 300) AS started_at,
                    CASE WHEN g % 4 = 0 THEN timestamptz '2023-06-01' + make_interval(days => g % 300 + g % 200) END AS ended_at,
                    CASE WHEN g % 9 = 0 THEN NULL ELSE round((g * 37 % 10000) / 7.0, 2) END AS amount,
                    CASE WHEN g % 3 = 0 THEN m.month + make_interval(days => g % 27 + g % 40) END AS closed_at,
                    CASE WHEN g % 3 = 0 THEN g % 2 = 0 END AS won,
                    round((g * 13 % 900) / 3.0, 2) AS mrr,
                    m.month + make_interval(days => g % 27, hours => g % 24, mins => g % 300) AS first_response_at,
                    CASE WHEN g % 5 <> 0 THEN m.month + make_interval(days => g % 27, hours => g % 24, mins => g % 4000) END AS resolved_at,
                    g % 4 AS replies, g % 17 = 0 AS reopened
             FROM generate_series(1, 3000) g,
                  LATERAL (SELECT (date '2024-01-01' + make_interval(months => g % 3))::date AS month) m;
             CREATE TABLE scale_monthly (LIKE scale_flat) PARTITION BY RANGE (month);
             CREATE TABLE scale_monthly_2024_01 PARTITION OF scale_monthly
                 FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
             CREATE TABLE scale_monthly_2024_02 PARTITION OF scale_monthly
                 FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
             CREATE TABLE scale_monthly_2024_03 PARTITION OF scale_monthly
                 FOR VALUES FROM ('2024-03-01') TO ('2024-04-01');
             INSERT INTO scale_monthly SELECT * FROM scale_flat;
             ANALYZE scale_flat; ANALYZE scale_monthly",
        )
        .expect("tables are created");
    }

    /// `SELECT key, call FROM table GROUP BY key` as one text, in key order.
    fn grouped(call: &str, table: &str, key: &str) -> Option<String> {
        Spi::get_one::<String>(&format!(
            "SELECT string_agg(format('%s: %s', k, a), E'\\n' ORDER BY k)
             FROM (SELECT {key} AS k, ({call})::text AS a FROM {table} GROUP BY {key}) t"
        ))
        .unwrap_or_else(|e| panic!("{call} GROUP BY {key}: {e}"))
    }

    fn plan_of(query: &str) -> String {
        Spi::get_one::<pgrx::datum::Json>(&format!("EXPLAIN (FORMAT JSON, COSTS OFF) {query}"))
            .expect("EXPLAIN runs")
            .expect("EXPLAIN returns a plan")
            .0
            .to_string()
    }

    /// With `enable_partitionwise_aggregate`, a table partitioned by month gives the answers of
    /// the plain table, grouped by the partition key (one aggregate per partition) and by another
    /// column (partial aggregates per partition, combined); and summaries stored per partition
    /// roll up to the one-pass answer over all rows.
    #[pg_test]
    fn partitionwise_aggregates_and_stored_partition_summaries_roll_up() {
        monthly_tables();
        Spi::run(
            // Operators cost nothing: merging growing states is costed per row aggregated
            // (`crm_internal.merged_state_cost`), which makes one aggregate over the appended
            // partitions cheaper than partial aggregates per partition for these states.
            "SET LOCAL enable_partitionwise_aggregate = on;
             SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL cpu_operator_cost = 0",
        )
        .expect("settings apply");
        for (name, call, summary) in FAMILIES {
            let by_month = format!("SELECT month, {call} FROM scale_monthly GROUP BY month");
            let plan = plan_of(&by_month);
            assert_eq!(
                plan.matches("\"Node Type\":\"Aggregate\"").count(),
                3,
                "{name}: one aggregate per partition: {plan}"
            );
            assert!(
                !plan.contains("\"Partial Mode\":\"Partial\""),
                "{name}: {plan}"
            );
            let expected = grouped(call, "scale_flat", "month");
            assert!(expected.is_some(), "{name}");
            assert_eq!(grouped(call, "scale_monthly", "month"), expected, "{name}");

            let by_segment = format!("SELECT segment, {call} FROM scale_monthly GROUP BY segment");
            let plan = plan_of(&by_segment);
            assert_eq!(
                plan.matches("\"Partial Mode\":\"Partial\"").count(),
                3,
                "{name}: a partial aggregate per partition: {plan}"
            );
            assert!(
                plan.contains("\"Partial Mode\":\"Finalize\""),
                "{name}: {plan}"
            );
            let expected = grouped(call, "scale_flat", "segment");
            assert_eq!(
                grouped(call, "scale_monthly", "segment"),
                expected,
                "{name}"
            );

            let one_pass =
                Spi::get_one::<String>(&format!("SELECT ({call})::text FROM scale_flat"))
                    .expect("one pass runs");
            let rolled_up = Spi::get_one::<String>(&format!(
                "WITH stored AS MATERIALIZED (
                     SELECT month, {call} AS s FROM scale_monthly GROUP BY month)
                 SELECT crm.rollup(s::text::{summary})::text FROM stored"
            ))
            .expect("roll-up runs");
            assert!(one_pass.is_some(), "{name}");
            assert_eq!(
                rolled_up, one_pass,
                "{name}: roll-up of partition summaries"
            );
        }
    }

    /// The signatures of the aggregates in schema `crm` that match `condition` (SQL over
    /// `pg_aggregate a` and `pg_proc p`), sorted, printed with `search_path` = `pg_catalog`.
    fn aggregates_where(condition: &str) -> Vec<String> {
        Spi::run("SELECT set_config('search_path', 'pg_catalog', true)").expect("path is set");
        let list = Spi::get_one::<String>(&format!(
            "SELECT string_agg(a.aggfnoid::regprocedure::text, ';')
             FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
             WHERE p.pronamespace = 'crm'::regnamespace AND ({condition})"
        ))
        .expect("catalog query runs");
        let mut signatures: Vec<String> = list
            .map(|list| list.split(';').map(str::to_owned).collect())
            .unwrap_or_default();
        signatures.sort();
        signatures
    }

    #[pg_test]
    fn every_aggregate_has_a_window_case() {
        let mut covered: Vec<String> = CASES
            .iter()
            .map(|case| case.signature)
            .chain(MODEL_FITS)
            .map(str::to_owned)
            .collect();
        covered.sort();
        assert_eq!(aggregates_where("true"), covered);
    }

    /// The text form of every type in schema `crm` is a JSON object and nothing else: serde alone
    /// would read a struct from a JSON array of its fields.
    #[pg_test]
    fn every_type_refuses_text_that_is_not_a_json_object() {
        // Each cast must fail with 22P02 (or 22023 where a type reads another documented form,
        // as crm.business_calendar reads bare hours); one that succeeds raises P0003.
        Spi::run(
            "DO $$
             DECLARE t regtype; v text;
             BEGIN
                 FOR t IN SELECT oid::regtype FROM pg_type
                          WHERE typnamespace = 'crm'::regnamespace AND typtype = 'b' LOOP
                     FOREACH v IN ARRAY ARRAY['[1,2,3,4,5,6,7,8]', '[0.5,1.5,0.5,1.5,null]',
                                              '[]', '1', 'null'] LOOP
                         BEGIN
                             EXECUTE format('SELECT %L::%s', v, t);
                             RAISE EXCEPTION 'type % accepted text %', t, v USING ERRCODE = 'P0003';
                         EXCEPTION WHEN invalid_text_representation OR invalid_parameter_value THEN
                             NULL;
                         END;
                     END LOOP;
                 END LOOP;
             END $$",
        )
        .expect("no type of crm reads a JSON array, number or null");
    }

    #[pg_test]
    fn every_aggregate_is_parallel_safe_and_commented() {
        let incomplete = aggregates_where(
            "a.aggcombinefn = 0
             OR (a.aggtranstype = 'internal'::regtype AND (a.aggserialfn = 0 OR a.aggdeserialfn = 0))
             OR p.proparallel <> 's'
             OR obj_description(p.oid, 'pg_proc') IS NULL",
        );
        assert_eq!(incomplete, Vec::<String>::new());
        // Moving-aggregate support is complete where it exists.
        let half_moving =
            aggregates_where("a.aggmtransfn <> 0 AND (a.aggminvtransfn = 0 OR a.aggmfinalfn = 0)");
        assert_eq!(half_moving, Vec::<String>::new());
    }

    /// Every aggregate's transition state is a real type of the extension (Citus ships it as
    /// text; parallel query needs no serialize/deserialize functions); `internal` remains only
    /// as the moving-aggregate state of window frames, which Postgres never ships.
    #[pg_test]
    fn every_aggregate_state_is_a_type_citus_can_ship() {
        let internal = aggregates_where("a.aggtranstype = 'internal'::regtype");
        assert_eq!(internal, Vec::<String>::new());
        let misdeclared = aggregates_where(
            "a.aggtranstype <> 'internal'::regtype
             AND (a.aggserialfn <> 0 OR a.aggdeserialfn <> 0 OR a.aggcombinefn = 0
                  OR a.aggfinalmodify <> 'r'
                  OR NOT EXISTS (SELECT FROM pg_type t WHERE t.oid = a.aggtranstype
                                 AND t.typnamespace = 'crm'::regnamespace AND t.typlen = -1))",
        );
        assert_eq!(misdeclared, Vec::<String>::new());
    }

    /// Called directly (not by an aggregate), the support functions of a shippable state return
    /// new canonical values (equal byte for byte to the same value read from text) and the
    /// combine and final functions read states in their text form, as Citus ships them.
    #[pg_test]
    fn shippable_state_functions_called_directly_return_canonical_values() {
        let one = |query: &str| Spi::get_one::<bool>(query).expect("query runs");
        assert_eq!(
            one(
                r#"SELECT crm_internal.nps_trans(crm_internal.nps_trans(NULL::crm.nps_summary, 9), 3)
                   OPERATOR(crm.=) '{"promoters":1,"passives":0,"detractors":1}'::crm.nps_summary"#
            ),
            Some(true)
        );
        assert_eq!(
            one(r#"SELECT crm.nps_agg(s) OPERATOR(crm.=)
                   '{"promoters":1,"passives":1,"detractors":1}'::crm.nps_summary
                   FROM (VALUES (9), (7), (0), (NULL)) v(s)"#),
            Some(true)
        );
        assert_eq!(
            one(
                r#"SELECT crm_internal.share_final(crm_internal.share_combine('{"true_rows":1,"rows":3}'::crm.share_state,
                   '{"true_rows":2,"rows":3}'::crm.share_state)) = 0.5"#
            ),
            Some(true)
        );
        assert_eq!(
            one(
                r#"SELECT crm_internal.csat_final(crm_internal.csat_combine(NULL::crm.csat_state,
                   crm_internal.csat_trans(NULL::crm.csat_state, 5))) = 1.0"#
            ),
            Some(true)
        );
        assert_eq!(
            one(
                r#"SELECT crm_internal.csat_trans('{"satisfied":1,"responses":1}'::crm.csat_state, 2)::text
                   = '{"satisfied":1,"responses":2}'"#
            ),
            Some(true)
        );
    }

    /// The pipeline aggregates' state `crm.pipeline_summary`: called directly, the transition,
    /// combine and final functions return canonical values (equal byte for byte to the same
    /// value read from text), read states in their text form as Citus ships them, and never
    /// change their second argument.
    #[pg_test]
    fn pipeline_state_functions_called_directly_return_canonical_values() {
        let one = |query: &str| Spi::get_one::<bool>(query).expect("query runs");
        let won = r#"'{"won":1,"lost":0,"open":0,"won_value":"10.50","open_value":"0","won_cycle_microseconds":86400000000}'::crm.pipeline_summary"#;
        let open = r#"'{"won":0,"lost":0,"open":1,"won_value":"0","open_value":"3","won_cycle_microseconds":0}'::crm.pipeline_summary"#;
        assert_eq!(
            one(&format!(
                "SELECT crm_internal.pipeline_agg_trans(NULL::crm.pipeline_summary, 10.50, '2024-01-01', '2024-01-02', true)
                 OPERATOR(crm.=) {won}"
            )),
            Some(true)
        );
        assert_eq!(
            one(&format!(
                "SELECT crm_internal.pipeline_combine(NULL::crm.pipeline_summary, {won}) OPERATOR(crm.=) {won}"
            )),
            Some(true)
        );
        assert_eq!(
            one(&format!(
                r#"WITH v(a, b) AS (SELECT {won}, {open})
                   SELECT crm_internal.pipeline_combine(a, b)::text
                          = '{{"won":1,"lost":0,"open":1,"won_value":"10.50","open_value":"3","won_cycle_microseconds":86400000000}}'
                          AND b OPERATOR(crm.=) {open}
                   FROM v"#
            )),
            Some(true)
        );
        assert_eq!(
            one(&format!(
                "SELECT crm_internal.pipeline_velocity_final({won}) = 10.50
                    AND crm_internal.pipeline_agg_final(NULL::crm.pipeline_summary) IS NULL
                    AND crm_internal.pipeline_agg_final('{{\"won\":0,\"lost\":0,\"open\":0,\"won_value\":\"0\",\"open_value\":\"0\",\"won_cycle_microseconds\":0}}'::crm.pipeline_summary) IS NULL"
            )),
            Some(true)
        );
        // Run as an aggregate (the state changed in place), the final value is canonical.
        assert_eq!(
            one(&format!(
                "SELECT crm.pipeline_agg(a, c, d, w) OPERATOR(crm.=) crm_internal.pipeline_combine({won}, {open})
                 FROM (VALUES (10.50, timestamptz '2024-01-01', timestamptz '2024-01-02', true),
                              (3, '2024-01-01', NULL, NULL), (NULL, '2024-01-01', NULL, NULL)) v(a, c, d, w)"
            )),
            Some(true)
        );
    }

    /// The one-step retention and churn aggregates' state `crm.customer_period_state`: its text
    /// form round-trips exactly; called directly, the transition, combine and final functions
    /// return canonical values, read states in their text form as Citus ships them, and never
    /// change their second argument; run as aggregates, they give the old answers.
    #[pg_test]
    fn customer_period_state_functions_called_directly_return_canonical_values() {
        let one = |query: &str| Spi::get_one::<bool>(query).expect("query runs");
        let start = r#"'{"customers_at_start":1,"customers_at_end":1,"new_customers":0,"churned_customers":0,"started_in_period":0,"ended_in_period":0,"rows":1,"denominator":null}'::crm.customer_period_state"#;
        let churned = r#"'{"customers_at_start":1,"customers_at_end":0,"new_customers":0,"churned_customers":1,"started_in_period":0,"ended_in_period":1,"rows":1,"denominator":"average"}'::crm.customer_period_state"#;
        assert_eq!(
            one(&format!(
                "SELECT {start}::text::crm.customer_period_state OPERATOR(crm.=) {start}
                    AND {churned}::text = '{}'",
                &churned[1..churned.len() - "'::crm.customer_period_state".len()]
            )),
            Some(true)
        );
        // A state with rows also records their period.
        let period = r#","period":["2024-01-01 00:00:00+00","2024-02-01 00:00:00+00"]}'"#;
        let start_in_period = start.replacen("}'", period, 1);
        let churned_in_period = churned.replacen("}'", period, 1);
        assert_eq!(
            one(&format!(
                "SELECT crm_internal.retention_rate_trans(NULL::crm.customer_period_state, '2023-01-01', NULL,
                          '2024-01-01 00:00+00', '2024-02-01 00:00+00') OPERATOR(crm.=) {start_in_period}
                    AND crm_internal.churn_rate_denominator_trans(NULL::crm.customer_period_state, '2023-01-01',
                          '2024-01-10', '2024-01-01 00:00+00', '2024-02-01 00:00+00', 'average')
                        OPERATOR(crm.=) {churned_in_period}"
            )),
            Some(true)
        );
        assert_eq!(
            one(&format!(
                "WITH v(a, b) AS (SELECT {start}, {churned})
                 SELECT crm_internal.churn_rate_final(crm_internal.customer_period_combine(a, b)) = 2::float8 / 3
                    AND crm_internal.retention_rate_final(crm_internal.customer_period_combine(NULL, a)) = 1.0
                    AND crm_internal.customer_period_combine(a, NULL) OPERATOR(crm.=) a
                    AND b OPERATOR(crm.=) {churned}
                    AND crm_internal.churn_rate_final(NULL::crm.customer_period_state) IS NULL
                 FROM v"
            )),
            Some(true)
        );
        // Run as aggregates (the state changed in place), with rows the old state counted.
        assert_eq!(
            one(
                "SELECT crm.retention_rate(s, e, '2024-01-01', '2024-02-01') = 0.5
                    AND crm.churn_rate(s, e, '2024-01-01', '2024-02-01') = 0.5
                    AND crm.churn_rate(s, e, '2024-01-01', '2024-02-01', 'start_plus_new') = 1::float8 / 3
                 FROM (VALUES (timestamptz '2023-01-01', NULL::timestamptz), ('2023-06-01', '2024-01-15'),
                              ('2024-01-05', NULL), (NULL, NULL), ('2024-01-20', '2024-01-20')) v(s, e)"
            ),
            Some(true)
        );
    }

    /// The aggregates docs/conventions.md lists as lacking moving-aggregate support are exactly
    /// those without it.
    #[pg_test]
    fn aggregates_without_an_inverse_transition_are_documented() {
        let conventions = include_str!("../../docs/conventions.md");
        let section = conventions
            .split("- **")
            .find(|bullet| bullet.starts_with("Window functions."))
            .expect("docs/conventions.md has a Window functions bullet");
        let (_, listed) = section
            .split_once("Without an inverse transition")
            .expect("the bullet lists the aggregates without an inverse transition");
        let mut listed: Vec<String> = listed
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        listed.sort();
        listed.dedup();
        Spi::run("SELECT set_config('search_path', 'pg_catalog', true)").expect("path is set");
        let missing = Spi::get_one::<String>(
            "SELECT string_agg(DISTINCT CASE WHEN p.proname = 'rollup'
                                   THEN format('crm.rollup(%s)', p.proargtypes[0]::regtype)
                                   ELSE 'crm.' || p.proname END, ';')
             FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid
             WHERE p.pronamespace = 'crm'::regnamespace AND a.aggmtransfn = 0",
        )
        .expect("catalog query runs");
        let mut without: Vec<String> = missing
            .map(|list| list.split(';').map(str::to_owned).collect())
            .unwrap_or_default();
        without.sort();
        assert_eq!(listed, without);
    }

    /// Values in error messages print as `float8out` prints them (special values, the range's
    /// ends, the switch to exponent form, 2,000 doubles of random bit patterns), but for the
    /// halfway decimals `float8out` writes one digit longer: there ours reads back as the same
    /// double and is shorter.
    #[pg_test]
    fn message_floats_print_as_float8out() {
        use crate::common::error::Float8;
        let mut values = vec![
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            0.1,
            0.0001,
            0.00009999,
            1e-5,
            1e14,
            999_999_999_999_999.0,
            1e15,
            f64::MAX,
            f64::MIN_POSITIVE,
            5e-324,
        ];
        let mut bits: u64 = 0x9E37_79B9_7F4A_7C15;
        while values.len() < 2_000 {
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            values.push(f64::from_bits(bits));
        }
        // `{:e}` writes every double exactly as float8in reads it ("NaN", "inf", "-inf" too).
        let literals: Vec<String> = values.iter().map(|value| format!("'{value:e}'")).collect();
        Spi::run("SET LOCAL extra_float_digits = 1").expect("SET runs");
        let printed = Spi::get_one::<Vec<String>>(&format!(
            "SELECT array_agg(v::text ORDER BY i) FROM unnest(ARRAY[{}]::float8[]) WITH ORDINALITY u(v, i)",
            literals.join(", ")
        ))
        .expect("the query runs")
        .expect("an array");
        assert_eq!(printed.len(), values.len());
        let mut longer = 0;
        for (value, printed) in values.iter().zip(&printed) {
            let ours = Float8(*value).to_string();
            if &ours == printed {
                continue;
            }
            let same = ours
                .parse::<f64>()
                .is_ok_and(|back| back.to_bits() == value.to_bits());
            let layout = |text: &str| {
                text.split_once('e')
                    .map(|(_, exponent)| exponent.to_owned())
            };
            assert!(
                same && ours.len() < printed.len() && layout(&ours) == layout(printed),
                "{value:e}: {ours} against float8out's {printed}"
            );
            longer += 1;
        }
        assert!(longer <= 10, "{longer} of {} differ", values.len());
    }
}
