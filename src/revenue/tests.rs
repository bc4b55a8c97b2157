//! Behaviour of the recurring revenue family inside Postgres, checked against the lag() window
//! SQL an analyst writes for the MRR bridge and a join for revenue retention.
#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use crate::common::testing::{count, sqlstate_of};
    use pgrx::prelude::*;

    fn text(query: &str) -> Option<String> {
        Spi::get_one::<String>(query).expect("query runs")
    }

    /// MRR histories with gaps (churn and reactivation), staggered starts and ends, explicit
    /// zero rows, duplicate rows for one customer-month, and customers who only ever paid 0.
    fn mrr_table() {
        Spi::run(
            "CREATE TEMP TABLE mrr_rows AS
             SELECT c::bigint AS customer_id, (date '2024-01-01' + make_interval(months => m))::date AS month,
                    CASE WHEN (c * 7 + m * 13) % 11 = 0 THEN 0
                         ELSE round(((c * 7919 + m * 104729) % 50000) / 100.0, 2) END AS mrr
             FROM generate_series(1, 400) c, generate_series(0, 23) m
             WHERE (c * 31 + m * 17) % 5 <> 0 AND m >= c % 9 AND m <= 23 - c % 7;
             INSERT INTO mrr_rows SELECT customer_id, month, 10.5 FROM mrr_rows WHERE customer_id % 13 = 0;
             INSERT INTO mrr_rows SELECT 1000 + c, date '2024-03-01' + make_interval(months => c), 0
             FROM generate_series(1, 5) c;",
        )
        .expect("table is created");
        // The bridge as plain SQL: fill the months with no row with 0, lag(), sum with FILTER.
        Spi::run(
            "CREATE TEMP VIEW reference AS
             WITH agg AS (SELECT customer_id, month, sum(mrr) AS mrr FROM mrr_rows GROUP BY 1, 2),
                  bounds AS (SELECT min(month) AS first, max(month) AS last FROM mrr_rows),
                  months AS (SELECT generate_series(first, last, interval '1 month')::date AS month FROM bounds),
                  firsts AS (SELECT customer_id, min(month) AS first_seen FROM agg GROUP BY 1),
                  grid AS (SELECT f.customer_id, m.month, coalesce(a.mrr, 0) AS mrr
                           FROM firsts f JOIN months m ON m.month >= f.first_seen
                           LEFT JOIN agg a ON a.customer_id = f.customer_id AND a.month = m.month),
                  lagged AS (SELECT month, mrr, coalesce(lag(mrr) OVER w, 0) AS previous,
                                    coalesce(max(mrr) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) > 0 AS paid_before
                             FROM grid WINDOW w AS (PARTITION BY customer_id ORDER BY month))
             SELECT month,
                    coalesce(sum(previous), 0) AS starting_mrr,
                    coalesce(sum(mrr) FILTER (WHERE previous = 0 AND mrr > 0 AND NOT paid_before), 0) AS new_mrr,
                    coalesce(sum(mrr - previous) FILTER (WHERE previous > 0 AND mrr > previous), 0) AS expansion_mrr,
                    coalesce(sum(previous - mrr) FILTER (WHERE mrr > 0 AND previous > mrr), 0) AS contraction_mrr,
                    coalesce(sum(previous) FILTER (WHERE previous > 0 AND mrr = 0), 0) AS churned_mrr,
                    coalesce(sum(mrr) FILTER (WHERE previous = 0 AND mrr > 0 AND paid_before), 0) AS reactivation_mrr,
                    coalesce(sum(mrr), 0) AS ending_mrr,
                    count(*) FILTER (WHERE previous > 0) AS customers_at_start,
                    count(*) FILTER (WHERE previous = 0 AND mrr > 0 AND NOT paid_before) AS new_customers,
                    count(*) FILTER (WHERE previous > 0 AND mrr = 0) AS churned_customers,
                    count(*) FILTER (WHERE previous = 0 AND mrr > 0 AND paid_before) AS reactivated_customers,
                    count(*) FILTER (WHERE mrr > 0) AS customers_at_end
             FROM months LEFT JOIN lagged USING (month) GROUP BY month",
        )
        .expect("reference is created");
    }

    fn differences(ours: &str) -> i64 {
        count(&format!(
            "WITH ours AS (SELECT * FROM crm.mrr_movements(({ours})))
             SELECT (SELECT count(*) FROM (SELECT * FROM ours EXCEPT SELECT * FROM reference) a)
                  + (SELECT count(*) FROM (SELECT * FROM reference EXCEPT SELECT * FROM ours) b)"
        ))
    }

    #[pg_test]
    fn revenue_movements_equal_the_lag_sql() {
        mrr_table();
        assert_eq!(count("SELECT count(*) FROM reference"), 24);
        for id in [
            "customer_id",
            "customer_id::text",
            "'customer ' || customer_id",
            "md5(customer_id::text)::uuid",
        ] {
            assert_eq!(
                differences(&format!(
                    "SELECT crm.mrr_agg({id}, month, mrr) FROM mrr_rows"
                )),
                0,
                "{id}"
            );
        }
        // Rollup of per-month summaries equals one pass.
        assert_eq!(
            differences(
                "SELECT crm.rollup(s) FROM (SELECT month, crm.mrr_agg(customer_id, month, mrr) s FROM mrr_rows GROUP BY month) t"
            ),
            0
        );
        let same = Spi::get_one::<bool>(
            "SELECT (SELECT crm.rollup(s)::text FROM (SELECT crm.mrr_agg(customer_id, month, mrr) s FROM mrr_rows GROUP BY customer_id % 7) t)
                  = (SELECT crm.mrr_agg(customer_id, month, mrr)::text FROM mrr_rows)",
        )
        .unwrap();
        assert_eq!(same, Some(true));
    }

    #[pg_test]
    fn revenue_balance_holds_on_every_row() {
        mrr_table();
        let broken = count(
            "SELECT count(*) FROM crm.mrr_movements((SELECT crm.mrr_agg(customer_id, month, mrr) FROM mrr_rows))
             WHERE ending_mrr <> starting_mrr + new_mrr + expansion_mrr + reactivation_mrr - contraction_mrr - churned_mrr
                OR customers_at_end <> customers_at_start + new_customers + reactivated_customers - churned_customers
                OR starting_mrr IS NULL OR ending_mrr IS NULL",
        );
        assert_eq!(broken, 0);
        let chained = count(
            "SELECT count(*) FROM (
               SELECT starting_mrr, lag(ending_mrr, 1, 0::numeric) OVER (ORDER BY month) AS previous_ending
               FROM crm.mrr_movements((SELECT crm.mrr_agg(customer_id, month, mrr) FROM mrr_rows))) t
             WHERE starting_mrr <> previous_ending",
        );
        assert_eq!(chained, 0);
    }

    #[pg_test]
    fn revenue_retention_equals_the_join_sql() {
        mrr_table();
        for (from, to) in [
            ("2024-03-01", "2025-03-01"),
            ("2024-06-01", "2024-07-01"),
            ("2024-01-01", "2025-12-01"),
            ("2025-01-01", "2025-01-01"),
        ] {
            let off = count(&format!(
                "WITH agg AS (SELECT customer_id, month, sum(mrr) AS mrr FROM mrr_rows GROUP BY 1, 2),
                      f AS (SELECT customer_id, mrr FROM agg WHERE month = '{from}' AND mrr > 0),
                      t AS (SELECT customer_id, mrr FROM agg WHERE month = '{to}'),
                      r AS (SELECT (sum(coalesce(t.mrr, 0)) / sum(f.mrr))::float8 AS nrr,
                                   (sum(least(coalesce(t.mrr, 0), f.mrr)) / sum(f.mrr))::float8 AS grr
                            FROM f LEFT JOIN t USING (customer_id)),
                      s AS (SELECT crm.mrr_agg(customer_id, month, mrr) s FROM mrr_rows)
                 SELECT count(*) FROM r, s
                 WHERE abs(crm.net_revenue_retention(s, '{from}', '{to}') - r.nrr) > 1e-12
                    OR abs(crm.gross_revenue_retention(s, '{from}', '{to}') - r.grr) > 1e-12
                    OR crm.net_revenue_retention(s, '{from}', '{to}') IS NULL"
            ));
            assert_eq!(off, 0, "{from} {to}");
        }
        let example = text(
            "SELECT round(crm.net_revenue_retention(s, '2025-01-01', '2025-04-01')::numeric, 4) || ' '
                 || round(crm.gross_revenue_retention(s, '2025-01-01', '2025-04-01')::numeric, 4)
             FROM (SELECT crm.mrr_agg(id, month::date, mrr) s FROM (VALUES
                   (1, '2025-01-01', 100), (1, '2025-04-01', 150), (2, '2025-01-01', 100), (2, '2025-04-01', 50),
                   (3, '2025-01-01', 100), (4, '2025-04-01', 1000)) v(id, month, mrr)) t",
        );
        assert_eq!(example.as_deref(), Some("0.6667 0.5000"));
        let nobody = Spi::get_one::<f64>(
            "SELECT crm.net_revenue_retention(crm.mrr_agg(1, '2025-01-01', 5), '2024-01-01', '2025-01-01')",
        )
        .unwrap();
        assert_eq!(nobody, None);
    }

    #[pg_test]
    fn revenue_null_empty_and_zero_input() {
        assert_eq!(
            text("SELECT crm.mrr_agg(id, m, v)::text FROM (VALUES (NULL::bigint, date '2025-01-01', 1::numeric), (1, NULL, 1), (1, '2025-01-01', NULL)) x(id, m, v)"),
            None
        );
        assert_eq!(
            text("SELECT crm.mrr_agg(id, m, v)::text FROM (SELECT 1::bigint, date '2025-01-01', 1::numeric WHERE false) x(id, m, v)"),
            None
        );
        assert_eq!(
            text("SELECT crm.gross_revenue_retention(NULL::crm.mrr_summary, '2025-01-01', '2025-02-01')::text"),
            None
        );
        // Customers who only ever paid 0: months in the bridge, all zeros, nobody new.
        let zeros = text(
            "SELECT string_agg(concat_ws(' ', month, starting_mrr, new_mrr, ending_mrr, new_customers, customers_at_end), '; ')
             FROM crm.mrr_movements((SELECT crm.mrr_agg(id, m::date, 0) FROM (VALUES (1, '2025-01-01'), (2, '2025-02-01')) x(id, m)))",
        );
        assert_eq!(
            zeros.as_deref(),
            Some("2025-01-01 0 0 0 0 0; 2025-02-01 0 0 0 0 0")
        );
    }

    #[pg_test]
    fn revenue_bad_inputs_raise_their_sqlstates() {
        for (query, state) in [
            ("SELECT crm.mrr_agg(1, '2025-01-15', 10)", "22023"),
            ("SELECT crm.mrr_agg('a'::text, 'infinity', 10)", "22023"),
            ("SELECT crm.mrr_agg(gen_random_uuid(), '2025-01-02', 10)", "22023"),
            ("SELECT crm.mrr_agg(1, '2025-01-01', -10)", "22003"),
            ("SELECT crm.mrr_agg(1, '2025-01-01', 'NaN')", "22003"),
            ("SELECT crm.mrr_agg(1, '2025-01-01', 1e29)", "22003"),
            ("SELECT crm.mrr_agg(1, '2025-01-01', v) FROM (VALUES (79228162514264337593543950335), (1)) x(v)", "22003"),
            ("SELECT crm.net_revenue_retention(crm.mrr_agg(1, '2025-01-01', 5), '2025-01-02', '2025-03-01')", "22023"),
            ("SELECT crm.gross_revenue_retention(crm.mrr_agg(1, '2025-01-01', 5), '2025-01-01', '2025-03-31')", "22023"),
            ("SELECT crm.net_revenue_retention(crm.mrr_agg(1, '2025-01-01', 5), '2025-03-01', '2025-01-01')", "22023"),
            ("SELECT crm.rollup(s) FROM (SELECT crm.mrr_agg(1, '2025-01-01', 5) UNION ALL SELECT crm.mrr_agg('x'::text, '2025-01-01', 5)) t(s)", "22023"),
            ("SELECT 'nonsense'::crm.mrr_summary", "22P02"),
            ("SELECT '{\"version\":1,\"key\":\"bigint\",\"first_month\":\"2025-01-01\",\"last_month\":\"2025-01-01\",\"customers\":[[\"1\",[[\"2025-01-01\",\"-5\"]]]]}'::crm.mrr_summary", "22P02"),
        ] {
            assert_eq!(sqlstate_of(query), state, "{query}");
        }
    }

    #[pg_test]
    fn revenue_parallel_plan_equals_serial() {
        Spi::run(
            "CREATE TABLE parallel_mrr AS
             SELECT c::bigint AS customer_id, (date '2024-01-01' + make_interval(months => m))::date AS month,
                    CASE WHEN (c + m) % 7 = 0 THEN 0 ELSE round(((c * 7919 + m * 31) % 5000) / 10.0, 2) END AS mrr
             FROM generate_series(1, 20000) c, generate_series(0, 11) m WHERE (c * 13 + m) % 4 <> 0;
             ANALYZE parallel_mrr",
        )
        .unwrap();
        let query = "SELECT crm.mrr_agg(customer_id, month, mrr)::text FROM parallel_mrr";
        let serial = text(query);
        // Merging MRR states is costed per row aggregated (`crm_internal.merged_state_cost`):
        // free operators and a small tuple cost make partial aggregation the cheaper plan.
        Spi::run(
            "SET LOCAL max_parallel_workers_per_gather = 2; SET LOCAL parallel_setup_cost = 0;
             SET LOCAL parallel_tuple_cost = 0.0001; SET LOCAL min_parallel_table_scan_size = 0;
             SET LOCAL cpu_operator_cost = 0; SET LOCAL parallel_leader_participation = off",
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
    fn revenue_text_form_round_trips() {
        mrr_table();
        for id in [
            "customer_id",
            "customer_id::text",
            "md5(customer_id::text)::uuid",
        ] {
            let same = Spi::get_one::<bool>(&format!(
                "SELECT s::text::crm.mrr_summary::text = s::text FROM (SELECT crm.mrr_agg({id}, month, mrr) s FROM mrr_rows) t"
            ))
            .unwrap();
            assert_eq!(same, Some(true), "{id}");
        }
        assert_eq!(
            text("SELECT crm.mrr_agg(id, m::date, v)::text FROM (VALUES (7, '2025-02-01', 9.5), (7, '2025-02-01', 0.50), (3, '2025-01-01', 0)) x(id, m, v)").as_deref(),
            Some(r#"{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-02-01","customers":[["7",[["2025-02-01","10.00"]]]]}"#)
        );
    }
}
