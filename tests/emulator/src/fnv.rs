//! FNV-1a, the one stable hash of the emulator: GUID-shaped ids derived from text (license ids,
//! operation ids) and the seeded chaos draws must come out the same on every run and every
//! Rust version, which `std`'s hasher does not promise.

/// FNV-1a over `bytes`, starting from `offset` (use different offsets for independent hashes).
pub(crate) fn fnv1a(offset: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(offset, |acc, b| {
        (acc ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The standard FNV-1a 64-bit offset basis.
pub(crate) const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// SplitMix64's finaliser: spreads FNV's weak low bits over the whole word.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A GUID-shaped id derived from `text` (two FNV-1a hashes with different offsets).
pub(crate) fn guid(text: &str) -> String {
    let a = fnv1a(OFFSET, text.as_bytes());
    let b = fnv1a(0x84222325_cbf29ce4, text.as_bytes());
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}
