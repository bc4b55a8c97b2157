//! Behaviour of the service family inside Postgres.
#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use crate::common::testing::{count, sqlstate_of};
    use pgrx::prelude::*;

    fn text(query: &str) -> Option<String> {
        Spi::get_one::<String>(query).expect("query runs")
    }

    fn boolean(query: &str) -> Option<bool> {
        Spi::get_one::<bool>(query).expect("query runs")
    }

    /// Tickets over 2025-2026 (both DST changes of each year), in four teams whose calendars
    /// are in different zones, with holidays; some unanswered, open or reopened.
    fn tickets_table() {
        Spi::run("SET TimeZone = 'UTC'").unwrap();
        Spi::run(
            "CREATE TEMP TABLE teams AS
             SELECT * FROM (VALUES
               (1, crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York', '{2025-11-27,2025-12-25}')),
               (2, crm.business_calendar('Mon-Fri 08:00-18:00', 'Europe/London', '{2025-12-25,2025-12-26}')),
               (3, crm.business_calendar('Mon-Sat 07:00-12:00, 13:00-19:00', 'Australia/Sydney', '{}')),
               (4, crm.business_calendar('Sun-Thu 09:00-17:00', 'Asia/Kolkata', '{2026-01-26}'))
             ) v(team_id, calendar);
             CREATE TEMP TABLE tickets AS
             SELECT g AS id, 1 + g % 4 AS team_id, created_at,
                    CASE WHEN g % 9 = 0 THEN NULL
                         ELSE created_at + ((g * 7919) % 5000) * interval '1 minute' END AS first_response_at,
                    CASE WHEN g % 7 = 0 THEN NULL
                         ELSE created_at + ((g * 104729) % 90000) * interval '1 minute' + interval '1 hour' END AS resolved_at,
                    (g * 31) % 4 AS agent_replies,
                    g % 11 = 0 AS reopened
             FROM generate_series(1, 3000) g,
                  LATERAL (SELECT timestamptz '2025-01-01 00:00+00' + ((g * 2654435761) % 63000000) * interval '1 second' AS created_at) c",
        )
        .expect("tables are created");
    }

    #[pg_test]
    fn service_worked_examples() {
        Spi::run("SET TimeZone = 'UTC'").unwrap();
        let hours = |cal: &str, from: &str, to: &str| {
            text(&format!(
                "SELECT extract(epoch FROM crm.business_time({cal}, '{from}', '{to}'))::bigint::text"
            ))
            .unwrap()
        };
        let office = "crm.business_calendar()";
        assert_eq!(
            hours(office, "2026-03-06 17:30+00", "2026-03-09 09:30+00"),
            "1800"
        );
        assert_eq!(
            hours(office, "2026-03-09 08:30+00", "2026-03-09 09:15+00"),
            "900"
        );
        let thanksgiving = "crm.business_calendar('Mon-Fri 09:00-17:00', 'UTC', '{2016-11-24}')";
        assert_eq!(
            hours(thanksgiving, "2016-11-21 14:00+00", "2016-12-01 11:00+00"),
            (53 * 3600).to_string()
        );
        let london = "crm.business_calendar('Mon-Fri 08:00-18:00', 'Europe/London')";
        assert_eq!(
            hours(london, "2018-10-17 17:15+01", "2018-10-18 18:00+01"),
            (645 * 60).to_string()
        );
        let new_york = "crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York')";
        assert_eq!(
            hours(new_york, "2026-03-06 16:00-05", "2026-03-09 10:00-04"),
            "7200"
        );
        let fixed = "crm.business_calendar('Mon-Fri 09:00-17:00', 'Etc/GMT+5')";
        assert_eq!(
            hours(fixed, "2026-03-06 16:00-05", "2026-03-09 10:00-04"),
            "3600"
        );
        assert_eq!(
            text("SELECT crm.business_add(crm.business_calendar(), '2026-03-06 16:00+00', '4 hours')::text"),
            Some("2026-03-09 12:00:00+00".into())
        );
        assert_eq!(
            text("SELECT crm.business_time(crm.business_calendar(), '2026-03-09 09:00+00', '2026-03-20 10:00+00')::text"),
            Some("73:00:00".into())
        );
        assert_eq!(
            boolean("SELECT crm.is_business_time(crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York'), '2026-03-09 13:00+00')"),
            Some(true)
        );
        assert_eq!(
            boolean("SELECT crm.is_business_time(crm.business_calendar('Mon-Fri 09:00-17:00', 'America/New_York'), '2026-03-09 12:59+00')"),
            Some(false)
        );
    }

    /// business_time equals counting minutes in SQL (`generate_series` and `AT TIME ZONE`), the
    /// way an analyst checks it, on 400 tickets over both DST changes in four zones.
    #[pg_test]
    fn service_business_time_equals_counting_minutes() {
        tickets_table();
        let mismatches = count(
            "WITH sample AS (
                 SELECT t.id, date_trunc('minute', t.created_at) AS a,
                        date_trunc('minute', t.created_at) + (t.id % 9000) * interval '1 minute' AS b,
                        tm.calendar, (tm.calendar::text::json)->>'time_zone' AS zone, tm.team_id
                 FROM tickets t JOIN teams tm USING (team_id)
                 WHERE t.id % 15 = 0 AND t.team_id IN (1, 2)
             ), minutes AS (
                 SELECT s.id, count(m) AS open_minutes
                 FROM sample s
                 LEFT JOIN LATERAL generate_series(s.a, s.b - interval '1 minute', interval '1 minute') m ON
                      extract(isodow FROM m AT TIME ZONE s.zone) BETWEEN 1 AND 5
                      AND (m AT TIME ZONE s.zone)::time >= CASE s.team_id WHEN 1 THEN time '09:00' ELSE time '08:00' END
                      AND (m AT TIME ZONE s.zone)::time < CASE s.team_id WHEN 1 THEN time '17:00' ELSE time '18:00' END
                      AND (m AT TIME ZONE s.zone)::date <> ALL (CASE s.team_id WHEN 1 THEN '{2025-11-27,2025-12-25}'::date[] ELSE '{2025-12-25,2025-12-26}'::date[] END)
                 GROUP BY s.id
             )
             SELECT count(*) FROM sample s JOIN minutes USING (id)
             WHERE crm.business_time(s.calendar, s.a, s.b) <> open_minutes * interval '1 minute'",
        );
        assert_eq!(mismatches, 0);
        // Additivity and add/time inverse on the stored calendars.
        assert_eq!(
            count(
                "SELECT count(*) FROM tickets t JOIN teams USING (team_id)
                 WHERE t.resolved_at IS NOT NULL AND t.first_response_at IS NOT NULL
                   AND crm.business_time(calendar, created_at, first_response_at)
                       + crm.business_time(calendar, first_response_at, resolved_at)
                       <> crm.business_time(calendar, created_at, resolved_at)"
            ),
            0
        );
        assert_eq!(
            count(
                "SELECT count(*) FROM tickets t JOIN teams USING (team_id)
                 WHERE crm.business_time(calendar, created_at,
                         crm.business_add(calendar, created_at, (id % 500) * interval '17 minutes'))
                       <> (id % 500) * interval '17 minutes'"
            ),
            0
        );
        // A 24/7 UTC calendar is plain subtraction.
        assert_eq!(
            count(
                "SELECT count(*) FROM tickets
                 WHERE extract(epoch FROM crm.business_time(crm.business_calendar('Mon-Sun 00:00-24:00'), created_at, resolved_at))
                       <> extract(epoch FROM resolved_at - created_at)"
            ),
            0
        );
    }

    #[pg_test]
    fn service_agg_equals_percentile_disc_avg_and_filter() {
        tickets_table();
        for calendar in ["", ", teams.calendar"] {
            let duration = |end: &str| {
                if calendar.is_empty() {
                    format!("{end} - created_at")
                } else {
                    format!("crm.business_time(teams.calendar, created_at, {end})")
                }
            };
            let (response, resolution) = (duration("first_response_at"), duration("resolved_at"));
            let differences = count(&format!(
                "WITH s AS (
                     SELECT teams.team_id,
                            crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened{calendar}) AS s,
                            percentile_disc(0.5) WITHIN GROUP (ORDER BY {response}) AS p50,
                            percentile_disc(0.9) WITHIN GROUP (ORDER BY {response}) AS p90,
                            percentile_disc(0.0) WITHIN GROUP (ORDER BY {response}) AS p0,
                            percentile_disc(1.0) WITHIN GROUP (ORDER BY {resolution}) AS r100,
                            percentile_disc(0.37) WITHIN GROUP (ORDER BY {resolution}) AS r37,
                            avg(extract(epoch FROM {response})) AS mean_response,
                            avg(extract(epoch FROM {resolution})) AS mean_resolution,
                            count(*) AS tickets, count(first_response_at) AS responded,
                            count(resolved_at) AS resolved,
                            count(*) FILTER (WHERE resolved_at IS NOT NULL AND reopened) AS reopened,
                            count(*) FILTER (WHERE {response} <= interval '4 hours')::float8 / count(first_response_at) AS sla,
                            count(*) FILTER (WHERE {resolution} <= interval '30 hours')::float8 / count(resolved_at) AS sla_resolution,
                            count(*) FILTER (WHERE resolved_at IS NOT NULL AND NOT reopened AND agent_replies <= 1)::float8
                                / count(resolved_at) AS fcr
                     FROM tickets JOIN teams USING (team_id) GROUP BY teams.team_id
                 )
                 SELECT count(*) FROM s WHERE
                     crm.first_response_time(s) <> p50 OR crm.first_response_time(s, 0.9) <> p90
                     OR crm.first_response_time(s, 0) <> p0 OR crm.resolution_time(s, 1) <> r100
                     OR crm.resolution_time(s, 0.37) <> r37
                     OR abs(extract(epoch FROM crm.mean_first_response_time(s)) - mean_response) > 1e-6
                     OR abs(extract(epoch FROM crm.mean_resolution_time(s)) - mean_resolution) > 1e-6
                     OR crm.tickets(s) <> tickets OR crm.responded(s) <> responded
                     OR crm.resolved(s) <> resolved OR crm.reopened(s) <> reopened
                     OR crm.sla_attainment(s, '4 hours') <> sla
                     OR crm.sla_attainment(s, '30 hours', 'resolution') <> sla_resolution
                     OR crm.fcr_rate(s) <> fcr
                     OR crm.reopen_rate(s) <> reopened::float8 / resolved"
            ));
            assert_eq!(differences, 0, "calendar: {calendar:?}");
            // The one-step aggregates give the same shares.
            let one_step = count(&format!(
                "SELECT count(*) FROM (
                     SELECT crm.sla_attainment(created_at, first_response_at, '4 hours'{calendar}) AS one_step,
                            crm.sla_attainment(crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened{calendar}), '4 hours') AS two_step,
                            crm.fcr_rate(agent_replies, reopened, resolved_at IS NOT NULL) AS fcr,
                            crm.fcr_rate(crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened{calendar})) AS fcr_two_step
                     FROM tickets JOIN teams USING (team_id) GROUP BY teams.team_id) t
                 WHERE one_step IS DISTINCT FROM two_step OR fcr IS DISTINCT FROM fcr_two_step"
            ));
            assert_eq!(one_step, 0, "calendar: {calendar:?}");
        }
    }

    #[pg_test]
    fn service_rollup_and_parallel_equal_one_pass() {
        tickets_table();
        Spi::run(
            "CREATE TEMP TABLE daily AS
             SELECT team_id, created_at::date AS day,
                    crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar) AS s
             FROM tickets JOIN teams USING (team_id) GROUP BY 1, 2",
        )
        .unwrap();
        let one_pass = "SELECT crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar)::text
                        FROM tickets JOIN teams USING (team_id)";
        let serial = text(one_pass);
        assert_eq!(text("SELECT crm.rollup(s)::text FROM daily"), serial);
        // Stored as text and read back: same summary.
        assert_eq!(
            text("SELECT crm.rollup(s::text::crm.service_summary)::text FROM daily"),
            serial
        );
        Spi::run(
            "SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0;
             SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0;
             SET parallel_leader_participation = off",
        )
        .unwrap();
        let plan = Spi::explain(&format!("{one_pass} WHERE tickets.id > 0"))
            .unwrap()
            .0
            .to_string();
        assert!(plan.contains("Partial"), "{plan}");
        assert_eq!(text(&format!("{one_pass} WHERE tickets.id > 0")), serial);
        assert_eq!(
            text("SELECT crm.sla_attainment(created_at, first_response_at, '2 hours', calendar)::text FROM tickets JOIN teams USING (team_id)"),
            text("SELECT crm.sla_attainment(crm.service_agg(created_at, first_response_at, resolved_at, agent_replies, reopened, calendar), '2 hours')::text FROM tickets JOIN teams USING (team_id)")
        );
    }

    #[pg_test]
    fn service_windows_null_and_empty() {
        tickets_table();
        // Sliding frame of the one-step aggregates equals the aggregate over the same rows.
        let differences = count(
            "WITH w AS (
                 SELECT id, crm.sla_attainment(created_at, first_response_at, '3 hours')
                            OVER (ORDER BY id ROWS BETWEEN 20 PRECEDING AND CURRENT ROW) AS sla,
                        crm.fcr_rate(agent_replies, reopened, resolved_at IS NOT NULL)
                            OVER (ORDER BY id ROWS BETWEEN 20 PRECEDING AND CURRENT ROW) AS fcr
                 FROM tickets WHERE id <= 300)
             SELECT count(*) FROM w WHERE sla IS DISTINCT FROM
                 (SELECT crm.sla_attainment(created_at, first_response_at, '3 hours') FROM tickets t
                  WHERE t.id BETWEEN w.id - 20 AND w.id)
                 OR fcr IS DISTINCT FROM
                 (SELECT crm.fcr_rate(agent_replies, reopened, resolved_at IS NOT NULL) FROM tickets t
                  WHERE t.id BETWEEN w.id - 20 AND w.id)",
        );
        assert_eq!(differences, 0);
        // A frame of only NULL rows gives NULL.
        assert_eq!(
            count(
                "SELECT count(*) FROM (
                   SELECT crm.sla_attainment(c, r, '1 hour') OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s
                   FROM (VALUES (1, now(), now()), (2, NULL, NULL), (3, NULL, NULL)) v(i, c, r)) t
                 WHERE s IS NULL"
            ),
            1
        );
        assert_eq!(
            text("SELECT crm.service_agg(c, c, c, 1, false)::text FROM (VALUES (NULL::timestamptz)) v(c)"),
            None
        );
        assert_eq!(
            text("SELECT crm.service_agg(c, c, c, 1, false)::text FROM (SELECT now() WHERE false) v(c)"),
            None
        );
        assert_eq!(
            text("SELECT crm.sla_attainment(c, c, '1 hour')::text FROM (VALUES (NULL::timestamptz)) v(c)"),
            None
        );
        assert_eq!(text("SELECT crm.fcr_rate(1, false, false)::text"), None);
        // Open and unanswered tickets only: counts, NULL durations and rates.
        assert_eq!(
            text("SELECT format('%s %s %s %s %s', crm.tickets(s), crm.responded(s), crm.first_response_time(s),
                                crm.fcr_rate(s), crm.sla_attainment(s, '1 hour'))
                  FROM (SELECT crm.service_agg(now(), NULL, NULL, NULL, NULL) AS s) t"),
            Some("1 0   ".into())
        );
        assert_eq!(
            text("SELECT crm.business_time(NULL, now(), now())::text"),
            None
        );
    }

    #[pg_test]
    fn service_bad_inputs_raise_their_sqlstates() {
        for (query, state) in [
            ("SELECT crm.business_calendar('Mon-Fry 09:00-17:00')", "22023"),
            ("SELECT crm.business_calendar('Mon 09:00-12:00, 11:00-13:00')", "22023"),
            ("SELECT crm.business_calendar('Mon 09:00-25:00')", "22023"),
            ("SELECT crm.business_calendar('Mon-Fri 09:00-17:00', 'Mars/Olympus_Mons')", "22023"),
            ("SELECT crm.business_calendar('Mon-Fri 09:00-17:00', 'UTC', '{NULL}')", "22023"),
            ("SELECT crm.business_calendar('Mon-Fri 09:00-17:00', 'UTC', '{infinity}')", "22023"),
            ("SELECT crm.business_add(crm.business_calendar(), now(), '-1 hour')", "22023"),
            ("SELECT crm.business_add(crm.business_calendar(), now(), '1 day')", "22023"),
            ("SELECT crm.business_add(crm.business_calendar(), now(), '1 month')", "22023"),
            ("SELECT crm.business_add(crm.business_calendar(''), now(), '1 hour')", "22023"),
            ("SELECT crm.business_add(crm.business_calendar(), '294276-12-01', '1000 hours')", "22008"),
            ("SELECT crm.business_time(crm.business_calendar(), now(), 'infinity')", "22008"),
            ("SELECT crm.is_business_time(crm.business_calendar(), '-infinity')", "22008"),
            ("SELECT crm.service_agg(now(), now() - interval '1 second', NULL, 0, false)", "22023"),
            ("SELECT crm.service_agg(now(), NULL, now() - interval '1 second', 0, false, crm.business_calendar())", "22023"),
            ("SELECT crm.service_agg(now(), NULL, NULL, -1, false)", "22003"),
            ("SELECT crm.service_agg(now(), 'infinity', NULL, 1, false)", "22008"),
            ("SELECT crm.sla_attainment(now(), now() - interval '1 minute', '1 hour')", "22023"),
            ("SELECT crm.sla_attainment(now(), now(), '-1 hour')", "22023"),
            ("SELECT crm.sla_attainment(now(), now(), '1 day', crm.business_calendar())", "22023"),
            ("SELECT crm.fcr_rate(-1, false, true)", "22003"),
            ("SELECT crm.first_response_time(crm.service_agg(now(), now(), now(), 1, false), 1.5)", "22003"),
            ("SELECT crm.sla_attainment(crm.service_agg(now(), now(), now(), 1, false), '1 hour', 'handling')", "22023"),
            ("SELECT crm.sla_attainment(crm.service_agg(now(), now(), now(), 1, false), '1 month')", "22023"),
            ("WITH a AS (SELECT crm.service_agg(now(), now(), now(), 1, false) AS s),
                   b AS (SELECT crm.service_agg(now(), now(), now(), 1, false, crm.business_calendar()) AS s)
              SELECT crm.rollup(s) FROM (SELECT s FROM a UNION ALL SELECT s FROM b) t", "22023"),
            ("SELECT 'garbage'::crm.service_summary", "22P02"),
            ("SELECT '{\"version\":1}'::crm.service_summary", "22P02"),
            ("SELECT '{garbage'::crm.business_calendar", "22P02"),
            ("SELECT 'garbage'::crm.business_calendar", "22023"),
            ("SELECT '{\"hours\":\"Mon 09:00-17:00\",\"time_zone\":\"Nowhere/City\",\"holidays\":[]}'::crm.business_calendar", "22P02"),
        ] {
            assert_eq!(sqlstate_of(query), state, "{query}");
        }
        // Messages name the function and the part.
        Spi::run(
            "CREATE FUNCTION pg_temp.message_of(q text) RETURNS text LANGUAGE plpgsql AS $$
             BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLERRM; END $$",
        )
        .unwrap();
        let message = text(
            "SELECT pg_temp.message_of($q$SELECT crm.business_calendar('Mon-Fry 09:00-17:00')$q$)",
        );
        assert_eq!(
            message.as_deref(),
            Some("crm.business_calendar: malformed hours entry 'Mon-Fry 09:00-17:00': unknown day 'Fry' (expected Mon, Tue, Wed, Thu, Fri, Sat or Sun)")
        );
    }

    #[pg_test]
    fn service_text_forms_round_trip() {
        let calendar = text(
            "SELECT crm.business_calendar('fri,thu,wed,tue,mon 9:00-12:00, 13:00-17:30; Sat 22:00-02:00', 'america/new_york', '{2026-12-25,2026-01-01}')::text",
        )
        .unwrap();
        assert_eq!(
            calendar,
            r#"{"hours":"Mon-Fri 09:00-12:00, 13:00-17:30; Sat 22:00-02:00","time_zone":"America/New_York","holidays":["2026-01-01","2026-12-25"]}"#
        );
        assert_eq!(
            text(&format!("SELECT '{calendar}'::crm.business_calendar::text")),
            Some(calendar)
        );
        let summary = text(
            "SELECT crm.service_agg(c, c + interval '90 minutes', c + interval '1 day', 1, false)::text
             FROM (VALUES (timestamptz '2026-03-09 09:00+00')) v(c)",
        )
        .unwrap();
        assert_eq!(
            summary,
            r#"{"version":1,"time":"elapsed","tickets":1,"reopened":0,"first_contact_resolved":1,"first_response_us":[5400000000],"resolution_us":[86400000000]}"#
        );
        assert_eq!(
            text(&format!("SELECT '{summary}'::crm.service_summary::text")),
            Some(summary)
        );
    }
}
