//! The one-step aggregates' state: counts of customers against one period.
use super::{check_period, customer_span, Denominator, FORMAT_VERSION, POS_INFINITY};
use crate::common::civil::{format_timestamp, is_valid_timestamp, parse_timestamp};
use crate::common::codec::{from_json_object, Reader, Writer};
use crate::common::error::{MetricError, MetricResult};
use crate::common::exact::count_ratio;
use crate::common::flat_state::{self, FlatState};
use serde::Deserialize;

/// SQL name of the state type, used in messages about its binary and text forms.
const STATE_NAME: &str = "crm.customer_period_state";
/// The binary form with the period of the rows (after the row count).
const PERIOD_VERSION: u8 = 2;

/// Per-period counts. All u64. Exact under any split; `merge` adds field-wise.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct PeriodCounts {
    /// S: started before `period_start` and not ended before it.
    pub customers_at_start: u64,
    /// E: started before `period_end` and not ended before it (the next period's S).
    pub customers_at_end: u64,
    /// N: started in `[period_start, period_end)` and not ended before `period_end`.
    pub new_customers: u64,
    /// Lost: in S and ended before `period_end`.
    pub churned_customers: u64,
    /// Started in `[period_start, period_end)`.
    pub started_in_period: u64,
    /// Ended in `[period_start, period_end)`.
    pub ended_in_period: u64,
}

impl PeriodCounts {
    /// Classifies one validated, non-zero-length customer against one validated period.
    /// The tests combine with `&` (not `&&`): every comparison is made, and the counts come
    /// out without a branch on the row's values (consecutive rows are unrelated, so branches
    /// on them would be mispredicted often).
    #[inline(always)]
    fn of_customer(started_at: i64, ended_at: i64, period_start: i64, period_end: i64) -> Self {
        // A customer of the period starting at `t`: started before it, not ended before it.
        let active = |t: i64| (started_at < t) & (ended_at >= t);
        let in_period = |t: i64| (period_start <= t) & (t < period_end);
        let (at_start, at_end) = (active(period_start), active(period_end));
        let started_in = in_period(started_at);
        PeriodCounts {
            customers_at_start: u64::from(at_start),
            customers_at_end: u64::from(at_end),
            new_customers: u64::from(started_in & at_end),
            churned_customers: u64::from(at_start & !at_end),
            started_in_period: u64::from(started_in),
            ended_in_period: u64::from(in_period(ended_at)),
        }
    }

    fn fields(&self) -> [u64; 6] {
        [
            self.customers_at_start,
            self.customers_at_end,
            self.new_customers,
            self.churned_customers,
            self.started_in_period,
            self.ended_in_period,
        ]
    }

    fn from_fields(fields: [u64; 6]) -> Self {
        let [customers_at_start, customers_at_end, new_customers, churned_customers, started_in_period, ended_in_period] =
            fields;
        PeriodCounts {
            customers_at_start,
            customers_at_end,
            new_customers,
            churned_customers,
            started_in_period,
            ended_in_period,
        }
    }

    /// Whether the counts could come from real rows: `E - N = S - lost` (customers
    /// active through the whole period) and `started - N = ended - lost` (joiners who
    /// also left).
    pub(super) fn is_consistent(&self) -> bool {
        let through_from_end = self.customers_at_end.checked_sub(self.new_customers);
        let through_from_start = self.customers_at_start.checked_sub(self.churned_customers);
        let left_joiners = self.started_in_period.checked_sub(self.new_customers);
        let joined_leavers = self.ended_in_period.checked_sub(self.churned_customers);
        through_from_end.is_some()
            && through_from_end == through_from_start
            && left_joiners.is_some()
            && left_joiners == joined_leavers
    }

    /// Classify one customer row against one period and add it (the one-step aggregate's transition).
    pub fn add(
        &mut self,
        function: &str,
        started_at: i64,
        ended_at: Option<i64>,
        period_start: i64,
        period_end: i64,
    ) -> MetricResult<()> {
        check_period(function, period_start, period_end)?;
        let Some((started_at, ended_at)) = customer_span(function, started_at, ended_at)? else {
            return Ok(());
        };
        self.merge(&Self::of_customer(
            started_at,
            ended_at,
            period_start,
            period_end,
        ));
        Ok(())
    }

