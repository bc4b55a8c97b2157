//! Generators at scale for every text input and every binary decoder: random and
//! mutated strings and bytes (bit flips, truncations, spliced and repeated fragments, junk JSON,
//! huge and non-finite numbers, duplicate keys, wrong versions, deep nesting, huge arrays) fed to
//! each `from_text`, `decode` and text parser of the math layer.
//!
//! Every input must give `Ok` or a [`MetricError`]: never a panic (caught with `catch_unwind`),
//! and never an allocation out of proportion to the input (a counting allocator measures the peak
//! bytes live during each call). A value that is accepted must round-trip: its canonical text
//! and binary forms read back to the same forms, so nothing a user can store is unreadable.
//!
//! `CRM_FUZZ_CASES` sets the number of cases per target (default 300, so the suite stays fast);
//! `CRM_FUZZ_SEED` the seed (default fixed; the seed of a failing run is in its message);
//! `CRM_FUZZ_SECONDS` a time budget per target that ends a run early. Run long with e.g.
//! `CRM_FUZZ_CASES=100000000 CRM_FUZZ_SECONDS=60 cargo test --lib harness::fuzz -- --nocapture`
//! (a debug build: integer overflow panics, so it is caught too).
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

use crate::common::error::{MetricError, MetricResult};

// ---------------------------------------------------------------------------------------------
// A counting allocator: bytes live and their peak, per thread.
// ---------------------------------------------------------------------------------------------

struct CountingAllocator;

thread_local! {
    static LIVE_BYTES: Cell<usize> = const { Cell::new(0) };
    static PEAK_BYTES: Cell<usize> = const { Cell::new(0) };
}

