//! Customer retention and churn, without Postgres.
//!
//! Timestamps are Postgres `TimestampTz` raw values: microseconds since
//! 2000-01-01 00:00 UTC, with `i64::MIN` for `-infinity` and `i64::MAX` for `infinity`.
//! Periods are half-open `[period_start, period_end)` and a customer is new in the period
//! its `started_at` falls in and lost in the period its `ended_at` falls in. So the customers
//! a period starting at `t` starts with (and the previous period ends with) are those with
//! `started_at < t` and (`ended_at` is NULL or `ended_at >= t`); NULL and `infinity` both
//! mean "never ends". A row with `ended_at = started_at` was never a customer and is skipped.
//!
//! * [`PeriodCounts`] is the state of the one-step aggregates (`crm.retention_rate`,
//!   `crm.churn_rate`): each row is classified against one period as it arrives.
//! * [`CustomerSummary`] is the two-step summary: the multiset of customer lifetimes,
//!   from which `active_customers` and `churn_series` answer any instant or period.
//!
//! Files: `counts` (one-step state), `summary` (the lifetimes and their queries), `forms`
//! (binary and text forms of the summary), `tests` and `properties`.

mod counts;
mod forms;
#[cfg(test)]
mod properties;
mod summary;
#[cfg(test)]
mod tests;

pub use counts::{CustomerRow, PeriodCounts, PeriodFlat, PeriodState};
pub use summary::CustomerSummary;

use crate::common::civil::{format_timestamp, is_valid_timestamp};
use crate::common::error::{MetricError, MetricResult};

/// Version byte of every binary form in this module (and `"version"` of the text form).
pub const FORMAT_VERSION: u8 = 1;

/// Postgres' raw `-infinity` timestamp.
const NEG_INFINITY: i64 = i64::MIN;
/// Postgres' raw `infinity` timestamp; in a summary it also stands for "never ends".
const POS_INFINITY: i64 = i64::MAX;

/// Which denominator `crm.churn_rate` divides the lost customers by (in the text form of
/// `crm.customer_period_state`, its SQL name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Denominator {
    /// Customers active at period start: `lost / S`.
    Start,
    /// Mean of the customers active at start and at end: `lost / ((S + E) / 2)`.
    Average,
    /// Every end in the period over start customers plus every start in the period.
    StartPlusNew,
}

impl Denominator {
    /// The SQL name, as [`Denominator::parse`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Denominator::Start => "start",
            Denominator::Average => "average",
            Denominator::StartPlusNew => "start_plus_new",
        }
    }

    /// Parses the SQL name, in any case: `'start'`, `'average'` or `'start_plus_new'`.
    pub fn parse(function: &str, name: &str) -> MetricResult<Self> {
        let named = [
            Denominator::Start,
            Denominator::Average,
            Denominator::StartPlusNew,
        ]
        .into_iter()
        .find(|denominator| denominator.name().eq_ignore_ascii_case(name));
        match named {
            Some(denominator) => Ok(denominator),
            None => Err(MetricError::InvalidParameter(format!(
                "{function}: unknown denominator '{name}' \
                 (allowed: 'start', 'average', 'start_plus_new')"
            ))),
        }
    }
}

/// Rejects Postgres' `infinity` and `-infinity` for an instant that must be finite
/// (`what` names it in the message, e.g. `"at"`).
pub fn require_finite(function: &str, what: &str, value: i64) -> MetricResult<()> {
    if value == NEG_INFINITY || value == POS_INFINITY {
        Err(MetricError::DatetimeOverflow(format!(
            "{function}: {what} cannot be infinite"
        )))
    } else {
        Ok(())
    }
}

/// Validates one customer row; returns `(started_at, ended_at)` with "never ends" as
/// [`POS_INFINITY`], or `None` for a zero-length row (`ended_at = started_at`), which was
/// never a customer and is skipped. A row of positive length with valid instants is
/// answered by one combined test inlined into the transitions; any other row (zero length,
/// infinite or out of range, ending before it starts) goes through [`customer_span_checked`].
#[inline]
fn customer_span(
    function: &str,
    started_at: i64,
    ended_at: Option<i64>,
) -> MetricResult<Option<(i64, i64)>> {
    let end = ended_at.unwrap_or(POS_INFINITY);
    if (started_at != NEG_INFINITY)
        & (started_at != POS_INFINITY)
        & is_valid_timestamp(started_at)
        & ((end == POS_INFINITY) | (is_valid_timestamp(end) & (end > started_at)))
    {
        return Ok(Some((started_at, end)));
    }
    customer_span_checked(function, started_at, ended_at)
}

/// [`customer_span`] with every check in turn, each with its error.
#[cold]
#[inline(never)]
fn customer_span_checked(
    function: &str,
    started_at: i64,
    ended_at: Option<i64>,
) -> MetricResult<Option<(i64, i64)>> {
    require_finite(function, "started_at", started_at)?;
    let ended_at = match ended_at {
        None | Some(POS_INFINITY) => POS_INFINITY,
        Some(NEG_INFINITY) => {
            return Err(MetricError::DatetimeOverflow(format!(
                "{function}: ended_at cannot be -infinity"
            )))
        }
        Some(ended_at) => ended_at,
    };
    // Only reachable from Rust: every timestamptz Postgres passes is in range.
    if !is_valid_timestamp(started_at)
        || !(ended_at == POS_INFINITY || is_valid_timestamp(ended_at))
    {
        return Err(MetricError::DatetimeOverflow(format!(
            "{function}: timestamp out of range"
        )));
    }
    if ended_at < started_at {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: ended_at {} is before started_at {}",
            format_timestamp(ended_at),
            format_timestamp(started_at)
        )));
    }
    Ok((ended_at != started_at).then_some((started_at, ended_at)))
}

/// A validated customer row of positive length, as [`CustomerSummary::add_lifetime`] takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    started_at: i64,
    /// [`POS_INFINITY`] when the customer never ends.
    ended_at: i64,
}

/// Validates a row as the aggregates do: `None` for a zero-length row (`ended_at =
/// started_at`), which is skipped like a row with a NULL input, else its lifetime.
#[inline]
pub fn customer_lifetime(
    function: &str,
    started_at: i64,
    ended_at: Option<i64>,
) -> MetricResult<Option<Lifetime>> {
    Ok(
        customer_span(function, started_at, ended_at)?.map(|(started_at, ended_at)| Lifetime {
            started_at,
            ended_at,
        }),
    )
}

/// Validates one `[period_start, period_end)` period.
fn check_period(function: &str, period_start: i64, period_end: i64) -> MetricResult<()> {
    require_finite(function, "period_start", period_start)?;
    require_finite(function, "period_end", period_end)?;
    if period_end <= period_start {
        return Err(MetricError::InvalidParameter(format!(
            "{function}: period_end {} is not after period_start {}",
            format_timestamp(period_end),
            format_timestamp(period_start)
        )));
    }
    Ok(())
}
