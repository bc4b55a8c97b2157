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
    /// SQLSTATE 53200 out_of_memory (the allocator refused a state's growth).
    OutOfMemory(String),
    /// Another error (its SQLSTATE and message) with a hint for the user, the HINT of the
    /// report: what to try instead (a fit that does not converge names the penalized form).
    Hinted {
        error: Box<MetricError>,
        hint: String,
    },
}

impl fmt::Display for MetricError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for MetricError {}

/// Longest message an ERROR carries: messages echo the offending value, and a value can be a
/// megabyte of text (adversarial tests found 1.3 MB messages); the middle of a longer one is elided, so
/// the function name at the start and the reason at the end stay.
pub const MAX_MESSAGE_BYTES: usize = 1000;

impl MetricError {
    /// This error with `hint` for the user (replacing any hint it had).
    pub fn with_hint(self, hint: &str) -> Self {
        MetricError::Hinted {
            error: Box::new(self.without_hint().clone()),
            hint: hint.to_owned(),
        }
    }

    /// The error without its hint: the variant that names the SQLSTATE, and the message.
    pub fn without_hint(&self) -> &MetricError {
        match self {
            MetricError::Hinted { error, .. } => error.without_hint(),
            plain => plain,
        }
    }

    /// The hint for the user, if the error has one.
    pub fn hint(&self) -> Option<&str> {
        match self {
            MetricError::Hinted { hint, .. } => Some(hint),
            _ => None,
        }
    }

    /// The message, without the hint.
    fn message(&self) -> &str {
        match self {
            MetricError::OutOfRange(m)
            | MetricError::InvalidParameter(m)
            | MetricError::InvalidText(m)
            | MetricError::DatetimeOverflow(m)
            | MetricError::InvalidBinary(m)
            | MetricError::LimitExceeded(m)
            | MetricError::OutOfMemory(m) => m,
            MetricError::Hinted { error, .. } => error.message(),
        }
    }

    /// The SQL function the message starts with (`crm.nps` of `crm.nps: ...`).
    pub fn function(&self) -> Option<&str> {
        self.message()
            .split_once(": ")
            .map(|(function, _)| function)
    }

    /// This error with `function` in place of the function its message starts with: the
    /// error of code shared by several SQL functions, named after the one that ran it.
    pub fn renamed(self, function: &str) -> Self {
        let rename = |message: String| match message.split_once(": ") {
            Some((_, rest)) => format!("{function}: {rest}"),
            None => message,
        };
        match self {
            MetricError::OutOfRange(m) => MetricError::OutOfRange(rename(m)),
            MetricError::InvalidParameter(m) => MetricError::InvalidParameter(rename(m)),
            MetricError::InvalidText(m) => MetricError::InvalidText(rename(m)),
            MetricError::DatetimeOverflow(m) => MetricError::DatetimeOverflow(rename(m)),
            MetricError::InvalidBinary(m) => MetricError::InvalidBinary(rename(m)),
            MetricError::LimitExceeded(m) => MetricError::LimitExceeded(rename(m)),
            MetricError::OutOfMemory(m) => MetricError::OutOfMemory(rename(m)),
            MetricError::Hinted { error, hint } => MetricError::Hinted {
                error: Box::new(error.renamed(function)),
                hint,
            },
        }
    }

    /// The message as reported: at most [`MAX_MESSAGE_BYTES`] bytes plus the elision note.
    pub fn report_message(&self) -> String {
        bounded_message(&self.to_string())
    }
}

/// `text` quoted and escaped as `{:?}` writes it, for a message: its first 200 characters, then
/// the number of bytes left out. A message quoting a whole malformed value would copy it (a
/// text of hundreds of megabytes, escaped up to five times over, before the message is cut).
pub fn quoted_excerpt(text: &str) -> String {
    const SHOWN: usize = 200;
    match text.char_indices().nth(SHOWN) {
        None => format!("{text:?}"),
        Some((end, _)) => format!("{:?}... ({} more bytes)", &text[..end], text.len() - end),
    }
}