    /// Inverse of add (moving-aggregate support for window functions); same validation.
    /// Removing a row that was never added fails when a count would go below zero,
    /// and leaves `self` unchanged.
    pub fn remove(
        &mut self,
        function: &str,
        started_at: i64,
        ended_at: Option<i64>,
        period_start: i64,
        period_end: i64,
    ) -> MetricResult<()> {
        check_period(function, period_start, period_end)?;
        let Some((started_at, ended_at)) = customer_span(function, started_at, ended_at)? else {
            return Ok(());
        };
        let row = Self::of_customer(started_at, ended_at, period_start, period_end);
        let mut fields = self.fields();
        for (field, delta) in fields.iter_mut().zip(row.fields()) {
            *field = field.checked_sub(delta).ok_or_else(|| {
                MetricError::InvalidParameter(format!(
                    "{function}: cannot remove a customer row that was never added"
                ))
            })?;
        }
        *self = Self::from_fields(fields);
        Ok(())
    }

    /// Adds `other` field-wise (saturating, so forged states cannot overflow).
    #[inline(always)]
    pub fn merge(&mut self, other: &PeriodCounts) {
        let mut fields = self.fields();
        for (field, delta) in fields.iter_mut().zip(other.fields()) {
            *field = field.saturating_add(delta);
        }
        *self = Self::from_fields(fields);
    }

    /// `(E - N) / S`; `None` when no customer was active at period start.
    pub fn retention_rate(&self) -> Option<f64> {
        let retained = self.customers_at_end.saturating_sub(self.new_customers);
        count_ratio(retained.into(), self.customers_at_start.into())
    }

    /// Lost customers over the chosen denominator; `None` when it is zero. Each is the double
    /// nearest to the exact quotient (the average's half taken as twice the numerator).
    pub fn churn_rate(&self, denominator: Denominator) -> Option<f64> {
        let start = u128::from(self.customers_at_start);
        match denominator {
            Denominator::Start => count_ratio(self.churned_customers.into(), start),
            Denominator::Average => count_ratio(
                2 * i128::from(self.churned_customers),
                start + u128::from(self.customers_at_end),
            ),
            Denominator::StartPlusNew => count_ratio(
                self.ended_in_period.into(),
                start + u128::from(self.started_in_period),
            ),
        }
    }
}

/// State of the one-step aggregates: counts for the period, the period and the denominator
/// named by the rows (all rows of one aggregate must name the same), and how many rows are in
/// it. When a window frame slides past every row, the period and the denominator are forgotten
/// with them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeriodState {
    pub counts: PeriodCounts,
    pub denominator: Option<Denominator>,
    /// Rows added and not removed: every count is at most this.
    pub rows: u64,
    /// `(period_start, period_end)` of the rows; `None` before the first row (and in a state
    /// read from the form of 0.2.0, which did not record it).
    pub period: Option<(i64, i64)>,
}

/// 22023: rows (or two partial states) of one aggregate with different periods, whose counts
/// would be pooled into a rate of no period.
fn period_mismatch(function: &str, first: (i64, i64), other: (i64, i64)) -> MetricError {
    MetricError::InvalidParameter(format!(
        "{function}: every row must use the same period (from {} to {}, and from {} to {}); \
         for one rate per period, GROUP BY the period or use crm.churn_series",
        format_timestamp(first.0),
        format_timestamp(first.1),
        format_timestamp(other.0),
        format_timestamp(other.1)
    ))
}

impl PeriodState {
    /// Checks that a row or state of period `period` may join this state's rows.
    fn check_period(&self, function: &str, period: (i64, i64)) -> MetricResult<()> {
        match self.period {
            Some(existing) if existing != period => {
                Err(period_mismatch(function, existing, period))
            }
            _ => Ok(()),
        }
    }

