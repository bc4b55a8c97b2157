//! Plain-Rust math of the customer-lifetime-value family (no pgrx).
//!
//! - [`special`]: ln Γ, ψ, a guarded ₂F₁.
//! - [`optimize`]: BFGS on log-parameters with a Nelder–Mead restart.
//! - [`rows`]: fitting inputs merged into distinct weighted rows.
//! - [`purchases`]: BG/NBD inputs gathered straight from purchases (customer, day).
//! - [`bgbb`]: BG/BB discrete-time purchases (Fader, Hardie & Shang 2010): fit, predictions, model type.
//! - [`bgnbd`]: BG/NBD (Fader, Hardie & Lee 2005): likelihood, fit, predictions, model type.
//! - [`hypergeometric`]: ₂F₁ on all of [0, 1) in log space.
//! - [`pareto_nbd`]: Pareto/NBD (Schmittlein et al. 1987), a kind of `crm.bgnbd_model`.
//! - [`gamma_gamma`]: Gamma-Gamma spend model (Fader, Hardie & Lee 2005b) and discounted CLV.
//! - [`sbg`]: shifted-beta-geometric contractual retention (Fader & Hardie 2007, 2010).
//! - [`simple`]: the seed CLV formulas and the RFM summary, money in `rust_decimal`.
//! - [`uncertainty`]: standard errors from the Hessian of the log-likelihood at the estimate.
use crate::common::civil::require_finite_interval;
use crate::common::codec::TextWriter;
use crate::common::error::{Float8, MetricError, MetricResult};
use crate::common::limits::decoded_vec;

pub mod bgbb;
pub mod bgnbd;
pub mod gamma_gamma;
pub mod holdout;
pub mod hypergeometric;
pub mod optimize;
pub mod pareto_nbd;
pub mod purchases;
pub mod rfm_flat;
pub mod rows;
pub mod sbg;
pub mod simple;
#[cfg(test)]
pub mod simulate;
pub mod special;
pub mod uncertainty;

/// A 22023 error with a hint for the user.
pub fn invalid_with_hint(message: String, hint: &str) -> MetricError {
    MetricError::InvalidParameter(message).with_hint(hint)
}

/// A 22023 error without a hint.
pub fn invalid(message: String) -> MetricError {
    MetricError::InvalidParameter(message)
}

/// The number of days in one CLV time unit (`'day'`, `'week'`, `'month'`, `'year'`).
/// Names are read case-insensitively (`'Week'`), as period names are.
pub fn days_per_unit(function: &str, unit: &str) -> MetricResult<f64> {
    simple::unit_index(function, unit.as_bytes())
        .map(|index| simple::DAYS_PER_UNIT[usize::from(index)])
}

/// Days in one month of an `interval` horizon: 365.25/12, the `'month'` time unit.
pub const DAYS_PER_MONTH: f64 = 365.25 / 12.0;
const MICROSECONDS_PER_DAY: f64 = 86_400_000_000.0;

/// The length of an `interval` horizon (its fields: months, days, microseconds) in days: a
/// month is 365.25/12 days, a day 1 day, microseconds exact. Infinite intervals (Postgres 17
/// stores them as every field at its maximum or minimum) are 22008, a negative length 22023;
/// `shown` writes the value for the message.
pub fn interval_days(
    function: &str,
    (months, days, microseconds): (i32, i32, i64),
    shown: impl FnOnce() -> String,
) -> MetricResult<f64> {
    require_finite_interval(function, "horizon", (months, days, microseconds))?;
    let length = f64::from(months) * DAYS_PER_MONTH
        + f64::from(days)
        + microseconds as f64 / MICROSECONDS_PER_DAY;
    if length < 0.0 {
        return Err(invalid(format!(
            "{function}: horizon {} is negative",
            shown()
        )));
    }
    Ok(length)
}

