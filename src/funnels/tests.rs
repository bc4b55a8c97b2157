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

    /// With one step-1 event per entity, crm.funnel_steps gives what the join chain of the
    /// plain SQL gives: the earliest step k within the window and after step k - 1, then counts
    /// and percentile_disc(0.5) of the times from step 1.
    #[pg_test]
    fn funnel_steps_equal_the_plain_join_chain() {
        Spi::run(
            "CREATE TEMP TABLE chain AS
             SELECT e AS entity_id, timestamptz '2025-01-01' + (e % 97) * interval '1 day' AS occurred_at, 1 AS step
             FROM generate_series(1, 2000) e;
             INSERT INTO chain
             SELECT entity_id, occurred_at + ((entity_id * 7 + k * 13) % (4 + entity_id % 40)) * interval '1 day'
                               + (k % 3) * interval '1 hour', (ARRAY[2, 3, 0, 4, 2, 3, 4])[1 + (entity_id + k) % 7]
             FROM chain, generate_series(1, 9) k",
        )
        .unwrap();
        let differences = count(
            "WITH t1 AS (SELECT entity_id, min(occurred_at) AS t1 FROM chain WHERE step = 1 GROUP BY 1),
                  t2 AS (SELECT t1.entity_id, t1.t1, min(f.occurred_at) AS t2 FROM t1 LEFT JOIN chain f
                           ON f.entity_id = t1.entity_id AND f.step = 2
                          AND f.occurred_at BETWEEN t1.t1 AND t1.t1 + interval '30 days' GROUP BY 1, 2),
                  t3 AS (SELECT t2.entity_id, t2.t1, t2.t2, min(f.occurred_at) AS t3 FROM t2 LEFT JOIN chain f
                           ON f.entity_id = t2.entity_id AND f.step = 3
                          AND f.occurred_at BETWEEN t2.t2 AND t2.t1 + interval '30 days' GROUP BY 1, 2, 3),
                  t4 AS (SELECT t3.*, min(f.occurred_at) AS t4 FROM t3 LEFT JOIN chain f
                           ON f.entity_id = t3.entity_id AND f.step = 4
                          AND f.occurred_at BETWEEN t3.t3 AND t3.t1 + interval '30 days' GROUP BY 1, 2, 3, 4),
                  plain AS (SELECT k AS step, count(*) AS entities,
                                   percentile_disc(0.5) WITHIN GROUP (ORDER BY (ARRAY[t1, t2, t3, t4])[k] - t1) AS median
                            FROM t4, generate_series(1, 4) k WHERE (ARRAY[t1, t2, t3, t4])[k] IS NOT NULL GROUP BY k),
                  ours AS (SELECT step, entities, median_time_from_first AS median
                           FROM crm.funnel_steps((SELECT crm.funnel_agg(entity_id, occurred_at, step, '30 days') FROM chain))
                           WHERE entities > 0)
             SELECT count(*) FROM ((SELECT * FROM plain EXCEPT SELECT * FROM ours)
                                   UNION ALL (SELECT * FROM ours EXCEPT SELECT * FROM plain)) d",
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
                "SELECT crm.rollup(s) FROM (SELECT crm.funnel_agg(1, now(), 1, '1 day') s UNION ALL SELECT crm.funnel_agg(e, now(), s, '1 day') FROM (VALUES (1::bigint, 1), (1, 2)) v(e, s)) v",
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
             SET LOCAL parallel_tuple_cost = 0.01; SET LOCAL min_parallel_table_scan_size = 0;
             SET LOCAL seq_page_cost = 0; SET LOCAL cpu_operator_cost = 0;
             SET LOCAL parallel_leader_participation = off",
        )
        .unwrap();
        // Operators cost nothing: merging funnel events is costed per row aggregated
        // (`crm_internal.merged_state_cost`), which would otherwise make gathering the rows
        // cheaper; a tuple sent to the leader costs a little so that partial states win.
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
