//! Helpers shared by the `#[pg_test]`s of every family.
use pgrx::prelude::*;

/// The SQLSTATE, message and detail of the error `query` raises (`"no error"` and two empty
/// strings when it succeeds), caught in a PL/pgSQL subtransaction so the test can go on.
pub fn error_of(query: &str) -> (String, String, String) {
    Spi::run(
        "CREATE OR REPLACE FUNCTION pg_temp.error_of(q text, OUT state text, OUT message text, OUT detail text)
         LANGUAGE plpgsql AS $$
         BEGIN EXECUTE q; state := 'no error'; message := ''; detail := '';
         EXCEPTION WHEN OTHERS THEN
           GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
         END $$",
    )
    .expect("helper is created");
    let escaped = query.replace('\'', "''");
    let (state, message, detail) = Spi::get_three::<String, String, String>(&format!(
        "SELECT state, message, detail FROM pg_temp.error_of('{escaped}')"
    ))
    .expect("query runs");
    (
        state.unwrap_or_default(),
        message.unwrap_or_default(),
        detail.unwrap_or_default(),
    )
}

/// The SQLSTATE of the error `query` raises ("no error" when it succeeds).
pub fn sqlstate_of(query: &str) -> String {
    error_of(query).0
}

/// The bigint a counting query returns.
pub fn count(query: &str) -> i64 {
    Spi::get_one::<i64>(query)
        .expect("query runs")
        .expect("a count")
}