/// The length of an `interval` horizon in `time_unit` (the unit the model was fitted in; see
/// [`interval_days`] and [`days_per_unit`]).
pub fn interval_in_units(
    function: &str,
    fields: (i32, i32, i64),
    time_unit: &str,
    shown: impl FnOnce() -> String,
) -> MetricResult<f64> {
    let per_unit = days_per_unit(function, time_unit)?;
    Ok(interval_days(function, fields, shown)? / per_unit)
}

/// The length of an `interval` horizon in months of 365.25/12 days; a horizon of months only
/// is its exact month count.
pub fn interval_months(
    function: &str,
    fields: (i32, i32, i64),
    shown: impl FnOnce() -> String,
) -> MetricResult<f64> {
    let days = interval_days(function, fields, shown)?;
    Ok(match fields {
        (months, 0, 0) => f64::from(months),
        _ => days / DAYS_PER_MONTH,
    })
}

/// A model parameter given by the user: positive and finite, else 22023.
pub fn positive_parameter(function: &str, name: &str, value: f64) -> MetricResult<f64> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(invalid(format!(
            "{function}: parameter {name} = {} must be positive and finite",
            Float8(value)
        )))
    }
}

/// Fit diagnostics kept in a fitted model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FitInfo {
    /// Log-likelihood at the estimate (sum over customers, weights included; without the
    /// penalty).
    pub log_likelihood: f64,
    /// Customers (total weight) the model was fitted on.
    pub customers: u64,
    /// Distinct input rows the optimizer saw.
    pub distinct_rows: u64,
    /// Optimizer iterations.
    pub iterations: u32,
    /// Largest gradient component (per customer, in log-parameters) of the minimized objective
    /// (penalty included) at the estimate.
    pub gradient_norm: f64,
    /// Whether the optimizer reached a stationary point: true for every model a fit returns (a
    /// fit that does not converge is an error), and for models stored before it was recorded.
    pub converged: bool,
    /// The penalizer of the fit (0: plain maximum likelihood, also for models stored before it
    /// was recorded).
    pub penalizer: f64,
    /// Standard errors of the parameters, in the model's parameter order ([`uncertainty`]);
    /// `None` when the Hessian at the estimate is singular, and for models stored before they
    /// were recorded.
    pub std_errors: Option<StdErrors>,
}

/// Most parameters a CLV model has.
pub const MAX_PARAMETERS: usize = 4;

/// Standard errors of a model's parameters (one per parameter, each positive and finite).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StdErrors {
    count: u8,
    values: [f64; MAX_PARAMETERS],
}

impl StdErrors {
    /// `None` unless there are 1 to [`MAX_PARAMETERS`] values, each positive and finite.
    pub fn new(values: &[f64]) -> Option<Self> {
        if values.is_empty()
            || values.len() > MAX_PARAMETERS
            || !values.iter().all(|value| value.is_finite() && *value > 0.0)
        {
            return None;
        }
        let mut held = [0.0; MAX_PARAMETERS];
        held[..values.len()].copy_from_slice(values);
        Some(StdErrors {
            count: values.len() as u8,
            values: held,
        })
    }

    pub fn values(&self) -> &[f64] {
        &self.values[..usize::from(self.count)]
    }
}

/// Validates a fit's `penalizer` argument: finite and non-negative, else 22023.
pub fn checked_penalizer(function: &str, penalizer: f64) -> Result<f64, MetricError> {
    if penalizer.is_finite() && penalizer >= 0.0 {
        // -0.0 is 0.
        Ok(penalizer + 0.0)
    } else {
        Err(MetricError::InvalidParameter(format!(
            "{function}: penalizer {} must be finite and non-negative",
            Float8(penalizer)
        )))
    }
}

/// Keeps the penalizer of a group: the first one given is `held`; a different one later is
/// 22023 naming both (`whence` says where the first came from).
pub fn agree_penalizer(
    function: &str,
    held: &mut Option<f64>,
    penalizer: f64,
    whence: &str,
) -> Result<(), MetricError> {
    match *held {
        None => {
            *held = Some(penalizer);
            Ok(())
        }
        Some(known) if known.to_bits() == penalizer.to_bits() => Ok(()),
        Some(known) => Err(MetricError::InvalidParameter(format!(
            "{function}: penalizer {penalizer} differs from penalizer {known} of {whence}; the \
             penalizer must be the same on every row of a fit"
        ))),
    }
}

