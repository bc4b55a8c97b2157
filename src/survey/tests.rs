//! Behaviour of the survey family inside Postgres.
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

    fn scores_table() {
        Spi::run(
            "CREATE TEMP TABLE answers AS
             SELECT g AS id, (g * 7919) % 11 AS score, (g * 104729) % 5 + 1 AS csat,
                    date '2025-01-01' + (g % 90) AS day
             FROM generate_series(1, 5000) g",
        )
        .expect("table is created");
    }

    #[pg_test]
    fn survey_worked_example_n1000() {
        // Bain's definition; n = 1000, P = 250, D = 75 → NPS 17.5, SE 1.72, 95 % Wald [14.1, 20.9].
        let summary = "'{\"promoters\":250,\"passives\":675,\"detractors\":75}'::crm.nps_summary";
        assert_eq!(float(&format!("SELECT crm.nps({summary})")), Some(17.5));
        let margin = float(&format!("SELECT crm.nps_margin_of_error({summary})")).unwrap();
        assert!((margin / 1.959_963_984_540_054 - 1.7157).abs() < 1e-4);
        assert_eq!(format!("{:.1}", 17.5 - margin), "14.1");
        assert_eq!(format!("{:.1}", 17.5 + margin), "20.9");
        let scores = "SELECT s FROM generate_series(1, 250) i, (VALUES (10)) v(s)
                      UNION ALL SELECT 8 FROM generate_series(1, 675)
                      UNION ALL SELECT 3 FROM generate_series(1, 75)";
        assert_eq!(
            float(&format!("SELECT crm.nps(s) FROM ({scores}) t")),
            Some(17.5)
        );
    }

    /// Difference, margin, z and p of two quarters, computed in plain SQL from the contract's
    /// formulas (p-value by Simpson's rule over the normal density, not by the Rust code).
    #[pg_test]
    fn survey_nps_difference_equals_a_separate_computation() {
        Spi::run(
            "CREATE TEMP TABLE quarterly AS
             SELECT CASE WHEN g % 2 = 0 THEN 'Q3' ELSE 'Q4' END AS quarter,
                    CASE WHEN g % 2 = 0 THEN (g * 7919) % 11 WHEN g % 23 = 1 THEN 10 ELSE (g * 104729) % 11 END AS score
             FROM generate_series(1, 3000) g",
        )
        .expect("table is created");
        let reference = "
            WITH c AS (
              SELECT quarter, count(*) FILTER (WHERE score >= 9)::float8 AS p,
                     count(*) FILTER (WHERE score <= 6)::float8 AS d, count(*)::float8 AS n
              FROM quarterly GROUP BY quarter),
            s AS (SELECT quarter, 100 * (p - d) / n AS nps,
                         100 * sqrt((p / n + d / n - (p / n - d / n) ^ 2) / n) AS se FROM c),
            diff AS (
              SELECT b.nps - a.nps AS difference, sqrt(a.se ^ 2 + b.se ^ 2) AS se
              FROM s a, s b WHERE a.quarter = 'Q3' AND b.quarter = 'Q4'),
            tail AS (
              SELECT 2 * sum(CASE WHEN i IN (0, 20000) THEN 1 WHEN i % 2 = 1 THEN 4 ELSE 2 END
                             * exp(-((abs(difference / se) + i * 12.0 / 20000) ^ 2) / 2))
                       * (12.0 / 20000) / 3 / sqrt(2 * pi()) AS p_value
              FROM diff, generate_series(0, 20000) i)
            SELECT difference, 1.959963984540054 * se AS margin, difference / se AS z, p_value FROM diff, tail";
        let mismatches = Spi::get_one::<i64>(&format!(
            "WITH ours AS (
               SELECT r.* FROM (SELECT crm.nps_agg(score) FILTER (WHERE quarter = 'Q3') AS q3,
                                       crm.nps_agg(score) FILTER (WHERE quarter = 'Q4') AS q4 FROM quarterly) t,
                               crm.nps_difference(q3, q4) r)
             SELECT count(*) FROM ours o, ({reference}) r
             WHERE abs(o.difference - r.difference) > 1e-9 OR abs(o.margin - r.margin) > 1e-9
                OR abs(o.z - r.z) > 1e-9 OR abs(o.p_value - r.p_value) > 1e-9
                OR o.p_value NOT BETWEEN 0 AND 1"
        ))
        .expect("query runs");
        assert_eq!(mismatches, Some(0));
        // The data must make the test meaningful: a non-trivial difference and p-value.
        let (difference, p_value) =
            Spi::get_two::<f64, f64>(&format!("SELECT difference, p_value FROM ({reference}) r"))
                .expect("query runs");
        let (difference, p_value) = (difference.unwrap(), p_value.unwrap());
        // (Q4 gains a promoter every 23 answers: difference 6.4 points, p about 0.029.)
        assert!(
            (difference - 6.4).abs() < 1e-9 && (p_value - 0.028_818_758_690_914).abs() < 1e-9,
            "{difference} {p_value}"
        );
        // A 99 % margin is wider by the ratio of the critical values.
        let ratio = float(
            "SELECT (SELECT margin FROM crm.nps_difference(a, b, 0.99)) / (SELECT margin FROM crm.nps_difference(a, b))
             FROM (SELECT '{\"promoters\":250,\"passives\":675,\"detractors\":75}'::crm.nps_summary a,
                          '{\"promoters\":300,\"passives\":600,\"detractors\":100}'::crm.nps_summary b) t",
        )
        .unwrap();
        assert!((ratio - 2.575_829_303_548_900_4 / 1.959_963_984_540_054).abs() < 1e-12);
    }

    #[pg_test]
    fn survey_nps_difference_null_cases() {
        let some = "'{\"promoters\":3,\"passives\":1,\"detractors\":1}'::crm.nps_summary";
        let empty = "'{\"promoters\":0,\"passives\":0,\"detractors\":0}'::crm.nps_summary";
        for (a, b) in [
            ("NULL::crm.nps_summary", some),
            (some, "NULL::crm.nps_summary"),
            (empty, some),
            (some, empty),
        ] {
            let row = text(&format!(
                "SELECT count(*) || ' ' || count(difference) || count(margin) || count(z) || count(p_value)
                 FROM crm.nps_difference({a}, {b})"
            ));
            assert_eq!(row.as_deref(), Some("1 0000"), "{a} {b}");
        }
        // Every answer in one category on both sides: se = 0, so margin 0 and no z or p.
        let row = text(
            "SELECT format('%s %s %s %s', difference, margin, z IS NULL, p_value IS NULL)
             FROM crm.nps_difference('{\"promoters\":0,\"passives\":0,\"detractors\":4}',
                                     '{\"promoters\":9,\"passives\":0,\"detractors\":0}')",
        );
        assert_eq!(row.as_deref(), Some("200 0 t t"));
        // No change: z = 0 and p = 1.
        let row = text(&format!(
            "SELECT format('%s %s %s', difference, z, p_value) FROM crm.nps_difference({some}, {some})"
        ));
        assert_eq!(row.as_deref(), Some("0 0 1"));
        for confidence in ["0", "1", "1.5", "-0.2", "'NaN'"] {
            assert_eq!(
                sqlstate_of(&format!(
                    "SELECT * FROM crm.nps_difference({some}, {some}, {confidence})"
                )),
                "22003",
                "{confidence}"
            );
        }
    }

    #[pg_test]
    fn survey_nps_equals_the_filter_query() {
        scores_table();
        let ours = float("SELECT crm.nps(score) FROM answers").unwrap();
        let reference = float(
            "SELECT (100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6))
                    / count(*))::float8 FROM answers",
        )
        .unwrap();
        assert!((ours - reference).abs() < 1e-9);
        let csat = float("SELECT crm.csat(csat) FROM answers").unwrap();
        let csat_reference = float("SELECT avg((csat >= 4)::int)::float8 FROM answers").unwrap();
        assert!((csat - csat_reference).abs() < 1e-12);
    }

    #[pg_test]
    fn survey_null_and_empty_input() {
        assert_eq!(
            float("SELECT crm.nps(s) FROM (VALUES (NULL::int)) v(s)"),
            None
        );
        assert_eq!(
            float("SELECT crm.nps(s) FROM (SELECT 1 WHERE false) v(s)"),
            None
        );
        assert_eq!(
            float("SELECT crm.nps(s) FROM (VALUES (NULL::int), (10)) v(s)"),
            Some(100.0)
        );
        assert_eq!(
            text("SELECT crm.nps_agg(s)::text FROM (VALUES (NULL::int)) v(s)"),
            None
        );
        assert_eq!(
            float("SELECT crm.csat(s) FROM (VALUES (NULL::int)) v(s)"),
            None
        );
        assert_eq!(
            float("SELECT crm.csat(s, NULL) FROM (VALUES (3)) v(s)"),
            None
        );
        let empty = "'{\"promoters\":0,\"passives\":0,\"detractors\":0}'::crm.nps_summary";
        assert_eq!(float(&format!("SELECT crm.nps({empty})")), None);
        assert_eq!(
            Spi::get_one::<i64>(&format!("SELECT crm.responses({empty})")).unwrap(),
            Some(0)
        );
    }

    #[pg_test]
    fn survey_bad_inputs_raise_their_sqlstates() {
        for score in ["11", "-1", "2147483647"] {
            assert_eq!(sqlstate_of(&format!("SELECT crm.nps({score})")), "22003");
            assert_eq!(
                sqlstate_of(&format!("SELECT crm.nps_agg({score})")),
                "22003"
            );
        }
        assert_eq!(sqlstate_of("SELECT crm.csat(0)"), "22003");
        assert_eq!(sqlstate_of("SELECT crm.csat(6)"), "22003");
        assert_eq!(sqlstate_of("SELECT crm.csat(-1, 3)"), "22003");
        assert_eq!(sqlstate_of("SELECT crm.csat(3, -1)"), "22023");
        assert_eq!(sqlstate_of("SELECT 'garbage'::crm.nps_summary"), "22P02");
        assert_eq!(
            sqlstate_of("SELECT '{\"promoters\":1}'::crm.nps_summary"),
            "22P02"
        );
        assert_eq!(
            sqlstate_of("SELECT crm.nps_margin_of_error(crm.nps_agg(s)) FROM (VALUES (1)) v(s)"),
            "no error"
        );
        assert_eq!(
            sqlstate_of("SELECT crm.nps_margin_of_error(crm.nps_agg(1), 1.5)"),
            "22003"
        );
        assert_eq!(
            sqlstate_of("SELECT crm.nps_interval(crm.nps_agg(1), 0)"),
            "22003"
        );
    }

    #[pg_test]
    fn survey_window_frames_match_recomputation() {
        scores_table();
        // A sliding frame uses the inverse transition; compare with a self-join computation.
        let mismatches = Spi::get_one::<i64>(
            "WITH w AS (
                 SELECT id, crm.nps(score) OVER (ORDER BY id ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS nps,
                        crm.csat(csat) OVER (ORDER BY id ROWS BETWEEN 9 PRECEDING AND CURRENT ROW) AS csat,
                        crm.nps(crm.nps_agg(score) OVER (ORDER BY id ROWS BETWEEN 9 PRECEDING AND CURRENT ROW)) AS nps2
                 FROM answers),
             r AS (
                 SELECT a.id,
                        100.0 * (count(*) FILTER (WHERE b.score >= 9) - count(*) FILTER (WHERE b.score <= 6)) / count(*) AS nps,
                        avg((b.csat >= 4)::int) AS csat
                 FROM answers a JOIN answers b ON b.id BETWEEN a.id - 9 AND a.id
                 GROUP BY a.id)
             SELECT count(*) FROM w JOIN r USING (id)
             WHERE abs(w.nps - r.nps) > 1e-9 OR abs(w.nps2 - r.nps) > 1e-9 OR abs(w.csat - r.csat) > 1e-9",
        )
        .unwrap();
        assert_eq!(mismatches, Some(0));
    }

    #[pg_test]
    fn survey_rollup_of_daily_summaries_equals_one_pass() {
        scores_table();
        let rolled = text(
            "SELECT crm.rollup(summary)::text FROM (
                 SELECT day, crm.nps_agg(score) AS summary FROM answers GROUP BY day) daily",
        );
        let direct = text("SELECT crm.nps_agg(score)::text FROM answers");
        assert_eq!(rolled, direct);
        // Rolling windows over daily summaries use the rollup's inverse transition.
        let mismatches = Spi::get_one::<i64>(
            "WITH daily AS (SELECT day, crm.nps_agg(score) AS s FROM answers GROUP BY day),
                  rolling AS (SELECT day, crm.rollup(s) OVER (ORDER BY day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS s FROM daily),
                  direct AS (SELECT d.day, crm.nps_agg(a.score) AS s FROM daily d JOIN answers a ON a.day BETWEEN d.day - 6 AND d.day GROUP BY d.day)
             SELECT count(*) FROM rolling JOIN direct USING (day) WHERE rolling.s::text <> direct.s::text",
        )
        .unwrap();
        assert_eq!(mismatches, Some(0));
    }

    #[pg_test]
    fn survey_text_form_round_trips() {
        scores_table();
        let same = Spi::get_one::<bool>(
            "SELECT s::text::crm.nps_summary::text = s::text FROM (SELECT crm.nps_agg(score) s FROM answers) t",
        )
        .unwrap();
        assert_eq!(same, Some(true));
        assert_eq!(
            text("SELECT crm.nps_agg(s)::text FROM (VALUES (0), (7), (9), (10)) v(s)").as_deref(),
            Some(r#"{"promoters":2,"passives":1,"detractors":1}"#)
        );
    }

    #[pg_test]
    fn survey_summaries_are_stored_in_tables() {
        Spi::run(
            "CREATE TEMP TABLE stored AS SELECT g % 3 AS k, crm.nps_agg(g % 11) AS s
             FROM generate_series(1, 300) g GROUP BY 1",
        )
        .unwrap();
        let total = Spi::get_one::<i64>("SELECT crm.responses(crm.rollup(s)) FROM stored").unwrap();
        assert_eq!(total, Some(300));
    }

    #[pg_test]
    fn every_object_has_a_comment() {
        let missing = text(
            "SELECT string_agg(pg_describe_object(classid, objid, 0), ', ')
             FROM pg_depend d
             WHERE d.refclassid = 'pg_extension'::regclass
               AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'crm_metrics')
               AND d.deptype = 'e'
               AND (pg_identify_object(d.classid, d.objid, 0)).schema IS DISTINCT FROM 'tests'
               AND NOT (d.classid = 'pg_namespace'::regclass AND d.objid = 'tests'::regnamespace)
               -- The array type Postgres makes for each type is a member too from 17 on.
               AND NOT (d.classid = 'pg_type'::regclass
                        AND EXISTS (SELECT FROM pg_type t WHERE t.typarray = d.objid))
               AND obj_description(d.objid, (SELECT relname FROM pg_class WHERE oid = d.classid)) IS NULL",
        );
        assert_eq!(missing, None, "objects without COMMENT ON");
    }
}