    /// Records the denominator a row names; fails when an earlier row named another.
    fn use_denominator(&mut self, function: &str, denominator: Denominator) -> MetricResult<()> {
        match self.denominator {
            None => {
                self.denominator = Some(denominator);
                Ok(())
            }
            Some(existing) if existing == denominator => Ok(()),
            Some(existing) => Err(MetricError::InvalidParameter(format!(
                "{function}: every row must use the same denominator ('{}' and '{}')",
                existing.name(),
                denominator.name()
            ))),
        }
    }

    /// Adds one customer row (the transition), with the denominator it names, if any.
    pub fn add(
        &mut self,
        function: &str,
        row: CustomerRow,
        denominator: Option<Denominator>,
    ) -> MetricResult<()> {
        if let Some(denominator) = denominator {
            self.use_denominator(function, denominator)?;
        }
        let rows = self
            .rows
            .checked_add(1)
            .ok_or_else(|| too_many_rows(function))?;
        let period = (row.period_start, row.period_end);
        self.check_period(function, period)?;
        self.counts.add(
            function,
            row.started_at,
            row.ended_at,
            row.period_start,
            row.period_end,
        )?;
        self.rows = rows;
        self.period = Some(period);
        Ok(())
    }

    /// Removes a row added before (the inverse transition of window frames).
    pub fn remove(&mut self, function: &str, row: CustomerRow) -> MetricResult<()> {
        let rows = self.rows.checked_sub(1).ok_or_else(|| {
            MetricError::InvalidParameter(format!(
                "{function}: cannot remove a customer row that was never added"
            ))
        })?;
        self.check_period(function, (row.period_start, row.period_end))?;
        self.counts.remove(
            function,
            row.started_at,
            row.ended_at,
            row.period_start,
            row.period_end,
        )?;
        self.rows = rows;
        if rows == 0 {
            self.denominator = None;
            self.period = None;
        }
        Ok(())
    }

    /// Adds `other` (parallel combine); both must use the same period and denominator.
    pub fn merge(&mut self, function: &str, other: &PeriodState) -> MetricResult<()> {
        if let Some(period) = other.period {
            self.check_period(function, period)?;
        }
        if let Some(denominator) = other.denominator {
            self.use_denominator(function, denominator)?;
        }
        self.rows = self
            .rows
            .checked_add(other.rows)
            .ok_or_else(|| too_many_rows(function))?;
        self.counts.merge(&other.counts);
        self.period = self.period.or(other.period);
        Ok(())
    }

    /// `(E − N) / S`; `None` without rows or when no customer was active at period start.
    pub fn retention_rate(&self) -> Option<f64> {
        self.counts.retention_rate()
    }

    /// Lost customers over the denominator the rows named (`'start'` when none did); `None`
    /// when that denominator is zero.
    pub fn churn_rate(&self) -> Option<f64> {
        self.counts
            .churn_rate(self.denominator.unwrap_or(Denominator::Start))
    }