/// The hint attached to every non-convergence error of a fit.
pub const FIT_HINT: &str =
    "The data may not identify the model (too few customers, too few repeat \
purchases, or no sign of customers leaving). Fit over more customers or a longer observation \
window, or build the model from known parameters.";

/// Maps an optimizer failure to the user's error. `penalized_call` shows the fit with a
/// penalizer (e.g. `crm.bgnbd_fit(frequency, recency, t, 0.001)`), suggested when the
/// optimizer found no stationary point.
pub fn fit_failure(
    function: &str,
    names: &[&str],
    penalized_call: &str,
    failure: optimize::Failure,
) -> MetricError {
    let message = match failure {
        optimize::Failure::NotFiniteAtStart => {
            format!("{function}: the log-likelihood is not finite at the starting point")
        }
        optimize::Failure::Unbounded { coordinate, at } => format!(
            "{function}: the fit did not converge: parameter {} runs off to {} (it reached {})",
            names.get(coordinate).copied().unwrap_or("?"),
            if at < 0.0 { "0" } else { "infinity" },
            Float8::rounded(at.exp(), 7)
        ),
        optimize::Failure::NoConvergence {
            point,
            gradient_norm,
            iterations,
            out_of_time,
        } => {
            let budget = match out_of_time {
                Some(time) => format!("{:.1} s of optimizer time", time.as_secs_f64()),
                None => "the iteration budget".to_string(),
            };
            let last = names
                .iter()
                .zip(&point)
                .map(|(name, coordinate)| {
                    format!("{name} = {}", Float8::rounded(coordinate.exp(), 7))
                })
                .collect::<Vec<_>>()
                .join(", ");
            return invalid_with_hint(
                format!(
                    "{function}: the fit did not converge within {budget} ({iterations} \
                     iterations, gradient norm {}; last parameters {last})",
                    Float8::rounded(gradient_norm, 4)
                ),
                &format!(
                    "Try a penalized fit, the penalizer as the last argument: {penalized_call} \
                     (as lifetimes' penalizer_coef, it adds penalizer times the sum of the \
                     squared parameters to the mean negative log-likelihood); raise it if the \
                     fit still fails. {FIT_HINT}"
                ),
            );
        }
    };
    invalid_with_hint(message, FIT_HINT)
}

/// The identification rule every fit (BG/NBD, Gamma-Gamma, sBG) follows, in one place: the
/// data must hold at least this many distinct rows ...
pub const MIN_DISTINCT_ROWS: usize = 2;
/// ... and every fitted parameter, in its own unit (a shape parameter as it is, a scale
/// parameter divided by the data's own scale: BG/NBD's alpha by the mean customer age,
/// Gamma-Gamma's v by the mean spend), must lie within these limits. A maximum of the likelihood
/// outside them is at the boundary of the parameter space: a parameter running off to 0 or
/// infinity, not an estimate.
pub const PARAMETER_LIMITS: (f64, f64) = (1e-4, 1e4);

/// A fitted parameter: its name, value, and the scale of the data it is measured against
/// (1 for a shape parameter).
pub type FittedParameter<'a> = (&'a str, f64, f64);

/// 22003 when the weights of a fit add up to more customers than a `bigint` holds (what the
/// fitted model records, and reads back), before any work is spent on the fit.
pub fn check_customers(function: &str, customers: u64) -> MetricResult<()> {
    if i64::try_from(customers).is_ok() {
        return Ok(());
    }
    Err(MetricError::OutOfRange(format!(
        "{function}: the weights add up to {customers} customers, more than {}",
        i64::MAX
    )))
}

