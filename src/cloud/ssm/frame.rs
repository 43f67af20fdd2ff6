//! Session Manager's binary message (the agent's `AgentMessage`), as it
//! crosses the data channel's WebSocket, big-endian:
//!
//! | bytes     | field                                                    |
//! |-----------|----------------------------------------------------------|
//! | 0..4      | header length (116: everything before the payload length) |
//! | 4..36     | message type, ASCII, space-padded                        |
//! | 36..40    | schema version                                           |
//! | 40..48    | created, epoch milliseconds                              |
//! | 48..56    | sequence number                                          |
//! | 56..64    | flags (bit 0 SYN, bit 1 FIN)                             |
//! | 64..80    | message id: a UUID, its low 8 bytes first                |
//! | 80..112   | SHA-256 of the payload                                   |
//! | 112..116  | payload type                                             |
//! | 116..120  | payload length                                           |
//! | 120..     | payload                                                  |

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Bytes before the payload length field.
pub const HEADER_LENGTH: u32 = 116;
const TYPE_LEN: usize = 32;

pub const INPUT: &str = "input_stream_data";
pub const OUTPUT: &str = "output_stream_data";
pub const ACK: &str = "acknowledge";
pub const CHANNEL_CLOSED: &str = "channel_closed";
pub const START_PUBLICATION: &str = "start_publication";
pub const PAUSE_PUBLICATION: &str = "pause_publication";

/// What a payload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum PayloadType {
    Null = 0,
    /// The stream's bytes, in either direction.
    Output = 1,
    Error = 2,
    /// A terminal's size, JSON `{"cols":N,"rows":N}`.
    Size = 3,
    Parameter = 4,
    HandshakeRequest = 5,
    HandshakeResponse = 6,
    HandshakeComplete = 7,
    EncChallengeRequest = 8,
    EncChallengeResponse = 9,
    /// A 4-byte flag (1: the client's end of a port session is done).
    Flag = 10,
    StdErr = 11,
    ExitCode = 12,
}

impl PayloadType {
    pub fn from_u32(n: u32) -> Option<Self> {
        use PayloadType::*;
        Some(match n {
            0 => Null,
            1 => Output,
            2 => Error,
            3 => Size,
            4 => Parameter,
            5 => HandshakeRequest,
            6 => HandshakeResponse,
            7 => HandshakeComplete,
            8 => EncChallengeRequest,
            9 => EncChallengeResponse,
            10 => Flag,
            11 => StdErr,
            12 => ExitCode,
            _ => return None,
        })
    }
}

/// One message of the data channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub message_type: String,
    pub schema_version: u32,
    pub created_ms: u64,
    pub sequence: i64,
    pub flags: u64,
    pub message_id: Uuid,
    /// As sent; None when the number is not one skiff knows.
    pub payload_type: u32,
    pub payload: Vec<u8>,
}

/// Why bytes are not a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("a data channel message of {0} bytes is shorter than its header")]
    Short(usize),
    #[error("a data channel message says its header is {0} bytes (expected 116)")]
    HeaderLength(u32),
    #[error("a data channel message says it carries {said} bytes but carries {has}")]
    PayloadLength { said: u32, has: usize },
    #[error("a data channel message's payload does not match its SHA-256 digest")]
    Digest,
    #[error("a data channel message's type is not ASCII text")]
    MessageType,
}

impl Frame {
    /// A new message of `message_type`, created now, with a fresh id.
    pub fn new(
        message_type: &str,
        sequence: i64,
        payload_type: PayloadType,
        payload: Vec<u8>,
    ) -> Self {
        Frame {
            message_type: message_type.to_string(),
            schema_version: 1,
            created_ms: now_ms(),
            sequence,
            flags: 0,
            message_id: Uuid::new_v4(),
            payload_type: payload_type as u32,
            payload,
        }
    }

    pub fn kind(&self) -> Option<PayloadType> {
        PayloadType::from_u32(self.payload_type)
    }