/// `text` for a message, in single quotes: whole when it is at most 200 bytes, else its first
/// 200 bytes (to a character boundary) quoted and the number of bytes left out after the quote
/// (`'Europe/Euro'... (69800 more bytes)`), as every excerpt of a long value is shown. A name or
/// field a message shows comes from the user and can be hundreds of megabytes.
pub fn quoted_text(text: &str) -> String {
    let (shown, more) = shown_prefix(text);
    format!("'{shown}'{}", more_bytes(more))
}

/// The first 200 bytes of `text` (to a character boundary) and the number of bytes after them.
pub fn shown_prefix(text: &str) -> (&str, usize) {
    const SHOWN: usize = 200;
    if text.len() <= SHOWN {
        return (text, 0);
    }
    let mut end = SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], text.len() - end)
}

/// The note after an excerpt: `... (N more bytes)`, nothing when nothing was left out.
pub fn more_bytes(more: usize) -> String {
    match more {
        0 => String::new(),
        more => format!("... ({more} more bytes)"),
    }
}

/// `message`, with its middle elided when it is longer than [`MAX_MESSAGE_BYTES`].
pub fn bounded_message(message: &str) -> String {
    if message.len() <= MAX_MESSAGE_BYTES {
        return message.to_owned();
    }
    let half = MAX_MESSAGE_BYTES / 2;
    let mut head = half;
    while !message.is_char_boundary(head) {
        head -= 1;
    }
    let mut tail = message.len() - half;
    while !message.is_char_boundary(tail) {
        tail += 1;
    }
    format!(
        "{} [... {} bytes ...] {}",
        &message[..head],
        tail - head,
        &message[tail..]
    )
}

/// A result of the pure metric code.
pub type MetricResult<T> = Result<T, MetricError>;

/// A `float8` argument in Postgres's notation, for messages: `NaN`, `Infinity`, `-Infinity`, or
/// the shortest decimal that reads back as the same double, in exponent form (`1e-300`,
/// `1.7976931348623157e+308`) when its exponent is below -4 or at least 15, as `float8out`
/// writes it. Where the shortest decimal lies exactly halfway between two doubles (4 of 20,000
/// random doubles in one measurement, all between 1e16 and 1e19), `float8out` writes one digit
/// more; both read back as the same double.
#[derive(Debug, Clone, Copy)]
pub struct Float8(pub f64);

impl Float8 {
    /// `value` rounded to `digits` significant digits (at least 1), for an estimate a message
    /// shows without its noise: `Float8::rounded(0.44591312, 7)` prints `0.4459131`,
    /// `Float8::rounded(6.5576384e15, 7)` prints `6.557638e+15`.
    pub fn rounded(value: f64, digits: usize) -> Self {
        if !value.is_finite() {
            return Float8(value);
        }
        let decimal = format!("{value:.*e}", digits.max(1) - 1);
        Float8(decimal.parse().unwrap_or(value))
    }
}

