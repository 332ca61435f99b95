//! Randomness for ids. Uses the OS source; falls back to std's randomly keyed hasher.
//!
//! Invariant: ids are unique with overwhelming probability across processes and clones; the
//! short-id collision check in the store catches the rest.

use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// 128 random bits.
pub fn u128() -> u128 {
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
    ulid::Ulid::from_parts(crate::clock::system_millis(), u128())
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