/// 22023 with [`FIT_HINT`] unless the data has [`MIN_DISTINCT_ROWS`] distinct rows.
pub fn check_identifiable(function: &str, distinct_rows: usize) -> MetricResult<()> {
    if distinct_rows >= MIN_DISTINCT_ROWS {
        return Ok(());
    }
    Err(invalid_with_hint(
        format!(
            "{function}: the data cannot identify the model: {distinct_rows} distinct row (frequency, recency, age or periods, outcome), at least {MIN_DISTINCT_ROWS} needed"
        ),
        FIT_HINT,
    ))
}

/// 22023 with [`FIT_HINT`] naming the first parameter outside [`PARAMETER_LIMITS`] (relative to
/// its scale).
pub fn check_estimate(function: &str, parameters: &[FittedParameter]) -> MetricResult<()> {
    let (low, high) = PARAMETER_LIMITS;
    for &(name, value, scale) in parameters {
        let relative = value / scale;
        if (low..=high).contains(&relative) {
            continue;
        }
        let toward = if relative < low { "0" } else { "infinity" };
        let limits = if scale == 1.0 {
            format!("[{}, {}]", Float8(low), Float8(high))
        } else {
            format!(
                "[{}, {}] times the data's scale {}",
                Float8(low),
                Float8(high),
                Float8::rounded(scale, 7)
            )
        };
        return Err(invalid_with_hint(
            format!(
                "{function}: the fit did not converge: parameter {name} = {} runs off to {toward} (the likelihood is largest at the boundary; estimates lie within {limits})",
                Float8::rounded(value, 7)
            ),
            FIT_HINT,
        ));
    }
    Ok(())
}

/// Reads a JSON float that must be positive and finite (model text forms).
pub fn text_parameter(what: &str, name: &str, value: f64) -> Result<f64, MetricError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(MetricError::InvalidText(format!(
            "{what}: parameter {name} = {} must be positive and finite",
            Float8(value)
        )))
    }
}

/// Text form of [`FitInfo`] inside a model's JSON. `converged`, `penalizer` and `std_errors`
/// were added in 0.3.0 and are written only when they differ from what every earlier model was
/// (converged, penalizer 0, no standard errors): a model stored before prints as it did, and a
/// text without them reads as converged, penalizer 0, no standard errors.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitText {
    pub log_likelihood: f64,
    pub customers: u64,
    pub distinct_rows: u64,
    pub iterations: u32,
    pub gradient_norm: f64,
    #[serde(default = "converged_by_default", skip_serializing_if = "is_true")]
    pub converged: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub penalizer: f64,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::common::codec::json_optional_vec"
    )]
    pub std_errors: Option<Vec<f64>>,
}

fn converged_by_default() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

fn is_zero(value: &f64) -> bool {
    *value == 0.0
}

/// The first binary form of the models: diagnostics without `converged` and `penalizer`; still
/// the form of every model whose fit converged without a penalizer (so stored models, and their
/// bytes, stay as they were).
pub const FIRST_MODEL_VERSION: u8 = 1;
/// The binary form of the models since 0.3.0: the diagnostics end with `converged` (a byte)
/// and `penalizer`.
pub const MODEL_VERSION: u8 = 2;
/// The binary form of models with standard errors: [`MODEL_VERSION`]'s, then the number of
/// standard errors (a byte) and each of them.
pub const STD_ERRORS_MODEL_VERSION: u8 = 3;
/// The binary form of a `crm.bgnbd_model` of another kind than BG/NBD (MBG/NBD): a kind byte
/// after the version, then [`STD_ERRORS_MODEL_VERSION`]'s, its count of standard errors 0 when
/// there are none.
pub const KIND_MODEL_VERSION: u8 = 4;

impl FitInfo {
    /// The binary form version a model with these diagnostics is written in: the first one
    /// unless it records something the first cannot (a penalizer, or a fit that did not
    /// converge: [`MODEL_VERSION`]; standard errors: [`STD_ERRORS_MODEL_VERSION`]).
    pub fn version_of(fit: Option<FitInfo>) -> u8 {
        match fit {
            Some(fit) if fit.std_errors.is_some() => STD_ERRORS_MODEL_VERSION,
            Some(fit) if !fit.converged || fit.penalizer != 0.0 => MODEL_VERSION,
            _ => FIRST_MODEL_VERSION,
        }
    }

