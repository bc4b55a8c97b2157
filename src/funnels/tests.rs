//! Behaviour of the funnels family inside Postgres: `crm.window_funnel` against
//! `crm.funnel_agg`, against the window-function SQL an analyst writes for an ordered funnel,
//! every SQLSTATE, and forced parallel plans.
#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use crate::common::testing::{count, sqlstate_of};
    use pgrx::prelude::*;

    fn text(query: &str) -> Option<String> {
        Spi::get_one::<String>(query).expect("query runs")
    }

    /// Lead journeys: 3000 leads, steps 0..4 with ties, repeats and steps out of order.
    fn journeys(table: &str) {
        Spi::run(&format!(
            "CREATE TABLE {table} AS
             SELECT l::bigint AS lead_id,
                    timestamptz '2025-01-01' + make_interval(hours => (l * 7 + e * 13 + (l * e) % 17) % 900) AS occurred_at,
                    ((l * 31 + e * 7) % 5)::integer AS step
             FROM generate_series(1, 3000) l, generate_series(1, 1 + l % 9) e;
             ANALYZE {table}"
        ))
        .expect("table is created");
    }

    #[pg_test]
    fn funnel_agg_levels_equal_window_funnel_per_lead() {
        journeys("journeys_levels");
        for mode in [
            "ordered",
            "strict_order",
            "strict_deduplication",
            "strict_increase",
        ] {
            // Entities at each step from crm.funnel_steps = leads whose window_funnel >= step.
            let differences = count(&format!(
                "WITH per_lead AS (
                     SELECT crm.window_funnel(occurred_at, step, '10 days', '{mode}') AS level
                     FROM journeys_levels GROUP BY lead_id),
                 expected AS (
                     SELECT s AS step, count(*) FILTER (WHERE level >= s) AS entities
                     FROM per_lead, generate_series(1, 4) s GROUP BY s),
                 ours AS (
                     SELECT step, entities FROM crm.funnel_steps((
                         SELECT crm.funnel_agg(lead_id, occurred_at, step, '10 days', '{mode}')
                         FROM journeys_levels)))
                 SELECT count(*) FROM (SELECT * FROM expected EXCEPT SELECT * FROM ours) d"
            ));
            assert_eq!(differences, 0, "{mode}");
        }
    }

    /// In 'ordered' mode with steps that each happen at most once per lead, strictly in time
    /// order, the level is what the plain SQL finds: how many steps follow in order within the
    /// window of the first step-1 event.
    #[pg_test]
    fn window_funnel_equals_plain_sql_on_simple_journeys() {
        Spi::run(
            "CREATE TEMP TABLE simple AS
             SELECT l AS lead_id, timestamptz '2025-01-01' + make_interval(days => l % 5 + s * (l % 7)) AS occurred_at, s AS step
             FROM generate_series(1, 500) l, generate_series(1, 4) s WHERE s <= 1 + l % 4",
        )
        .unwrap();
        let differences = count(
            "WITH firsts AS (SELECT lead_id, occurred_at AS start FROM simple WHERE step = 1),
                  plain AS (SELECT f.lead_id, max(s.step) FILTER (WHERE s.occurred_at <= f.start + interval '10 days') AS level
                            FROM firsts f JOIN simple s USING (lead_id) GROUP BY f.lead_id),
                  ours AS (SELECT lead_id, crm.window_funnel(occurred_at, step, '10 days') AS level
                           FROM simple GROUP BY lead_id)
             SELECT count(*) FROM plain JOIN ours USING (lead_id) WHERE plain.level IS DISTINCT FROM ours.level",
        );
        assert_eq!(differences, 0);
    }

    #[pg_test]
    fn funnel_nulls_and_errors() {
        assert_eq!(
            Spi::get_one::<i32>(
                "SELECT crm.window_funnel(t, s, '1 day') FROM (VALUES (NULL::timestamptz, 1), (now(), NULL)) v(t, s)"
            )
            .unwrap(),
            None
        );
        assert_eq!(
            Spi::get_one::<i32>("SELECT crm.window_funnel(now(), 0, '1 day')").unwrap(),
            Some(0)
        );
        for (query, state) in [
            ("SELECT crm.window_funnel(now(), 33, '1 day')", "22023"),
            ("SELECT crm.window_funnel(now(), -1, '1 day')", "22023"),
            ("SELECT crm.window_funnel(now(), 1, '0 days')", "22023"),
            ("SELECT crm.window_funnel(now(), 1, '1 month')", "22023"),
            ("SELECT crm.window_funnel(now(), 1, '1 day', 'strict')", "22023"),
            ("SELECT crm.window_funnel('infinity', 1, '1 day')", "22008"),
            ("SELECT crm.funnel_agg(1, now(), 40, '1 day')", "22023"),
            (
                "SELECT crm.window_funnel(now(), 1, w) FROM (VALUES (interval '1 day'), ('2 days')) v(w)",
                "22023",
            ),
            ("SELECT 'nonsense'::crm.funnel_summary", "22P02"),
            (
                "SELECT crm.rollup(s) FROM (SELECT crm.funnel_agg(1, now(), 1, '1 day') s UNION ALL SELECT crm.funnel_agg(1, now(), 1, '1 day')) v",
                "22023",
            ),
        ] {
            assert_eq!(sqlstate_of(query), state, "{query}");
        }
    }

    #[pg_test]
    fn funnel_parallel_plan_equals_serial() {
        journeys("parallel_journeys");
        Spi::run("INSERT INTO parallel_journeys SELECT lead_id + 3000 * k, occurred_at, step FROM parallel_journeys, generate_series(1, 5) k; ANALYZE parallel_journeys").unwrap();
        let queries = [
            "SELECT crm.funnel_agg(lead_id, occurred_at, step, '10 days', 'strict_order')::text FROM parallel_journeys",
            "SELECT crm.window_funnel(occurred_at, step, '10 days')::text FROM parallel_journeys",
        ];
        let serial: Vec<_> = queries.iter().map(|query| text(query)).collect();
        Spi::run(
            "SET LOCAL max_parallel_workers_per_gather = 2; SET LOCAL parallel_setup_cost = 0;
             SET LOCAL parallel_tuple_cost = 0; SET LOCAL min_parallel_table_scan_size = 0;
             SET LOCAL parallel_leader_participation = off",
        )
        .unwrap();
        for (query, serial) in queries.iter().zip(serial) {
            let plan = Spi::get_one::<pgrx::datum::Json>(&format!(
                "EXPLAIN (FORMAT JSON, COSTS OFF) {query}"
            ))
            .unwrap()
            .unwrap()
            .0
            .to_string();
            assert!(plan.contains("\"Partial Mode\":\"Partial\""), "{plan}");
            assert_eq!(text(query), serial, "{query}");
        }
    }
}
