//! `crm.max_state_memory` inside Postgres: every state that grows with its input
//! fails with SQLSTATE 54000, naming the function and the bound, once the bound is lowered, and
//! works again under the default bound; and `crm.huge_pages`, which changes no answer.
#[cfg(any(test, feature = "pg_test"))]
#[pgrx::pg_schema]
mod tests {
    use crate::common::testing::error_of;
    use pgrx::prelude::*;

    /// Each growing state with 20,000 distinct inputs: far past 64 kB, far below 1 GB.
    const GROWING: &[(&str, &str)] = &[
        (
            "crm.customer_agg",
            "SELECT crm.customers(crm.customer_agg(timestamptz '2020-01-01' + i * interval '1 minute', NULL))
             FROM generate_series(1, 20000) i",
        ),
        (
            "crm.rollup",
            "SELECT crm.customers(crm.rollup(s)) FROM (
               SELECT crm.customer_agg(timestamptz '2020-01-01' + i * interval '1 minute', NULL) AS s
               FROM generate_series(1, 20000) i GROUP BY i % 100) d",
        ),
        (
            "crm.cohort_agg",
            "SELECT crm.customers(crm.cohort_agg(i::bigint, timestamptz '2024-01-01', 'month'))
             FROM generate_series(1, 20000) i",
        ),
        (
            "crm.mrr_agg",
            "SELECT count(*) FROM crm.mrr_movements((SELECT crm.mrr_agg(i::bigint, date '2024-01-01', 10)
             FROM generate_series(1, 20000) i))",
        ),
        (
            "crm.service_agg",
            "SELECT crm.tickets(crm.service_agg(timestamptz '2024-01-01', timestamptz '2024-01-01' + i * interval '1 second',
                                               timestamptz '2024-01-02' + i * interval '1 second', 1, false))
             FROM generate_series(1, 20000) i",
        ),
        (
            "crm.bgnbd_fit",
            "SELECT crm.bgnbd_fit(i % 50, (i % 97)::float8 + 0.5, 100 + i) FROM generate_series(1, 20000) i",
        ),
        (
            "crm.gamma_gamma_fit",
            "SELECT crm.gamma_gamma_fit(1 + i % 50, (10 + i)::numeric) FROM generate_series(1, 20000) i",
        ),
        (
            "crm.sbg_fit",
            "SELECT crm.sbg_fit(i, i % 2 = 0, i) FROM generate_series(1, 20000) i",
        ),
        (
            "crm.bgbb_fit",
            "SELECT crm.bgbb_fit(i, i, i + i % 3) FROM generate_series(1, 5000) i",
        ),
        (
            "crm.rfm_agg",
            "SELECT (crm.rfm_agg(timestamptz '1990-01-01' + i * interval '1 day', 10, '2100-01-01', 'day')).frequency
             FROM generate_series(1, 20000) i",
        ),
        (
            "crm.rfm_holdout_agg",
            "SELECT (crm.rfm_holdout_agg(timestamptz '1990-01-01' + i * interval '1 day', 10, '2050-01-01', '2100-01-01', 'day')).frequency_cal
             FROM generate_series(1, 20000) i",
        ),
        (
            "crm.bgnbd_fit",
            "SELECT crm.bgnbd_fit(i::bigint, timestamptz '1990-01-01' + i * interval '1 second', '2100-01-01', 'day')
             FROM generate_series(1, 20000) i",
        ),
    ];

    /// `crm.huge_pages` is on by default, and turning it off changes no answer of a summary
    /// whose working memory is past the 2 MB the hint starts at.
    #[pg_test]
    fn huge_pages_hint_changes_no_answer() {
        let shown = Spi::get_one::<String>("SHOW crm.huge_pages")
            .expect("query runs")
            .expect("a value");
        assert_eq!(shown, "on");
        let query = "SELECT md5(crm.customer_agg(timestamptz '2020-01-01' + (i::bigint * 7919 % 300000) * interval '1 minute',
                                               CASE WHEN i % 3 = 0 THEN timestamptz '2021-01-01' + i * interval '1 second' END)::text)
                     FROM generate_series(1, 300000) i";
        let on = Spi::get_one::<String>(query).expect("query runs");
        Spi::run("SET LOCAL crm.huge_pages = off").expect("SET runs");
        let off = Spi::get_one::<String>(query).expect("query runs");
        assert!(on.is_some());
        assert_eq!(on, off);
    }

    #[pg_test]
    fn default_bound_is_one_gigabyte() {
        let shown = Spi::get_one::<String>("SHOW crm.max_state_memory")
            .expect("query runs")
            .expect("a value");
        assert_eq!(shown, "1GB");
    }

    #[pg_test]
    fn growing_states_stop_at_the_bound_with_54000() {
        Spi::run("SET LOCAL crm.max_state_memory = '64kB'").expect("SET runs");
        for (function, query) in GROWING {
            let (state, message, _) = error_of(query);
            assert_eq!(state, "54000", "{function}: {message}");
            assert!(
                message.starts_with(&format!("{function}: the aggregate state (")),
                "{function}: {message}"
            );
            assert!(
                message.contains("more than crm.max_state_memory (64kB)"),
                "{function}: {message}"
            );
            assert!(
                message.contains("aggregate smaller groups"),
                "{function}: {message}"
            );
        }
    }

    #[pg_test]
    fn growing_states_work_under_the_default_bound() {
        for (function, query) in GROWING {
            let (state, message, _) = error_of(query);
            // The fits may not converge on these rows; what matters is no 54000.
            assert_ne!(state, "54000", "{function}: {message}");
        }
    }

    #[pg_test]
    fn the_bound_cannot_be_set_below_64_kb() {
        let (state, message, _) = error_of("SET LOCAL crm.max_state_memory = '8kB'");
        assert_eq!(state, "22023", "{message}");
    }
}