    /// Canonical binary form of `crm.customer_period_state`: version byte, denominator tag,
    /// the six counts and the row count, all varints, then (version 2) the period's start and
    /// end. A state without a period is written in version 1, the form of 0.2.0.
    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let version = if self.period.is_some() {
            PERIOD_VERSION
        } else {
            FORMAT_VERSION
        };
        let mut writer = Writer::with_version(version);
        writer.u8(denominator_tag(self.denominator));
        for field in self.counts.fields() {
            writer.u64(field);
        }
        writer.u64(self.rows);
        if let Some((start, end)) = self.period {
            writer.i64(start).i64(end);
        }
        writer.finish(STATE_NAME)
    }

    /// Reads a `crm.customer_period_state`: its canonical form ([`PeriodState::encode`]) or the
    /// working form of an aggregate state ([`PeriodFlat`], [`crate::common::flat_state`]); rejects
    /// malformed or inconsistent input.
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        flat_state::decode_any::<PeriodFlat>(bytes).map(|state| state.state())
    }

    /// Reads the canonical binary form, validating it.
    fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        let (mut reader, version) =
            Reader::open_versions(bytes, FORMAT_VERSION..=PERIOD_VERSION, STATE_NAME)?;
        let denominator = denominator_of_tag(u64::from(reader.u8()?)).ok_or_else(|| {
            MetricError::InvalidBinary(format!("{STATE_NAME}: unknown denominator tag"))
        })?;
        let mut fields = [0u64; 6];
        for field in &mut fields {
            *field = reader.u64()?;
        }
        let rows = reader.u64()?;
        let period = if version == PERIOD_VERSION {
            Some((reader.i64()?, reader.i64()?))
        } else {
            None
        };
        reader.finish()?;
        PeriodState {
            counts: PeriodCounts::from_fields(fields),
            denominator,
            rows,
            period,
        }
        .checked(MetricError::InvalidBinary)
    }

    /// Rejects counts that no rows could give: inconsistent counts, a count above the rows, or a
    /// period that no row could name (not finite, not of positive length, or without rows).
    fn checked(self, error: fn(String) -> MetricError) -> MetricResult<Self> {
        if let Some((start, end)) = self.period {
            if !(is_valid_timestamp(start) && is_valid_timestamp(end) && end > start)
                || self.rows == 0
            {
                return Err(error(format!(
                    "{STATE_NAME}: period from {} to {} {}",
                    format_timestamp(start),
                    format_timestamp(end),
                    if self.rows == 0 {
                        "without rows"
                    } else {
                        "is not a finite period of positive length"
                    }
                )));
            }
        }
        const NAMES: [&str; 6] = [
            "customers_at_start",
            "customers_at_end",
            "new_customers",
            "churned_customers",
            "started_in_period",
            "ended_in_period",
        ];
        let fields = self.counts.fields();
        if let Some((name, count)) = NAMES
            .iter()
            .zip(fields)
            .find(|&(_, count)| count > self.rows)
        {
            return Err(error(format!(
                "{STATE_NAME}: {name} {count} exceeds rows {}",
                self.rows
            )));
        }
        if !self.counts.is_consistent() {
            let shown: Vec<String> = NAMES
                .iter()
                .zip(fields)
                .map(|(name, count)| format!("{name} {count}"))
                .collect();
            return Err(error(format!(
                "{STATE_NAME}: inconsistent counts ({}): customers_at_end - new_customers must \
                 equal customers_at_start - churned_customers, and started_in_period - \
                 new_customers must equal ended_in_period - churned_customers",
                shown.join(", ")
            )));
        }
        Ok(self)
    }

    /// Readable text form (exact: Citus ships a partial state as this text), e.g.
    /// `{"customers_at_start":3,"customers_at_end":2,"new_customers":1,"churned_customers":2,
    /// "started_in_period":1,"ended_in_period":2,"rows":4,"denominator":"start",
    /// "period":["2025-01-01 00:00:00+00","2025-02-01 00:00:00+00"]}`; the denominator is `null`
    /// until a row names one, and `"period"` is left out until a row names one.
    pub fn to_text(&self) -> MetricResult<String> {
        let counts = &self.counts;
        let denominator = match self.denominator {
            None => "null".to_string(),
            Some(denominator) => format!("\"{}\"", denominator.name()),
        };
        let period = match self.period {
            None => String::new(),
            Some((start, end)) => format!(
                r#","period":["{}","{}"]"#,
                format_timestamp(start),
                format_timestamp(end)
            ),
        };
        Ok(format!(
            r#"{{"customers_at_start":{},"customers_at_end":{},"new_customers":{},"churned_customers":{},"started_in_period":{},"ended_in_period":{},"rows":{},"denominator":{}{}}}"#,
            counts.customers_at_start,
            counts.customers_at_end,
            counts.new_customers,
            counts.churned_customers,
            counts.started_in_period,
            counts.ended_in_period,
            self.rows,
            denominator,
            period
        ))
    }

    /// Inverse of [`PeriodState::to_text`]: every field required (the denominator may be
    /// `null`) but `"period"`, no other field; the counts validated as the binary form's are.
    pub fn from_text(text: &str) -> MetricResult<Self> {
        let parsed: PeriodText = from_json_object(STATE_NAME, text)?.map_err(|error| {
            MetricError::InvalidText(format!(
                "{STATE_NAME}: malformed value {} ({error}); expected e.g. \
                 {{\"customers_at_start\":3,\"customers_at_end\":2,\"new_customers\":1,\
                 \"churned_customers\":2,\"started_in_period\":1,\"ended_in_period\":2,\
                 \"rows\":4,\"denominator\":null}}",
                crate::common::error::quoted_excerpt(text)
            ))
        })?;
        let period = match &parsed.period {
            None => None,
            Some([start, end]) => {
                let instant = |text: &str| {
                    parse_timestamp(text).ok_or_else(|| {
                        MetricError::InvalidText(format!(
                            "{STATE_NAME}: malformed period bound '{text}' (expected e.g. \
                             2025-01-01 00:00:00+00)"
                        ))
                    })
                };
                Some((instant(start)?, instant(end)?))
            }
        };
        PeriodState {
            period,
            counts: PeriodCounts {
                customers_at_start: parsed.customers_at_start,
                customers_at_end: parsed.customers_at_end,
                new_customers: parsed.new_customers,
                churned_customers: parsed.churned_customers,
                started_in_period: parsed.started_in_period,
                ended_in_period: parsed.ended_in_period,
            },
            denominator: parsed.denominator,
            rows: parsed.rows,
        }
        .checked(MetricError::InvalidText)
    }
}

