//! The binary and text forms of a pipeline summary (`crm.pipeline_summary`).
use super::*;

impl PipelineSummary {
    pub fn encode(&self) -> MetricResult<Vec<u8>> {
        let mut writer = Writer::with_version(FORMAT_VERSION);
        writer.u64(self.won).u64(self.lost).u64(self.open);
        write_decimal(&mut writer, self.won_value);
        write_decimal(&mut writer, self.open_value);
        writer.u128(self.won_cycle_microseconds);
        writer.finish(TYPE_NAME)
    }

    /// Reads a `crm.pipeline_summary`: its canonical form or the working form of an aggregate
    /// state ([`PipelineFlat`], [`crate::common::flat_state`]).
    pub fn decode(bytes: &[u8]) -> MetricResult<Self> {
        flat_state::decode_any::<PipelineFlat>(bytes).map(|state| state.summary())
    }

    /// Reads the canonical (stored) binary form, validating it.
    pub(super) fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
        let mut reader = Reader::open(bytes, FORMAT_VERSION, TYPE_NAME)?;
        let summary = PipelineSummary {
            won: reader.u64()?,
            lost: reader.u64()?,
            open: reader.u64()?,
            won_value: read_decimal(&mut reader, TYPE_NAME)?,
            open_value: read_decimal(&mut reader, TYPE_NAME)?,
            won_cycle_microseconds: reader.u128()?,
        };
        reader.finish()?;
        summary.check_total(TYPE_NAME, MetricError::InvalidBinary)?;
        Ok(summary.zeros_without_deals())
    }

    /// Readable text form, e.g. `{"won":7,"lost":13,"open":0,"won_value":"70000",
    /// "open_value":"0","won_cycle_microseconds":54432000000000}`.
    pub fn to_text(&self) -> MetricResult<String> {
        crate::common::codec::json_text(TYPE_NAME, self)
    }

    pub fn from_text(text: &str) -> MetricResult<Self> {
        let summary: PipelineSummary = from_json_object(TYPE_NAME, text)?.map_err(|error| {
            MetricError::InvalidText(format!(
                "{TYPE_NAME}: malformed value {} ({error}); expected e.g. \
                 {{\"won\":7,\"lost\":13,\"open\":0,\"won_value\":\"70000\",\"open_value\":\"0\",\
                 \"won_cycle_microseconds\":54432000000000}}",
                crate::common::error::quoted_excerpt(text)
            ))
        })?;
        summary.check_total(TYPE_NAME, MetricError::InvalidText)?;
        Ok(summary.zeros_without_deals())
    }

    /// Without deals a value is 0, whatever scale a form gave it (`"0.00"`), as the aggregates
    /// write it: equal summaries stay equal byte for byte.
    fn zeros_without_deals(mut self) -> Self {
        if self.won == 0 {
            self.won_value = Decimal::ZERO;
        }
        if self.open == 0 {
            self.open_value = Decimal::ZERO;
        }
        self
    }
}
