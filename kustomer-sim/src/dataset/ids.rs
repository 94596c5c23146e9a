//! Deterministic 24-hex ObjectIds.

use crate::kind::Kind;
use crate::rng::{combine, hash_bytes, mix};
use crate::time::{MS, SEC};

/// Issues ObjectId-shaped ids the way MongoDB does: 4 bytes of creation time in
/// seconds, 5 bytes of "process" (here derived from seed and kind), 3 bytes of an
/// incrementing counter. Ids are therefore unique, roughly time-ordered, and a pure
/// function of the seed and the order records are created in.
#[derive(Debug, Clone)]
pub(crate) struct IdGen {
    seed: u64,
    counter: u64,
}

impl IdGen {
    /// A generator whose counter starts at a seed-derived value, as real counters do.
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            seed,
            counter: mix(seed) & 0xff_ffff,
        }
    }

    /// The next id for a record of `kind` created at `created` (microseconds).
    pub(crate) fn next(&mut self, kind: Kind, created: i64) -> String {
        let secs = created.div_euclid(SEC) as u32;
        let process = combine(self.seed, kind.ordinal() as u64 + 1) & 0xff_ffff_ffff;
        let count = self.counter & 0xff_ffff;
        self.counter += 1;
        format!("{secs:08x}{process:010x}{count:06x}")
    }
}

/// A fixed id for an org-level object that is referenced but not served (the org,
/// brands, queues, SLAs).
pub(crate) fn fixed(seed: u64, name: &str) -> String {
    let h = combine(seed, hash_bytes(name.as_bytes()));
    format!("5f{:06x}{:016x}", h >> 40, mix(h))
}

/// A time-ordered id for a record created at `created` (microseconds) and named by
/// `key`: 8 hex digits of the creation second, 3 of its millisecond and 13 of a hash
/// of the seed and the key. Ids of different instants sort like the instants, and the
/// id depends only on `(seed, key, created)`, never on what was generated before.
pub(crate) fn stamped(seed: u64, key: &str, created: i64) -> String {
    let ms = created.div_euclid(MS);
    let secs = ms.div_euclid(1_000) as u32;
    let milli = ms.rem_euclid(1_000);
    let h = mix(combine(seed, hash_bytes(key.as_bytes()))) & 0x000f_ffff_ffff_ffff;
    format!("{secs:08x}{milli:03x}{h:013x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_24_hex_and_start_with_the_creation_second() {
        let mut ids = IdGen::new(42);
        let a = ids.next(Kind::Customer, 1_700_000_000 * SEC);
        let b = ids.next(Kind::Customer, 1_700_000_000 * SEC);
        assert_eq!(a.len(), 24);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(a.starts_with(&format!("{:08x}", 1_700_000_000u32)));
        assert_ne!(a, b);
        assert_eq!(fixed(1, "org").len(), 24);
    }

    #[test]
    fn stamped_ids_sort_like_their_instants() {
        let t = 1_700_000_000 * SEC;
        let (a, b) = (stamped(1, "z", t), stamped(1, "a", t + MS));
        assert_eq!(a.len(), 24);
        assert!(a < b);
        assert_eq!(stamped(1, "z", t), a);
    }
}
