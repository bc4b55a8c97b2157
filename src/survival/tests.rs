//! Behaviour of the survival family inside Postgres: the aggregates against the plain SQL
//! that computes durations and event flags, every SQLSTATE, NULL rules and a parallel plan.
//! (Numbers against lifelines are in the state's unit tests and tests/pg_regress/sql/survival.sql.)
#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use crate::common::testing::sqlstate_of;
    use pgrx::prelude::*;

    fn text(query: &str) -> Option<String> {
        Spi::get_one::<String>(query).expect("query runs")
    }

    /// Customers with ties, censoring at `as_of`, customers who start after it (skipped) and
    /// zero-length rows (skipped).
    fn customers_table() {
        Spi::run(
            "CREATE TEMP TABLE survival_rows AS
             SELECT c AS id, timestamptz '2024-01-01' + (c % 97) * interval '1 day' AS started_at,
                    CASE WHEN c % 3 = 0 THEN NULL
                         ELSE timestamptz '2024-01-01' + (c % 97) * interval '1 day' + ((c * 7919) % 400) * interval '1 day' END AS ended_at
             FROM generate_series(1, 3000) c",
        )
        .expect("table is created");
    }

    #[pg_test]
    fn customer_form_equals_the_general_form_of_plain_sql() {
        customers_table();
        let ours = text(
            "SELECT crm.survival_agg(started_at, ended_at, timestamptz '2025-01-01')::text FROM survival_rows",
        );
        let plain = text(
            "SELECT crm.survival_agg(least(coalesce(ended_at, 'infinity'), '2025-01-01') - started_at,
                                     coalesce(ended_at <= '2025-01-01', false))::text
             FROM survival_rows WHERE started_at <= '2025-01-01'",
        );
        assert!(ours.is_some());
        assert_eq!(ours, plain);
        // The counts of the curve equal the plain SQL counts.
        let mismatches = Spi::get_one::<i64>(
            "WITH s AS (SELECT crm.survival_agg(started_at, ended_at, timestamptz '2025-01-01') s FROM survival_rows),
                  d AS (SELECT least(coalesce(ended_at, 'infinity'), '2025-01-01') - started_at AS t,
                               coalesce(ended_at <= '2025-01-01', false) AS e FROM survival_rows),
                  c AS (SELECT (crm.survival_curve(s)).* FROM s)
             SELECT count(*) FROM c
             WHERE at_risk <> (SELECT count(*) FROM d WHERE d.t >= c.time)
                OR events <> (SELECT count(*) FROM d WHERE d.t = c.time AND d.e)
                OR censored <> (SELECT count(*) FROM d WHERE d.t = c.time AND NOT d.e)",
        )
        .unwrap();
        assert_eq!(mismatches, Some(0));
    }

    #[pg_test]
    fn null_rules() {
        assert_eq!(
            text("SELECT crm.survival_agg(d, e)::text FROM (VALUES (NULL::interval, true), ('1 day', NULL), ('0 days', true)) x(d, e)"),
            None
        );
        assert_eq!(
            text("SELECT crm.survival_agg(s, e, a)::text FROM (VALUES (NULL::timestamptz, now(), now()), (now(), NULL, NULL), ('2025-02-01', NULL, '2025-01-01'), ('2025-01-01', '2025-01-01', '2025-03-01')) x(s, e, a)"),
            None
        );
        assert_eq!(
            text("SELECT crm.rollup(s)::text FROM (VALUES (NULL::crm.survival_summary)) x(s)"),
            None
        );
        assert_eq!(
            Spi::get_one::<f64>("SELECT crm.survival_at(NULL::crm.survival_summary, '1 day')")
                .unwrap(),
            None
        );
        // A still-active customer is censored at as_of; one who ended later too.
        assert_eq!(
            text("SELECT crm.survival_agg(s, e, '2025-01-11')::text FROM (VALUES (timestamptz '2025-01-01', NULL::timestamptz), ('2025-01-01', '2025-03-01'), ('2025-01-01', '2025-01-03')) x(s, e)").as_deref(),
            Some(r#"{"version":1,"durations":[[172800000000,1,0],[864000000000,0,2]]}"#)
        );
    }

    #[pg_test]
    fn sqlstates() {
        let s = "(SELECT crm.survival_agg(d, e) FROM (VALUES (interval '1 day', true), ('2 days', false)) x(d, e))";
        for (query, state) in [
            (
                "SELECT crm.survival_agg(timestamptz '2025-01-02', '2025-01-01', '2025-03-01')"
                    .to_owned(),
                "22023",
            ),
            (
                "SELECT crm.survival_agg(timestamptz '-infinity', NULL, '2025-03-01')".to_owned(),
                "22008",
            ),
            (
                "SELECT crm.survival_agg(timestamptz '2025-01-01', NULL, 'infinity')".to_owned(),
                "22008",
            ),
            (
                "SELECT crm.survival_agg(interval '-1 day', true)".to_owned(),
                "22023",
            ),
            (
                "SELECT crm.survival_agg(interval '1 month', true)".to_owned(),
                "22023",
            ),
            (format!("SELECT * FROM crm.survival_curve({s}, 1)"), "22003"),
            (
                format!("SELECT * FROM crm.survival_curve({s}, 'NaN')"),
                "22003",
            ),
            (
                format!("SELECT * FROM crm.median_survival_interval({s}, 0)"),
                "22003",
            ),
            (
                format!("SELECT * FROM crm.life_table({s}, '0 days', 3)"),
                "22023",
            ),
            (
                format!("SELECT * FROM crm.life_table({s}, '1 month', 3)"),
                "22023",
            ),
            (
                format!("SELECT * FROM crm.life_table({s}, '1 day', -1)"),
                "22023",
            ),
            (
                format!("SELECT * FROM crm.life_table({s}, '1 day', 2000000)"),
                "22023",
            ),
            (format!("SELECT crm.survival_at({s}, '-1 day')"), "22023"),
            (
                format!("SELECT crm.restricted_mean_survival({s}, '-1 day')"),
                "22023",
            ),
            (
                "SELECT '{\"version\":1,\"durations\":[[0,1,0]]}'::crm.survival_summary".to_owned(),
                "22P02",
            ),
            ("SELECT '{...'::crm.survival_summary".to_owned(), "22P02"),
        ] {
            assert_eq!(sqlstate_of(&query), state, "{query}");
        }
    }

    #[pg_test]
    fn survival_parallel_plan_equals_serial() {
        Spi::run(
            "CREATE TABLE parallel_survival AS
             SELECT (c % 700) * interval '1 hour' + interval '1 minute' AS d, c % 5 <> 0 AS e
             FROM generate_series(1, 200000) c;
             ANALYZE parallel_survival",
        )
        .unwrap();
        let query = "SELECT crm.survival_agg(d, e)::text FROM parallel_survival";
        let serial = text(query);
        Spi::run(
            "SET LOCAL max_parallel_workers_per_gather = 2; SET LOCAL parallel_setup_cost = 0;
             SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0;
             SET LOCAL parallel_leader_participation = off",
        )
        .unwrap();
        let plan =
            Spi::get_one::<pgrx::datum::Json>(&format!("EXPLAIN (FORMAT JSON, COSTS OFF) {query}"))
                .unwrap()
                .unwrap();
        let plan = plan.0.to_string();
        assert!(plan.contains("\"Partial Mode\":\"Partial\""), "{plan}");
        assert!(plan.contains("\"Partial Mode\":\"Finalize\""), "{plan}");
        assert_eq!(text(query), serial);
        let rollup = text(
            "SELECT crm.rollup(s)::text FROM (SELECT crm.survival_agg(d, e) s FROM parallel_survival GROUP BY e) x",
        );
        assert_eq!(rollup, serial);
    }
}