/// The text form of [`PeriodState`] as read.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PeriodText {
    customers_at_start: u64,
    customers_at_end: u64,
    new_customers: u64,
    churned_customers: u64,
    started_in_period: u64,
    ended_in_period: u64,
    rows: u64,
    /// Required, `null` allowed (a plain `Option` field could be left out).
    #[serde(deserialize_with = "Option::deserialize")]
    denominator: Option<Denominator>,
    /// Left out by the text of 0.2.0 and of a state without rows.
    #[serde(default)]
    period: Option<[String; 2]>,
}

/// Tag of a denominator in the binary and working forms.
fn denominator_tag(denominator: Option<Denominator>) -> u8 {
    match denominator {
        None => 0,
        Some(Denominator::Start) => 1,
        Some(Denominator::Average) => 2,
        Some(Denominator::StartPlusNew) => 3,
    }
}

/// Inverse of [`denominator_tag`]; `None` for an unknown tag.
fn denominator_of_tag(tag: u64) -> Option<Option<Denominator>> {
    match tag {
        0 => Some(None),
        1 => Some(Some(Denominator::Start)),
        2 => Some(Some(Denominator::Average)),
        3 => Some(Some(Denominator::StartPlusNew)),
        _ => None,
    }
}

/// Working form of a [`PeriodState`] as the state of the one-step aggregates (SQL type
/// `crm.customer_period_state`, changed in place per row: [`crate::common::flat_state`]). Plain old
/// data: the denominator as its tag ([`denominator_tag`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
#[repr(C)]
pub struct PeriodFlat {
    counts: PeriodCounts,
    rows: u64,
    denominator: u64,
    /// 1 when `period_start` and `period_end` hold the rows' period, 0 before the first row.
    has_period: u64,
    period_start: i64,
    period_end: i64,
}

impl PeriodFlat {
    /// The working form of `state`.
    #[inline(always)]
    pub fn of(state: &PeriodState) -> Self {
        let (start, end) = state.period.unwrap_or_default();
        PeriodFlat {
            counts: state.counts,
            rows: state.rows,
            denominator: u64::from(denominator_tag(state.denominator)),
            has_period: u64::from(state.period.is_some()),
            period_start: start,
            period_end: end,
        }
    }

    /// The state this working form holds (an unknown tag, which [`FlatState::validate`]
    /// rejects in forms read from elsewhere, reads as no denominator).
    #[inline(always)]
    pub fn state(&self) -> PeriodState {
        PeriodState {
            counts: self.counts,
            denominator: denominator_of_tag(self.denominator).unwrap_or_default(),
            rows: self.rows,
            period: (self.has_period != 0).then_some((self.period_start, self.period_end)),
        }
    }

    /// Adds one customer row ([`PeriodState::add`]).
    #[inline(always)]
    pub fn add(
        &mut self,
        function: &str,
        row: CustomerRow,
        denominator: Option<Denominator>,
    ) -> MetricResult<()> {
        if denominator.is_none() && self.add_plain(row) {
            return Ok(());
        }
        self.add_checked(function, row, denominator)
    }

