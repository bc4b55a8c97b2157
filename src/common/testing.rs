//! Helpers shared by the `#[pg_test]`s of every family.
use pgrx::prelude::*;

/// The SQLSTATE of the error `query` raises ("no error" when it succeeds), caught in a
/// PL/pgSQL subtransaction so the test can go on.
pub fn sqlstate_of(query: &str) -> String {
    Spi::run(
        "CREATE OR REPLACE FUNCTION pg_temp.sqlstate_of(q text) RETURNS text LANGUAGE plpgsql AS $$
         BEGIN EXECUTE q; RETURN 'no error'; EXCEPTION WHEN OTHERS THEN RETURN SQLSTATE; END $$",
    )
    .expect("helper is created");
    let escaped = query.replace('\'', "''");
    Spi::get_one::<String>(&format!("SELECT pg_temp.sqlstate_of('{escaped}')"))
        .expect("query runs")
        .expect("a state")
}

/// The bigint a counting query returns.
pub fn count(query: &str) -> i64 {
    Spi::get_one::<i64>(query)
        .expect("query runs")
        .expect("a count")
}
