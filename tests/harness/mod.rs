//! Test harnesses that run across every family, above them: `common` and the families never
//! import from here.
//!
//! - [`fuzz`]: generators at scale for every text input and binary decoder (random and mutated
//!   text and bytes: `Ok` or a `MetricError`, no panic, bounded allocation, accepted values
//!   round-trip).
//! - [`merge_properties`]: every combine in any split and order, and the text and binary round
//!   trips of every summary and model type.
//! - [`layers`]: families import only from `common`, which imports no family.

mod fuzz;
mod layers;
mod merge_properties;
