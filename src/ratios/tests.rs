//! Behaviour of the plain ratios inside Postgres: the seed examples, zero denominators, NULLs,
//! bad values, and the share-of-true aggregates against plain SQL.
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

    #[pg_test]
    fn ratios_seed_examples() {
        // Seed 004: 95 of 100 contracts renew.
        assert_eq!(float("SELECT crm.renewal_rate(95, 100)"), Some(0.95));
        assert_eq!(float("SELECT crm.quota_attainment(85, 80)"), Some(1.0625));
        assert_eq!(
            float("SELECT crm.win_rate(g <= 33) FROM generate_series(1, 100) g"),
            Some(0.33)
        );
        assert_eq!(
            float("SELECT crm.renewal_rate(g <= 95) FROM generate_series(1, 100) g"),
            Some(0.95)
        );
        assert_eq!(float("SELECT crm.conversion_rate(33, 100)"), Some(0.33));
        assert_eq!(
            float("SELECT crm.conversion_rate(g <= 33) FROM generate_series(1, 100) g"),
            Some(0.33)
        );
        // Retention (1050 - 150) / 1000 = 0.90: 1000 customers at the start, 100 of them lost,
        // 150 new ones, 1050 at the end.
        let retention = float(
            "SELECT crm.retention_rate(started_at, ended_at, '2025-01-01', '2026-01-01') FROM (
               SELECT timestamptz '2024-01-01' AS started_at,
                      CASE WHEN g <= 100 THEN timestamptz '2025-06-01' END AS ended_at
               FROM generate_series(1, 1000) g
               UNION ALL SELECT '2025-03-01', NULL FROM generate_series(1, 150)) c",
        );
        assert_eq!(retention, Some(0.9));
        assert_eq!(
            text("SELECT crm.cac(50000, 125)::text").as_deref(),
            Some("400")
        );
        assert_eq!(
            text("SELECT crm.cac(1000, 3)::text").as_deref(),
            Some("333.3333333333333333333333333")
        );
        assert_eq!(float("SELECT crm.roi(150000, 100000)"), Some(0.5));
        assert_eq!(float("SELECT crm.growth_rate(1150, 1000)"), Some(0.15));
        assert_eq!(float("SELECT crm.ltv_to_cac(1200, 400)"), Some(3.0));
        assert_eq!(
            text("SELECT crm.revenue_per_lead(25000.00, 500)::text").as_deref(),
            Some("50.00")
        );
        assert_eq!(
            text("SELECT crm.cost_per_lead(5000, 250)::text").as_deref(),
            Some("20")
        );
        assert_eq!(float("SELECT crm.calls_per_sale(450, 15)"), Some(30.0));
    }

    #[pg_test]
    fn ratios_zero_denominators_and_nulls() {
        for query in [
            "SELECT crm.cac(100, 0)::float8",
            "SELECT crm.roi(100, 0)",
            "SELECT crm.quota_attainment(85, 0)",
            "SELECT crm.growth_rate(5, 0)",
            "SELECT crm.conversion_rate(0, 0)",
            "SELECT crm.ltv_to_cac(100, 0)",
            "SELECT crm.revenue_per_lead(100, 0)::float8",
            "SELECT crm.cost_per_lead(100, 0)::float8",
            "SELECT crm.calls_per_sale(10, 0)",
            "SELECT crm.renewal_rate(0, 0)",
            "SELECT crm.cac(NULL, 3)::float8",
            "SELECT crm.roi(NULL, 3)",
            "SELECT crm.renewal_rate(NULL, 3)",
            "SELECT crm.win_rate(w) FROM (VALUES (NULL::boolean)) v(w)",
            "SELECT crm.renewal_rate(w) FROM (SELECT true WHERE false) v(w)",
            "SELECT crm.conversion_rate(w) FROM (VALUES (NULL::boolean), (NULL)) v(w)",
        ] {
            assert_eq!(float(query), None, "{query}");
        }
    }

    #[pg_test]
    fn ratios_bad_values_raise_their_sqlstates() {
        // Postgres 13 has no numeric infinities: it refuses 'Infinity' itself (22P02).
        let infinity = if pg_sys::PG_VERSION_NUM < 140_000 {
            "22P02"
        } else {
            "22003"
        };
        for (query, state) in [
            ("SELECT crm.cac(100, -1)", "22003"),
            ("SELECT crm.cac(-100, 1)", "22003"),
            ("SELECT crm.cac('NaN', 1)", "22003"),
            ("SELECT crm.cac('Infinity', 1)", infinity),
            ("SELECT crm.cac(1e40, 1)", "22003"),
            ("SELECT crm.roi(1, -5)", "22003"),
            ("SELECT crm.quota_attainment(1e-40, 1)", "22003"),
            ("SELECT crm.quota_attainment(85, -80)", "22003"),
            (
                "SELECT crm.growth_rate(792281625142643375935439503350, -1)",
                "22003",
            ),
            ("SELECT crm.conversion_rate(11, 10)", "22023"),
            ("SELECT crm.conversion_rate(-1, 10)", "22003"),
            ("SELECT crm.ltv_to_cac(1, -1)", "22003"),
            ("SELECT crm.revenue_per_lead(1, -1)", "22003"),
            ("SELECT crm.cost_per_lead(-1, 1)", "22003"),
            ("SELECT crm.calls_per_sale(-1, 1)", "22003"),
            ("SELECT crm.renewal_rate(101, 100)", "22023"),
            ("SELECT crm.renewal_rate(1, -100)", "22003"),
        ] {
            assert_eq!(sqlstate_of(query), state, "{query}");
        }
    }

    #[pg_test]
    fn ratios_share_aggregates_equal_plain_sql_and_work_as_windows() {
        Spi::run(
            "CREATE TEMP TABLE deals AS
             SELECT g AS id, CASE WHEN g % 7 = 0 THEN NULL ELSE (g * 7919) % 3 = 0 END AS won
             FROM generate_series(1, 3000) g",
        )
        .unwrap();
        let ours = float("SELECT crm.win_rate(won) FROM deals").unwrap();
        let reference =
            float("SELECT (count(*) FILTER (WHERE won))::float8 / count(won) FROM deals").unwrap();
        assert!((ours - reference).abs() < 1e-15);
        let conversion = float("SELECT crm.conversion_rate(won) FROM deals").unwrap();
        assert!((conversion - reference).abs() < 1e-15);
        let mismatches = Spi::get_one::<i64>(
            "WITH w AS (
               SELECT id, crm.win_rate(won) OVER f AS ours, crm.renewal_rate(won) OVER f AS renewal,
                      crm.conversion_rate(won) OVER f AS conversion,
                      (count(*) FILTER (WHERE won) OVER f)::float8 / nullif(count(won) OVER f, 0) AS reference
               FROM deals WINDOW f AS (ORDER BY id ROWS BETWEEN 4 PRECEDING AND CURRENT ROW))
             SELECT count(*) FROM w
             WHERE ours IS DISTINCT FROM reference OR renewal IS DISTINCT FROM reference
                OR conversion IS DISTINCT FROM reference",
        )
        .unwrap();
        assert_eq!(mismatches, Some(0));
        // A frame of only NULL rows gives NULL.
        let frames = Spi::get_one::<i64>(
            "SELECT count(*) FROM (
               SELECT crm.win_rate(w) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS r
               FROM (VALUES (1, true), (2, NULL), (3, NULL), (4, false)) v(i, w)) t WHERE r IS NULL",
        )
        .unwrap();
        assert_eq!(frames, Some(1));
    }
}