    /// The bytes of a WebSocket binary message.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(120 + self.payload.len());
        out.extend_from_slice(&HEADER_LENGTH.to_be_bytes());
        let mut kind = [b' '; TYPE_LEN];
        let name = self.message_type.as_bytes();
        let n = name.len().min(TYPE_LEN);
        kind[..n].copy_from_slice(&name[..n]);
        out.extend_from_slice(&kind);
        out.extend_from_slice(&self.schema_version.to_be_bytes());
        out.extend_from_slice(&self.created_ms.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.flags.to_be_bytes());
        let id = self.message_id.as_bytes();
        out.extend_from_slice(&id[8..16]);
        out.extend_from_slice(&id[0..8]);
        out.extend_from_slice(&Sha256::digest(&self.payload));
        out.extend_from_slice(&self.payload_type.to_be_bytes());
        out.extend_from_slice(&(self.payload.len() as u32).to_be_bytes());
        out.extend_from_slice(&self.payload);
        out
    }

    /// A frame from a WebSocket binary message; its digest checked.
    pub fn decode(bytes: &[u8]) -> Result<Frame, FrameError> {
        if bytes.len() < 120 {
            return Err(FrameError::Short(bytes.len()));
        }
        let u32_at = |at: usize| {
            let mut b = [0u8; 4];
            b.copy_from_slice(&bytes[at..at + 4]);
            u32::from_be_bytes(b)
        };
        let u64_at = |at: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[at..at + 8]);
            u64::from_be_bytes(b)
        };
        let header = u32_at(0);
        if header != HEADER_LENGTH {
            return Err(FrameError::HeaderLength(header));
        }
        let said = u32_at(116);
        let payload = &bytes[120..];
        if said as usize != payload.len() {
            return Err(FrameError::PayloadLength {
                said,
                has: payload.len(),
            });
        }
        if Sha256::digest(payload).as_slice() != &bytes[80..112] {
            return Err(FrameError::Digest);
        }
        let message_type = std::str::from_utf8(&bytes[4..36])
            .map_err(|_| FrameError::MessageType)?
            .trim_matches(|c: char| c == ' ' || c == '\0')
            .to_string();
        let mut id = [0u8; 16];
        id[8..16].copy_from_slice(&bytes[64..72]);
        id[0..8].copy_from_slice(&bytes[72..80]);
        Ok(Frame {
            message_type,
            schema_version: u32_at(36),
            created_ms: u64_at(40),
            sequence: u64_at(48) as i64,
            flags: u64_at(56),
            message_id: Uuid::from_bytes(id),
            payload_type: u32_at(112),
            payload: payload.to_vec(),
        })
    }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn a_frame_survives_its_encoding(
            kind in "[a-z_]{1,32}",
            seq in any::<i64>(),
            flags in any::<u64>(),
            created in any::<u64>(),
            id in any::<u128>(),
            ptype in any::<u32>(),
            payload in proptest::collection::vec(any::<u8>(), 0..600),
        ) {
            let f = Frame {
                message_type: kind,
                schema_version: 1,
                created_ms: created,
                sequence: seq,
                flags,
                message_id: Uuid::from_u128(id),
                payload_type: ptype,
                payload,
            };
            prop_assert_eq!(Frame::decode(&f.encode()), Ok(f));
        }

        #[test]
        fn any_bytes_decode_or_say_why(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = Frame::decode(&bytes);
        }

        #[test]
        fn one_flipped_payload_or_digest_bit_is_caught(
            payload in proptest::collection::vec(any::<u8>(), 1..200),
            at in any::<prop::sample::Index>(),
            bit in 0u8..8,
        ) {
            let mut bytes = Frame::new(OUTPUT, 3, PayloadType::Output, payload).encode();
            // Anywhere in the digest or the payload.
            let span = 80..bytes.len();
            let i = span.start + at.index(span.len());
            if !(112..120).contains(&i) {
                bytes[i] ^= 1 << bit;
                prop_assert_eq!(Frame::decode(&bytes), Err(FrameError::Digest));
            }
        }
    }

    #[test]
    fn the_layout_is_the_agents() {
        let id = Uuid::parse_str("00112233-4455-6677-8899-aabbccddeeff").unwrap();
        let mut f = Frame::new(INPUT, 7, PayloadType::Size, b"{}".to_vec());
        f.message_id = id;
        f.created_ms = 0x0102_0304_0506_0708;
        f.flags = 1;
        let b = f.encode();
        assert_eq!(&b[0..4], &[0, 0, 0, 116]);
        assert_eq!(&b[4..21], b"input_stream_data");
        assert!(b[21..36].iter().all(|c| *c == b' '));
        assert_eq!(&b[36..40], &[0, 0, 0, 1]);
        assert_eq!(&b[40..48], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&b[48..56], &[0, 0, 0, 0, 0, 0, 0, 7]);
        assert_eq!(&b[56..64], &[0, 0, 0, 0, 0, 0, 0, 1]);
        assert_eq!(
            &b[64..72],
            &[0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]
        );
        assert_eq!(
            &b[72..80],
            &[0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77]
        );
        assert_eq!(
            hex::encode(&b[80..112]),
            // sha256("{}")
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(&b[112..116], &[0, 0, 0, 3]);
        assert_eq!(&b[116..120], &[0, 0, 0, 2]);
        assert_eq!(&b[120..], b"{}");
    }

    #[test]
    fn a_type_padded_with_nuls_in_front_is_read() {
        // ssm-session (npm) pads the message type with NULs before it.
        let mut b = Frame::new(ACK, 0, PayloadType::Null, Vec::new()).encode();
        let mut kind = [0u8; 32];
        kind[32 - ACK.len()..].copy_from_slice(ACK.as_bytes());
        b[4..36].copy_from_slice(&kind);
        assert_eq!(Frame::decode(&b).unwrap().message_type, ACK);
    }

    #[test]
    fn bad_lengths_are_named() {
        let mut b = Frame::new(OUTPUT, 0, PayloadType::Output, b"abc".to_vec()).encode();
        assert_eq!(Frame::decode(&b[..119]), Err(FrameError::Short(119)));
        b.push(0);
        assert_eq!(
            Frame::decode(&b),
            Err(FrameError::PayloadLength { said: 3, has: 4 })
        );
        b[3] = 117;
        assert_eq!(Frame::decode(&b), Err(FrameError::HeaderLength(117)));
    }
}