    pub fn to_text(self) -> FitText {
        FitText {
            log_likelihood: self.log_likelihood,
            customers: self.customers,
            distinct_rows: self.distinct_rows,
            iterations: self.iterations,
            gradient_norm: self.gradient_norm,
            converged: self.converged,
            penalizer: self.penalizer,
            std_errors: self.std_errors.map(|errors| errors.values().to_vec()),
        }
    }

    /// Reads the text form of the diagnostics of a model with `parameters` parameters.
    pub fn from_text(what: &str, text: FitText, parameters: usize) -> Result<Self, MetricError> {
        let std_errors = match text.std_errors {
            None => None,
            Some(values) => Some(checked_std_errors(
                what,
                &values,
                parameters,
                MetricError::InvalidText,
            )?),
        };
        FitInfo {
            log_likelihood: text.log_likelihood,
            customers: text.customers,
            distinct_rows: text.distinct_rows,
            iterations: text.iterations,
            gradient_norm: text.gradient_norm,
            converged: text.converged,
            penalizer: text.penalizer,
            std_errors,
        }
        .checked(what, MetricError::InvalidText)
    }

    /// The diagnostics a fit can produce: a finite log-likelihood, a finite, non-negative
    /// gradient norm and penalizer. The text and binary readers check the same, so every value
    /// one of them accepts is written and read back by the other.
    fn checked(self, what: &str, error: fn(String) -> MetricError) -> Result<Self, MetricError> {
        if !self.log_likelihood.is_finite()
            || !self.gradient_norm.is_finite()
            || self.gradient_norm < 0.0
        {
            return Err(error(format!(
                "{what}: fit diagnostics must be finite, with a non-negative gradient norm"
            )));
        }
        // -0.0 too: one binary form per value.
        if !self.penalizer.is_finite() || self.penalizer.is_sign_negative() {
            return Err(error(format!(
                "{what}: penalizer {} must be finite and non-negative",
                Float8(self.penalizer)
            )));
        }
        let bigint = i64::MAX as u64;
        if self.customers > bigint || self.distinct_rows > bigint {
            return Err(error(format!(
                "{what}: customers {} and distinct_rows {} must be within the bigint range",
                self.customers, self.distinct_rows
            )));
        }
        Ok(self)
    }

    /// Appends the optional diagnostics to a model's binary form of `version`
    /// ([`FitInfo::version_of`]).
    pub fn encode(fit: Option<FitInfo>, writer: &mut crate::common::codec::Writer, version: u8) {
        match fit {
            None => {
                writer.u8(0);
            }
            Some(fit) => {
                writer
                    .u8(1)
                    .f64(fit.log_likelihood)
                    .u64(fit.customers)
                    .u64(fit.distinct_rows)
                    .u64(u64::from(fit.iterations))
                    .f64(fit.gradient_norm);
                if version != FIRST_MODEL_VERSION {
                    writer.u8(u8::from(fit.converged)).f64(fit.penalizer);
                }
                if version >= STD_ERRORS_MODEL_VERSION {
                    let values = fit.std_errors.as_ref().map_or(&[][..], StdErrors::values);
                    writer.u8(values.len() as u8);
                    for value in values {
                        writer.f64(*value);
                    }
                }
            }
        }
    }