    /// [`PeriodFlat::add`] of a row every check of [`PeriodState::add`] passes and that is
    /// not skipped: classified and counted in place without branches on the row's values;
    /// `false` (and nothing changed) for any other row, which [`PeriodState::add`] then
    /// validates, skips or refuses with its own error. One combined test of the period, the
    /// span and the row count replaces the per-row sequence of checks.
    #[inline(always)]
    fn add_plain(&mut self, row: CustomerRow) -> bool {
        let CustomerRow {
            started_at,
            ended_at,
            period_start,
            period_end,
        } = row;
        let ended_at = ended_at.unwrap_or(POS_INFINITY);
        // Finite and in range (the period's ends and started_at), in range or infinity
        // (ended_at: NULL and infinity both mean "never ends"), a period of positive length
        // and the one of the rows before it (if any), a customer of positive length (a
        // zero-length row is skipped by the checked path), and room for one more row: every
        // count is at most `rows`, so none overflows.
        let plain = is_valid_timestamp(period_start)
            & is_valid_timestamp(period_end)
            & is_valid_timestamp(started_at)
            & (is_valid_timestamp(ended_at) | (ended_at == POS_INFINITY))
            & (period_end > period_start)
            & ((self.has_period == 0)
                | ((self.period_start == period_start) & (self.period_end == period_end)))
            & (ended_at > started_at)
            & (self.rows != u64::MAX);
        if !plain {
            return false;
        }
        let row = PeriodCounts::of_customer(started_at, ended_at, period_start, period_end);
        // Plain additions: each count is at most `rows`, below `u64::MAX` (checked above), and
        // grows by at most 1.
        let mut fields = self.counts.fields();
        for (field, delta) in fields.iter_mut().zip(row.fields()) {
            *field += delta;
        }
        self.counts = PeriodCounts::from_fields(fields);
        self.rows += 1;
        self.has_period = 1;
        self.period_start = period_start;
        self.period_end = period_end;
        true
    }

    /// [`PeriodFlat::add`] through [`PeriodState::add`], every check in its order.
    #[cold]
    #[inline(never)]
    fn add_checked(
        &mut self,
        function: &str,
        row: CustomerRow,
        denominator: Option<Denominator>,
    ) -> MetricResult<()> {
        let mut state = self.state();
        state.add(function, row, denominator)?;
        *self = Self::of(&state);
        Ok(())
    }

    /// Adds another state ([`PeriodState::merge`]: combine).
    pub fn merge(&mut self, function: &str, other: &PeriodFlat) -> MetricResult<()> {
        let mut state = self.state();
        state.merge(function, &other.state())?;
        *self = Self::of(&state);
        Ok(())
    }
}

impl FlatState for PeriodFlat {
    const KIND: u8 = 5;
    const TYPE_NAME: &'static str = STATE_NAME;
    fn validate(self) -> MetricResult<Self> {
        if denominator_of_tag(self.denominator).is_none() {
            return Err(MetricError::InvalidBinary(format!(
                "{STATE_NAME}: unknown denominator tag"
            )));
        }
        // The period is read as there (`state`) only with a flag of 1, and as absent with 0:
        // anything else, or bounds left behind without a period, is no state this code writes.
        if self.has_period > 1
            || (self.has_period == 0 && (self.period_start != 0 || self.period_end != 0))
        {
            return Err(MetricError::InvalidBinary(format!(
                "{STATE_NAME}: malformed period of a working state"
            )));
        }
        self.state().checked(MetricError::InvalidBinary)?;
        Ok(self)
    }

    fn encode_canonical(&self) -> MetricResult<Vec<u8>> {
        self.state().encode()
    }

    fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        PeriodState::decode_canonical(bytes).map(|state| Self::of(&state))
    }
}

/// One customer row of the one-step aggregates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerRow {
    pub started_at: i64,
    /// `None` when the customer never ends.
    pub ended_at: Option<i64>,
    pub period_start: i64,
    pub period_end: i64,
}

fn too_many_rows(function: &str) -> MetricError {
    MetricError::OutOfRange(format!("{function}: more than 2^64 rows"))
}
