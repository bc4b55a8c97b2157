//! Behaviour of the sales pipeline family inside Postgres, checked against the FILTER SQL an
//! analyst writes (count, avg(amount), avg(closed_at - created_at), extract(epoch ...)).
#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use crate::common::testing::{count, sqlstate_of};
    use pgrx::prelude::*;

    fn text(query: &str) -> Option<String> {
        Spi::get_one::<String>(query).expect("query runs")
    }

    /// Opportunities with open deals (won NULL or false), an owner who never wins, deals closed
    /// the instant they were created, and NULL amounts.
    fn opportunities_table() {
        Spi::run(
            "CREATE TEMP TABLE opps AS
             SELECT id, owner, amount, created_at,
                    CASE WHEN id % 5 = 0 THEN NULL
                         WHEN id % 11 = 0 THEN created_at
                         ELSE created_at + ((id * 31) % 200) * interval '1 day' + (id % 977) * interval '1 minute'
                    END AS closed_at,
                    CASE WHEN id % 5 = 0 THEN CASE WHEN id % 10 = 0 THEN false END
                         WHEN id % 7 = 3 THEN false
                         ELSE (id * 104729) % 3 = 0 END AS won
             FROM (SELECT g AS id, 'owner ' || (g % 7) AS owner,
                          CASE WHEN g % 53 = 0 THEN NULL ELSE round(((g * 7919) % 100000) / 7.0, 2) END AS amount,
                          timestamptz '2024-01-01' + (g % 365) * interval '1 day' + (g % 1440) * interval '1 minute' AS created_at
                   FROM generate_series(1, 6000) g) o",
        )
        .expect("table is created");
        // The plain-SQL reference of every accessor, per owner and overall (owner NULL).
        Spi::run(
            "CREATE TEMP VIEW reference AS
             SELECT owner, opportunities, won, lost, open, won_value, open_value, average_deal_size, cycle_seconds,
                    opportunities * won::numeric / nullif(won + lost, 0) * average_deal_size
                      / (cycle_seconds / 86400) AS velocity_per_day,
                    opportunities * won::numeric / nullif(won + lost, 0) * average_deal_size
                      / (cycle_seconds / 2592000) AS velocity_per_month,
                    won_value / (cycle_seconds / 604800) AS closed_value_per_week
             FROM (SELECT owner,
                          count(*) AS opportunities,
                          count(*) FILTER (WHERE closed_at IS NOT NULL AND won) AS won,
                          count(*) FILTER (WHERE closed_at IS NOT NULL AND NOT won) AS lost,
                          count(*) FILTER (WHERE closed_at IS NULL) AS open,
                          coalesce(sum(amount) FILTER (WHERE closed_at IS NOT NULL AND won), 0) AS won_value,
                          coalesce(sum(amount) FILTER (WHERE closed_at IS NULL), 0) AS open_value,
                          avg(amount) FILTER (WHERE closed_at IS NOT NULL AND won) AS average_deal_size,
                          nullif(avg(extract(epoch FROM closed_at - created_at)) FILTER (WHERE closed_at IS NOT NULL AND won), 0) AS cycle_seconds
                   FROM opps WHERE amount IS NOT NULL AND created_at IS NOT NULL
                   GROUP BY GROUPING SETS ((owner), ())) t",
        )
        .expect("reference is created");
    }

    /// Rows where `ours` and the reference differ by more than `tolerance` (relative).
    const OURS: &str = "
        SELECT owner, crm.opportunities(s) AS opportunities, crm.won(s) AS won, crm.lost(s) AS lost,
               crm.open(s) AS open, crm.won_value(s) AS won_value, crm.open_value(s) AS open_value,
               crm.average_deal_size(s) AS average_deal_size,
               extract(epoch FROM crm.sales_cycle(s)) AS cycle_seconds,
               crm.pipeline_velocity(s) AS velocity_per_day,
               crm.pipeline_velocity(s, '1 month') AS velocity_per_month,
               crm.closed_value_velocity(s, '7 days') AS closed_value_per_week,
               crm.win_rate(s) AS win_rate, one_step
        FROM (SELECT owner, crm.pipeline_agg(amount, created_at, closed_at, won) AS s,
                     crm.pipeline_velocity(amount, created_at, closed_at, won) AS one_step
              FROM opps GROUP BY GROUPING SETS ((owner), ())) t";

    fn close(column: &str) -> String {
        format!(
            "(o.{column} IS NULL) = (r.{column} IS NULL)
             AND coalesce(abs(o.{column} - r.{column}) <= 1e-9 * greatest(abs(r.{column}), 1), true)"
        )
    }

    #[pg_test]
    fn pipeline_accessors_equal_the_filter_sql() {
        opportunities_table();
        let checks = [
            "o.opportunities = r.opportunities AND o.won = r.won AND o.lost = r.lost AND o.open = r.open".to_owned(),
            "o.won_value = r.won_value AND o.open_value = r.open_value".to_owned(),
            close("average_deal_size"),
            // avg(interval) is rounded to the microsecond
            "(o.cycle_seconds IS NULL) = (r.won = 0)".to_owned(),
            close("velocity_per_day"),
            close("velocity_per_month"),
            close("closed_value_per_week"),
            "(o.one_step IS NOT DISTINCT FROM o.velocity_per_day)".to_owned(),
            "(o.win_rate IS NULL AND r.won + r.lost = 0) OR abs(o.win_rate - r.won::float8 / (r.won + r.lost)) < 1e-15".to_owned(),
        ];
        let rows = count(&format!(
            "SELECT count(*) FROM ({OURS}) o JOIN reference r ON o.owner IS NOT DISTINCT FROM r.owner"
        ));
        assert_eq!(rows, 8);
        for check in checks {
            let mismatches = count(&format!(
                "SELECT count(*) FROM ({OURS}) o JOIN reference r ON o.owner IS NOT DISTINCT FROM r.owner
                 WHERE NOT ({check})"
            ));
            assert_eq!(mismatches, 0, "{check}");
        }
        // The owner who never wins: a win rate of 0, no velocity.
        let never = text(
            "SELECT crm.win_rate(s)::text || ' ' || coalesce(crm.pipeline_velocity(s)::text, 'NULL')
             FROM (SELECT crm.pipeline_agg(amount, created_at, closed_at, won) s FROM opps WHERE owner = 'owner 3') t",
        );
        assert_eq!(never.as_deref(), Some("0 NULL"));
        // Cycle in seconds agrees with the reference to the microsecond.
        let off = count(
            "SELECT count(*) FROM (SELECT owner, extract(epoch FROM crm.sales_cycle(crm.pipeline_agg(amount, created_at, closed_at, won))) AS c
                                   FROM opps GROUP BY owner) o
             JOIN reference r USING (owner) WHERE abs(o.c - r.cycle_seconds) > 0.000001",
        );
        assert_eq!(off, 0);
    }

    #[pg_test]
    fn pipeline_worked_example_23333_33_per_month() {
        let velocity = text(
            "SELECT round(crm.pipeline_velocity(crm.pipeline_agg(amount, created_at, created_at + interval '90 days', won), '1 month'), 2)::text
             FROM (SELECT CASE WHEN g <= 7 THEN 10000 ELSE 4000 END AS amount, timestamptz '2025-01-01' AS created_at,
                          g <= 7 AS won FROM generate_series(1, 20) g) deals",
        );
        assert_eq!(velocity.as_deref(), Some("23333.33"));
        let parts = text(
            "SELECT concat_ws(' ', crm.opportunities(s), crm.win_rate(s), crm.average_deal_size(s), crm.sales_cycle(s))
             FROM (SELECT crm.pipeline_agg(amount, created_at, created_at + interval '90 days', won) s
                   FROM (SELECT CASE WHEN g <= 7 THEN 10000 ELSE 4000 END AS amount, timestamptz '2025-01-01' AS created_at,
                                g <= 7 AS won FROM generate_series(1, 20) g) deals) t",
        );
        assert_eq!(parts.as_deref(), Some("20 0.35 10000 90 days"));
    }

    #[pg_test]
    fn pipeline_null_and_empty_input() {
        let null_rows = "(VALUES (NULL::numeric, now(), NULL::timestamptz, NULL::boolean), (1, NULL, NULL, NULL)) v(a, c, d, w)";
        assert_eq!(
            text(&format!(
                "SELECT crm.pipeline_agg(a, c, d, w)::text FROM {null_rows}"
            )),
            None
        );
        assert_eq!(
            text(&format!(
                "SELECT crm.pipeline_velocity(a, c, d, w)::text FROM {null_rows}"
            )),
            None
        );
        let empty = "(SELECT 1::numeric, now(), now(), true WHERE false) v(a, c, d, w)";
        assert_eq!(
            text(&format!(
                "SELECT crm.pipeline_agg(a, c, d, w)::text FROM {empty}"
            )),
            None
        );
        assert_eq!(
            text("SELECT crm.rollup(s)::text FROM (VALUES (NULL::crm.pipeline_summary)) v(s)"),
            None
        );
        assert_eq!(
            text("SELECT crm.win_rate(NULL::crm.pipeline_summary)::text"),
            None
        );
        // Only open deals: counts, values, no rates.
        let open_only = text(
            "SELECT concat_ws(' ', crm.opportunities(s), crm.open(s), crm.open_value(s), crm.won_value(s),
                              coalesce(crm.win_rate(s)::text, 'NULL'), coalesce(crm.average_deal_size(s)::text, 'NULL'),
                              coalesce(crm.sales_cycle(s)::text, 'NULL'), coalesce(crm.pipeline_velocity(s)::text, 'NULL'))
             FROM (SELECT crm.pipeline_agg(a, now(), NULL, w) s FROM (VALUES (10.5, NULL::boolean), (2, false)) v(a, w)) t",
        );
        assert_eq!(open_only.as_deref(), Some("2 2 12.5 0 NULL NULL NULL NULL"));
        // Won deals that closed the instant they were created: a zero cycle, no velocity.
        let instant = text(
            "SELECT concat_ws(' ', crm.sales_cycle(s), coalesce(crm.pipeline_velocity(s)::text, 'NULL'),
                              coalesce(crm.closed_value_velocity(s)::text, 'NULL'))
             FROM (SELECT crm.pipeline_agg(5, t, t, true) s FROM (VALUES (now())) v(t)) t",
        );
        assert_eq!(instant.as_deref(), Some("00:00:00 NULL NULL"));
    }

    #[pg_test]
    fn pipeline_amounts_with_more_than_28_zero_places_slide_out_of_frames() {
        // The forward transition reads the numeric's bytes, the inverse its text: both accept
        // zeros past 28 decimal places.
        let state = sqlstate_of(
            "SELECT crm.pipeline_velocity(a, c, c + interval '1 day', true)
                      OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
             FROM (VALUES (1, 1.5000000000000000000000000000000000::numeric, now()), (2, 2, now()), (3, 3, now())) v(i, a, c)",
        );
        assert_eq!(state, "no error");
    }

    #[pg_test]
    fn pipeline_bad_inputs_raise_their_sqlstates() {
        for (query, state) in [
            ("SELECT crm.pipeline_agg(-5, now(), NULL, NULL)", "22003"),
            ("SELECT crm.pipeline_velocity(-0.01, now(), NULL, NULL)", "22003"),
            ("SELECT crm.pipeline_agg('NaN', now(), NULL, NULL)", "22003"),
            ("SELECT crm.pipeline_agg(1e30, now(), NULL, NULL)", "22003"),
            ("SELECT crm.pipeline_agg(a, now(), NULL, NULL) FROM (VALUES (79228162514264337593543950335), (1)) v(a)", "22003"),
            ("SELECT crm.pipeline_agg(1, '2025-02-01', '2025-01-01', true)", "22023"),
            ("SELECT crm.pipeline_agg(1, '2025-01-01', '2025-02-01', NULL)", "22023"),
            ("SELECT crm.pipeline_agg(1, 'infinity', NULL, NULL)", "22008"),
            ("SELECT crm.pipeline_agg(1, '2025-01-01', 'infinity', true)", "22008"),
            ("SELECT crm.pipeline_velocity(crm.pipeline_agg(1, '2025-01-01', '2025-02-01', true), '0 days')", "22023"),
            ("SELECT crm.closed_value_velocity(crm.pipeline_agg(1, '2025-01-01', '2025-02-01', true), '-1 day')", "22023"),
            ("SELECT 'nonsense'::crm.pipeline_summary", "22P02"),
            ("SELECT '{\"won\":1,\"lost\":0,\"open\":0,\"won_value\":\"-1\",\"open_value\":\"0\",\"won_cycle_microseconds\":0}'::crm.pipeline_summary", "22P02"),
        ] {
            assert_eq!(sqlstate_of(query), state, "{query}");
        }
    }

    #[pg_test]
    fn pipeline_windows_and_rollup_equal_recomputation() {
        opportunities_table();
        // Sliding frames use the inverse transition; compare with a self-join recomputation.
        let mismatches = count(
            "WITH w AS (
               SELECT id, crm.pipeline_velocity(amount, created_at, closed_at, won) OVER f AS v,
                      crm.pipeline_agg(amount, created_at, closed_at, won) OVER f AS s
               FROM opps WHERE id <= 600 WINDOW f AS (ORDER BY id ROWS BETWEEN 19 PRECEDING AND CURRENT ROW)),
             r AS (
               SELECT a.id, crm.pipeline_velocity(b.amount, b.created_at, b.closed_at, b.won) AS v,
                      crm.pipeline_agg(b.amount, b.created_at, b.closed_at, b.won) AS s
               FROM opps a JOIN opps b ON b.id BETWEEN a.id - 19 AND a.id
               WHERE a.id <= 600 GROUP BY a.id)
             SELECT count(*) FROM w JOIN r USING (id)
             WHERE w.v IS DISTINCT FROM r.v
                OR crm.won_value(w.s) <> crm.won_value(r.s) OR crm.open(w.s) <> crm.open(r.s)
                OR crm.sales_cycle(w.s) <> crm.sales_cycle(r.s)",
        );
        assert_eq!(mismatches, 0);
        // Monthly summaries rolled up equal one pass; rolling 3-month windows of summaries too.
        let same = Spi::get_one::<bool>(
            "SELECT (SELECT crm.rollup(s)::text FROM (
                       SELECT date_trunc('month', created_at) m, crm.pipeline_agg(amount, created_at, closed_at, won) s
                       FROM opps GROUP BY 1) monthly)
                  = (SELECT crm.pipeline_agg(amount, created_at, closed_at, won)::text FROM opps)",
        )
        .unwrap();
        assert_eq!(same, Some(true));
        let rolling = count(
            "WITH monthly AS (SELECT date_trunc('month', created_at) m, crm.pipeline_agg(amount, created_at, closed_at, won) s
                              FROM opps GROUP BY 1),
                  rolled AS (SELECT m, crm.rollup(s) OVER (ORDER BY m ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) s FROM monthly),
                  direct AS (SELECT x.m, crm.pipeline_agg(o.amount, o.created_at, o.closed_at, o.won) s
                             FROM monthly x JOIN opps o ON date_trunc('month', o.created_at) BETWEEN x.m - interval '2 months' AND x.m
                             GROUP BY x.m)
             SELECT count(*) FROM rolled JOIN direct USING (m)
             WHERE crm.pipeline_velocity(rolled.s) IS DISTINCT FROM crm.pipeline_velocity(direct.s)
                OR crm.opportunities(rolled.s) <> crm.opportunities(direct.s)",
        );
        assert_eq!(rolling, 0);
    }

    #[pg_test]
    fn pipeline_parallel_plan_equals_serial() {
        Spi::run(
            "CREATE TABLE parallel_opps AS
             SELECT round(((g * 7919) % 100000) / 7.0, 2) AS amount,
                    timestamptz '2024-01-01' + (g % 365) * interval '1 day' AS created_at,
                    CASE WHEN g % 5 = 0 THEN NULL ELSE timestamptz '2024-01-01' + (g % 365 + g % 97) * interval '1 day' END AS closed_at,
                    CASE WHEN g % 5 = 0 THEN NULL ELSE g % 3 = 0 END AS won
             FROM generate_series(1, 200000) g;
             ANALYZE parallel_opps",
        )
        .unwrap();
        let query = "SELECT crm.pipeline_agg(amount, created_at, closed_at, won)::text || ' '
                            || crm.pipeline_velocity(amount, created_at, closed_at, won) || ' ' || crm.win_rate(won)
                     FROM parallel_opps";
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
    }

    #[pg_test]
    fn pipeline_text_and_binary_forms_round_trip() {
        opportunities_table();
        let same = Spi::get_one::<bool>(
            "SELECT s::text::crm.pipeline_summary::text = s::text
             FROM (SELECT crm.pipeline_agg(amount, created_at, closed_at, won) s FROM opps) t",
        )
        .unwrap();
        assert_eq!(same, Some(true));
        Spi::run(
            "CREATE TEMP TABLE stored AS SELECT owner, crm.pipeline_agg(amount, created_at, closed_at, won) s
             FROM opps GROUP BY owner",
        )
        .unwrap();
        assert_eq!(
            count("SELECT crm.opportunities(crm.rollup(s)) FROM stored"),
            count("SELECT count(*) FROM opps WHERE amount IS NOT NULL")
        );
        assert_eq!(
            text("SELECT crm.pipeline_agg(amount, created_at, created_at + interval '1 day', won)::text
                  FROM (VALUES (10.50, timestamptz '2025-01-01', true), (3, '2025-01-01', false)) v(amount, created_at, won)")
                .as_deref(),
            Some(r#"{"won":1,"lost":1,"open":0,"won_value":"10.50","open_value":"0","won_cycle_microseconds":86400000000}"#)
        );
    }
}