    /// Reads what [`FitInfo::encode`] wrote for a model with `parameters` parameters, or the
    /// diagnostics of a [`FIRST_MODEL_VERSION`] form (converged, penalizer 0).
    pub fn decode(
        what: &str,
        reader: &mut crate::common::codec::Reader,
        version: u8,
        parameters: usize,
    ) -> Result<Option<FitInfo>, MetricError> {
        let malformed = || MetricError::InvalidBinary(format!("{what}: malformed fit diagnostics"));
        match reader.u8()? {
            0 => Ok(None),
            1 => {
                let log_likelihood = reader.f64()?;
                let customers = reader.u64()?;
                let distinct_rows = reader.u64()?;
                let iterations = u32::try_from(reader.u64()?).map_err(|_| malformed())?;
                let gradient_norm = reader.f64()?;
                let (converged, penalizer) = if version == FIRST_MODEL_VERSION {
                    (true, 0.0)
                } else {
                    let converged = match reader.u8()? {
                        0 => false,
                        1 => true,
                        _ => return Err(malformed()),
                    };
                    (converged, reader.f64()?)
                };
                let count = if version >= STD_ERRORS_MODEL_VERSION {
                    usize::from(reader.u8()?)
                } else {
                    0
                };
                // A count of 0 is "none" only in the kind form (in the standard errors form
                // they are always there).
                let std_errors = if version == STD_ERRORS_MODEL_VERSION || count > 0 {
                    let mut values = [0.0; MAX_PARAMETERS];
                    for value in values.iter_mut().take(count) {
                        *value = reader.f64()?;
                    }
                    let values = values.get(..count).ok_or_else(malformed)?;
                    Some(checked_std_errors(
                        what,
                        values,
                        parameters,
                        MetricError::InvalidBinary,
                    )?)
                } else {
                    None
                };
                FitInfo {
                    log_likelihood,
                    customers,
                    distinct_rows,
                    iterations,
                    gradient_norm,
                    converged,
                    penalizer,
                    std_errors,
                }
                .checked(what, MetricError::InvalidBinary)
                .map(Some)
            }
            _ => Err(malformed()),
        }
    }
}

/// Standard errors read from a model's text or binary form: one per parameter, each positive
/// and finite, else `error`.
fn checked_std_errors(
    what: &str,
    values: &[f64],
    parameters: usize,
    error: fn(String) -> MetricError,
) -> Result<StdErrors, MetricError> {
    StdErrors::new(values)
        .filter(|_| values.len() == parameters)
        .ok_or_else(|| {
            error(format!(
                "{what}: std_errors must hold {parameters} positive, finite values, one per parameter"
            ))
        })
}

/// Reads a positive finite parameter from a model's binary form.
pub fn binary_parameter(
    what: &str,
    reader: &mut crate::common::codec::Reader,
) -> Result<f64, MetricError> {
    let value = reader.f64()?;
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(MetricError::InvalidBinary(format!(
            "{what}: non-positive or non-finite parameter"
        )))
    }
}

/// The text form of the CLV aggregate states (`crm.rfm_state`, `crm.fit_rows`,
/// `crm.purchase_days`): `\x` and the lowercase hex digits of the binary form, as `bytea` prints
/// it. Opaque: it round-trips a state exactly, and is what Citus ships between nodes.
pub fn hex_text(type_name: &str, bytes: &[u8]) -> MetricResult<String> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = TextWriter::with_capacity(bytes.len().saturating_mul(2).saturating_add(2));
    text.push_str("\\x");
    for byte in bytes {
        for nibble in [byte >> 4, byte & 0x0f] {
            text.push(char::from(DIGITS[usize::from(nibble)]));
        }
    }
    text.finish(type_name)
}

/// Reads [`hex_text`] (upper- or lowercase digits); 22P02 for anything else. `type_name` names
/// the SQL type in the message.
pub fn from_hex_text(type_name: &str, text: &str) -> MetricResult<Vec<u8>> {
    let malformed = |why: &str| {
        MetricError::InvalidText(format!(
            "{type_name}: malformed value ({why}); expected \\x followed by the hex digits of \
             the binary form, as {type_name} prints it"
        ))
    };
    let digits = text
        .strip_prefix("\\x")
        .ok_or_else(|| malformed("no \\x prefix"))?
        .as_bytes();
    if digits.len() % 2 != 0 {
        return Err(malformed("an odd number of hex digits"));
    }
    let nibble = |digit: u8| match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        b'A'..=b'F' => Ok(digit - b'A' + 10),
        _ => Err(malformed("a character that is not a hex digit")),
    };
    let mut bytes = decoded_vec(digits.len() / 2, type_name)?;
    for pair in digits.chunks_exact(2) {
        bytes.push((nibble(pair[0])? << 4) | nibble(pair[1])?);
    }
    Ok(bytes)
}

