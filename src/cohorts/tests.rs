//! Behaviour of the cohorts family inside Postgres, checked against a plain-SQL computation
//! (date_trunc in the time zone, first-activity CTE, distinct, join, group by).
#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use crate::common::testing::{count, sqlstate_of};
    use pgrx::prelude::*;

    /// Events with customers skipping periods, events minutes around midnight (UTC and local),
    /// a DST change in Europe/Berlin (2024-03-31) and New York (2024-11-03), and random ones.
    fn events_table() {
        Spi::run(
            "CREATE TEMP TABLE events (customer_id bigint, occurred_at timestamptz);
             INSERT INTO events VALUES
               (1, '2024-01-31 23:30:00+00'), (1, '2024-03-15 12:00:00+00'),
               (2, '2024-01-31 22:59:59+00'), (2, '2024-02-29 23:00:00+00'),
               (3, '2024-03-30 23:00:00+00'), (3, '2024-03-31 22:30:00+00'),
               (4, '2024-11-03 04:30:00+00'), (4, '2024-11-04 04:59:59+00'),
               (5, '2023-12-31 23:59:59.999999+00'), (5, '2024-01-01 00:00:00+00');
             INSERT INTO events
             SELECT 100 + (g * 7919) % 1500, timestamptz '2023-01-01' + ((g * 104729) % 730) * interval '1 day'
                    + ((g * 31) % 1440) * interval '1 minute'
             FROM generate_series(1, 20000) g;",
        )
        .expect("table is created");
        Spi::run(
            "CREATE FUNCTION pg_temp.reference(period text, zone text, unbounded boolean)
             RETURNS TABLE (cohort date, period_number int, cohort_size bigint, active_customers bigint)
             LANGUAGE sql AS $$
               WITH ev AS (
                 SELECT customer_id, date_trunc(period, occurred_at AT TIME ZONE zone)::date AS p FROM events),
               idx AS (
                 SELECT customer_id, p,
                        CASE period WHEN 'day' THEN p - date '2000-01-01'
                                    WHEN 'week' THEN (p - date '2000-01-03') / 7
                                    WHEN 'month' THEN (extract(year FROM p) * 12 + extract(month FROM p))::int
                                    WHEN 'quarter' THEN (extract(year FROM p) * 12 + extract(month FROM p) - 1)::int / 3
                                    ELSE extract(year FROM p)::int END AS i
                 FROM ev),
               firsts AS (SELECT customer_id, min(i) AS first_i, min(p) AS cohort FROM idx GROUP BY 1),
               activity AS (SELECT DISTINCT customer_id, i FROM idx),
               lasts AS (SELECT customer_id, max(i) AS last_i FROM idx GROUP BY 1),
               sizes AS (SELECT cohort, first_i, count(*) AS size FROM firsts GROUP BY 1, 2),
               grid AS (SELECT s.cohort, s.first_i, k, s.size FROM sizes s,
                        generate_series(0, (SELECT max(i) FROM idx) - s.first_i) k)
               SELECT g.cohort, g.k, g.size, count(m.customer_id)
               FROM grid g
               LEFT JOIN (SELECT f.customer_id, f.first_i, a.i AS active_i, l.last_i
                          FROM firsts f JOIN activity a USING (customer_id) JOIN lasts l USING (customer_id)
                          WHERE NOT unbounded OR a.i = f.first_i) m
                 ON m.first_i = g.first_i
                AND CASE WHEN unbounded THEN m.last_i >= g.first_i + g.k ELSE m.active_i = g.first_i + g.k END
               GROUP BY 1, 2, 3 ORDER BY 1, 2
             $$",
        )
        .expect("reference is created");
    }

    fn mismatches(period: &str, zone: &str, mode: &str) -> i64 {
        let unbounded = mode == "unbounded";
        count(&format!(
            "WITH ours AS (
               SELECT cohort, period_number, cohort_size, active_customers FROM crm.cohort_retention(
                 (SELECT crm.cohort_agg(customer_id, occurred_at, '{period}', '{zone}') FROM events), '{mode}')),
             reference AS (SELECT * FROM pg_temp.reference('{period}', '{zone}', {unbounded}))
             SELECT (SELECT count(*) FROM (SELECT * FROM ours EXCEPT SELECT * FROM reference) a)
                  + (SELECT count(*) FROM (SELECT * FROM reference EXCEPT SELECT * FROM ours) b)"
        ))
    }

    #[pg_test]
    fn cohorts_retention_equals_the_plain_sql() {
        events_table();
        for period in ["day", "week", "month", "quarter", "year"] {
            for zone in ["UTC", "Europe/Berlin", "America/New_York"] {
                for mode in ["classic", "unbounded"] {
                    assert_eq!(mismatches(period, zone, mode), 0, "{period} {zone} {mode}");
                }
            }
        }
    }

    #[pg_test]
    fn cohorts_midnight_in_a_time_zone() {
        events_table();
        // Customer 1's first event is 2024-01-31 23:30 UTC: January in UTC, February in Berlin.
        let cohort = |zone: &str| {
            Spi::get_one::<String>(&format!(
                "SELECT min(cohort)::text FROM crm.cohort_retention(
                   (SELECT crm.cohort_agg(customer_id, occurred_at, 'month', '{zone}') FROM events WHERE customer_id = 1))"
            ))
            .unwrap()
        };
        assert_eq!(cohort("UTC").as_deref(), Some("2024-01-01"));
        assert_eq!(cohort("Europe/Berlin").as_deref(), Some("2024-02-01"));
        // Customer 5: two events one microsecond apart across the UTC new year.
        let rows = count(
            "SELECT count(*) FROM crm.cohort_retention(
               (SELECT crm.cohort_agg(customer_id, occurred_at, 'year') FROM events WHERE customer_id = 5))",
        );
        assert_eq!(rows, 2);
    }

    #[pg_test]
    fn cohorts_key_types_and_repeat_rate() {
        events_table();
        let bigint_rows = "SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg(customer_id, occurred_at, 'month') FROM events))";
        for key in [
            "customer_id::text",
            "md5(customer_id::text)::uuid",
            "'customer-' || customer_id",
        ] {
            let differences = count(&format!(
                "SELECT count(*) FROM (({bigint_rows}) EXCEPT
                   SELECT * FROM crm.cohort_retention((SELECT crm.cohort_agg({key}, occurred_at, 'month') FROM events))) d"
            ));
            assert_eq!(differences, 0, "{key}");
        }
        let repeat = Spi::get_one::<f64>(
            "SELECT crm.repeat_rate(crm.cohort_agg(customer_id, occurred_at, 'month')) FROM events",
        )
        .unwrap()
        .unwrap();
        let reference = Spi::get_one::<f64>(
            "SELECT avg((n >= 2)::int)::float8 FROM (
               SELECT customer_id, count(DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC')) n
               FROM events GROUP BY 1) t",
        )
        .unwrap()
        .unwrap();
        assert!((repeat - reference).abs() < 1e-12);
    }

    #[pg_test]
    fn cohorts_rollup_text_form_null_and_empty() {
        events_table();
        let same = Spi::get_one::<bool>(
            "SELECT (SELECT crm.rollup(s)::text FROM (SELECT crm.cohort_agg(customer_id, occurred_at, 'week', 'Europe/Berlin') s
                                                     FROM events GROUP BY customer_id % 5) t)
                  = (SELECT crm.cohort_agg(customer_id, occurred_at, 'week', 'Europe/Berlin')::text FROM events)",
        )
        .unwrap();
        assert_eq!(same, Some(true));
        let round_trip = Spi::get_one::<bool>(
            "SELECT s::text::crm.cohort_summary::text = s::text
             FROM (SELECT crm.cohort_agg(customer_id::text, occurred_at, 'quarter') s FROM events) t",
        )
        .unwrap();
        assert_eq!(round_trip, Some(true));
        let null_summary = Spi::get_one::<String>(
            "SELECT crm.cohort_agg(id, at, 'month')::text FROM (VALUES (NULL::bigint, now()), (1, NULL)) v(id, at)",
        )
        .unwrap();
        assert_eq!(null_summary, None);
        let empty = Spi::get_one::<String>(
            "SELECT crm.cohort_agg(id, at, 'month')::text FROM (SELECT 1::bigint, now() WHERE false) v(id, at)",
        )
        .unwrap();
        assert_eq!(empty, None);
    }

    #[pg_test]
    fn cohorts_bad_inputs_raise_their_sqlstates() {
        let one = "(VALUES (1::bigint, timestamptz '2024-01-01')) v(id, at)";
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT crm.cohort_agg(id, at, 'fortnight') FROM {one}"
            )),
            "22023"
        );
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT crm.cohort_agg(id, at, 'month', 'Mars/Olympus') FROM {one}"
            )),
            "22023"
        );
        assert_eq!(
            sqlstate_of("SELECT crm.cohort_agg(1::bigint, 'infinity', 'month')"),
            "22008"
        );
        let summary = format!("(SELECT crm.cohort_agg(id, at, 'month') FROM {one})");
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT * FROM crm.cohort_retention({summary}, 'forever')"
            )),
            "22023"
        );
        assert_eq!(
            sqlstate_of(&format!(
                "SELECT crm.rollup(s) FROM (SELECT {summary} UNION ALL SELECT (SELECT crm.cohort_agg(id, at, 'week') FROM {one})) t(s)"
            )),
            "22023"
        );
        assert_eq!(
            sqlstate_of(
                "SELECT crm.cohort_agg(1::bigint, now(), p) FROM (VALUES ('month'), ('week')) v(p)"
            ),
            "22023"
        );
        assert_eq!(
            sqlstate_of("SELECT 'nonsense'::crm.cohort_summary"),
            "22P02"
        );
    }

    /// Zones with DST in both hemispheres, half-hour and 45-minute offsets, zones that moved
    /// across the date line or changed rules often, and fixed ones.
    const ZONES: [&str; 24] = [
        "America/New_York",
        "Europe/Berlin",
        "Europe/London",
        "Europe/Moscow",
        "America/Los_Angeles",
        "America/Sao_Paulo",
        "America/Santiago",
        "America/St_Johns",
        "America/Havana",
        "America/Nuuk",
        "Australia/Sydney",
        "Australia/Lord_Howe",
        "Australia/Adelaide",
        "Pacific/Auckland",
        "Pacific/Chatham",
        "Pacific/Apia",
        "Pacific/Kiritimati",
        "Asia/Kolkata",
        "Asia/Kathmandu",
        "Asia/Tehran",
        "Asia/Tokyo",
        "Africa/Casablanca",
        "Antarctica/Troll",
        "Etc/GMT+5",
    ];

    /// The period of an instant is the one of Postgres's
    /// `date_trunc(period, ts AT TIME ZONE zone)` in every year (named zones applied DST only
    /// up to 2099 before). Instants are local midnights (from Postgres) and a minute either
    /// side, on random days and first days of months from 1900 to 2300, each one through a
    /// fresh aggregate; then all of them through one aggregate (warm period memos).
    #[pg_test]
    fn periods_agree_with_date_trunc_in_24_zones_from_1900_to_2300() {
        Spi::run(
            "CREATE TEMP TABLE probe_days AS
             SELECT date '1900-01-01' + (g * 7919 % 146462) AS d FROM generate_series(1, 150) g
             UNION ALL SELECT make_date(1900 + (g * 37) % 401, 1 + g % 12, 1) FROM generate_series(1, 100) g
             UNION ALL VALUES (date '2100-07-15'), (date '2100-07-01'), (date '2299-12-31'), (date '2300-01-01')",
        )
        .expect("days");
        for zone in ZONES {
            Spi::run(&format!(
                "DROP TABLE IF EXISTS probes;
                 CREATE TEMP TABLE probes AS
                 SELECT row_number() OVER () AS id, ts FROM (
                   SELECT (d::timestamp AT TIME ZONE '{zone}') + delta AS ts
                   FROM probe_days, unnest(ARRAY[interval '-1 minute', '0', '1 minute', '-150 minutes']) delta
                   UNION ALL VALUES (timestamptz '2100-07-15 04:30+00'), ('2100-06-30 22:30+00')) t"
            ))
            .expect("probes");
            assert!(count("SELECT count(*) FROM probes") > 1000);
            for period in ["day", "week", "month", "quarter", "year"] {
                let wrong = count(&format!(
                    "SELECT count(*) FROM probes p LEFT JOIN LATERAL (SELECT cohort FROM crm.cohort_retention(
                         (SELECT crm.cohort_agg(1::bigint, x.ts, '{period}', '{zone}') FROM (SELECT p.ts) x))) r ON true
                     WHERE r.cohort IS DISTINCT FROM date_trunc('{period}', p.ts AT TIME ZONE '{zone}')::date"
                ));
                assert_eq!(wrong, 0, "{zone} {period}: instants in the wrong period");
            }
            // One aggregate over every instant (ids unique): the cohort sizes per year and
            // per month of one 30-year window equal Postgres's counts.
            let wrong = count(&format!(
                "WITH ours AS (SELECT cohort, cohort_size FROM crm.cohort_retention(
                                 (SELECT crm.cohort_agg(id, ts, 'year', '{zone}') FROM probes))
                               WHERE period_number = 0),
                      theirs AS (SELECT date_trunc('year', ts AT TIME ZONE '{zone}')::date AS cohort,
                                        count(*) AS cohort_size FROM probes GROUP BY 1)
                 SELECT count(*) FROM ((TABLE ours EXCEPT TABLE theirs) UNION ALL (TABLE theirs EXCEPT TABLE ours)) d"
            ));
            assert_eq!(wrong, 0, "{zone}: yearly cohorts of one aggregate");
            let wrong = count(&format!(
                "WITH w AS (SELECT * FROM probes WHERE ts >= '2090-01-01' AND ts < '2120-01-01'),
                      ours AS (SELECT cohort, cohort_size FROM crm.cohort_retention(
                                 (SELECT crm.cohort_agg(id, ts, 'month', '{zone}') FROM w))
                               WHERE period_number = 0),
                      theirs AS (SELECT date_trunc('month', ts AT TIME ZONE '{zone}')::date AS cohort,
                                        count(*) AS cohort_size FROM w GROUP BY 1)
                 SELECT count(*) FROM ((TABLE ours EXCEPT TABLE theirs) UNION ALL (TABLE theirs EXCEPT TABLE ours)) d"
            ));
            assert_eq!(
                wrong, 0,
                "{zone}: monthly cohorts of one aggregate, 2090-2120"
            );
        }
    }
}
