//! The share-of-true counter: rows that were true among the non-NULL rows. The state of the
//! share aggregates (`crm.win_rate(boolean)`, `crm.renewal_rate(boolean)`,
//! `crm.conversion_rate(boolean)`) and of the one-step SLA and FCR aggregates, SQL type
//! `crm.share_state`; their moving (window) state too.
use super::codec::{from_json_object, Reader, Writer};
use super::error::{MetricError, MetricResult};
use super::exact::count_ratio;
use super::flat_state::{self, FlatState};

/// Version byte of the binary form of `crm.share_state`.
const FORMAT_VERSION: u8 = 1;

/// State of the one-step share-of-true aggregates (`crm.win_rate(boolean)`,
/// `crm.renewal_rate(boolean)`, `crm.conversion_rate(boolean)`): rows that were true, and non-NULL rows. SQL type
/// `crm.share_state`, text form `{"true_rows":3,"rows":5}`.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Deserialize,
    bytemuck::Pod,
    bytemuck::Zeroable,
)]
#[serde(deny_unknown_fields)]
#[repr(C)]
pub struct ShareCounts {
    pub true_rows: u64,
    pub rows: u64,
}

/// The largest count a share state may hold: counts are bigints in SQL.
const MAX_COUNT: u64 = i64::MAX as u64;

/// 22003: a share state's rows would pass the bigint range.
#[cold]
#[inline(never)]
pub fn share_count_overflow(function: &str) -> MetricError {
    MetricError::OutOfRange(format!("{function}: count overflows bigint"))
}

impl ShareCounts {
    /// Counts one non-NULL row; false (the state unchanged) when the rows are at the bigint
    /// limit already ([`share_count_overflow`] is the error).
    #[inline(always)]
    #[must_use]
    pub fn add(&mut self, value: bool) -> bool {
        if self.rows >= MAX_COUNT {
            return false;
        }
        // true_rows ≤ rows < MAX_COUNT.
        self.true_rows += u64::from(value);
        self.rows += 1;
        true
    }

    /// Counts a non-NULL row whose value is `value` when `counted`, and nothing otherwise,
    /// without a branch on either; false (the state unchanged) when a counted row finds the
    /// rows at the bigint limit already ([`share_count_overflow`] is the error).
    #[inline(always)]
    #[must_use]
    pub fn add_if(&mut self, counted: bool, value: bool) -> bool {
        if counted & (self.rows >= MAX_COUNT) {
            return false;
        }
        // true_rows ≤ rows < MAX_COUNT before a counted row.
        self.true_rows += u64::from(counted & value);
        self.rows += u64::from(counted);
        true
    }

    /// Removes a row counted before (the inverse transition of window frames).
    pub fn remove(&mut self, function: &str, value: bool) -> MetricResult<()> {
        self.unmerge(
            function,
            &ShareCounts {
                true_rows: u64::from(value),
                rows: 1,
            },
        )
    }

    /// Adds another state (combine): 22003 past the bigint range, the state unchanged.
    pub fn merge(&mut self, function: &str, other: &ShareCounts) -> MetricResult<()> {
        let rows = self
            .rows
            .checked_add(other.rows)
            .filter(|&sum| sum <= MAX_COUNT)
            .ok_or_else(|| share_count_overflow(function))?;
        // true_rows ≤ rows on both sides.
        self.true_rows += other.true_rows;
        self.rows = rows;
        Ok(())
    }

    fn unmerge(&mut self, function: &str, other: &ShareCounts) -> MetricResult<()> {
        let undo = |total: u64, part: u64| {
            total.checked_sub(part).ok_or_else(|| {
                MetricError::OutOfRange(format!("{function}: removing rows never added"))
            })
        };
        *self = ShareCounts {
            true_rows: undo(self.true_rows, other.true_rows)?,
            rows: undo(self.rows, other.rows)?,
        };
        Ok(())
    }

    /// Share of true rows; `None` without rows.
    pub fn share(&self) -> Option<f64> {
        count_ratio(self.true_rows.into(), self.rows.into())
    }

    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer.u64(self.true_rows).u64(self.rows);
        writer.finish("crm.share_state")
    }

    /// Reads a `crm.share_state`: its canonical form or the working form of an aggregate
    /// state ([`crate::common::flat_state`]).
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        flat_state::decode_any(bytes)
    }

    /// Rejects more true rows than rows and counts past the bigint range (a forged value).
    fn checked(self, error: fn(String) -> MetricError) -> MetricResult<Self> {
        if self.true_rows > self.rows {
            return Err(error(format!(
                "crm.share_state: true_rows {} exceed rows {}",
                self.true_rows, self.rows
            )));
        }
        if self.rows > MAX_COUNT {
            return Err(error(format!(
                "crm.share_state: rows {} exceed the bigint range",
                self.rows
            )));
        }
        Ok(self)
    }

    /// Readable text form: `{"true_rows":3,"rows":5}` (exact: Citus ships a partial state as
    /// this text).
    pub fn to_text(&self) -> MetricResult<String> {
        Ok(format!(
            r#"{{"true_rows":{},"rows":{}}}"#,
            self.true_rows, self.rows
        ))
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let counts: ShareCounts = from_json_object("crm.share_state", text)?.map_err(|error| {
            MetricError::InvalidText(format!(
                "crm.share_state: malformed value {} ({error}); expected e.g. \
                 {{\"true_rows\":3,\"rows\":5}}",
                crate::common::error::quoted_excerpt(text)
            ))
        })?;
        counts.checked(MetricError::InvalidText)
    }
}

impl FlatState for ShareCounts {
    const KIND: u8 = 3;
    const TYPE_NAME: &'static str = "crm.share_state";
    fn validate(self) -> MetricResult<Self> {
        self.checked(MetricError::InvalidBinary)
    }

    fn encode_canonical(&self) -> MetricResult<Vec<u8>> {
        self.encode()
    }

    fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        let mut reader = Reader::open(bytes, FORMAT_VERSION, "crm.share_state")?;
        let counts = ShareCounts {
            true_rows: reader.u64()?,
            rows: reader.u64()?,
        };
        reader.finish()?;
        counts.checked(MetricError::InvalidBinary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_if_counts_as_add_does() {
        for counted in [false, true] {
            for value in [false, true] {
                let mut ours = ShareCounts {
                    true_rows: 2,
                    rows: 5,
                };
                let mut expected = ours;
                assert!(ours.add_if(counted, value));
                if counted {
                    assert!(expected.add(value));
                }
                assert_eq!(ours, expected);
                // At the bigint limit a counted row is refused and changes nothing.
                let mut full = ShareCounts {
                    true_rows: 0,
                    rows: MAX_COUNT,
                };
                assert_eq!(full.add_if(counted, value), !counted);
                assert_eq!(full.rows, MAX_COUNT);
                assert_eq!(full.true_rows, 0);
            }
        }
    }
}