/// Reads a state's text form: [`from_hex_text`], then the binary form decoded and validated
/// (its errors reported as 22P02, since the text was the input; a refused allocation stays
/// 53200).
pub fn state_from_text<S>(
    type_name: &str,
    text: &str,
    decode: impl FnOnce(&[u8]) -> MetricResult<S>,
) -> MetricResult<S> {
    let bytes = from_hex_text(type_name, text)?;
    decode(&bytes).map_err(|error| match error {
        // Memory, not the text: 53200 as it was.
        MetricError::OutOfMemory(_) => error,
        _ => MetricError::InvalidText(format!("{type_name}: malformed value ({error})")),
    })
}

#[cfg(test)]
mod text_tests {
    use super::*;

    #[test]
    fn a_parameter_running_off_is_named_with_where_it_got() {
        let failure = |at| {
            fit_failure(
                "crm.f",
                &["r", "alpha"],
                "crm.f(x, 0.001)",
                optimize::Failure::Unbounded { coordinate: 1, at },
            )
            .to_string()
        };
        let small = failure(-40.0);
        assert!(
            small.contains("parameter alpha runs off to 0 (it reached 4.248354e-18)"),
            "{small}"
        );
        let large = failure(40.0);
        assert!(
            large.contains("alpha runs off to infinity (it reached 2.353853e+17)"),
            "{large}"
        );
    }

    #[test]
    fn interval_horizons_read_in_the_time_unit() {
        let shown = || "'x'".to_string();
        let weeks = |fields| interval_in_units("crm.f", fields, "week", shown);
        // The analyst's 52 weeks, and a year of 365.25 days.
        assert_eq!(weeks((0, 364, 0)).unwrap(), 52.0);
        assert_eq!(weeks((12, 0, 0)).unwrap(), 365.25 / 7.0);
        assert_eq!(
            interval_in_units("crm.f", (12, 0, 0), "year", shown).unwrap(),
            1.0
        );
        assert_eq!(
            interval_in_units("crm.f", (1, 0, 0), "month", shown).unwrap(),
            1.0
        );
        assert_eq!(
            interval_in_units("crm.f", (0, 0, 43_200_000_000), "day", shown).unwrap(),
            0.5
        );
        assert_eq!(
            interval_in_units("crm.f", (0, 0, 1), "day", shown).unwrap(),
            1.0 / 86_400e6
        );
        assert_eq!(
            interval_in_units("crm.f", (0, 0, 0), "day", shown).unwrap(),
            0.0
        );
        // Mixed signs count by the total: a month less a day is 29.4375 days.
        assert_eq!(
            interval_in_units("crm.f", (1, -1, 0), "day", shown).unwrap(),
            29.4375
        );
        assert_eq!(interval_months("crm.f", (7, 0, 0), shown).unwrap(), 7.0);
        assert_eq!(
            interval_months("crm.f", (0, 365, 21_600_000_000), shown).unwrap(),
            12.0
        );
        for negative in [(0, -1, 0), (-1, 0, 0), (0, 0, -1), (1, -31, 0)] {
            let error = weeks(negative).unwrap_err();
            assert_eq!(
                error,
                MetricError::InvalidParameter("crm.f: horizon 'x' is negative".into())
            );
        }
        // Infinite on Postgres 17 on; before, every field at its maximum is a finite horizon.
        let infinite = (i32::MAX, i32::MAX, i64::MAX);
        if crate::common::civil::INFINITE_INTERVALS {
            assert_eq!(
                weeks(infinite).unwrap_err(),
                MetricError::DatetimeOverflow("crm.f: horizon 'infinity' must be finite".into())
            );
            assert_eq!(
                weeks((i32::MIN, i32::MIN, i64::MIN)).unwrap_err(),
                MetricError::DatetimeOverflow("crm.f: horizon '-infinity' must be finite".into())
            );
        } else {
            assert!(weeks(infinite).unwrap().is_finite());
        }
        // The largest finite interval is a finite length.
        assert!(weeks((i32::MAX, i32::MAX, i64::MAX - 1))
            .unwrap()
            .is_finite());
        let error = interval_in_units("crm.f", (0, 7, 0), "fortnight", shown).unwrap_err();
        assert!(
            matches!(error, MetricError::InvalidParameter(m) if m.contains("unknown time unit \"fortnight\""))
        );
    }

