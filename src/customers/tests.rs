//! Behaviour of the customers family inside Postgres, checked against plain SQL written
//! separately from the Rust definitions.
#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use crate::common::testing::{count, sqlstate_of};
    use pgrx::prelude::*;

    /// Customers with joiners and leavers inside periods, customers still active, lifetimes
    /// starting or ending exactly on period boundaries, zero-length lifetimes, and random ones.
    fn customers_table() {
        Spi::run(
            "CREATE TEMP TABLE subs (id int, started_at timestamptz, ended_at timestamptz);
             INSERT INTO subs VALUES
               (1, '2025-01-01', NULL), (2, '2025-01-01', '2025-02-01'), (3, '2024-12-31 23:59:59.999999', '2025-01-01'),
               (4, '2025-01-15', '2025-01-20'), (5, '2025-01-15', NULL), (6, '2025-02-01', NULL),
               (7, '2024-06-01', '2025-01-31 23:59:59.999999'), (8, '2025-01-10', '2025-01-10'),
               (9, '2024-01-01', '2025-03-01'), (10, '2025-02-01', '2025-02-01 00:00:00.000001');
             INSERT INTO subs
             SELECT 100 + g, s, CASE WHEN g % 3 = 0 THEN NULL ELSE s + (g % 97) * interval '3 days 1 hour' END
             FROM generate_series(1, 3000) g, LATERAL (SELECT timestamptz '2024-01-01' + (g * 7919 % 800) * interval '1 day' + (g % 24) * interval '1 hour' AS s) x;
             CREATE TEMP TABLE periods AS
             SELECT p AS period_start, p + interval '1 month' AS period_end
             FROM generate_series(timestamptz '2024-01-01', '2025-12-01', interval '1 month') p;",
        )
        .expect("tables are created");
    }

    /// Plain-SQL reference counts per period, written from the contract's definitions.
    const REFERENCE: &str = "
        SELECT p.period_start, p.period_end,
          count(*) FILTER (WHERE s.started_at <= p.period_start AND (s.ended_at IS NULL OR s.ended_at > p.period_start)) AS s0,
          count(*) FILTER (WHERE s.started_at <= p.period_end AND (s.ended_at IS NULL OR s.ended_at > p.period_end)) AS e0,
          count(*) FILTER (WHERE s.started_at > p.period_start AND s.started_at <= p.period_end AND (s.ended_at IS NULL OR s.ended_at > p.period_end)) AS n0,
          count(*) FILTER (WHERE s.started_at <= p.period_start AND (s.ended_at IS NULL OR s.ended_at > p.period_start)
                             AND NOT (s.ended_at IS NULL OR s.ended_at > p.period_end)) AS lost,
          count(*) FILTER (WHERE s.ended_at > p.period_start AND s.ended_at <= p.period_end) AS ended,
          count(*) FILTER (WHERE s.started_at > p.period_start AND s.started_at <= p.period_end) AS started
        FROM periods p CROSS JOIN subs s GROUP BY 1, 2";

    #[pg_test]
    fn customers_one_step_aggregates_equal_the_plain_sql() {
        customers_table();
        let mismatches = count(&format!(
            "WITH reference AS ({REFERENCE}),
             ours AS (
               SELECT p.period_start,
                      crm.retention_rate(s.started_at, s.ended_at, p.period_start, p.period_end) AS retention,
                      crm.churn_rate(s.started_at, s.ended_at, p.period_start, p.period_end) AS churn,
                      crm.churn_rate(s.started_at, s.ended_at, p.period_start, p.period_end, 'average') AS churn_average,
                      crm.churn_rate(s.started_at, s.ended_at, p.period_start, p.period_end, 'start_plus_new') AS churn_plus_new
               FROM periods p CROSS JOIN subs s GROUP BY 1)
             SELECT count(*) FROM reference r JOIN ours o USING (period_start)
             WHERE o.retention IS DISTINCT FROM (r.e0 - r.n0)::float8 / nullif(r.s0, 0)
                OR o.churn IS DISTINCT FROM r.lost::float8 / nullif(r.s0, 0)
                OR abs(coalesce(o.churn_average, -1) - coalesce(r.lost::float8 / nullif((r.s0 + r.e0) / 2.0, 0), -1)) > 1e-12
                OR o.churn_plus_new IS DISTINCT FROM r.ended::float8 / nullif(r.s0 + r.started, 0)"
        ));
        assert_eq!(mismatches, 0);
        // The period covering the hand-made edge cases, checked by hand: active at 2025-01-01 are
        // 1, 2, 7, 9 (3 ended exactly then); at 2025-02-01: 1, 5, 6, 9, 10 (2 ended exactly then).
        let edge = "SELECT crm.retention_rate(started_at, ended_at, '2025-01-01', '2025-02-01') FROM subs WHERE id < 100";
        // S = 4; E = 5; N = 5 and 6 (6 starts exactly at period_end) and 10 → 3; (E − N)/S = 2/4.
        assert_eq!(Spi::get_one::<f64>(edge).unwrap(), Some(0.5));
    }

    #[pg_test]
    fn customers_churn_series_rows_equal_the_one_step_aggregates() {
        customers_table();
        let mismatches = count(
            "WITH series AS (
               SELECT * FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subs),
                                              '2024-01-01', '2026-01-01', '1 month')),
             one_step AS (
               SELECT p.period_start, p.period_end,
                      crm.retention_rate(s.started_at, s.ended_at, p.period_start, p.period_end) AS retention,
                      crm.churn_rate(s.started_at, s.ended_at, p.period_start, p.period_end) AS churn
               FROM periods p CROSS JOIN subs s GROUP BY 1, 2)
             SELECT count(*) FROM one_step o FULL JOIN series s USING (period_start)
             WHERE s.period_end IS DISTINCT FROM o.period_end
                OR s.retention_rate IS DISTINCT FROM o.retention OR s.churn_rate IS DISTINCT FROM o.churn",
        );
        assert_eq!(mismatches, 0);
        let reference_mismatches = count(&format!(
            "WITH reference AS ({REFERENCE})
             SELECT count(*) FROM reference r JOIN crm.churn_series(
                 (SELECT crm.customer_agg(started_at, ended_at) FROM subs), '2024-01-01', '2026-01-01', '1 month') s
               USING (period_start)
             WHERE (s.customers_at_start, s.customers_at_end, s.new_customers, s.churned_customers)
                   IS DISTINCT FROM (r.s0, r.e0, r.n0, r.lost)"
        ));
        assert_eq!(reference_mismatches, 0);
        assert_eq!(
            count("SELECT count(*) FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subs), '2024-01-01', '2026-01-01', '1 month')"),
            24
        );
    }

    #[pg_test]
    fn customers_active_customers_rollup_and_text_form() {
        customers_table();
        let mismatches = count(
            "SELECT count(*) FROM generate_series(timestamptz '2023-12-31', '2026-03-01', interval '5 days 7 hours') t
             WHERE crm.active_customers((SELECT crm.customer_agg(started_at, ended_at) FROM subs), t)
                   <> (SELECT count(*) FROM subs WHERE started_at <= t AND (ended_at IS NULL OR ended_at > t))",
        );
        assert_eq!(mismatches, 0);
        let same = Spi::get_one::<bool>(
            "SELECT (SELECT crm.rollup(s)::text FROM (SELECT crm.customer_agg(started_at, ended_at) s FROM subs GROUP BY id % 7) t)
                  = (SELECT crm.customer_agg(started_at, ended_at)::text FROM subs)",
        )
        .unwrap();
        assert_eq!(same, Some(true));
        let round_trip = Spi::get_one::<bool>(
            "SELECT s::text::crm.customer_summary::text = s::text FROM (SELECT crm.customer_agg(started_at, ended_at) s FROM subs) t",
        )
        .unwrap();
        assert_eq!(round_trip, Some(true));
        assert_eq!(
            count("SELECT crm.customers(crm.customer_agg(started_at, ended_at)) FROM subs"),
            3010
        );
    }

    #[pg_test]
    fn customers_null_and_empty_input() {
        let none = Spi::get_one::<f64>(
            "SELECT crm.churn_rate(s, e, '2025-01-01', '2025-02-01') FROM (VALUES (NULL::timestamptz, NULL::timestamptz)) v(s, e)",
        )
        .unwrap();
        assert_eq!(none, None);
        let empty = Spi::get_one::<f64>(
            "SELECT crm.retention_rate(s, e, '2025-01-01', '2025-02-01') FROM (SELECT now(), now() WHERE false) v(s, e)",
        )
        .unwrap();
        assert_eq!(empty, None);
        // Nobody active at period_start: the rate is NULL, not 0.
        let zero_denominator = Spi::get_one::<f64>(
            "SELECT crm.churn_rate(s, NULL, '2025-01-01', '2025-02-01') FROM (VALUES (timestamptz '2025-01-05')) v(s)",
        )
        .unwrap();
        assert_eq!(zero_denominator, None);
        let no_summary = Spi::get_one::<String>(
            "SELECT crm.customer_agg(s, e)::text FROM (VALUES (NULL::timestamptz, NULL::timestamptz)) v(s, e)",
        )
        .unwrap();
        assert_eq!(no_summary, None);
    }

    #[pg_test]
    fn customers_bad_inputs_raise_their_sqlstates() {
        let row = "(VALUES (timestamptz '2025-02-01', timestamptz '2025-01-01')) v(s, e)";
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT crm.churn_rate(s, e, '2025-01-01', '2025-03-01') FROM {row}"
            )),
            "22023"
        );
        assert_eq!(
            sqlstate_of(&format!("SELECT crm.customer_agg(s, e) FROM {row}")),
            "22023"
        );
        let ok = "(VALUES (timestamptz '2025-01-01', NULL::timestamptz)) v(s, e)";
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT crm.retention_rate(s, e, '2025-03-01', '2025-03-01') FROM {ok}"
            )),
            "22023"
        );
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT crm.churn_rate(s, e, '2025-03-01', '2025-02-01') FROM {ok}"
            )),
            "22023"
        );
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT crm.churn_rate(s, e, '2025-01-01', '2025-02-01', 'median') FROM {ok}"
            )),
            "22023"
        );
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT crm.churn_rate(s, e, '2025-01-01', '2025-02-01', 'average') FROM {ok}"
            )),
            "no error"
        );
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT crm.churn_rate(s, e, '-infinity', '2025-02-01') FROM {ok}"
            )),
            "22008"
        );
        let summary = format!("(SELECT crm.customer_agg(s, e) FROM {ok})");
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT * FROM crm.churn_series({summary}, '2025-01-01', '2025-03-01', '0 days')"
            )),
            "22023"
        );
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT * FROM crm.churn_series({summary}, '2025-01-01', '2025-03-01', '-1 day')"
            )),
            "22023"
        );
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT crm.active_customers({summary}, 'infinity')"
            )),
            "22008"
        );
        // Past the timestamp range, Postgres' own error becomes the contract's 22008.
        for (from, to, step) in [
            ("2025-01-01", "2025-03-01", "300000 years"),
            ("294276-11-01", "294276-12-31", "1 month"),
        ] {
            assert_eq!(
                sqlstate_of(&format!(
                    "SELECT * FROM crm.churn_series({summary}, '{from}', '{to}', '{step}')"
                )),
                "22008"
            );
        }
        assert_eq!(
            sqlstate_of("SELECT 'nonsense'::crm.customer_summary"),
            "22P02"
        );
    }
}