impl fmt::Display for Float8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.0;
        if value.is_nan() {
            return f.write_str("NaN");
        }
        if value.is_infinite() {
            return f.write_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
        }
        // Rust's `{:e}` is the shortest round-trip digits: "1.5e-7", "-1.7976931348623157e308".
        let scientific = format!("{value:e}");
        let parts = scientific
            .split_once('e')
            .and_then(|(digits, exponent)| Some((digits, exponent.parse::<i32>().ok()?)));
        match parts {
            Some((digits, exponent)) if !(-4..15).contains(&exponent) => {
                let sign = if exponent < 0 { '-' } else { '+' };
                write!(f, "{digits}e{sign}{:02}", exponent.unsigned_abs())
            }
            _ => write!(f, "{value}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_excerpts_are_bounded() {
        assert_eq!(quoted_excerpt("a\u{1}b"), "\"a\\u{1}b\"");
        let long = "\u{1}".repeat(1_000_000);
        let excerpt = quoted_excerpt(&long);
        assert!(excerpt.len() < 1_300, "{}", excerpt.len());
        assert!(excerpt.ends_with("... (999800 more bytes)"), "{excerpt}");
    }

    #[test]
    fn errors_are_renamed_after_the_running_function() {
        let error = MetricError::OutOfRange("crm.nps: counts exceed the bigint range".to_owned());
        assert_eq!(error.function(), Some("crm.nps"));
        assert_eq!(
            error.renamed("crm.rollup"),
            MetricError::OutOfRange("crm.rollup: counts exceed the bigint range".to_owned())
        );
        let hinted = MetricError::InvalidParameter("crm.a: b: c".to_owned()).with_hint("h");
        assert_eq!(hinted.function(), Some("crm.a"));
        let renamed = hinted.renamed("crm.z");
        assert_eq!(renamed.to_string(), "crm.z: b: c");
        assert_eq!(renamed.hint(), Some("h"));
    }

    #[test]
    fn long_messages_keep_their_start_and_end() {
        let short = MetricError::InvalidText("crm.nps_summary: malformed".to_owned());
        assert_eq!(short.report_message(), "crm.nps_summary: malformed");
        let echoed = format!(
            "crm.nps_summary: malformed value \"{}\" (reason)",
            "é".repeat(100_000)
        );
        let reported = MetricError::InvalidText(echoed.clone()).report_message();
        assert!(
            reported.len() < MAX_MESSAGE_BYTES + 40,
            "{}",
            reported.len()
        );
        assert!(reported.starts_with("crm.nps_summary: malformed value"));
        assert!(reported.ends_with("\" (reason)"));
        assert!(reported.contains(" bytes ...] "));
    }

    #[test]
    fn floats_print_as_postgres_prints_them() {
        let shown = |value: f64| Float8(value).to_string();
        assert_eq!(shown(f64::NAN), "NaN");
        assert_eq!(shown(f64::INFINITY), "Infinity");
        assert_eq!(shown(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(shown(0.0), "0");
        assert_eq!(shown(-0.0), "-0");
        assert_eq!(shown(0.1), "0.1");
        assert_eq!(shown(-2.5), "-2.5");
        assert_eq!(shown(0.0001), "0.0001");
        assert_eq!(shown(0.00001), "1e-05");
        let rounded = |value: f64, digits: usize| Float8::rounded(value, digits).to_string();
        assert_eq!(rounded(0.445913124, 7), "0.4459131");
        assert_eq!(rounded(6.5576384e10, 7), "65576380000");
        assert_eq!(rounded(6.5576384e15, 7), "6.557638e+15");
        assert_eq!(rounded(1.1100700e-15, 7), "1.11007e-15");
        assert_eq!(rounded(2.4975, 4), "2.498");
        assert_eq!(rounded(-9.99996, 5), "-10");
        assert_eq!(rounded(f64::INFINITY, 3), "Infinity");
        assert_eq!(rounded(1.25, 0), "1");
        assert_eq!(shown(1e-300), "1e-300");
        assert_eq!(shown(123_456_789_012_345.0), "123456789012345");
        assert_eq!(shown(1e15), "1e+15");
        assert_eq!(shown(f64::MAX), "1.7976931348623157e+308");
        assert_eq!(shown(-f64::MIN_POSITIVE), "-2.2250738585072014e-308");
        assert_eq!(shown(5e-324), "5e-324");
    }

    #[test]
    fn a_hint_keeps_the_error_and_its_message() {
        let plain = MetricError::InvalidParameter("crm.sbg_fit: did not converge".to_owned());
        let hinted = plain.clone().with_hint("try a penalizer");
        assert_eq!(hinted.to_string(), "crm.sbg_fit: did not converge");
        assert_eq!(hinted.without_hint(), &plain);
        assert_eq!(hinted.hint(), Some("try a penalizer"));
        assert_eq!(hinted.with_hint("another").hint(), Some("another"));
        assert_eq!(plain.hint(), None);
    }
}
