//! Behaviour of the CLV family inside Postgres.
#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use crate::common::testing::sqlstate_of;
    use pgrx::prelude::*;

    fn float(query: &str) -> Option<f64> {
        Spi::get_one::<f64>(query).expect("query runs")
    }

    fn text(query: &str) -> Option<String> {
        Spi::get_one::<String>(query).expect("query runs")
    }

    fn boolean(query: &str) -> Option<bool> {
        Spi::get_one::<bool>(query).expect("query runs")
    }

    fn close(found: Option<f64>, expected: f64, tolerance: f64) -> bool {
        found.is_some_and(|found| (found - expected).abs() <= tolerance)
    }

    /// The CDNOW 1/10th sample (tests/fixtures/CDNOW_sample.txt, from lifetimes 0.11.3) as a
    /// regular table `cdnow(customer_id, sample_id, ordered_at, amount)`, plus lifetimes' own summary of it
    /// (cdnow_customers_summary_with_transactions.csv) as `cdnow_lifetimes(id, x, t_x, t, zbar)`.
    fn cdnow_tables() {
        let raw = include_str!("../../tests/fixtures/CDNOW_sample.txt");
        let rows: Vec<String> = raw
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let date = fields[2];
                format!(
                    "({},{},'{}-{}-{} 00:00+00',{})",
                    fields[0].trim_start_matches('0'),
                    fields[1].trim_start_matches('0'),
                    &date[..4],
                    &date[4..6],
                    &date[6..],
                    fields[4]
                )
            })
            .collect();
        Spi::run(&format!(
            "CREATE TABLE cdnow AS SELECT * FROM (VALUES {}) v(customer_id, sample_id, ordered_at, amount);
             ALTER TABLE cdnow ALTER ordered_at TYPE timestamptz USING ordered_at::timestamptz,
                 ALTER amount TYPE numeric USING amount::numeric",
            rows.join(",")
        ))
        .expect("cdnow is created");
        let summary =
            include_str!("../../tests/fixtures/cdnow_customers_summary_with_transactions.csv");
        let rows: Vec<String> = summary
            .lines()
            .skip(1)
            .map(|line| format!("({line})"))
            .collect();
        Spi::run(&format!(
            "CREATE TABLE cdnow_lifetimes AS SELECT * FROM (VALUES {}) v(id, x, t_x, t, zbar)",
            rows.join(",")
        ))
        .expect("cdnow_lifetimes is created");
        Spi::run(
            "CREATE TABLE cdnow_rfm AS
             SELECT customer_id, sample_id, crm.rfm_agg(ordered_at, amount, '1997-09-30 00:00+00', 'week') AS r
             FROM cdnow GROUP BY customer_id, sample_id",
        )
        .expect("cdnow_rfm is created");
    }

    /// A parallel plan with partial aggregates for `table` however small it is: page reads
    /// cost nothing, a tuple sent to the leader a little (at 0, gathering raw rows ties with
    /// partial aggregation), and operators nothing (merging the fits' purchase days is costed
    /// per row aggregated, `crm_internal.merged_state_cost`, which would otherwise make
    /// gathering the rows cheaper).
    fn force_parallel(table: &str) {
        Spi::run(&format!(
            "ALTER TABLE {table} SET (parallel_workers = 2);
             SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0.01;
             SET LOCAL min_parallel_table_scan_size = 0; SET LOCAL max_parallel_workers_per_gather = 2;
             SET LOCAL parallel_leader_participation = off; SET LOCAL seq_page_cost = 0;
             SET LOCAL cpu_operator_cost = 0"
        ))
        .expect("settings apply");
    }

    fn explain(query: &str) -> String {
        let lines: Vec<String> = Spi::connect(|client| {
            client
                .select(&format!("EXPLAIN (COSTS OFF) {query}"), None, &[])
                .expect("explain runs")
                .map(|row| row.get::<String>(1).ok().flatten().unwrap_or_default())
                .collect()
        });
        lines.join("\n")
    }

    #[pg_test]
    fn clv_seed_formulas() {
        assert_eq!(
            text("SELECT crm.clv(45.50, 4, 3)::text").as_deref(),
            Some("546")
        );
        assert_eq!(
            text("SELECT crm.clv(100, 0.04)::text").as_deref(),
            Some("2500")
        );
        assert_eq!(text("SELECT crm.clv(100, 0)::text"), None);
        assert_eq!(text("SELECT crm.clv(NULL::numeric, 0.5)::text"), None);
        assert_eq!(sqlstate_of("SELECT crm.clv(-1, 4, 3)"), "22023");
        assert_eq!(sqlstate_of("SELECT crm.clv(1, -4, 3)"), "22023");
        assert_eq!(sqlstate_of("SELECT crm.clv(1, 'NaN'::float8, 3)"), "22023");
        assert_eq!(sqlstate_of("SELECT crm.clv(100, 1.5)"), "22023");
        assert_eq!(sqlstate_of("SELECT crm.clv('NaN'::numeric, 0.5)"), "22023");
        assert_eq!(sqlstate_of("SELECT crm.clv(1e27, 1e6, 1e6)"), "22003");
        assert_eq!(sqlstate_of("SELECT crm.clv(1e40, 0.5)"), "22003");
    }

    #[pg_test]
    fn clv_rfm_agg_matches_lifetimes_on_cdnow() {
        cdnow_tables();
        assert_eq!(
            crate::common::testing::count("SELECT count(*) FROM cdnow_rfm"),
            2357
        );
        // lifetimes' summary (IDs are the sample's second column), rounded to 2 decimals; its
        // mean spend was rounded from binary floats, so a half cent may round either way.
        let mismatches = crate::common::testing::count(
            "WITH ours AS (SELECT sample_id AS id, (r).* FROM cdnow_rfm)
             SELECT count(*) FROM ours FULL JOIN cdnow_lifetimes l USING (id)
             WHERE ours.frequency IS DISTINCT FROM l.x OR round(ours.recency::numeric, 2) IS DISTINCT FROM l.t_x
                OR round(ours.t::numeric, 2) IS DISTINCT FROM l.t OR abs(ours.monetary_value - l.zbar) > 0.005000001
                OR ours.monetary_value IS NULL",
        );
        assert_eq!(mismatches, 0);
        // Customer 4: purchases on 1997-01-01, 01-18 and 08-02 (two on one day merge).
        assert_eq!(
            text("SELECT r::text FROM cdnow_rfm WHERE customer_id = 4").as_deref(),
            Some("(2,30.428571428571427,38.857142857142854,22.345)")
        );
    }

    #[pg_test]
    fn clv_bgnbd_reproduces_the_paper_on_cdnow() {
        cdnow_tables();
        Spi::run(
            "CREATE TABLE fitted AS SELECT crm.bgnbd_fit((r).frequency, (r).recency, (r).t) AS m FROM cdnow_rfm",
        )
        .unwrap();
        for (name, published) in [("r", 0.243), ("alpha", 4.414), ("a", 0.793), ("b", 2.426)] {
            let found = float(&format!("SELECT {name} FROM fitted, crm.params(m)"));
            assert!(close(found, published, 5e-4), "{name}: {found:?}");
        }
        assert!(close(
            float("SELECT crm.log_likelihood(m) FROM fitted"),
            -9582.43,
            5e-3
        ));
        assert_eq!(
            crate::common::testing::count("SELECT crm.customers(m) FROM fitted"),
            2357
        );
        for (weeks, published) in [(1, 0.0532), (3, 0.1506), (32, 1.0437), (78, 1.8576)] {
            let found = float(&format!(
                "SELECT crm.expected_purchases(m, {weeks}) FROM fitted"
            ));
            assert!(close(found, published, 5e-4), "t = {weeks}: {found:?}");
        }
        let conditional =
            float("SELECT crm.expected_purchases(m, 39, 2, 30.43, 38.86) FROM fitted");
        assert!(close(conditional, 1.226, 5e-4), "{conditional:?}");
        let alive = float("SELECT crm.probability_alive(m, 2, 30.43, 38.86) FROM fitted");
        assert!(close(alive, 0.7266, 1e-3), "{alive:?}");
        // The weighted form over grouped rows gives the same model.
        let same = boolean(
            "SELECT abs(p1.r - p2.r) < 1e-9 AND abs(p1.b - p2.b) < 1e-7
             FROM (SELECT crm.bgnbd_fit(x, rec, t, n) m FROM (
                       SELECT (r).frequency x, (r).recency rec, (r).t t, count(*) n FROM cdnow_rfm GROUP BY 1, 2, 3) g) w,
                  fitted, crm.params(w.m) p1, crm.params(fitted.m) p2",
        );
        assert_eq!(same, Some(true));
        // Stored, dumped as text and read back: the same model.
        assert_eq!(
            boolean("SELECT m::text::crm.bgnbd_model::text = m::text FROM fitted"),
            Some(true)
        );
        // Standard errors as lifetimes' BetaGeoFitter().summary shows them, and its interval.
        for (name, lifetimes) in [
            ("r", 0.01256),
            ("alpha", 0.3782),
            ("a", 0.1857),
            ("b", 0.7054),
        ] {
            let found = float(&format!(
                "SELECT std_error FROM fitted, crm.params_se(m) WHERE name = '{name}'"
            ));
            assert!(
                close(found, lifetimes, 0.01 * lifetimes),
                "{name}: {found:?}"
            );
        }
        assert_eq!(
            boolean(
                "SELECT bool_and(abs(low - (estimate - 1.96 * std_error)) < 1e-12
                                 AND abs(high - (estimate + 1.96 * std_error)) < 1e-12)
                 FROM fitted, crm.params_se(m)"
            ),
            Some(true)
        );
    }

    #[pg_test]
    fn clv_mbg_nbd_reproduces_the_paper_from_rows_and_purchases() {
        cdnow_tables();
        Spi::run(
            "CREATE TABLE mbg AS
             SELECT (SELECT crm.mbg_nbd_fit(x, t_x, t) FROM cdnow_lifetimes) AS rows,
                    (SELECT crm.mbg_nbd_fit(customer_id::bigint, ordered_at, '1997-09-30 00:00+00', 'week')
                     FROM cdnow WHERE ordered_at <= '1997-09-30 00:00+00') AS purchases",
        )
        .unwrap();
        // Batislam, Denizel & Filiztekin (2007) on the CDNOW sample.
        for (name, published) in [("r", 0.525), ("alpha", 6.183), ("a", 0.891), ("b", 1.614)] {
            for model in ["rows", "purchases"] {
                let found = float(&format!("SELECT {name} FROM mbg, crm.params({model})"));
                assert!(close(found, published, 2e-3), "{model} {name}: {found:?}");
            }
        }
        // lifetimes' ModifiedBetaGeoFitter().summary, se(coef) of r on the summary file.
        let se = float("SELECT std_error FROM mbg, crm.params_se(rows) WHERE name = 'r'");
        assert!(close(se, 0.083_264, 0.01 * 0.083_264), "{se:?}");
        // A one-off buyer may have left; the text names the kind.
        let alive = float("SELECT crm.probability_alive(rows, 0, 0, 38.86) FROM mbg");
        assert!(alive.is_some_and(|alive| alive < 0.5), "{alive:?}");
        assert_eq!(
            boolean("SELECT rows::text LIKE '{\"model\":\"mbg_nbd\",%' FROM mbg"),
            Some(true)
        );
    }

    #[pg_test]
    fn clv_pareto_nbd_reproduces_the_paper_from_rows_and_purchases() {
        cdnow_tables();
        Spi::run(
            "CREATE TABLE pnbd AS
             SELECT (SELECT crm.pareto_nbd_fit(x, t_x, t) FROM cdnow_lifetimes) AS rows,
                    (SELECT crm.pareto_nbd_fit(customer_id::bigint, ordered_at, '1997-09-30 00:00+00', 'week')
                     FROM cdnow WHERE ordered_at <= '1997-09-30 00:00+00') AS purchases",
        )
        .unwrap();
        // Fader, Hardie & Lee (2005) on the CDNOW sample: r 0.553, α 10.58, s 0.606, β 11.67.
        for (name, published) in [
            ("r", 0.553),
            ("alpha", 10.58),
            ("s", 0.606),
            ("beta", 11.67),
        ] {
            for model in ["rows", "purchases"] {
                let found = float(&format!(
                    "SELECT estimate FROM pnbd, crm.params_se({model}) WHERE name = '{name}'"
                ));
                assert!(
                    close(found, published, 2e-3 * published),
                    "{model} {name}: {found:?}"
                );
            }
        }
        let log_likelihood = float("SELECT crm.log_likelihood(rows) FROM pnbd");
        assert!(
            close(log_likelihood, -9594.98, 1e-6 * 9594.98),
            "{log_likelihood:?}"
        );
        // The published P(alive | 26, 30.86, 31) 0.9979 and E[Y(52) | same] 25.46.
        let alive = float("SELECT crm.probability_alive(rows, 26, 30.86, 31) FROM pnbd");
        assert!(close(alive, 0.9979, 1e-4), "{alive:?}");
        let expected = float("SELECT crm.expected_purchases(rows, 52, 26, 30.86, 31) FROM pnbd");
        assert!(close(expected, 25.46, 0.01), "{expected:?}");
        assert_eq!(
            boolean("SELECT rows::text LIKE '{\"model\":\"pareto_nbd\",%' FROM pnbd"),
            Some(true)
        );
    }

    #[pg_test]
    fn clv_gamma_gamma_reproduces_the_paper_and_lifetimes_clv() {
        cdnow_tables();
        Spi::run(
            "CREATE TABLE spend AS SELECT crm.gamma_gamma_fit((r).frequency, (r).monetary_value) AS m FROM cdnow_rfm",
        )
        .unwrap();
        for (name, published) in [("p", 6.25), ("q", 3.74), ("v", 15.44)] {
            let found = float(&format!("SELECT {name} FROM spend, crm.params(m)"));
            assert!(close(found, published, 5e-3), "{name}: {found:?}");
        }
        assert_eq!(
            crate::common::testing::count("SELECT crm.customers(m) FROM spend"),
            946
        );
        // lifetimes 0.11.3 with its fits on the summary files: E[Z] = 24.658616, 12-month CLV at
        // 1 % a month = 36.2785 (lifetimes counts 4.345 weeks a month, we 365.25/12/7).
        let value = float(
            "SELECT crm.expected_average_value(crm.gamma_gamma_model(6.248802496074264, 3.744588460923312, 15.447748064932831), 2, 22.35)",
        );
        assert!(close(value, 24.658_616_189, 1e-8), "{value:?}");
        // A repeat buyer whose mean spend is 0: p·v/(p·x + q − 1), as lifetimes computes it.
        let zero = float(
            "SELECT crm.expected_average_value(crm.gamma_gamma_model(6.248802496074264, 3.744588460923312, 15.447748064932831), 2, 0)",
        );
        let expected = 6.248802496074264 * 15.447748064932831
            / (6.248802496074264 * 2.0 + 3.744588460923312 - 1.0);
        assert!(close(zero, expected, 1e-9), "{zero:?}");
        let clv = float(
            "SELECT crm.clv(crm.bgnbd_model(0.2425929282798216, 4.413532265271803, 0.7928859664405851, 2.42575238262545),
                            crm.gamma_gamma_model(6.248802496074264, 3.744588460923312, 15.447748064932831),
                            2, 30.43, 38.86, 22.35, 12, 0.01, 'week')",
        );
        assert!(close(clv, 36.2785, 0.04), "{clv:?}");
    }

    #[pg_test]
    fn clv_sbg_reproduces_the_paper() {
        let cohort = |survivors: &str| {
            format!(
                "WITH s(year, alive) AS (SELECT ordinality - 1, alive FROM unnest(ARRAY[{survivors}]) WITH ORDINALITY AS u(alive, ordinality)),
                      rows AS (SELECT year::int AS renewals, true AS churned, alive - lead(alive) OVER (ORDER BY year) AS n FROM s
                               UNION ALL SELECT 7, false, alive FROM s WHERE year = 7)
                 SELECT crm.sbg_fit(renewals, churned, n) AS m FROM rows WHERE n IS NOT NULL"
            )
        };
        Spi::run(&format!(
            "CREATE TABLE regular AS {}",
            cohort("1000, 631, 468, 382, 326, 289, 262, 241")
        ))
        .unwrap();
        Spi::run(&format!(
            "CREATE TABLE high_end AS {}",
            cohort("1000, 869, 743, 653, 593, 551, 517, 491")
        ))
        .unwrap();
        assert!(close(
            float("SELECT alpha FROM regular, crm.params(m)"),
            0.704,
            5e-4
        ));
        assert!(close(
            float("SELECT beta FROM regular, crm.params(m)"),
            1.182,
            5e-4
        ));
        assert!(close(
            float("SELECT alpha FROM high_end, crm.params(m)"),
            0.668,
            5e-4
        ));
        assert!(close(
            float("SELECT beta FROM high_end, crm.params(m)"),
            3.806,
            5e-4
        ));
        assert_eq!(
            crate::common::testing::count("SELECT crm.customers(m) FROM regular"),
            1000
        );
        // One row per customer gives the same fit as the weighted rows.
        let same = boolean(
            "SELECT abs(p.alpha - q.alpha) < 1e-9 FROM regular, crm.params(regular.m) q,
                    (SELECT crm.sbg_fit(k, k < 7) m FROM (VALUES (0, 369), (1, 163), (2, 86), (3, 56), (4, 37), (5, 27), (6, 21), (7, 241)) v(k, n),
                     generate_series(1, n)) one, crm.params(one.m) p",
        );
        assert_eq!(same, Some(true));
        let survival = float("SELECT crm.survival(m, 1) FROM regular");
        assert!(close(survival, 0.631, 0.01));
        let retention = float("SELECT crm.retention_rate(crm.sbg_model(0.704, 1.182), 1)");
        assert!(close(retention, 1.182 / 1.886, 1e-12));
        assert!(float("SELECT crm.expected_lifetime(m, 0.1) FROM regular").is_some_and(|d| d > 1.0));
        assert!(close(
            float("SELECT crm.expected_lifetime(crm.sbg_model(2, 3))"),
            4.0,
            1e-12
        ));
        assert!(close(
            float("SELECT crm.residual_lifetime(crm.sbg_model(2, 3), 1)"),
            4.0,
            1e-12
        ));
    }

    #[pg_test]
    fn clv_null_and_empty_input() {
        assert_eq!(
            text("SELECT crm.bgnbd_fit(x, 0, 1)::text FROM (SELECT 1 WHERE false) v(x)"),
            None
        );
        assert_eq!(text("SELECT crm.bgnbd_fit(NULL, 0, 1)::text"), None);
        assert_eq!(
            text("SELECT crm.bgnbd_fit(1, 0.5, 1, NULL::bigint)::text"),
            None
        );
        assert_eq!(text("SELECT crm.gamma_gamma_fit(0, 0)::text"), None);
        assert_eq!(text("SELECT crm.gamma_gamma_fit(NULL, 5)::text"), None);
        assert_eq!(text("SELECT crm.sbg_fit(NULL, true)::text"), None);
        assert_eq!(text("SELECT crm.sbg_fit(1, true, 0)::text"), None);
        assert_eq!(
            text("SELECT crm.rfm_agg(NULL, 1, now(), 'day')::text"),
            None
        );
        assert_eq!(
            text("SELECT crm.rfm_agg('2025-02-01', 1, '2025-01-01', 'day')::text"),
            None
        );
        assert_eq!(float("SELECT crm.probability_alive(NULL, 1, 1, 1)"), None);
        assert_eq!(float("SELECT crm.survival(NULL, 1)"), None);
        assert_eq!(
            float("SELECT crm.log_likelihood(crm.bgnbd_model(1, 1, 1, 1))"),
            None
        );
        assert_eq!(
            crate::common::testing::count("SELECT crm.customers(crm.sbg_model(1, 1))"),
            0
        );
        // Window use: one fit per partition, on every row of it.
        let windows = crate::common::testing::count(
            "SELECT count(DISTINCT m::text) FROM (
                 SELECT crm.sbg_fit(k, k < 7) OVER (PARTITION BY half) m
                 FROM (VALUES (0, 369), (1, 163), (2, 86), (3, 56), (4, 37), (5, 27), (6, 21), (7, 241)) v(k, n),
                      generate_series(1, n) i, LATERAL (SELECT i % 2 AS half) h) w",
        );
        assert_eq!(windows, 2);
    }

    #[pg_test]
    fn clv_bad_inputs_raise_their_sqlstates() {
        for query in [
            "SELECT crm.bgnbd_fit(-1, 0, 1)",
            "SELECT crm.bgnbd_fit(1, 2, 1)",
            "SELECT crm.bgnbd_fit(1, -1, 1)",
            "SELECT crm.bgnbd_fit(1, 'NaN', 1)",
            "SELECT crm.bgnbd_fit(1, 0, 1, -3)",
            "SELECT crm.bgnbd_fit(0, 0, g) FROM generate_series(1, 10) g",
            "SELECT crm.gamma_gamma_fit(1, 0)",
            "SELECT crm.gamma_gamma_fit(2, -5)",
            "SELECT crm.gamma_gamma_fit(-1, 5)",
            "SELECT crm.sbg_fit(-1, true)",
            "SELECT crm.sbg_fit(1, true, -1)",
            "SELECT crm.rfm_agg(now(), 1, now(), 'fortnight')",
            "SELECT crm.rfm_agg(t, 1, t + interval '1 day' * g, 'day') FROM generate_series(1, 2) g, (VALUES (now())) v(t)",
            "SELECT crm.bgnbd_model(0, 1, 1, 1)",
            "SELECT crm.bgnbd_model(1, 'Infinity', 1, 1)",
            "SELECT crm.gamma_gamma_model(1, -1, 1)",
            "SELECT crm.sbg_model(1, 'NaN')",
            "SELECT crm.expected_purchases(crm.bgnbd_model(1, 1, 1, 1), -1)",
            "SELECT crm.expected_purchases(crm.bgnbd_model(1, 1, 1, 1), 1, 2, 5, 3)",
            "SELECT crm.probability_alive(crm.bgnbd_model(1, 1, 1, 1), -2, 0, 3)",
            "SELECT crm.expected_average_value(crm.gamma_gamma_model(1, 0.5, 1), 0, 0)",
            "SELECT crm.expected_average_value(crm.gamma_gamma_model(1, 2, 1), 1, -0.01)",
            "SELECT crm.clv(crm.bgnbd_model(1, 1, 1, 1), crm.gamma_gamma_model(1, 2, 1), 1, 1, 2, -5, 12, 0.01, 'week')",
            "SELECT crm.clv(crm.bgnbd_model(1, 1, 1, 1), crm.gamma_gamma_model(1, 2, 1), 1, 1, 2, 5, 12, 0.01, 'fortnight')",
            "SELECT crm.clv(crm.bgnbd_model(1, 1, 1, 1), crm.gamma_gamma_model(1, 2, 1), 1, 1, 2, 5, 12, -1, 'week')",
            "SELECT crm.clv(crm.bgnbd_model(1, 1, 1, 1), crm.gamma_gamma_model(1, 2, 1), 1, 1, 2, 5, -1, 0.01, 'week')",
            "SELECT crm.survival(crm.sbg_model(1, 1), -1)",
            "SELECT crm.retention_rate(crm.sbg_model(1, 1), 0)",
            "SELECT crm.expected_lifetime(crm.sbg_model(0.7, 1.2))",
            "SELECT crm.expected_lifetime(crm.sbg_model(2, 1), -1)",
            "SELECT crm.residual_lifetime(crm.sbg_model(2, 1), -1)",
        ] {
            assert_eq!(sqlstate_of(query), "22023", "{query}");
        }
        for query in [
            "SELECT 'garbage'::crm.bgnbd_model",
            "SELECT '{\"r\":1,\"alpha\":1,\"a\":1}'::crm.bgnbd_model",
            "SELECT '{\"r\":-1,\"alpha\":1,\"a\":1,\"b\":1,\"fit\":null}'::crm.bgnbd_model",
            "SELECT '{\"p\":1}'::crm.gamma_gamma_model",
            "SELECT '[]'::crm.sbg_model",
        ] {
            assert_eq!(sqlstate_of(query), "22P02", "{query}");
        }
        assert_eq!(
            sqlstate_of("SELECT crm.rfm_agg(now(), 1e30, now(), 'day')"),
            "22003"
        );
        assert_eq!(
            sqlstate_of("SELECT crm.rfm_agg('infinity', 1, now(), 'day')"),
            "22008"
        );
    }

    #[pg_test]
    fn clv_text_forms_round_trip() {
        for model in [
            "crm.bgnbd_model(0.243, 4.414, 0.793, 2.426)",
            "crm.gamma_gamma_model(6.25, 3.74, 15.44)",
            "crm.sbg_model(0.704, 1.182)",
        ] {
            let same = boolean(&format!(
                "SELECT m::text::{ty}::text = m::text FROM (SELECT {model} m) s",
                ty = model.split('(').next().unwrap()
            ));
            assert_eq!(same, Some(true), "{model}");
        }
        assert_eq!(
            text("SELECT crm.sbg_model(0.704, 1.182)::text").as_deref(),
            Some(r#"{"alpha":0.704,"beta":1.182,"fit":null}"#)
        );
        // The paper's regular cohort, one row per customer.
        let fitted = text(
            "SELECT crm.sbg_fit(k, k < 7)::text FROM (VALUES (0, 369), (1, 163), (2, 86), (3, 56), (4, 37), (5, 27), (6, 21), (7, 241)) v(k, n),
                    generate_series(1, n)",
        )
        .unwrap();
        assert!(fitted.contains("\"customers\":1000"), "{fitted}");
        // Data that identify no heterogeneity: an error with a hint, not a model or NaN.
        assert_eq!(
            sqlstate_of("SELECT crm.sbg_fit(k % 4, k % 3 = 0) FROM generate_series(1, 100) k"),
            "22023"
        );
        let same = boolean(&format!(
            "SELECT '{fitted}'::crm.sbg_model::text = '{fitted}'"
        ));
        assert_eq!(same, Some(true));
    }

    #[pg_test]
    fn clv_bgnbd_fit_from_purchases_equals_rfm_agg_then_fit() {
        cdnow_tables();
        // The paper's model straight from the 6,919 purchases of the CDNOW sample, for each type
        // of customer id: the same text as the two-step fit over crm.rfm_agg summaries.
        let two_step =
            text("SELECT crm.bgnbd_fit((r).frequency, (r).recency, (r).t)::text FROM cdnow_rfm");
        assert!(two_step
            .as_deref()
            .is_some_and(|model| model.starts_with("{\"r\":0.24")));
        for id in [
            "customer_id::bigint",
            "customer_id::text",
            "md5(customer_id::text)::uuid",
        ] {
            let one_step = text(&format!(
                "SELECT crm.bgnbd_fit({id}, ordered_at, '1997-09-30 00:00+00', 'week')::text FROM cdnow"
            ));
            assert_eq!(one_step, two_step, "{id}");
        }
        // NULL rows are skipped; no purchase up to the observation end is NULL.
        assert_eq!(
            text(
                "SELECT crm.bgnbd_fit(c, o, e, u)::text FROM (VALUES
                     (NULL::bigint, now(), now(), 'week'), (1, NULL, now(), 'week'),
                     (1, now(), NULL, 'week'), (1, now(), now(), NULL)) v(c, o, e, u)"
            ),
            None
        );
        assert_eq!(
            text("SELECT crm.bgnbd_fit(1::bigint, now(), now(), 'week')::text FROM cdnow WHERE false"),
            None
        );
        assert_eq!(
            text("SELECT crm.bgnbd_fit(customer_id, ordered_at, '1990-01-01 00:00+00', 'week')::text FROM cdnow"),
            None
        );
        assert_eq!(
            sqlstate_of("SELECT crm.bgnbd_fit(customer_id, ordered_at, '1997-09-30 00:00+00', 'fortnight') FROM cdnow"),
            "22023"
        );
        assert_eq!(
            sqlstate_of("SELECT crm.bgnbd_fit(customer_id, ordered_at, '1997-09-30 00:00+00'::timestamptz + customer_id * interval '1 day', 'week') FROM cdnow"),
            "22023"
        );
        assert_eq!(
            sqlstate_of("SELECT crm.bgnbd_fit(1::bigint, 'infinity', now(), 'week')"),
            "22008"
        );
        // One purchase per customer: no repeat buyer, the fit's error with its hint.
        assert_eq!(
            sqlstate_of("SELECT crm.bgnbd_fit(g::bigint, now(), now(), 'day') FROM generate_series(1, 10) g"),
            "22023"
        );
    }

    #[pg_test]
    fn clv_forced_parallel_plans_equal_serial() {
        cdnow_tables();
        Spi::run(
            "CREATE TABLE rfm_rows AS SELECT (r).frequency x, (r).recency rec, (r).t t, (r).monetary_value m,
                    least((r).frequency, 7) AS renewals, (r).frequency < 7 AS churned
             FROM cdnow_rfm, generate_series(1, 4)",
        )
        .unwrap();
        let queries = [
            "SELECT crm.bgnbd_fit(x, rec, t)::text FROM rfm_rows",
            "SELECT crm.bgnbd_fit(x, rec, t, 2)::text FROM rfm_rows",
            "SELECT crm.gamma_gamma_fit(x, m)::text FROM rfm_rows",
            "SELECT crm.sbg_fit(renewals, churned)::text FROM rfm_rows",
            "SELECT crm.bgnbd_fit(customer_id, ordered_at, '1997-09-30 00:00+00', 'week')::text FROM cdnow",
            "SELECT crm.bgnbd_fit(customer_id::text, ordered_at, '1997-09-30 00:00+00', 'week')::text FROM cdnow",
            "SELECT string_agg(r::text, ';' ORDER BY customer_id) FROM (
                 SELECT customer_id, crm.rfm_agg(ordered_at, amount, '1997-09-30 00:00+00', 'week') r
                 FROM cdnow GROUP BY customer_id) s",
        ];
        let serial: Vec<Option<String>> = queries.iter().map(|query| text(query)).collect();
        force_parallel("rfm_rows");
        force_parallel("cdnow");
        for (query, serial) in queries.iter().zip(&serial) {
            let plan = explain(query);
            assert!(
                plan.contains("Partial") && plan.contains("Finalize"),
                "{query}\n{plan}"
            );
            let parallel = text(query);
            if query.contains("fit(") {
                // The same merged rows: the same fit up to the diagnostics' last digits.
                let strip = |text: &Option<String>| {
                    text.as_deref()
                        .map(|t| t.split(",\"fit\"").next().unwrap_or("").to_string())
                };
                assert_eq!(strip(&parallel), strip(serial), "{query}");
            } else {
                assert_eq!(&parallel, serial, "{query}");
            }
        }
    }

    /// Partial states shipped in their text form (as Citus ships them) and merged by the
    /// combine functions give the single-pass answer; the text form round-trips exactly; a
    /// fit refuses rows of another model.
    #[pg_test]
    fn clv_states_shipped_as_text_combine_to_the_single_pass_answer() {
        cdnow_tables();
        // Two "workers" (odd and even customers), each state through text, then combined.
        let cases = [
            (
                "crm.rfm_state",
                "crm_internal.rfm_agg_trans(s, ordered_at, amount, '1997-09-30 00:00+00', 'week')",
                "crm_internal.rfm_agg_combine",
                "crm_internal.rfm_agg_final",
                "cdnow WHERE customer_id = (SELECT customer_id FROM cdnow GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)",
                "sample_id % 2",
                "crm.rfm_agg(ordered_at, amount, '1997-09-30 00:00+00', 'week')::text FROM cdnow WHERE customer_id = (SELECT customer_id FROM cdnow GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)",
            ),
            (
                "crm.purchase_days",
                "crm_internal.bgnbd_fit_purchases_bigint_trans(s, customer_id, ordered_at, '1997-09-30 00:00+00', 'week')",
                "crm_internal.bgnbd_purchases_combine",
                "crm_internal.bgnbd_purchases_final",
                "cdnow",
                "customer_id % 2",
                "crm.bgnbd_fit(customer_id, ordered_at, '1997-09-30 00:00+00', 'week')::text FROM cdnow",
            ),
            (
                "crm.fit_rows",
                "crm_internal.bgnbd_fit_trans(s, (r).frequency, (r).recency, (r).t)",
                "crm_internal.clv_fit_combine",
                "crm_internal.bgnbd_fit_final",
                "cdnow_rfm",
                "customer_id % 2",
                "crm.bgnbd_fit((r).frequency, (r).recency, (r).t)::text FROM cdnow_rfm",
            ),
            (
                "crm.fit_rows",
                "crm_internal.gamma_gamma_fit_trans(s, (r).frequency, (r).monetary_value)",
                "crm_internal.clv_fit_combine",
                "crm_internal.gamma_gamma_fit_final",
                "cdnow_rfm",
                "customer_id % 2",
                "crm.gamma_gamma_fit((r).frequency, (r).monetary_value)::text FROM cdnow_rfm",
            ),
            (
                "crm.fit_rows",
                "crm_internal.sbg_fit_weighted_trans(s, least((r).frequency, 7), (r).frequency < 7, 2)",
                "crm_internal.clv_fit_combine",
                "crm_internal.sbg_fit_final",
                "cdnow_rfm",
                "customer_id % 2",
                "crm.sbg_fit(least((r).frequency, 7), (r).frequency < 7, 2)::text FROM cdnow_rfm",
            ),
        ];
        for (ty, step, combine, finish, from, split, single) in cases {
            // A recursive fold of the transition over the rows of each part, as text.
            let parts = format!(
                "WITH RECURSIVE input AS (
                     SELECT *, {split} AS part, row_number() OVER (PARTITION BY {split} ORDER BY ctid) AS n FROM {from}),
                 fold(part, n, s) AS (
                     SELECT part, 0::bigint, NULL::{ty} FROM (SELECT DISTINCT part FROM input) p
                     UNION ALL
                     SELECT f.part, f.n + 1, (SELECT {step} FROM input WHERE input.part = f.part AND input.n = f.n + 1)
                     FROM fold f WHERE f.n < (SELECT count(*) FROM input WHERE input.part = f.part)),
                 shipped AS (
                     SELECT DISTINCT ON (part) part, s::text AS t FROM fold ORDER BY part, n DESC)"
            );
            let combined = text(&format!(
                "{parts} SELECT {finish}({combine}((SELECT t FROM shipped WHERE part = 0)::{ty},
                                                   (SELECT t FROM shipped WHERE part = 1)::{ty}))::text"
            ));
            let expected = text(&format!("SELECT {single}"));
            assert!(expected.is_some(), "{single}");
            let strip = |text: &Option<String>| {
                text.as_deref()
                    .map(|t| t.split(",\"fit\"").next().unwrap_or("").to_string())
            };
            assert_eq!(strip(&combined), strip(&expected), "{ty} {step}");
            let round_trip = boolean(&format!(
                "{parts} SELECT bool_and(t::{ty}::text = t AND left(t, 2) = '\\x') FROM shipped"
            ));
            assert_eq!(round_trip, Some(true), "{ty}");
        }
        // A fit refuses a state holding rows of another model.
        assert_eq!(
            sqlstate_of(
                "SELECT crm_internal.gamma_gamma_fit_final(crm_internal.sbg_fit_trans(NULL::crm.fit_rows, 3, true))"
            ),
            "22023"
        );
        assert_eq!(
            sqlstate_of(
                "SELECT crm_internal.sbg_fit_final(crm_internal.bgnbd_fit_trans(NULL::crm.fit_rows, 3, 2.5, 7.5))"
            ),
            "22023"
        );
        assert_eq!(
            sqlstate_of(
                "SELECT crm_internal.bgnbd_fit_final(crm_internal.gamma_gamma_fit_trans(NULL::crm.fit_rows, 3, 7.5))"
            ),
            "22023"
        );
        // Called directly, a transition returns a canonical value equal to its text read back.
        assert_eq!(
            boolean(
                "SELECT v::text::crm.rfm_state OPERATOR(crm.=) v FROM (SELECT crm_internal.rfm_agg_trans(
                     crm_internal.rfm_agg_trans(NULL::crm.rfm_state, '2020-01-02', 5.50, '2020-02-01', 'day'),
                     '2020-01-01', 2, '2020-02-01', 'day') v) s"
            ),
            Some(true)
        );
    }

    #[pg_test]
    fn clv_parameter_recovery_from_simulated_sql_data() {
        // sBG customers simulated in SQL from alpha = 1.5, beta = 3: the churn probability is
        // Beta(3/2, 6/2) = X/(X + Y) with X, Y chi-square with 3 and 6 degrees of freedom (sums
        // of squared Box-Muller normals), renewals are geometric, censored after 10.
        Spi::run("SELECT setseed(0.25)").unwrap();
        let fitted = Spi::get_two::<f64, f64>(
            "WITH draws AS (
                 SELECT (SELECT sum(z * z) FROM (SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) z FROM generate_series(1, 3) WHERE g > 0) a) AS x3,
                        (SELECT sum(z * z) FROM (SELECT sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()) z FROM generate_series(1, 6) WHERE g > 0) b) AS x6
                 FROM generate_series(1, 60000) g),
             customers AS (
                 SELECT least(floor(ln(1 - random()) / ln(1 - x3 / (x3 + x6))), 10)::int AS renewals FROM draws)
             SELECT alpha, beta FROM crm.params((SELECT crm.sbg_fit(renewals, renewals < 10) FROM customers))",
        )
        .unwrap();
        let (alpha, beta) = (fitted.0.unwrap(), fitted.1.unwrap());
        assert!((alpha / 1.5 - 1.0).abs() < 0.05, "{alpha}");
        assert!((beta / 3.0 - 1.0).abs() < 0.05, "{beta}");
    }
}