fn record_allocation(size: usize) {
    let _ = LIVE_BYTES.try_with(|live| {
        let now = live.get().saturating_add(size);
        live.set(now);
        let _ = PEAK_BYTES.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn record_release(size: usize) {
    let _ = LIVE_BYTES.try_with(|live| live.set(live.get().saturating_sub(size)));
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counters are
// thread-local cells with constant initializers, which neither allocate nor panic.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record_allocation(layout.size());
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record_allocation(layout.size());
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        record_release(layout.size());
        // SAFETY: `pointer` was allocated by `System` with `layout`.
        unsafe { System.dealloc(pointer, layout) }
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record_allocation(new_size);
        record_release(layout.size());
        // SAFETY: `pointer` was allocated by `System` with `layout`.
        unsafe { System.realloc(pointer, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` and returns its result with the peak bytes allocated (and still live) during it.
fn measured<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE_BYTES.with(Cell::get);
    PEAK_BYTES.with(|peak| peak.set(base));
    let result = f();
    (result, PEAK_BYTES.with(Cell::get).saturating_sub(base))
}

/// What a call may allocate for an input of `len` bytes: a fixed allowance (a time zone's
/// tables, a hash table's first growth) plus a generous multiple of the input.
fn allocation_budget(len: usize) -> usize {
    (32 << 20) + 512 * len
}

// ---------------------------------------------------------------------------------------------
// Random numbers (SplitMix64: deterministic, no dependency).
// ---------------------------------------------------------------------------------------------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn pick_ref<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Cases per reader, seed, and the time budget per target (seconds; none by default).
fn settings() -> (usize, u64, Option<f64>) {
    let read = |name: &str| std::env::var(name).ok();
    let cases = read("CRM_FUZZ_CASES")
        .and_then(|text| text.parse().ok())
        .unwrap_or(300);
    let seed = read("CRM_FUZZ_SEED")
        .and_then(|text| text.parse().ok())
        .unwrap_or(0x00c0_ffee);
    let seconds = read("CRM_FUZZ_SECONDS").and_then(|text| text.parse().ok());
    (cases, seed, seconds)
}

// ---------------------------------------------------------------------------------------------
// Mutations.
// ---------------------------------------------------------------------------------------------

/// Hostile JSON numbers.
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "2",
    "255",
    "256",
    "-129",
    "2147483647",
    "2147483648",
    "-2147483649",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "1e30",
    "-1e30",
    "1e308",
    "1e309",
    "-1e999",
    "1e-320",
    "4.9e-324",
    "0.5",
    "1.0000000000000002",
    "123456789012345678901234567890.123456789",
    "79228162514264337593543950336",
    "0.0000000000000000000000000001",
    "0.00000000000000000000000000001",
    "NaN",
    "Infinity",
    "-Infinity",
    "nan",
    "1e",
    "--1",
    "0x10",
    "01",
];

/// Hostile JSON strings and fragments.
const FRAGMENTS: &[&str] = &[
    "\"\"",
    "\" \"",
    "null",
    "true",
    "[]",
    "{}",
    "[[[[[[[[",
    "]]]]",
    "{\"a\":",
    ",",
    ":",
    "\"",
    "\\",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\"\u{00e9}t\u{00e9}\"",
    "\"\u{1F600}\"",
    "\"version\":2,",
    "\"version\":0,",
    "\"version\":1,",
    "\"fit\":null,",
    "\"x\":1,",
    "\"NaN\"",
    "\"Infinity\"",
    "\"-Infinity\"",
    "\"1e30\"",
    "\"-1\"",
    "\"0\"",
    "\"99999999999999999999999999999999\"",
    "\"infinity\"",
    "\"-infinity\"",
    "\"294276-12-31 23:59:59.999999+00\"",
    "\"294277-01-01 00:00:00+00\"",
    "\"4714-11-24 00:00:00+00 BC\"",
    "\"4714-11-23 00:00:00+00 BC\"",
    "\"2024-02-30\"",
    "\"2024-02-29\"",
    "\"0000-01-01\"",
    "\"5874897-12-31\"",
    "\"2025-01-02\"",
    "\"Mon-Sun 00:00-24:00\"",
    "\"Mon 09:00-27:00\"",
    "\"Sun 23:00-01:00\"",
    "\"Mars/Base\"",
    "\"Europe/Berlin\"",
    "\"UTC\"",
    "\"text\"",
    "\"uuid\"",
    "\"bigint\"",
    "\"month\"",
    "\"day\"",
    "\"year\"",
    "\"business\"",
    "\"elapsed\"",
    "\"00000000-0000-0000-0000-000000000000\"",
    "\"ffffffff-ffff-ffff-ffff-ffffffffffff\"",
];

/// Interesting single bytes.
const BYTES: &[u8] = &[0, 1, 2, 0x3f, 0x40, 0x7f, 0x80, 0x81, 0xfe, 0xff];

/// Appends `count` repetitions of `part` joined by `separator` (huge arrays).
fn repeated(part: &str, separator: &str, count: usize) -> String {
    let mut text = String::with_capacity((part.len() + separator.len()) * count);
    for n in 0..count {
        if n > 0 {
            text.push_str(separator);
        }
        text.push_str(part);
    }
    text
}

/// Character boundary at or before `at`.
fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A random range `start..end` of `text` on character boundaries.
fn text_range(rng: &mut Rng, text: &str) -> (usize, usize) {
    let start = boundary(text, rng.below(text.len() + 1));
    let end = boundary(text, start + rng.below(text.len() - start + 1));
    (start, end)
}

/// Spans of JSON scalar tokens (numbers and strings) in `text`.
fn scalar_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => {
                let mut end = at + 1;
                while end < bytes.len() && bytes[end] != b'"' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                let end = (end + 1).min(bytes.len());
                spans.push((at, end));
                at = end;
            }
            b'-' | b'0'..=b'9' => {
                let mut end = at + 1;
                while end < bytes.len()
                    && matches!(bytes[end], b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')
                {
                    end += 1;
                }
                spans.push((at, end));
                at = end;
            }
            _ => at += 1,
        }
    }
    spans
}

/// Random junk JSON of bounded depth.
fn junk_json(rng: &mut Rng, depth: usize, out: &mut String) {
    match rng.below(if depth == 0 { 3 } else { 6 }) {
        0 => out.push_str(rng.pick(NUMBERS)),
        1 => out.push_str(rng.pick(FRAGMENTS)),
        2 => out.push_str(rng.pick(&["null", "true", "false", "\"a\""])),
        3 | 4 => {
            out.push('[');
            for n in 0..rng.below(5) {
                if n > 0 {
                    out.push(',');
                }
                junk_json(rng, depth - 1, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            for n in 0..rng.below(5) {
                if n > 0 {
                    out.push(',');
                }
                out.push_str(rng.pick(&[
                    "\"version\"",
                    "\"customers\"",
                    "\"spans\"",
                    "\"fit\"",
                    "\"hours\"",
                    "\"time_zone\"",
                    "\"holidays\"",
                    "\"promoters\"",
                    "\"key\"",
                    "\"period\"",
                    "\"won\"",
                    "\"r\"",
                    "\"alpha\"",
                    "\"x\"",
                ]));
                out.push(':');
                junk_json(rng, depth - 1, out);
            }
            out.push('}');
        }
    }
}

/// One hostile text derived from the seeds.
fn mutated_text(rng: &mut Rng, seeds: &[String]) -> String {
    match rng.below(12) {
        0 => {
            // Random bytes, read as UTF-8 lossily.
            let bytes: Vec<u8> = (0..rng.below(64)).map(|_| rng.next() as u8).collect();
            return String::from_utf8_lossy(&bytes).into_owned();
        }
        1 => {
            let mut text = String::new();
            junk_json(rng, 4, &mut text);
            return text;
        }
        2 => {
            // Deep nesting, up to 100000 levels.
            let depth = rng.pick(&[10usize, 127, 128, 129, 1_000, 100_000]);
            let open = rng.pick(&["[", "{\"a\":", "{\"customers\":[", "[\"1\",["]);
            let mut text = repeated(open, "", depth);
            if rng.chance(2) {
                text.push_str(&repeated("]", "", depth));
            }
            return text;
        }
        3 => {
            // A huge array: one element of a seed's array repeated many times.
            let seed = rng.pick_ref(seeds);
            // 100000 elements take a second or two in a debug build: rarer.
            let count = if rng.chance(8) {
                100_000
            } else {
                rng.pick(&[1_000usize, 10_000])
            };
            if let (Some(open), Some(close)) = (seed.find("[["), seed.rfind("]]")) {
                if open + 1 < close + 1 {
                    let element = &seed[open + 1..close + 1];
                    return format!(
                        "{}{}{}",
                        &seed[..open + 1],
                        repeated(element, ",", count),
                        &seed[close + 1..]
                    );
                }
            }
            return format!("[{}]", repeated("1", ",", count));
        }
        _ => {}
    }
    let mut text = rng.pick_ref(seeds).clone();
    for _ in 0..1 + rng.below(4) {
        match rng.below(9) {
            0 if !text.is_empty() => {
                // Flip a bit.
                let mut bytes = text.into_bytes();
                let at = rng.below(bytes.len());
                bytes[at] ^= 1 << rng.below(8);
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
            1 => {
                let (start, end) = text_range(rng, &text);
                text.replace_range(start..end, "");
            }
            2 => {
                let at = boundary(&text, rng.below(text.len() + 1));
                let token = if rng.chance(2) {
                    rng.pick(NUMBERS)
                } else {
                    rng.pick(FRAGMENTS)
                };
                text.insert_str(at, token);
            }
            3 | 4 => {
                // Replace a number or a string by a hostile one.
                let spans = scalar_spans(&text);
                if !spans.is_empty() {
                    let (start, end) = rng.pick(&spans);
                    let token = if rng.chance(2) {
                        rng.pick(NUMBERS)
                    } else {
                        rng.pick(FRAGMENTS)
                    };
                    text.replace_range(start..end, token);
                }
            }
            5 => {
                let at = boundary(&text, rng.below(text.len() + 1));
                text.truncate(at);
            }
            6 => {
                // Repeat a fragment (duplicate keys and elements).
                let (start, end) = text_range(rng, &text);
                let fragment = text[start..end].to_owned();
                text.insert_str(end, &fragment);
            }
            7 => {
                // Splice in a fragment of another seed.
                let other = rng.pick_ref(seeds).clone();
                let (start, end) = text_range(rng, &other);
                let at = boundary(&text, rng.below(text.len() + 1));
                text.insert_str(at, &other[start..end]);
            }
            _ => {
                // Trailing garbage or leading blanks.
                if rng.chance(2) {
                    text.push_str(rng.pick(&["x", " ", "}", ",{}", "\u{0}", "]"]));
                } else {
                    text.insert_str(0, rng.pick(&[" ", "\n", "\t", "\u{feff}"]));
                }
            }
        }
    }
    text
}

/// A LEB128 varint of `value`.
fn varint(mut value: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    while value >= 0x80 {
        bytes.push((value as u8) | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
    bytes
}

/// One hostile byte string derived from the seeds.
fn mutated_bytes(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    if rng.chance(10) {
        let mut bytes: Vec<u8> = (0..rng.below(48)).map(|_| rng.next() as u8).collect();
        if let (Some(first), Some(seed)) = (bytes.first_mut(), seeds.first()) {
            *first = seed.first().copied().unwrap_or(1);
        }
        return bytes;
    }
    let mut bytes = rng.pick_ref(seeds).clone();
    for _ in 0..1 + rng.below(4) {
        let len = bytes.len();
        match rng.below(8) {
            0 if len > 0 => {
                let at = rng.below(len);
                bytes[at] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let at = rng.below(len);
                bytes[at] = rng.pick(BYTES);
            }
            2 => bytes.truncate(rng.below(len + 1)),
            3 => {
                // A large or huge varint somewhere (counts, lengths, deltas).
                let value = rng.pick(&[
                    0x7f,
                    0x80,
                    1 << 20,
                    1 << 31,
                    u64::from(u32::MAX),
                    1 << 62,
                    i64::MAX as u64,
                    u64::MAX,
                ]);
                let at = rng.below(len + 1);
                let encoded = varint(value);
                if rng.chance(2) && at + encoded.len() <= len {
                    bytes.splice(at..at + encoded.len(), encoded);
                } else {
                    bytes.splice(at..at, encoded);
                }
            }
            4 => {
                let at = rng.below(len + 1);
                let junk: Vec<u8> = (0..1 + rng.below(8)).map(|_| rng.next() as u8).collect();
                bytes.splice(at..at, junk);
            }
            5 if len > 0 => {
                let start = rng.below(len);
                let end = start + rng.below(len - start + 1);
                bytes.drain(start..end);
            }
            6 if len > 0 => {
                let start = rng.below(len);
                let end = start + rng.below(len - start + 1);
                let fragment = bytes[start..end].to_vec();
                bytes.splice(end..end, fragment);
            }
            _ => {
                if let Some(version) = bytes.first_mut() {
                    *version = rng.pick(BYTES);
                }
            }
        }
    }
    bytes
}

// ---------------------------------------------------------------------------------------------
// Targets.
// ---------------------------------------------------------------------------------------------

/// The forms of an accepted value: text (types with a text form), binary, and a canonical form
/// that identifies the value (the binary form, except for states whose binary form follows a hash
/// table's order).
#[derive(Debug, Clone)]
struct Forms {
    text: Option<String>,
    binary: Vec<u8>,
    canonical: Vec<u8>,
}

impl Forms {
    fn same_value(&self, other: &Forms) -> bool {
        self.text == other.text && self.canonical == other.canonical
    }
}

type TextReader = Box<dyn Fn(&str) -> MetricResult<Forms>>;
type BinaryReader = Box<dyn Fn(&[u8]) -> MetricResult<Forms>>;

/// Something to feed: a text reader, a binary reader, or both (then accepted values must
/// round-trip through both forms).
struct Target {
    name: &'static str,
    text: Option<TextReader>,
    binary: Option<BinaryReader>,
    text_seeds: Vec<String>,
    binary_seeds: Vec<Vec<u8>>,
}

/// A summary or model type: text and binary forms.
fn summary_target<T: 'static>(
    name: &'static str,
    seeds: &[&str],
    from_text: fn(&str) -> MetricResult<T>,
    decode: fn(&[u8]) -> MetricResult<T>,
    to_text: fn(&mut T) -> String,
    encode: fn(&mut T) -> Vec<u8>,
) -> Target {
    let forms = move |mut value: T| {
        let binary = encode(&mut value);
        Forms {
            text: Some(to_text(&mut value)),
            canonical: binary.clone(),
            binary,
        }
    };
    let text_seeds: Vec<String> = seeds.iter().map(|seed| seed.to_string()).collect();
    let binary_seeds = text_seeds
        .iter()
        .filter_map(|seed| from_text(seed).ok())
        .map(|mut value| encode(&mut value))
        .collect::<Vec<_>>();
    assert!(!binary_seeds.is_empty(), "{name}: no seed parses");
    Target {
        name,
        text: Some(Box::new(move |text| from_text(text).map(forms))),
        binary: Some(Box::new(move |bytes| decode(bytes).map(forms))),
        text_seeds,
        binary_seeds,
    }
}

/// A parallel aggregate state: binary form only; `canonical` identifies its value.
fn state_target<T: 'static>(
    name: &'static str,
    seeds: Vec<Vec<u8>>,
    decode: fn(&[u8]) -> MetricResult<T>,
    encode: fn(&T) -> MetricResult<Vec<u8>>,
    canonical: fn(&T) -> MetricResult<Vec<u8>>,
) -> Target {
    Target {
        name,
        text: None,
        binary: Some(Box::new(move |bytes| {
            decode(bytes).map(|value| Forms {
                text: None,
                binary: encode(&value).unwrap(),
                canonical: canonical(&value).unwrap(),
            })
        })),
        text_seeds: Vec::new(),
        binary_seeds: seeds,
    }
}

/// A text parser without a stored form (options, hours, timestamps, amounts, ids).
fn parser_target(
    name: &'static str,
    seeds: &[&str],
    parse: fn(&str) -> MetricResult<()>,
) -> Target {
    Target {
        name,
        text: Some(Box::new(move |text| {
            parse(text).map(|()| Forms {
                text: None,
                binary: Vec::new(),
                canonical: Vec::new(),
            })
        })),
        binary: None,
        text_seeds: seeds.iter().map(|seed| seed.to_string()).collect(),
        binary_seeds: Vec::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// The driver.
// ---------------------------------------------------------------------------------------------

/// What went wrong with one input.
fn describe(input: &[u8]) -> String {
    let shown: Vec<u8> = input.iter().copied().take(300).collect();
    format!(
        "{:?}{} ({} bytes)",
        String::from_utf8_lossy(&shown),
        if input.len() > 300 { "..." } else { "" },
        input.len()
    )
}

/// Calls `read` on `input` under `catch_unwind` and the allocation budget.
fn guarded<I: ?Sized>(
    read: &dyn Fn(&I) -> MetricResult<Forms>,
    input: &I,
    len: usize,
) -> Result<MetricResult<Forms>, String> {
    let (outcome, peak) = measured(|| catch_unwind(AssertUnwindSafe(|| read(input))));
    let result = outcome.map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        format!("panicked: {message}")
    })?;
    if peak > allocation_budget(len) {
        return Err(format!("allocated {peak} bytes for a {len}-byte input"));
    }
    Ok(result)
}

/// An accepted value's canonical forms must read back to themselves.
fn check_round_trip(target: &Target, forms: &Forms) -> Result<(), String> {
    if let (Some(text), Some(read_text)) = (&forms.text, &target.text) {
        match guarded(read_text.as_ref(), text.as_str(), text.len())? {
            Ok(again) if again.same_value(forms) => {}
            Ok(again) => return Err(format!("canonical text reads back differently: {again:?}")),
            Err(error) => return Err(format!("canonical text {text:?} is refused: {error}")),
        }
    }
    if let Some(read_binary) = &target.binary {
        if !forms.binary.is_empty() {
            match guarded(
                read_binary.as_ref(),
                forms.binary.as_slice(),
                forms.binary.len(),
            )? {
                Ok(again) if again.same_value(forms) => {}
                Ok(again) => {
                    return Err(format!(
                        "canonical binary reads back differently: {again:?}"
                    ))
                }
                Err(error) => return Err(format!("canonical binary form is refused: {error}")),
            }
        }
    }
    Ok(())
}

/// Feeds `cases` generated inputs to each reader of `target`; panics with every finding.
fn run(target: &Target) {
    let (cases, seed, seconds) = settings();
    let mut rng = Rng(seed
        ^ target
            .name
            .bytes()
            .fold(0u64, |h, b| h.rotate_left(5) ^ u64::from(b)));
    let started = Instant::now();
    let out_of_time = || seconds.is_some_and(|budget| started.elapsed().as_secs_f64() > budget);
    let mut findings = Vec::new();
    let (mut accepted, mut refused) = (0usize, 0usize);
    let mut note = |input: &[u8], outcome: Result<Option<Forms>, String>| match outcome {
        Ok(Some(forms)) => match check_round_trip(target, &forms) {
            Ok(()) => accepted += 1,
            Err(problem) => findings.push(format!("{problem}; input {}", describe(input))),
        },
        Ok(None) => refused += 1,
        Err(problem) => findings.push(format!("{problem}; input {}", describe(input))),
    };
    // The seeds themselves, then generated texts and byte strings in turn.
    if let Some(read_text) = &target.text {
        for text in &target.text_seeds {
            let outcome = guarded(read_text.as_ref(), text.as_str(), text.len()).map(Result::ok);
            note(text.as_bytes(), outcome);
        }
    }
    for _ in 0..cases {
        if out_of_time() {
            break;
        }
        if let Some(read_text) = &target.text {
            let text = mutated_text(&mut rng, &target.text_seeds);
            let outcome = guarded(read_text.as_ref(), text.as_str(), text.len()).map(Result::ok);
            note(text.as_bytes(), outcome);
        }
        if let Some(read_binary) = &target.binary {
            let bytes = mutated_bytes(&mut rng, &target.binary_seeds);
            let outcome =
                guarded(read_binary.as_ref(), bytes.as_slice(), bytes.len()).map(Result::ok);
            note(&bytes, outcome);
        }
    }
    eprintln!(
        "fuzz {}: {} inputs ({accepted} accepted, {refused} refused) in {:.1} s, seed {seed}",
        target.name,
        accepted + refused + findings.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        findings.is_empty(),
        "fuzz {} (seed {seed}): {} finding(s):\n{}",
        target.name,
        findings.len(),
        findings[..findings.len().min(20)].join("\n")
    );
}

mod targets {
    use super::*;
    use crate::clv::state::bgbb::BgBbModel;
    use crate::clv::state::bgnbd::BgNbdModel;
    use crate::clv::state::gamma_gamma::GammaGammaModel;
    use crate::clv::state::holdout::HoldoutState;
    use crate::clv::state::purchases::PurchaseDays;
    use crate::clv::state::rows::WeightedRows;
    use crate::clv::state::sbg::SbgModel;
    use crate::clv::state::simple::RfmState;
    use crate::cohorts::state::{CohortSummary, RetentionMode};
    use crate::common::civil::{format_timestamp, parse_timestamp};
    use crate::common::keys::{parse_key, KeyKind};
    use crate::common::money::decimal_from_text;
    use crate::common::periods::Period;
    use crate::common::tz::Zone;
    use crate::customers::state::{CustomerRow, CustomerSummary, PeriodState};
    use crate::funnels::state::{FunnelState, FunnelSummary};
    use crate::pipeline::state::PipelineSummary;
    use crate::ratios::state::ShareCounts;
    use crate::revenue::state::MrrSummary;
    use crate::service::state::calendar::{parse_hours, Calendar};
    use crate::service::state::tickets::ServiceSummary;
    use crate::survey::state::{CsatCounts, NpsCounts};
    use crate::survival::state::SurvivalSummary;

    /// Zones of calendars in plain Rust: UTC only (the others need Postgres's zone data).
    fn utc_only(name: &str) -> MetricResult<Zone> {
        if name == "UTC" {
            Ok(Zone::utc())
        } else {
            Err(MetricError::InvalidParameter(format!(
                "unknown time zone '{name}'"
            )))
        }
    }

    #[test]
    fn nps_summary() {
        run(&summary_target(
            "crm.nps_summary",
            &[
                r#"{"promoters":0,"passives":0,"detractors":0}"#,
                r#"{"promoters":250,"passives":675,"detractors":75}"#,
                r#"{"detractors":0,"passives":1,"promoters":2}"#,
                r#"{"promoters":4611686018427387903,"passives":0,"detractors":0}"#,
            ],
            NpsCounts::from_text,
            NpsCounts::decode,
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn customer_summary() {
        run(&summary_target(
            "crm.customer_summary",
            &[
                r#"{"version":1,"customers":0,"spans":[]}"#,
                r#"{"version":1,"customers":2,"spans":[["2024-01-01 00:00:00+00",null,2]]}"#,
                r#"{"version":1,"customers":3,"spans":[["2024-01-01 00:00:00+00","2024-02-01 00:00:00+00",1],["2023-05-01 12:30:00+00",null,2]]}"#,
                r#"{"version":1,"customers":1,"spans":[["4714-11-24 00:00:00+00 BC","294276-12-31 23:59:59.999999+00",1]]}"#,
                r#"{"version":1,"customers":4611686018427387903,"spans":[["2025-01-01 00:00:00+00",null,4611686018427387903]]}"#,
            ],
            CustomerSummary::from_text,
            // crm.churn_series reads the binary form in place: it must accept what decode
            // accepts and answer the same.
            |bytes| {
                let decoded = CustomerSummary::decode(bytes);
                let periods = [(-86_400_000_000, 0), (0, 2_678_400_000_000)];
                let in_place = CustomerSummary::periods_of_binary("fuzz", bytes, &periods);
                let expected = decoded
                    .clone()
                    .and_then(|mut s| s.periods("fuzz", &periods));
                assert_eq!(
                    in_place, expected,
                    "periods read in place differ from decode"
                );
                decoded
            },
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn cohort_summary() {
        run(&summary_target(
            "crm.cohort_summary",
            &[
                r#"{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[]}"#,
                r#"{"version":1,"period":"month","time_zone":"UTC","key":"bigint","customers":[["42",[289]],["7",[291]]]}"#,
                r#"{"version":1,"period":"day","time_zone":"Europe/Berlin","key":"text","customers":[["a",[9000,9001,9100,9500]],["b",[9003]]]}"#,
                r#"{"version":1,"period":"week","time_zone":"UTC","key":"uuid","customers":[["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",[1300,1301,1500]]]}"#,
                r#"{"version":1,"period":"year","time_zone":"America/New_York","key":"bigint","customers":[["-5",[20,21,90]]]}"#,
            ],
            CohortSummary::from_text,
            // crm.cohort_retention reads the binary form in place: it must accept what decode
            // accepts and answer the same.
            |bytes| {
                let decoded = CohortSummary::decode(bytes);
                let in_place = CohortSummary::retention_of_binary(bytes, 1 << 16);
                match (&decoded, in_place) {
                    (Ok(summary), Ok(Ok(table))) => assert_eq!(
                        table.rows(RetentionMode::Unbounded),
                        summary.retention(RetentionMode::Unbounded)
                    ),
                    (Ok(summary), Ok(Err(rows))) => {
                        assert_eq!(rows, summary.retention_row_count())
                    }
                    (Err(error), Err(other)) => assert_eq!(error, &other),
                    _ => panic!("the in-place retention and decode disagree"),
                }
                decoded
            },
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn bgnbd_model() {
        run(&summary_target(
            "crm.bgnbd_model",
            &[
                r#"{"r":0.243,"alpha":4.414,"a":0.793,"b":2.426,"fit":null}"#,
                r#"{"r":0.2425945,"alpha":4.4135,"a":0.7929,"b":2.4259,"fit":{"log_likelihood":-9582.43,"customers":2357,"distinct_rows":1200,"iterations":150,"gradient_norm":0.0001}}"#,
                r#"{"r":0.2425945,"alpha":4.4135,"a":0.7929,"b":2.4259,"fit":{"log_likelihood":-9582.43,"customers":2357,"distinct_rows":1200,"iterations":150,"gradient_norm":0.0001,"penalizer":0.01,"std_errors":[0.0126,0.378,0.186,0.705]}}"#,
                r#"{"model":"mbg_nbd","r":0.525,"alpha":6.183,"a":0.891,"b":1.614,"fit":null}"#,
                r#"{"model":"mbg_nbd","r":0.525,"alpha":6.183,"a":0.891,"b":1.614,"fit":{"log_likelihood":-9582.1,"customers":2357,"distinct_rows":1200,"iterations":30,"gradient_norm":0}}"#,
                r#"{"model":"mbg_nbd","r":0.525,"alpha":6.183,"a":0.891,"b":1.614,"fit":{"log_likelihood":-9582.1,"customers":2357,"distinct_rows":1200,"iterations":30,"gradient_norm":0,"converged":false,"penalizer":0.5,"std_errors":[0.083,0.696,0.155,0.537]}}"#,
                r#"{"model":"pareto_nbd","r":0.553,"alpha":10.58,"s":0.606,"beta":11.67,"fit":null}"#,
                r#"{"model":"pareto_nbd","r":0.553,"alpha":10.58,"s":0.606,"beta":11.67,"fit":{"log_likelihood":-9594.97,"customers":2357,"distinct_rows":1016,"iterations":29,"gradient_norm":0,"penalizer":0.01,"std_errors":[0.048,0.843,0.187,6.211]}}"#,
            ],
            BgNbdModel::from_text,
            BgNbdModel::decode,
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn gamma_gamma_model() {
        run(&summary_target(
            "crm.gamma_gamma_model",
            &[
                r#"{"p":6.25,"q":3.74,"v":15.44,"fit":null}"#,
                r#"{"p":6.25,"q":3.74,"v":15.44,"fit":{"log_likelihood":-4000.5,"customers":946,"distinct_rows":900,"iterations":80,"gradient_norm":0}}"#,
                r#"{"p":6.25,"q":3.74,"v":15.44,"fit":{"log_likelihood":-4000.5,"customers":946,"distinct_rows":900,"iterations":80,"gradient_norm":0,"std_errors":[1.19,0.29,4.16]}}"#,
            ],
            GammaGammaModel::from_text,
            GammaGammaModel::decode,
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn sbg_model() {
        run(&summary_target(
            "crm.sbg_model",
            &[
                r#"{"alpha":0.704,"beta":1.182,"fit":null}"#,
                r#"{"alpha":2,"beta":3,"fit":{"log_likelihood":-10.5,"customers":4,"distinct_rows":2,"iterations":7,"gradient_norm":0}}"#,
                r#"{"alpha":2,"beta":3,"fit":{"log_likelihood":-10.5,"customers":4,"distinct_rows":2,"iterations":7,"gradient_norm":0,"std_errors":[0.5,0.75]}}"#,
            ],
            SbgModel::from_text,
            SbgModel::decode,
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn bgbb_model() {
        run(&summary_target(
            "crm.bgbb_model",
            &[
                r#"{"alpha":1.2,"beta":0.75,"gamma":0.66,"delta":2.8,"fit":null}"#,
                r#"{"alpha":1.2,"beta":0.75,"gamma":0.66,"delta":2.8,"fit":{"log_likelihood":-33225.58,"customers":11104,"distinct_rows":22,"iterations":24,"gradient_norm":0,"penalizer":0.01}}"#,
            ],
            BgBbModel::from_text,
            BgBbModel::decode,
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn pipeline_summary() {
        run(&summary_target(
            "crm.pipeline_summary",
            &[
                r#"{"won":1,"lost":1,"open":1,"won_value":"10000.00","open_value":"800","won_cycle_microseconds":2678400000000}"#,
                r#"{"won":0,"lost":0,"open":0,"won_value":"0","open_value":"0","won_cycle_microseconds":0}"#,
                r#"{"won":19794,"lost":59382,"open":19794,"won_value":"141451498.96","open_value":"141380783.57","won_cycle_microseconds":93303705600000000}"#,
            ],
            PipelineSummary::from_text,
            PipelineSummary::decode,
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn mrr_summary() {
        run(&summary_target(
            "crm.mrr_summary",
            &[
                r#"{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-01-01","customers":[]}"#,
                r#"{"version":1,"key":"bigint","first_month":"2025-01-01","last_month":"2025-02-01","customers":[["5",[["2025-01-01","20"]]],["7",[["2025-02-01","10.00"]]]]}"#,
                r#"{"version":1,"key":"text","first_month":"2024-11-01","last_month":"2025-03-01","customers":[["acme",[["2024-11-01","99.5"],["2025-01-01","120"]]],["b",[["2025-03-01","0.01"]]]]}"#,
                r#"{"version":1,"key":"bigint","first_month":null,"last_month":null,"customers":[]}"#,
            ],
            MrrSummary::from_text,
            MrrSummary::decode,
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn funnel_state() {
        run(&summary_target(
            "crm.funnel_state",
            &[
                r#"{"version":1,"window_us":null,"mode":null,"events":[]}"#,
                r#"{"version":1,"window_us":86400000000,"mode":"ordered","events":[["2025-01-01 00:00:00+00",1],["2025-01-01 10:00:00+00",2]]}"#,
                r#"{"version":1,"window_us":1,"mode":"strict_order","events":[["2025-01-01 00:00:00+00",0],["4714-11-24 00:00:00+00 BC",32]]}"#,
            ],
            FunnelState::from_text,
            FunnelState::decode,
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn funnel_summary() {
        run(&summary_target(
            "crm.funnel_summary",
            &[
                r#"{"version":1,"key":"bigint","window_us":null,"mode":null,"steps":0,"events":[],"entities":[]}"#,
                r#"{"version":1,"key":"bigint","window_us":86400000000,"mode":"ordered","steps":3,"events":[],"entities":[["42",[0,3600000000]],["7",[0]]]}"#,
                r#"{"version":1,"key":"uuid","window_us":100,"mode":"strict_increase","steps":2,"events":[["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","2025-01-01 00:00:00+00",2]],"entities":[]}"#,
                r#"{"version":1,"key":"text","window_us":100,"mode":"strict_order","steps":1,"events":[["0123456789abcdef0123456789abcdef","2025-01-01 00:00:00+00",0]],"entities":[["0123456789abcdef0123456789abcdee",[0]]]}"#,
                // Finished summaries, as the final functions return them: crm.funnel_steps
                // reads these in one pass.
                r#"{"version":1,"key":"bigint","window_us":86400000000,"mode":"strict_increase","steps":3,"events":[],"entities":[["3",[0,18000000000,21600000000]],["11",[0]],["-9",[0,1000000]]]}"#,
                r#"{"version":1,"key":"text","window_us":2592000000000,"mode":"ordered","steps":3,"events":[],"entities":[["4b2212e31ac97fd4575a0b1c44d8843f",[0,1641600000000]],["99aa06d3014798d86001c324468d497f",[0]],["a96faf705af16834e6c632b61e964e1f",[0]]]}"#,
            ],
            FunnelSummary::from_text,
            // crm.funnel_steps reads a finished binary form in one pass: it must accept what
            // decode accepts and answer as decoding, finishing and reading it.
            |bytes| {
                let decoded = FunnelSummary::decode(bytes);
                let long_way = decoded
                    .clone()
                    .and_then(|summary| summary.into_finished("fuzz"))
                    .and_then(|summary| summary.step_rows("fuzz"));
                assert_eq!(
                    FunnelSummary::step_rows_of_binary("fuzz", bytes),
                    long_way,
                    "the one-pass step rows differ from decode"
                );
                decoded
            },
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn service_summary() {
        run(&summary_target(
            "crm.service_summary",
            &[
                r#"{"version":1,"time":"elapsed","tickets":1,"reopened":0,"first_contact_resolved":0,"first_response_us":[],"resolution_us":[]}"#,
                r#"{"version":1,"time":"elapsed","tickets":3,"reopened":0,"first_contact_resolved":1,"first_response_us":[1,2,3],"resolution_us":[4]}"#,
                r#"{"version":1,"time":"business","tickets":2,"reopened":1,"first_contact_resolved":0,"first_response_us":[5],"resolution_us":[7200000000]}"#,
            ],
            ServiceSummary::from_text,
            ServiceSummary::decode,
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn survival_summary() {
        run(&summary_target(
            "crm.survival_summary",
            &[
                r#"{"version":1,"durations":[]}"#,
                r#"{"version":1,"durations":[[86400000000,2,1],[172800000000,0,3]]}"#,
                r#"{"version":1,"durations":[[1,1,0],[9223372036854775807,0,1]]}"#,
                r#"{"version":1,"durations":[[5,4611686018427387903,4611686018427387904]]}"#,
            ],
            SurvivalSummary::from_text,
            SurvivalSummary::decode,
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn business_calendar() {
        run(&summary_target(
            "crm.business_calendar",
            &[
                r#"{"hours":"Mon-Fri 09:00-17:00","time_zone":"UTC","holidays":[]}"#,
                r#"{"hours":"","time_zone":"UTC","holidays":[]}"#,
                r#"{"hours":"Mon-Fri 09:00-12:00, 13:00-17:30; Sat 22:00-02:00","time_zone":"UTC","holidays":["2026-01-01","2026-12-25"]}"#,
                r#"{"hours":"Mon-Sun 00:00-24:00","time_zone":"UTC","holidays":["2016-11-24","2016-12-26"]}"#,
            ],
            |text| Calendar::from_text(text, utc_only),
            |bytes| Calendar::decode(bytes, utc_only),
            |value| value.to_text().unwrap(),
            |value| value.encode().unwrap(),
        ));
    }

    #[test]
    fn business_calendar_hours_literal() {
        // A bare hours text is a UTC calendar (the one-argument constructor read as a cast).
        run(&parser_target(
            "crm.business_calendar (hours text)",
            &[
                "Mon-Fri 09:00-17:00",
                "Mon-Fri 09:00-12:00, 13:00-17:30; Sat 22:00-02:00",
                "Mon,Wed 08:00-09:00; Tue 08:00-10:00",
                "Mon-Sun 00:00-24:00",
                "",
            ],
            |text| {
                if text.trim_start().starts_with('{') {
                    return Ok(());
                }
                // As `StoredCalendar::from_text` reads it (that type's zones need Postgres).
                let calendar = Calendar::new("crm.business_calendar", text, Zone::utc(), &[])?;
                // What the type stores reads back.
                let again = Calendar::decode(&calendar.encode().unwrap(), utc_only)?;
                assert_eq!(again, calendar, "hours text {text:?}");
                Ok(())
            },
        ));
    }

    #[test]
    fn aggregate_states() {
        let mut csat = CsatCounts::default();
        let _ = csat.try_add(5) && csat.try_add(2);
        run(&state_target(
            "crm.csat state",
            vec![
                CsatCounts::default().encode().unwrap(),
                csat.encode().unwrap(),
            ],
            CsatCounts::decode,
            CsatCounts::encode,
            CsatCounts::encode,
        ));
        // A state with rows carries their period (the form's version 2).
        let mut period = PeriodState::default();
        period
            .add(
                "crm.churn_rate",
                CustomerRow {
                    started_at: 0,
                    ended_at: Some(2_000_000),
                    period_start: 1_000_000,
                    period_end: 3_000_000,
                },
                None,
            )
            .unwrap();
        run(&state_target(
            "crm.retention_rate/churn_rate state",
            vec![
                PeriodState::default().encode().unwrap(),
                period.encode().unwrap(),
            ],
            PeriodState::decode,
            PeriodState::encode,
            PeriodState::encode,
        ));
        run(&state_target(
            "crm.rfm_agg state",
            vec![RfmState::default().encode().unwrap()],
            RfmState::decode,
            RfmState::encode,
            RfmState::encode,
        ));
        run(&state_target(
            "crm.rfm_holdout_agg state",
            vec![HoldoutState::default().encode().unwrap()],
            HoldoutState::decode,
            HoldoutState::encode,
            HoldoutState::encode,
        ));
        // The purchases table of the fits: a small customer key and a day near 2000-01-01
        // take two bytes a pair.
        let mut purchases = PurchaseDays::default();
        for (key, day) in [(7, 0), (7, 1), (300, 9000)] {
            let at = day * 86_400_000_000;
            purchases
                .add("fuzz", KeyKind::BigInt, key, at, 10_000 * 86_400_000_000, 1)
                .unwrap();
        }
        run(&state_target(
            "crm.*_fit purchases state",
            vec![
                PurchaseDays::default().encode().unwrap(),
                purchases.encode().unwrap(),
            ],
            PurchaseDays::decode,
            PurchaseDays::encode,
            PurchaseDays::encode,
        ));
        run(&state_target(
            "crm.*_fit state",
            vec![WeightedRows::default().encode().unwrap()],
            WeightedRows::decode,
            WeightedRows::encode,
            WeightedRows::encode,
        ));
        run(&state_target(
            "crm.win_rate/renewal_rate state",
            vec![ShareCounts::default().encode().unwrap()],
            ShareCounts::decode,
            ShareCounts::encode,
            ShareCounts::encode,
        ));
    }

    #[test]
    fn text_parsers() {
        run(&parser_target(
            "business hours",
            &[
                "Mon-Fri 09:00-17:00",
                "Sat 22:00-02:00; Sun 10:00-11:00",
                "Mon 00:00-24:00",
            ],
            |text| parse_hours("crm.business_calendar", text).map(|_| ()),
        ));
        run(&parser_target(
            "timestamp text",
            &[
                "2024-01-01 00:00:00+00",
                "4714-11-24 00:00:00+00 BC",
                "294276-12-31 23:59:59.999999+00",
                "2024-02-29 12:30:00.5+00",
            ],
            |text| {
                // What is read prints back as the same instant.
                if let Some(value) = parse_timestamp(text) {
                    assert_eq!(
                        parse_timestamp(&format_timestamp(value)),
                        Some(value),
                        "{text:?}"
                    );
                }
                Ok(())
            },
        ));
        run(&parser_target(
            "numeric text",
            &[
                "0",
                "10000.00",
                "-1.5",
                "79228162514264337593543950335",
                "NaN",
                "1e30",
            ],
            |text| decimal_from_text("crm.test", "amount", text).map(|_| ()),
        ));
        run(&parser_target(
            "customer id text",
            &[
                "42",
                "-9223372036854775808",
                "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                "caf\u{e9}",
            ],
            |text| {
                for kind in KeyKind::ALL {
                    let _ = parse_key(kind, text);
                }
                Ok(())
            },
        ));
        run(&parser_target(
            "period and time zone names",
            &[
                "month",
                "Week",
                "UTC",
                "Europe/Berlin",
                "America/New_York",
                "Etc/GMT+5",
            ],
            |text| {
                let _ = Period::parse("crm.test", text);
                Zone::parse("crm.test", text).map(|_| ())
            },
        ));
    }
}
