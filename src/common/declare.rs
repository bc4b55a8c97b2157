//! Declarations of SQL objects made from Rust: each C entry point is named once, in Rust, and
//! the `CREATE FUNCTION` that binds it is generated from the same macro invocation.
//!
//! `cargo pgrx schema` builds the install script from the entities the extension's macros leave
//! in the shared library (`#[pg_extern]`, `extension_sql!`). [`sql_entity!`] leaves one more
//! kind: a custom SQL statement whose text is assembled at compile time (`concat!`,
//! `stringify!`), so [`raw_transition!`](crate::raw_transition) can write the `CREATE FUNCTION`
//! of the V1 function it defines with the function's own symbol. It writes the entity in the
//! format pgrx's `extension_sql!` writes (pinned pgrx version, see Cargo.toml); the install script
//! the suite builds and runs on every test is what checks it.
//!
//! Ordering: a raw function's `CREATE FUNCTION` requires `"types_declared"` (lib.rs: every SQL
//! type of the extension and schema `crm_internal` exist); the hand-written SQL of the families
//! (`sql/*.sql`: aggregates, operators, comments) runs last, as the install script's finalize
//! step, so it sees every function.

/// Leaves a custom SQL statement in the extension's schema entities.
///
/// `name` is the entity's unique name, `sql` its text (a constant `&str` expression: `concat!`
/// works), `finalize` whether it runs after everything else (one entity at most), and `requires`
/// the entities it runs after: `name "..."` for an `extension_sql!` or `sql_entity!` name,
/// `path "..."` for a Rust item (a type or a `#[pg_extern]` function) as `extension_sql!` takes it.
#[doc(hidden)]
#[macro_export]
macro_rules! sql_entity {
    (@kind name) => {
        ::pgrx::pgrx_sql_entity_graph::section::POSITIONING_REF_NAME
    };
    (@kind path) => {
        ::pgrx::pgrx_sql_entity_graph::section::POSITIONING_REF_FULL_PATH
    };
    (
        name: $name:expr,
        sql: $sql:expr,
        finalize: $finalize:literal,
        requires: [$($kind:ident $target:expr),* $(,)?] $(,)?
    ) => {
        const _: () = {
            use ::pgrx::pgrx_sql_entity_graph::section;
            const NAME: &str = $name;
            const SQL: &str = $sql;
            const PAYLOAD: usize = section::u8_len()
                + section::str_len(SQL)
                + section::str_len(module_path!())
                + section::str_len(concat!(file!(), ':', line!()))
                + section::str_len(file!())
                + section::u32_len()
                + section::str_len(NAME)
                + section::bool_len()
                + section::bool_len()
                + section::list_len(&[$(section::u8_len() + section::str_len($target)),*])
                + section::list_len(&[]);
            const TOTAL: usize = section::u32_len() + PAYLOAD;
            ::pgrx::pgrx_sql_entity_graph::__pgrx_schema_entry!(ENTITY, TOTAL, {
                let writer = section::EntryWriter::<TOTAL>::new()
                    .u32(PAYLOAD as u32)
                    .u8(section::ENTITY_CUSTOM_SQL)
                    .str(SQL)
                    .str(module_path!())
                    .str(concat!(file!(), ':', line!()))
                    .str(file!())
                    .u32(line!())
                    .str(NAME)
                    .bool(false)
                    .bool($finalize)
                    .u32({
                        let targets: &[&str] = &[$($target),*];
                        targets.len() as u32
                    });
                $(let writer = writer.u8($crate::sql_entity!(@kind $kind)).str($target);)*
                writer.u32(0).finish()
            });
        };
    };
}

/// Declares a V1 C function `$name` (with its `pg_finfo_` record `$finfo`) whose body reads
/// `fcinfo` directly, runs the body under [`crate::common::guard::guard`] (a panic inside, an
/// error, a cancel or a bug, unwinds the body's frames and is raised as the Postgres error it
/// carries), and declares it in SQL: each `sql` string is the signature and attributes of one
/// SQL function bound to this symbol (`crm_internal.nps_trans(internal, integer) RETURNS internal
/// IMMUTABLE PARALLEL SAFE`), to which the macro adds `LANGUAGE c AS 'MODULE_PATHNAME',
/// '<symbol>'`. Without `sql`, the symbol is only exported (an entry point an earlier release's
/// SQL names).
#[macro_export]
macro_rules! raw_transition {
    (
        $(#[$meta:meta])*
        fn $name:ident / $finfo:ident ($fcinfo:ident)
        $(sql [$($sql:expr),+ $(,)?])?
        $body:block
    ) => {
        $(#[$meta])*
        ///
        /// # Safety
        /// Called by Postgres through the V1 calling convention only.
        #[unsafe(no_mangle)]
        pub unsafe extern "C-unwind" fn $name(
            $fcinfo: ::pgrx::pg_sys::FunctionCallInfo,
        ) -> ::pgrx::pg_sys::Datum {
            $crate::common::guard::guard(|| $body)
        }

        #[doc(hidden)]
        #[unsafe(no_mangle)]
        pub extern "C" fn $finfo() -> &'static ::pgrx::pg_sys::Pg_finfo_record {
            const V1_API: ::pgrx::pg_sys::Pg_finfo_record =
                ::pgrx::pg_sys::Pg_finfo_record { api_version: 1 };
            &V1_API
        }

        $($(
            $crate::sql_entity! {
                name: concat!(stringify!($name), ": ", $sql),
                sql: concat!(
                    "CREATE FUNCTION ", $sql, "\n    LANGUAGE c AS 'MODULE_PATHNAME', '",
                    stringify!($name), "';\n"
                ),
                finalize: false,
                requires: [name "types_declared"],
            }
        )+)?
    };
}