    #[test]
    fn one_identification_rule_for_every_fit() {
        assert!(check_customers("crm.f", i64::MAX as u64).is_ok());
        assert_eq!(
            check_customers("crm.f", i64::MAX as u64 + 1),
            Err(MetricError::OutOfRange(
                "crm.f: the weights add up to 9223372036854775808 customers, more than 9223372036854775807"
                    .into()
            ))
        );
        assert!(check_identifiable("crm.f", 2).is_ok());
        let error = check_identifiable("crm.f", 1).unwrap_err();
        assert!(matches!(
            error.without_hint(),
            MetricError::InvalidParameter(_)
        ));
        assert_eq!(error.hint(), Some(FIT_HINT));
        assert!(check_estimate(
            "crm.f",
            &[("a", 1e-4, 1.0), ("b", 1e4, 1.0), ("v", 3e5, 100.0)]
        )
        .is_ok());
        for (parameters, shown) in [
            (
                &[("a", 2.0, 1.0), ("b", 2.9e7, 1.0)][..],
                "parameter b = 29000000 runs off to infinity",
            ),
            (
                &[("b", 1.4e-8, 1.0)][..],
                "parameter b = 1.4e-08 runs off to 0",
            ),
            (
                &[("v", 5e9, 100.0)][..],
                "within [0.0001, 10000] times the data's scale 100",
            ),
        ] {
            let error = check_estimate("crm.f", parameters).unwrap_err();
            match error.without_hint() {
                MetricError::InvalidParameter(m) => {
                    assert!(m.starts_with("crm.f: the fit did not converge"), "{m}");
                    assert!(m.contains(shown), "{m}");
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn refused_memory_reading_a_state_text_stays_53200() {
        let refused = state_from_text("crm.t", "\\x01", |_| -> MetricResult<()> {
            Err(crate::common::limits::decoding_out_of_memory(
                "crm.t",
                1 << 40,
            ))
        });
        assert!(
            matches!(refused, Err(MetricError::OutOfMemory(_))),
            "{refused:?}"
        );
        let malformed = state_from_text("crm.t", "\\x01", |_| -> MetricResult<()> {
            Err(MetricError::InvalidBinary("crm.t: truncated".into()))
        });
        assert!(
            matches!(malformed, Err(MetricError::InvalidText(_))),
            "{malformed:?}"
        );
    }

    #[test]
    fn hex_text_round_trips_and_rejects_garbage() {
        let bytes = [0u8, 1, 0x7f, 0x80, 0xab, 0xff];
        assert_eq!(hex_text("t", &bytes).unwrap(), "\\x00017f80abff");
        assert_eq!(
            from_hex_text("t", &hex_text("t", &bytes).unwrap()).unwrap(),
            bytes
        );
        assert_eq!(from_hex_text("t", "\\x00AbFF").unwrap(), [0, 0xab, 0xff]);
        assert_eq!(from_hex_text("t", "\\x").unwrap(), Vec::<u8>::new());
        for bad in ["", "00", "\\x0", "\\x0g", "x00", "\\x 00", "\\x00\n"] {
            assert!(
                matches!(from_hex_text("t", bad), Err(MetricError::InvalidText(_))),
                "{bad:?}"
            );
        }
    }
}
#[cfg(test)]
mod cancellation_tests;
