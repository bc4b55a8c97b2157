//! Behaviour of the customers family inside Postgres, checked against plain SQL written
//! separately from the Rust definitions.
#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use crate::common::testing::{count, error_of, sqlstate_of};
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

    /// Plain-SQL reference counts per period, written from the contract's definitions:
    /// half-open periods, new where started_at falls, lost where ended_at falls, zero-length
    /// rows skipped.
    const REFERENCE: &str = "
        SELECT p.period_start, p.period_end,
          count(*) FILTER (WHERE s.started_at < p.period_start AND (s.ended_at IS NULL OR s.ended_at >= p.period_start)) AS s0,
          count(*) FILTER (WHERE s.started_at < p.period_end AND (s.ended_at IS NULL OR s.ended_at >= p.period_end)) AS e0,
          count(*) FILTER (WHERE s.started_at >= p.period_start AND s.started_at < p.period_end AND (s.ended_at IS NULL OR s.ended_at >= p.period_end)) AS n0,
          count(*) FILTER (WHERE s.started_at < p.period_start AND s.ended_at >= p.period_start AND s.ended_at < p.period_end) AS lost,
          count(*) FILTER (WHERE s.ended_at >= p.period_start AND s.ended_at < p.period_end) AS ended,
          count(*) FILTER (WHERE s.started_at >= p.period_start AND s.started_at < p.period_end) AS started
        FROM periods p LEFT JOIN subs s ON s.ended_at IS DISTINCT FROM s.started_at GROUP BY 1, 2";

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
        // The period covering the hand-made edge cases, checked by hand: S at 2025-01-01 is
        // 3 (ends exactly then: lost in January), 7 and 9; E at 2025-02-01 is 1, 2 (ends exactly
        // then: lost in February), 5 and 9; N is 1 and 2 (start exactly at 2025-01-01) and 5;
        // 6 and 10 start exactly at 2025-02-01 (February's); 8 is zero-length.
        let edge = "SELECT crm.retention_rate(started_at, ended_at, '2025-01-01', '2025-02-01') FROM subs WHERE id < 100";
        // S = 3, E = 4, N = 3: (E − N)/S = 1/3; churn = lost/S = 2/3.
        assert_eq!(Spi::get_one::<f64>(edge).unwrap(), Some(1.0 / 3.0));
        let edge_churn = "SELECT crm.churn_rate(started_at, ended_at, '2025-01-01', '2025-02-01') FROM subs WHERE id < 100";
        assert_eq!(Spi::get_one::<f64>(edge_churn).unwrap(), Some(2.0 / 3.0));
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
                   <> (SELECT count(*) FROM subs WHERE started_at < t AND (ended_at IS NULL OR ended_at >= t))",
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
        // 21 of the 3010 rows are zero-length (id 8 and 20 generated ones): not customers.
        assert_eq!(
            count("SELECT crm.customers(crm.customer_agg(started_at, ended_at)) FROM subs"),
            count("SELECT count(*) FROM subs WHERE ended_at IS DISTINCT FROM started_at")
        );
        assert_eq!(
            count("SELECT crm.customers(crm.customer_agg(started_at, ended_at)) FROM subs"),
            2989
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

    /// One line per churn_series row: start date, S, E, N, lost.
    fn series_lines(query: &str) -> String {
        Spi::get_one::<String>(&format!(
            "SELECT string_agg(format('%s %s %s %s %s', to_char(period_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
                                      customers_at_start, customers_at_end, new_customers, churned_customers),
                               '; ' ORDER BY period_start)
             FROM ({query}) r"
        ))
        .expect("query runs")
        .expect("rows")
    }

    #[pg_test]
    fn customers_boundary_rule_with_dates() {
        Spi::run(
            "SET TimeZone = 'UTC';
             CREATE TEMP TABLE contracts (id int, started_on date, ended_on date);
             INSERT INTO contracts VALUES (1, '2025-02-01', NULL), (2, '2024-06-01', '2025-03-01'),
                                          (3, '2025-01-15', '2025-01-15'), (4, '2025-03-01', '2025-03-01');",
        )
        .expect("table is created");
        // 1 starts on 2025-02-01: February's new customer; 2 ends on 2025-03-01: lost in March;
        // 3 and 4 are zero-length: never customers.
        let summary = "(SELECT crm.customer_agg(started_on, ended_on) FROM contracts)";
        assert_eq!(
            series_lines(&format!(
                "SELECT * FROM crm.churn_series({summary}, '2025-01-01', '2025-05-01', '1 month')"
            )),
            "2025-01-01 00:00 1 1 0 0; 2025-02-01 00:00 1 2 1 0; 2025-03-01 00:00 2 1 0 1; 2025-04-01 00:00 1 1 0 0"
        );
        // The one-step aggregates over DATE columns and DATE periods say the same.
        let one_step = |function: &str, start: &str, end: &str| {
            Spi::get_one::<f64>(&format!(
                "SELECT {function}(started_on, ended_on, date '{start}', date '{end}') FROM contracts"
            ))
            .expect("query runs")
        };
        assert_eq!(
            one_step("crm.churn_rate", "2025-02-01", "2025-03-01"),
            Some(0.0)
        );
        assert_eq!(
            one_step("crm.retention_rate", "2025-02-01", "2025-03-01"),
            Some(1.0)
        );
        assert_eq!(
            one_step("crm.churn_rate", "2025-03-01", "2025-04-01"),
            Some(0.5)
        );
        assert_eq!(
            one_step("crm.retention_rate", "2025-03-01", "2025-04-01"),
            Some(0.5)
        );
        assert_eq!(
            one_step("crm.churn_rate", "2025-01-01", "2025-02-01"),
            Some(0.0)
        );
        assert_eq!(
            count(&format!(
                "SELECT crm.active_customers({summary}, '2025-02-01')"
            )),
            1
        );
        assert_eq!(
            count(&format!(
                "SELECT crm.active_customers({summary}, '2025-03-01')"
            )),
            2
        );
        assert_eq!(count(&format!("SELECT crm.customers({summary})")), 2);
    }

    #[pg_test]
    fn customers_boundary_rule_with_timestamps_and_zones() {
        Spi::run(
            "SET TimeZone = 'UTC';
             CREATE TEMP TABLE moments (id int, started_at timestamptz, ended_at timestamptz);
             INSERT INTO moments VALUES
               (10, '2025-02-01 00:00:00+00', NULL),
               (11, '2025-01-31 23:59:59.999999+00', NULL),
               (12, '2024-01-01 00:00:00+00', '2025-02-01 00:00:00+00'),
               (13, '2024-01-01 00:00:00+00', '2025-01-31 23:59:59.999999+00'),
               (14, '2025-02-01 00:00:00+01', NULL),
               (15, '2025-01-20 00:00:00+00', '2025-01-20 00:00:00+00');",
        )
        .expect("table is created");
        let summary = "(SELECT crm.customer_agg(started_at, ended_at) FROM moments)";
        // UTC months: 11 and 14 (2025-01-31 23:00 UTC) start in January, 10 in February;
        // 13 is lost in January, 12 (ends exactly at 2025-02-01) in February.
        assert_eq!(
            series_lines(&format!(
                "SELECT * FROM crm.churn_series({summary}, '2025-01-01', '2025-03-01', '1 month', 'start', 'UTC')"
            )),
            "2025-01-01 00:00 2 3 2 1; 2025-02-01 00:00 3 3 1 1"
        );
        // Paris months start at 23:00 UTC: 11, 13 and 14 fall on 1 February local time.
        assert_eq!(
            series_lines(&format!(
                "SELECT * FROM crm.churn_series({summary}, '2025-01-01 00:00 Europe/Paris', '2025-03-01 00:00 Europe/Paris',
                                                '1 month', 'start', 'Europe/Paris')"
            )),
            "2024-12-31 23:00 2 2 0 0; 2025-01-31 23:00 2 3 3 2"
        );
        // The one-step aggregates on the same boundaries agree.
        let churn = |start: &str, end: &str| {
            Spi::get_one::<f64>(&format!(
                "SELECT crm.churn_rate(started_at, ended_at, '{start}', '{end}') FROM moments"
            ))
            .expect("query runs")
        };
        assert_eq!(
            churn("2025-01-01 00:00+00", "2025-02-01 00:00+00"),
            Some(0.5)
        );
        assert_eq!(
            churn("2025-02-01 00:00+00", "2025-03-01 00:00+00"),
            Some(1.0 / 3.0)
        );
        assert_eq!(
            churn(
                "2025-01-01 00:00 Europe/Paris",
                "2025-02-01 00:00 Europe/Paris"
            ),
            Some(0.0)
        );
        assert_eq!(
            churn(
                "2025-02-01 00:00 Europe/Paris",
                "2025-03-01 00:00 Europe/Paris"
            ),
            Some(1.0)
        );
    }

    #[pg_test]
    fn customers_zero_length_rows_are_skipped() {
        let only_zero_length =
            "(VALUES (timestamptz '2025-01-10', timestamptz '2025-01-10'), ('2025-02-01', '2025-02-01')) v(s, e)";
        assert_eq!(
            Spi::get_one::<String>(&format!(
                "SELECT crm.customer_agg(s, e)::text FROM {only_zero_length}"
            ))
            .unwrap(),
            None
        );
        for denominator in ["start", "average", "start_plus_new"] {
            assert_eq!(
                Spi::get_one::<f64>(&format!(
                    "SELECT crm.churn_rate(s, e, '2025-01-01', '2025-03-01', '{denominator}') FROM {only_zero_length}"
                ))
                .unwrap(),
                None
            );
        }
        customers_table();
        // With and without the zero-length rows: the same summary and the same rates.
        let same = Spi::get_one::<bool>(
            "SELECT (SELECT crm.customer_agg(started_at, ended_at)::text FROM subs)
                  = (SELECT crm.customer_agg(started_at, ended_at)::text FROM subs WHERE ended_at IS DISTINCT FROM started_at)",
        )
        .unwrap();
        assert_eq!(same, Some(true));
        let mismatches = count(
            "WITH all_rows AS (
               SELECT p.period_start, crm.churn_rate(s.started_at, s.ended_at, p.period_start, p.period_end, 'start_plus_new') AS c
               FROM periods p CROSS JOIN subs s GROUP BY 1),
             real_rows AS (
               SELECT p.period_start, crm.churn_rate(s.started_at, s.ended_at, p.period_start, p.period_end, 'start_plus_new') AS c
               FROM periods p CROSS JOIN subs s WHERE s.ended_at IS DISTINCT FROM s.started_at GROUP BY 1)
             SELECT count(*) FROM all_rows a JOIN real_rows r USING (period_start) WHERE a.c IS DISTINCT FROM r.c",
        );
        assert_eq!(mismatches, 0);
    }

    #[pg_test]
    fn customers_churn_series_rows_chain_and_balance() {
        customers_table();
        for zone in ["UTC", "Europe/Berlin", "America/New_York"] {
            for step in ["1 month", "1 week", "1 day", "3 days 5 hours", "3 months"] {
                let bad_rows = count(&format!(
                    "SELECT count(*) FROM (
                       SELECT *, lead(customers_at_start) OVER (ORDER BY period_start) AS next_start,
                                 lead(period_start) OVER (ORDER BY period_start) AS next_period
                       FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subs),
                                             date '2023-12-01', date '2026-03-01', '{step}', 'start', '{zone}')) r
                     WHERE customers_at_end <> customers_at_start - churned_customers + new_customers
                        OR next_start <> customers_at_end OR next_period <> period_end"
                ));
                assert_eq!(bad_rows, 0, "{zone} {step}");
            }
        }
    }

    #[pg_test]
    fn customers_churn_series_in_zones_equals_the_one_step_aggregates() {
        customers_table();
        for zone in ["UTC", "Europe/Berlin", "America/New_York"] {
            // Local periods computed separately: local calendar instants converted in the zone.
            Spi::run(&format!(
                "DROP TABLE IF EXISTS local_periods;
                 CREATE TEMP TABLE local_periods AS
                 SELECT 'months' AS series, d AT TIME ZONE '{zone}' AS period_start,
                        (d + interval '1 month') AT TIME ZONE '{zone}' AS period_end
                 FROM generate_series(timestamp '2024-01-01', '2025-12-01', interval '1 month') d
                 UNION ALL
                 SELECT 'days', d AT TIME ZONE '{zone}', (d + interval '1 day') AT TIME ZONE '{zone}'
                 FROM generate_series(timestamp '2025-03-01', '2025-04-05', interval '1 day') d
                 UNION ALL
                 SELECT 'days-autumn', d AT TIME ZONE '{zone}', (d + interval '1 day') AT TIME ZONE '{zone}'
                 FROM generate_series(timestamp '2025-10-20', '2025-11-05', interval '1 day') d;"
            ))
            .expect("periods are created");
            for denominator in ["start", "average", "start_plus_new"] {
                let series = [
                    ("months", "2024-01-01", "2026-01-01", "1 month"),
                    ("days", "2025-03-01", "2025-04-06", "1 day"),
                    ("days-autumn", "2025-10-20", "2025-11-06", "1 day"),
                ];
                for (name, from, to, step) in series {
                    let mismatches = count(&format!(
                        "WITH one_step AS (
                           SELECT p.period_start, p.period_end,
                                  crm.retention_rate(s.started_at, s.ended_at, p.period_start, p.period_end) AS retention,
                                  crm.churn_rate(s.started_at, s.ended_at, p.period_start, p.period_end, '{denominator}') AS churn
                           FROM local_periods p CROSS JOIN subs s WHERE p.series = '{name}' GROUP BY 1, 2),
                         series AS (
                           SELECT * FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subs),
                               timestamp '{from}' AT TIME ZONE '{zone}', timestamp '{to}' AT TIME ZONE '{zone}',
                               '{step}', '{denominator}', '{zone}'))
                         SELECT count(*) FROM one_step o FULL JOIN series s USING (period_start)
                         WHERE s.period_end IS DISTINCT FROM o.period_end
                            OR s.retention_rate IS DISTINCT FROM o.retention
                            OR abs(coalesce(s.churn_rate, -1) - coalesce(o.churn, -1)) > 1e-12
                            OR (s.churn_rate IS NULL) <> (o.churn IS NULL)"
                    ));
                    assert_eq!(mismatches, 0, "{zone} {denominator} {name}");
                }
            }
            // And the counts equal the plain-SQL reference over the same local months.
            let reference_mismatches = count(&format!(
                "WITH periods AS (SELECT period_start, period_end FROM local_periods WHERE series = 'months'),
                 reference AS ({REFERENCE})
                 SELECT count(*) FROM reference r FULL JOIN crm.churn_series(
                     (SELECT crm.customer_agg(started_at, ended_at) FROM subs),
                     timestamp '2024-01-01' AT TIME ZONE '{zone}', timestamp '2026-01-01' AT TIME ZONE '{zone}',
                     '1 month', 'start', '{zone}') s USING (period_start)
                 WHERE (s.customers_at_start, s.customers_at_end, s.new_customers, s.churned_customers)
                       IS DISTINCT FROM (r.s0, r.e0, r.n0, r.lost)"
            ));
            assert_eq!(reference_mismatches, 0, "{zone}");
        }
        // The default time zone is the session's.
        Spi::run("SET TimeZone = 'Europe/Berlin'").expect("set");
        let same = Spi::get_one::<bool>(
            "WITH s AS (SELECT crm.customer_agg(started_at, ended_at) AS s FROM subs)
             SELECT (SELECT array_agg(a::text ORDER BY a.period_start)
                     FROM crm.churn_series((SELECT s FROM s), '2025-01-01', '2025-06-01', '1 month') a)
                  = (SELECT array_agg(b::text ORDER BY b.period_start)
                     FROM crm.churn_series((SELECT s FROM s), '2025-01-01', '2025-06-01', '1 month', 'start', 'Europe/Berlin') b)",
        )
        .unwrap();
        assert_eq!(same, Some(true));
        // Local midnight of every 1st, across both DST changes.
        let local_starts = Spi::get_one::<String>(
            "SELECT string_agg(to_char(period_start, 'MM-DD HH24:MI TZH'), ', ' ORDER BY period_start)
             FROM crm.churn_series((SELECT crm.customer_agg(started_at, ended_at) FROM subs),
                                   '2025-02-01', '2025-12-01', '2 months', 'start', 'Europe/Berlin')",
        )
        .unwrap();
        assert_eq!(
            local_starts.as_deref(),
            Some("02-01 00:00 +01, 04-01 00:00 +02, 06-01 00:00 +02, 08-01 00:00 +02, 10-01 00:00 +02")
        );
        Spi::run("RESET TimeZone").expect("reset");
    }

    #[pg_test]
    fn customers_churn_series_errors_are_clean() {
        let summary = "(SELECT crm.customer_agg(s, e) FROM (VALUES (timestamptz '2025-01-01', NULL::timestamptz)) v(s, e))";
        let cases = [
            (
                format!("SELECT * FROM crm.churn_series({summary}, '2025-01-01', '2026-01-01', '300000 years')"),
                "22008",
            ),
            (
                format!("SELECT * FROM crm.churn_series({summary}, '294276-12-01', '294276-12-02', '1 month')"),
                "22008",
            ),
            (
                format!("SELECT * FROM crm.churn_series({summary}, '294276-12-31 23:00:00+00', '294276-12-31 23:30:00+00', '2 hours', 'start', 'UTC')"),
                "22008",
            ),
            (
                format!("SELECT * FROM crm.churn_series({summary}, '294276-12-31 20:00:00+00', '294276-12-31 21:00:00+00', '1 day', 'start', 'Asia/Tokyo')"),
                "22008",
            ),
            (
                format!("SELECT * FROM crm.churn_series({summary}, '2025-01-01', '2025-03-01', '1 month', 'start', 'Mars/Olympus_Mons')"),
                "22023",
            ),
            (
                format!("SELECT * FROM crm.churn_series({summary}, '2025-01-01', '2025-01-01', '1 month', 'start', 'Mars/Olympus_Mons')"),
                "22023",
            ),
            (
                format!("SELECT * FROM crm.churn_series({summary}, '2025-01-01', '2025-03-01', '1 month', 'median')"),
                "22023",
            ),
            (
                format!("SELECT * FROM crm.churn_series({summary}, '2025-01-01', 'infinity', '1 month')"),
                "22008",
            ),
        ];
        for (query, expected) in cases {
            let (state, message, detail) = error_of(&query);
            assert_eq!(state, expected, "{query}: {message}");
            assert!(
                message.starts_with("crm.churn_series: "),
                "{query}: {message}"
            );
            assert_eq!(detail, "", "{query}: no backtrace");
        }
    }
}
