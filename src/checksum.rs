//! Checksums as S3 uses them: CRC64NVME (its full-object checksum), combined
//! from parts checked in any order, and its header form. Pure.

/// CRC64NVME, S3's full-object checksum: of `bytes`.
pub fn crc64(bytes: &[u8]) -> u64 {
    crc_fast::checksum(crc_fast::CrcAlgorithm::Crc64Nvme, bytes)
}

/// The CRC64NVME of `a` followed by `len_b` bytes whose CRC is `b`: parts
/// checked one by one (in any order) make the whole file's checksum.
pub fn crc64_combine(a: u64, b: u64, len_b: u64) -> u64 {
    crc_fast::checksum_combine(crc_fast::CrcAlgorithm::Crc64Nvme, a, b, len_b)
}

/// The CRC64NVME of consecutive pieces, each (crc, length), in order.
pub fn crc64_of_pieces(pieces: impl IntoIterator<Item = (u64, u64)>) -> u64 {
    let mut pieces = pieces.into_iter();
    let Some((first, _)) = pieces.next() else {
        return crc64(b"");
    };
    pieces.fold(first, |acc, (crc, len)| crc64_combine(acc, crc, len))
}

/// A CRC64 as S3 writes it in `x-amz-checksum-crc64nvme`: base64 of its
/// eight big-endian bytes.
pub fn crc64_header(crc: u64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(crc.to_be_bytes())
}

/// The CRC64 in such a header (None for anything else).
pub fn parse_crc64_header(text: &str) -> Option<u64> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()?;
    Some(u64::from_be_bytes(bytes.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_checksums_combine_into_the_whole_files() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 31 % 251) as u8).collect();
        let whole = crc64(&data);
        // Known value: CRC-64/NVME of "123456789" is 0xae8b14860a799888.
        assert_eq!(crc64(b"123456789"), 0xae8b_1486_0a79_9888);
        let pieces: Vec<(u64, u64)> = data
            .chunks(7_000)
            .map(|c| (crc64(c), c.len() as u64))
            .collect();
        assert_eq!(crc64_of_pieces(pieces), whole);
        assert_eq!(crc64_of_pieces([]), crc64(b""));
        let header = crc64_header(whole);
        assert_eq!(parse_crc64_header(&header), Some(whole));
        assert_eq!(parse_crc64_header("not base64!"), None);
        assert_eq!(parse_crc64_header("AAAA"), None, "not eight bytes");
    }
}
