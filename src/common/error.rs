//! Errors raised by the pure metric code. The pgrx layer maps each variant to its SQLSTATE.
use std::fmt;

/// A user-facing error. The message always starts with the SQL function name,
/// e.g. `crm.nps: score 11 is outside 0..10`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricError {
    /// SQLSTATE 22003 numeric_value_out_of_range.
    OutOfRange(String),
    /// SQLSTATE 22023 invalid_parameter_value.
    InvalidParameter(String),
    /// SQLSTATE 22P02 invalid_text_representation (malformed text form of a summary).
    InvalidText(String),
    /// SQLSTATE 22008 datetime_field_overflow (infinite or out-of-range timestamps).
    DatetimeOverflow(String),
    /// SQLSTATE XX001-like corruption of a binary state: 22P03 invalid_binary_representation.
    InvalidBinary(String),
    /// SQLSTATE 54000 program_limit_exceeded (a state past `crm.max_state_memory`).
    LimitExceeded(String),
}

impl fmt::Display for MetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetricError::OutOfRange(m)
            | MetricError::InvalidParameter(m)
            | MetricError::InvalidText(m)
            | MetricError::DatetimeOverflow(m)
            | MetricError::InvalidBinary(m)
            | MetricError::LimitExceeded(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for MetricError {}

pub type MetricResult<T> = Result<T, MetricError>;
