//! Test-only random samplers, independent of the model code: a SplitMix64 generator, Gamma by
//! Marsaglia–Tsang, Beta from two Gammas, and exponential waiting times. Used to simulate
//! customers from known parameters and check that the fits recover them.

pub struct Random(u64);

impl Random {
    pub fn new(seed: u64) -> Self {
        Random(seed)
    }

    /// Uniform in (0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    pub fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }

    /// Gamma with shape `shape` and scale 1.
    pub fn gamma(&mut self, shape: f64) -> f64 {
        if shape < 1.0 {
            let boost = self.uniform().powf(1.0 / shape);
            return self.gamma(shape + 1.0) * boost;
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
    }

    pub fn beta(&mut self, a: f64, b: f64) -> f64 {
        let x = self.gamma(a);
        let y = self.gamma(b);
        x / (x + y)
    }

    pub fn exponential(&mut self, rate: f64) -> f64 {
        -self.uniform().ln() / rate
    }
}

/// One CDNOW customer of the 1/10th sample, computed directly from the raw fixture
/// (`tests/fixtures/CDNOW_sample.txt`, from the `lifetimes` package, MIT licence): purchase
/// days up to 1997-09-30, in weeks.
pub struct CdnowCustomer {
    pub frequency: u32,
    pub recency: f64,
    pub age: f64,
    /// Mean daily total over the repeat purchase days (0 without repeat purchases).
    pub monetary_value: f64,
}

pub fn cdnow_sample() -> Vec<CdnowCustomer> {
    use std::collections::BTreeMap;
    let raw = include_str!("../../../tests/fixtures/CDNOW_sample.txt");
    let end = chrono::NaiveDate::from_ymd_opt(1997, 9, 30).unwrap();
    let mut days: BTreeMap<u32, BTreeMap<i64, f64>> = BTreeMap::new();
    for line in raw.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let customer: u32 = fields[0].parse().unwrap();
        let date = chrono::NaiveDate::parse_from_str(fields[2], "%Y%m%d").unwrap();
        let amount: f64 = fields[4].parse().unwrap();
        if date > end {
            continue;
        }
        let day = (date - end).num_days();
        *days.entry(customer).or_default().entry(day).or_default() += amount;
    }
    days.values()
        .map(|purchases| {
            let first = *purchases.keys().next().unwrap();
            let last = *purchases.keys().next_back().unwrap();
            let repeat: Vec<f64> = purchases.values().skip(1).copied().collect();
            CdnowCustomer {
                frequency: repeat.len() as u32,
                recency: (last - first) as f64 / 7.0,
                age: -first as f64 / 7.0,
                monetary_value: if repeat.is_empty() {
                    0.0
                } else {
                    repeat.iter().sum::<f64>() / repeat.len() as f64
                },
            }
        })
        .collect()
}
