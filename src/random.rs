//! Randomness for ids. Uses the OS source; falls back to std's randomly keyed hasher.
//!
//! `JIT_SEED` (any text) makes it a fixed sequence for this process, and, with `JIT_NOW`, the
//! time part of ULIDs too, so a test or a demo gets the same ids on every run (like jj's
//! `JJ_RANDOMNESS_SEED`). For tests and demos only: two processes with one seed draw the same
//! numbers (the store's existence check then moves a new id on).
//!
//! Invariant: ids are unique with overwhelming probability across processes and clones; the
//! short-id collision check in the store catches the rest.

use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The `JIT_SEED` of this process, hashed to 64 bits (FNV-1a), if it is set.
fn seed() -> Option<u64> {
    static SEED: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *SEED.get_or_init(|| {
        let s = std::env::var("JIT_SEED").ok().filter(|s| !s.is_empty())?;
        Some(s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        }))
    })
}

/// SplitMix64: the next word of the seeded sequence.
fn seeded_word(seed: u64) -> u64 {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut z = seed.wrapping_add(n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 128 random bits.
pub fn u128() -> u128 {
    if let Some(s) = seed() {
        return (u128::from(seeded_word(s)) << 64) | u128::from(seeded_word(s));
    }
    let mut buf = [0u8; 16];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .is_ok()
    {
        return u128::from_le_bytes(buf);
    }
    let word = || {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.write_u32(std::process::id());
        h.finish()
    };
    (u128::from(word()) << 64) | u128::from(word())
}

/// A fresh ULID: wall-clock milliseconds and 80 random bits.
pub fn ulid() -> ulid::Ulid {
    let millis = match seed() {
        Some(_) => crate::clock::now()
            .ok()
            .and_then(|t| u64::try_from(t.millis()).ok())
            .unwrap_or_else(crate::clock::system_millis),
        None => crate::clock::system_millis(),
    };
    ulid::Ulid::from_parts(millis, u128())
}

/// A short random token (lower-case base32), for comment and checklist item ids.
pub fn token(len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut v = u128();
    (0..len)
        .map(|_| {
            let c = ALPHABET[(v & 31) as usize] as char;
            v >>= 5;
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_seed_gives_a_fixed_sequence() {
        let a: Vec<u64> = (0..4).map(|_| super::seeded_word(7)).collect();
        assert_eq!(a.len(), 4);
        assert!(a.windows(2).all(|w| w[0] != w[1]), "{a:?}");
    }
}
