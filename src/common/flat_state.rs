//! The plain-old-data side of fixed-size aggregate states ("flat" states, changed in place
//! per row by the glue in [`super::flat`]): the [`FlatState`] trait a family implements, the
//! layout of the working form, and reading either binary form of a state from its bytes.
//!
//! A flat state has two binary forms: the canonical form (the type's stored form, a versioned
//! varint encoding from [`super::codec`]) and the working form of an aggregate state:
//! [`WORKING_TAG`], the type's [`FlatState::KIND`], two padding bytes and the state's
//! plain-old-data struct, at [`WORKING_OFFSET`] from the start of the varlena so the struct is
//! 8-byte aligned. [`decode_any`] accepts both and validates what it reads.
use super::error::{MetricError, MetricResult};

/// First payload byte of the working form. Canonical forms start with a small format
/// version, so the two cannot be confused.
pub const WORKING_TAG: u8 = 0xF0;

/// Offset of the state's struct in a working varlena: the 4-byte header, the tag and three
/// padding bytes, so the struct is 8-byte aligned in a `palloc`'d value.
pub const WORKING_OFFSET: usize = 8;

/// Bytes of the 4-byte varlena header before the payload (Postgres's `VARHDRSZ`).
pub const HEADER_BYTES: usize = 4;

/// A fixed-size aggregate state stored as a varlena SQL type of the extension.
///
/// The state is plain old data by its `bytemuck::Pod` bound (derive it with
/// `bytemuck::Zeroable`: the derive checks `#[repr(C)]`, no padding and only `Pod` fields), so
/// every byte pattern of `size_of::<Self>()` bytes is a value, which [`FlatState::validate`]
/// then checks. The working form also needs an alignment of at most 8, which
/// [`assert_working_layout`] checks at compile time.
pub trait FlatState: bytemuck::Pod + Default {
    /// The type's byte in the working form (after [`WORKING_TAG`]), listed in `crate::FLAT_TYPES`.
    const KIND: u8;
    /// The SQL type (`crm.nps_summary`), which errors about the value name.
    const TYPE_NAME: &'static str;

    /// Checks a state read from a working form that did not come from this backend (a
    /// parallel worker, a binary `COPY`): counts within range, parts within wholes.
    fn validate(self) -> MetricResult<Self>;

    /// The canonical binary form (the type's stored form); 53200 when its buffer cannot be
    /// allocated.
    fn encode_canonical(&self) -> MetricResult<Vec<u8>>;

    /// Reads the canonical binary form, validating it.
    fn decode_canonical(bytes: &[u8]) -> MetricResult<Self>;
}

/// Turns a working form of one flat state type into its canonical form.
pub type Canonicalize = fn(&[u8]) -> MetricResult<Vec<u8>>;

/// The canonical form of a working form of `T`.
pub fn canonical_of<T: FlatState>(bytes: &[u8]) -> MetricResult<Vec<u8>> {
    decode_any::<T>(bytes)?.encode_canonical()
}

/// Fails the build for a state type whose alignment exceeds the 8 bytes the working form
/// gives the struct (a `palloc`'d varlena is MAXALIGN'd and the struct sits at offset 8).
#[inline(always)]
pub const fn assert_working_layout<T: FlatState>() {
    const {
        assert!(
            std::mem::align_of::<T>() <= WORKING_OFFSET,
            "a flat state must have an alignment of at most 8"
        )
    }
}

/// Payload bytes (after the 4-byte header) of the working form of `T`.
const fn working_payload_len<T>() -> usize {
    WORKING_OFFSET - HEADER_BYTES + std::mem::size_of::<T>()
}

/// Whether `bytes` (a varlena's payload) has the length and tag of a working form of `T`.
pub fn is_working_payload<T: FlatState>(bytes: &[u8]) -> bool {
    bytes.len() == working_payload_len::<T>() && bytes.first() == Some(&WORKING_TAG)
}

/// Reads a state from the payload of a varlena of its type, working or canonical form.
pub fn decode_any<T: FlatState>(bytes: &[u8]) -> MetricResult<T> {
    if is_working_payload::<T>(bytes) {
        // The struct is the last `size_of::<T>()` bytes (length checked); any bytes are a `T`.
        bytes
            .get(WORKING_OFFSET - HEADER_BYTES..)
            .and_then(|raw| bytemuck::try_pod_read_unaligned::<T>(raw).ok())
            .ok_or_else(|| {
                MetricError::InvalidBinary(format!(
                    "{}: malformed working form of an aggregate state",
                    T::TYPE_NAME
                ))
            })?
            .validate()
    } else {
        T::decode_canonical(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Copy, Default, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
    #[repr(C)]
    struct Pair {
        part: u64,
        whole: u64,
    }

    impl FlatState for Pair {
        const KIND: u8 = 0xEE;
        const TYPE_NAME: &'static str = "pair";
        fn validate(self) -> MetricResult<Self> {
            if self.part <= self.whole {
                Ok(self)
            } else {
                Err(MetricError::InvalidBinary("part exceeds whole".into()))
            }
        }
        fn encode_canonical(&self) -> MetricResult<Vec<u8>> {
            Ok(vec![1, self.part as u8, self.whole as u8])
        }
        fn decode_canonical(bytes: &[u8]) -> MetricResult<Self> {
            match bytes {
                [1, part, whole] => Pair {
                    part: u64::from(*part),
                    whole: u64::from(*whole),
                }
                .validate(),
                _ => Err(MetricError::InvalidBinary("malformed".into())),
            }
        }
    }

    fn working_payload(pair: Pair) -> Vec<u8> {
        let mut payload = vec![WORKING_TAG, 0, 0, 0];
        payload.extend_from_slice(&pair.part.to_ne_bytes());
        payload.extend_from_slice(&pair.whole.to_ne_bytes());
        payload
    }

    #[test]
    fn both_forms_decode_and_are_validated() {
        let pair = Pair { part: 3, whole: 5 };
        assert_eq!(decode_any::<Pair>(&working_payload(pair)), Ok(pair));
        assert_eq!(
            decode_any::<Pair>(&pair.encode_canonical().unwrap()),
            Ok(pair)
        );
        let forged = Pair { part: 6, whole: 5 };
        assert!(decode_any::<Pair>(&working_payload(forged)).is_err());
        assert!(decode_any::<Pair>(&forged.encode_canonical().unwrap()).is_err());
        // A working tag with the wrong length is read as a canonical form (and refused).
        assert!(decode_any::<Pair>(&working_payload(pair)[..10]).is_err());
        assert!(decode_any::<Pair>(&[]).is_err());
    }
}
