//! Which ids a parent table may hold, without an index: a blocked Bloom
//! filter per table, built from one scan of the table the first time a run
//! writes it and fed every id written after. "Surely absent" is exact (no
//! false negatives), so only the "maybe stored" parents of a batch (the
//! stored ones, and about 1 in 50,000 new ones) are looked up in their
//! table before it is appended (`replace.rs`). DuckDB's primary-key index
//! (ART) held ~72 bytes per key outside its buffer pool, so memory grew
//! with the org; this holds 4 bytes per id.

/// Bits per id: with 8 probes in one 512-bit block, about 2·10⁻⁵ false
/// "maybe" per new id, so a first load looks up few ids it never stored.
const BITS_PER_ID: usize = 32;
/// The first layer's capacity in ids (16 KB): a run tracks every parent
/// table it writes, most of them small (at 256 KB each, ~50 tables held
/// 13 MB).
const MIN_CAPACITY: usize = 1 << 12;
/// Each full layer is followed by one this many times larger, so the
/// number of layers (cache misses per lookup) grows with log₄ of the ids.
const GROWTH: usize = 4;

/// The ids a table may hold.
#[derive(Debug, Default)]
pub(super) struct KnownIds {
    layers: Vec<Layer>,
}

#[derive(Debug)]
struct Layer {
    blocks: Vec<[u64; 8]>,
    capacity: usize,
    len: usize,
}

impl Layer {
    fn new(capacity: usize) -> Self {
        let blocks = (capacity * BITS_PER_ID).div_ceil(512).max(1);
        Layer {
            blocks: vec![[0; 8]; blocks],
            capacity,
            len: 0,
        }
    }

    /// The block and the bit in each of its 8 words for hash `h`.
    fn probe(&self, h: u64) -> (usize, [u64; 8]) {
        // Multiply-shift maps the high bits onto the blocks without a modulo.
        let block = ((h as u128 * self.blocks.len() as u128) >> 64) as usize;
        let bits = mix(h ^ 0x9e37_79b9_7f4a_7c15);
        let mut mask = [0u64; 8];
        for (i, m) in mask.iter_mut().enumerate() {
            *m = 1 << ((bits >> (i * 6)) & 63);
        }
        (block, mask)
    }

    fn insert(&mut self, h: u64) {
        let (b, mask) = self.probe(h);
        for (w, m) in self.blocks[b].iter_mut().zip(mask) {
            *w |= m;
        }
        self.len += 1;
    }

    fn may_contain(&self, h: u64) -> bool {
        let (b, mask) = self.probe(h);
        self.blocks[b].iter().zip(mask).all(|(w, m)| w & m == m)
    }
}

impl KnownIds {
    /// An empty set sized for about `expected` ids.
    pub(super) fn with_capacity(expected: usize) -> Self {
        KnownIds {
            layers: vec![Layer::new(expected.max(MIN_CAPACITY))],
        }
    }

    /// Notes `id` as (maybe) stored.
    pub(super) fn insert(&mut self, id: &str) {
        let h = hash(id);
        let full = self.layers.last().is_none_or(|l| l.len >= l.capacity);
        if full {
            let next = self.layers.last().map_or(MIN_CAPACITY, |l| l.capacity * GROWTH);
            self.layers.push(Layer::new(next));
        }
        if let Some(l) = self.layers.last_mut() {
            l.insert(h);
        }
    }

    /// False only if `id` was never inserted.
    pub(super) fn may_contain(&self, id: &str) -> bool {
        let h = hash(id);
        self.layers.iter().any(|l| l.may_contain(h))
    }

    /// Bytes held.
    #[cfg(test)]
    pub(super) fn bytes(&self) -> usize {
        self.layers.iter().map(|l| l.blocks.len() * 64).sum()
    }
}

/// FNV-1a, then a finalizer so that every output bit depends on every
/// input byte (ids share long prefixes: ObjectIds start with a timestamp).
fn hash(id: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

/// SplitMix64's finalizer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object_id(i: u64) -> String {
        // ObjectId-like: a shared timestamp prefix, a counter suffix.
        format!("5f0a{:08x}{:012x}", i / 1000, i)
    }

    #[test]
    fn every_inserted_id_is_found_and_few_others_are() {
        let mut k = KnownIds::with_capacity(0);
        let n = 400_000;
        for i in 0..n {
            k.insert(&object_id(i));
        }
        assert!((0..n).all(|i| k.may_contain(&object_id(i))), "no false negatives");
        let false_hits = (n..n + 1_000_000).filter(|&i| k.may_contain(&object_id(i))).count();
        // Five layers (4 k … 1 M capacity) of 2·10⁻⁵ each at most.
        assert!(false_hits < 150, "{false_hits} false hits in 1 M new ids");
        assert_eq!(k.layers.len(), 5);
        assert!(k.bytes() < 6 << 20, "{} bytes", k.bytes());
    }

    #[test]
    fn an_empty_set_contains_nothing() {
        let k = KnownIds::default();
        assert!(!k.may_contain("a"));
        let k = KnownIds::with_capacity(10);
        assert!(!k.may_contain("a"));
    }
}
