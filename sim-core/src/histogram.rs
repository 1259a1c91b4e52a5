//! Latency counts in log-linear buckets, for percentiles.
//!
//! Values below `2^m` each have a bucket of their own; above, every power
//! of two (an octave) is split into `2^(m-1)` equal buckets, so a value is
//! known to within one part in `2^(m-1)`: `m = 11` keeps three significant
//! digits, `m = 8` two. This is the bucket layout of an HDR histogram with
//! a unit of one, and percentiles are read the same way: the highest value
//! equivalent to the bucket where the running count reaches the rank.
//!
//! NOTE: the engine records four latencies per message on its hottest
//! path; `record` is a shift, a leading-zero count and two adds, where the
//! general-purpose HDR crate (generic counts, resizing, min/max tracking)
//! spent several times that. Each octave also keeps its total, so reading
//! percentiles and clearing (the time series does both at every point)
//! visit only the octaves that hold values; within the octave a rank
//! falls in, a reading adds up runs of 16 buckets (sums the compiler
//! vectorises) and walks only the run that holds it. The equivalence is
//! tested against the HDR crate.
//!
//! A histogram that has counted few values keeps no buckets at all: until
//! [`SPARSE_LIMIT`] values have come (since it was made; clearing does not
//! start the count again), it lists each value's bucket, 4 bytes a value,
//! where the buckets take 8 KB for every octave up to the largest value
//! (about 120 KB at three digits for values of ten milliseconds). A model
//! of many quiet nodes then costs memory with its traffic, not its size.
//! Readings from the list are the buckets' readings, value for value; the
//! hot path is the buckets', since a recording that finds no bucket is the
//! rare case either way.

/// A histogram of `u64` values (nanoseconds).
#[derive(Clone, Debug)]
pub struct LogHistogram {
    /// `m - 1`: log2 of the buckets per octave.
    half_magnitude: u32,
    /// `2^m - 1`: the values counted exactly (kept to save the shift on
    /// every record).
    exact_mask: u64,
    /// One count per bucket, grown to the largest value seen; empty while
    /// the histogram is sparse.
    counts: Vec<u64>,
    /// While sparse: the bucket of each value counted, in no order.
    sparse: Vec<u32>,
    /// Values counted while sparse, through clears: at [`SPARSE_LIMIT`]
    /// the histogram takes its buckets.
    listed: u32,
    /// Values counted in each octave, for the octaves `counts` covers.
    octaves: Vec<u64>,
    total: u64,
}

impl LogHistogram {
    /// A histogram keeping `digits` (1 to 5) significant decimal digits.
    pub fn with_digits(digits: u8) -> Self {
        // The smallest power of two at least 2 × 10^digits.
        let largest = 2 * 10_u64.pow(u32::from(digits.clamp(1, 5)));
        let magnitude = 64 - (largest - 1).leading_zeros();
        Self {
            half_magnitude: magnitude - 1,
            exact_mask: (1_u64 << magnitude) - 1,
            counts: Vec::new(),
            sparse: Vec::new(),
            listed: 0,
            octaves: Vec::new(),
            total: 0,
        }
    }

    /// Whether the values are listed rather than in buckets.
    fn is_sparse(&self) -> bool {
        self.counts.is_empty()
    }

    /// The octave and bucket of `value`.
    #[inline]
    fn locate(&self, value: u64) -> (usize, usize) {
        let half = self.half_magnitude;
        // How many powers of two `value` lies above the exact range.
        // (`| 1` changes nothing, the mask has that bit, but tells the
        // compiler the logarithm's argument is never zero.)
        let octave = (value | self.exact_mask | 1).ilog2() - half;
        let sub = value >> octave;
        // Octave 0 uses all its `2^m` buckets; later ones their upper half.
        (
            octave as usize,
            ((u64::from(octave) << half) + sub) as usize,
        )
    }

    /// The buckets of `octave`.
    fn octave_range(&self, octave: usize) -> std::ops::Range<usize> {
        let per = 1_usize << self.half_magnitude;
        if octave == 0 {
            0..2 * per
        } else {
            (octave + 1) * per..(octave + 2) * per
        }
    }

    /// Counts one `value`.
    #[inline(always)]
    pub fn record(&mut self, value: u64) {
        let (octave, i) = self.locate(value);
        match self.counts.get_mut(i) {
            Some(count) => *count += 1,
            None => self.grow_and_count(i),
        }
        self.octaves[octave] += 1;
        self.total += 1;
    }

    #[cold]
    fn grow_and_count(&mut self, i: usize) {
        // Whole octaves at a time (the first is two blocks wide), so
        // growth is rare and an octave with values is always all there.
        let per = 1_usize << self.half_magnitude;
        let len = Self::cover(i, per);
        // The first octave spans two blocks, every later one block.
        if self.octaves.len() < len / per - 1 {
            self.octaves.resize(len / per - 1, 0);
        }
        if self.is_sparse() && (self.listed as usize) < SPARSE_LIMIT {
            self.listed += 1;
            #[expect(
                clippy::cast_possible_truncation,
                reason = "a bucket's index is below 2^17"
            )]
            self.sparse.push(i as u32);
            return;
        }
        self.take_buckets();
        if self.counts.len() < len {
            self.counts.resize(len, 0);
        }
        self.counts[i] += 1;
    }

    /// The buckets that cover bucket `i`, in whole octaves.
    fn cover(i: usize, per: usize) -> usize {
        ((i / per + 1) * per).max(2 * per)
    }

    /// Moves the listed values into buckets (a sparse histogram becomes a
    /// dense one; nothing happens to a dense one).
    fn take_buckets(&mut self) {
        if !self.is_sparse() {
            return;
        }
        self.listed = SPARSE_LIMIT as u32;
        let per = 1_usize << self.half_magnitude;
        let top = self.sparse.iter().max().map_or(0, |&i| i as usize);
        self.counts.resize(Self::cover(top, per), 0);
        for &i in &self.sparse {
            self.counts[i as usize] += 1;
        }
        self.sparse = Vec::new();
    }

    /// `read` of the listed buckets in increasing order (sorted in a copy
    /// on the stack no larger than the list needs: most lists a reading
    /// meets are an interval's few values).
    fn with_sorted<R>(&self, read: impl FnOnce(&[u32]) -> R) -> R {
        fn sorted<'s>(list: &[u32], scratch: &'s mut [u32]) -> &'s [u32] {
            let sorted = &mut scratch[..list.len()];
            sorted.copy_from_slice(list);
            sorted.sort_unstable();
            sorted
        }
        match self.sparse.len() {
            0..=8 => read(sorted(&self.sparse, &mut [0; 8])),
            9..=64 => read(sorted(&self.sparse, &mut [0; 64])),
            _ => read(sorted(&self.sparse, &mut [0; SPARSE_LIMIT])),
        }
    }

    /// Values counted.
    pub const fn len(&self) -> u64 {
        self.total
    }

    /// Whether nothing is counted.
    pub const fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Forgets every value, keeping the memory.
    pub fn clear(&mut self) {
        if self.is_sparse() {
            self.sparse.clear();
            self.octaves.fill(0);
            self.total = 0;
            return;
        }
        for octave in 0..self.octaves.len() {
            if self.octaves[octave] > 0 {
                let range = self.octave_range(octave);
                self.counts[range].fill(0);
                self.octaves[octave] = 0;
            }
        }
        self.total = 0;
    }

    /// The lowest and highest value of bucket `i`.
    fn bounds(&self, i: usize) -> (u64, u64) {
        let half = self.half_magnitude;
        let per = 1_u64 << half;
        let i = i as u64;
        let (octave, sub) = if i < 2 * per {
            (0, i)
        } else {
            ((i >> half) - 1, (i & (per - 1)) + per)
        };
        let low = sub << octave;
        (low, low + (1_u64 << octave) - 1)
    }

    /// Becomes a copy of `other` (same precision), reusing its memory.
    pub fn copy_from(&mut self, other: &Self) {
        self.half_magnitude = other.half_magnitude;
        self.exact_mask = other.exact_mask;
        self.counts.clone_from(&other.counts);
        self.sparse.clone_from(&other.sparse);
        self.listed = other.listed;
        self.octaves.clone_from(&other.octaves);
        self.total = other.total;
    }

    /// Becomes `later` less `earlier`: the values `later` counted since it
    /// was `earlier` (a histogram only ever gains values, so `earlier`
    /// is an older copy of `later`).
    pub fn set_difference(&mut self, later: &Self, earlier: &Self) {
        self.copy_from(later);
        if earlier.is_sparse() && self.is_sparse() {
            // Each of `earlier`'s values takes one equal value away.
            self.sparse.sort_unstable();
            let sparse = &mut self.sparse;
            earlier.with_sorted(|old| {
                let mut k = 0;
                sparse.retain(|&i| {
                    while k < old.len() && old[k] < i {
                        k += 1;
                    }
                    let taken = k < old.len() && old[k] == i;
                    k += usize::from(taken);
                    !taken
                });
            });
        } else if earlier.is_sparse() {
            for &i in &earlier.sparse {
                if let Some(count) = self.counts.get_mut(i as usize) {
                    *count = count.saturating_sub(1);
                }
            }
        } else {
            self.take_buckets();
            for (count, old) in self.counts.iter_mut().zip(&earlier.counts) {
                *count = count.saturating_sub(*old);
            }
        }
        for (count, old) in self.octaves.iter_mut().zip(&earlier.octaves) {
            *count = count.saturating_sub(*old);
        }
        self.total = self.total.saturating_sub(earlier.total);
    }

    /// How many values lie above `value`: those in buckets whose lowest
    /// value is above it (a bucket holding `value` counts as not above,
    /// which is the histogram's precision).
    pub fn count_above(&self, value: u64) -> u64 {
        if self.is_sparse() {
            let above = self
                .sparse
                .iter()
                .filter(|&&i| self.bounds(i as usize).0 > value);
            return above.count() as u64;
        }
        let mut above = 0;
        for octave in 0..self.octaves.len() {
            if self.octaves[octave] == 0 {
                continue;
            }
            let range = self.octave_range(octave);
            let (_, high) = self.bounds(range.end - 1);
            if high <= value {
                continue;
            }
            let (low, _) = self.bounds(range.start);
            if low > value {
                above += self.octaves[octave];
                continue;
            }
            for i in range {
                if self.counts[i] > 0 && self.bounds(i).0 > value {
                    above += self.counts[i];
                }
            }
        }
        above
    }

    /// The value at `quantile` (0 to 1): the highest value equivalent to
    /// the bucket holding the value of rank ⌈quantile × n⌉; 0 when empty.
    pub fn value_at_quantile(&self, quantile: f64) -> u64 {
        self.values_at_quantiles([quantile])[0]
    }

    /// The values at several quantiles, in increasing order, read in one
    /// pass.
    #[expect(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a rank from a fraction of the count"
    )]
    pub fn values_at_quantiles<const N: usize>(&self, quantiles: [f64; N]) -> [u64; N] {
        let mut out = [0; N];
        // Most readings of a quiet model's interval are of nothing.
        if self.total == 0 {
            return out;
        }
        let quantiles = quantiles.map(|q| q.clamp(0.0, 1.0));
        let ranks = quantiles.map(|q| ((q * self.total as f64).ceil() as u64).max(1));
        if self.is_sparse() {
            // The value of rank r is the r-th listed bucket in order.
            return self.with_sorted(|sorted| {
                for k in 0..N {
                    let Some(&i) = sorted.get(ranks[k] as usize - 1) else {
                        break;
                    };
                    let (low, high) = self.bounds(i as usize);
                    out[k] = if quantiles[k] == 0.0 { low } else { high };
                }
                out
            });
        }
        let mut k = 0;
        let mut seen = 0;
        for octave in 0..self.octaves.len() {
            if k == N {
                break;
            }
            let in_octave = self.octaves[octave];
            if in_octave == 0 || seen + in_octave < ranks[k] {
                seen += in_octave;
                continue;
            }
            // A rank falls in this octave: walk its buckets, a run of
            // them at a time while no rank falls in the run.
            let range = self.octave_range(octave);
            let mut start = range.start;
            for run in self.counts[range].chunks(RUN) {
                let in_run: u64 = run.iter().sum();
                if k == N || seen + in_run < ranks[k] {
                    seen += in_run;
                    start += run.len();
                    continue;
                }
                for (i, &count) in (start..).zip(run) {
                    seen += count;
                    while k < N && seen >= ranks[k] && count > 0 {
                        let (low, high) = self.bounds(i);
                        out[k] = if quantiles[k] == 0.0 { low } else { high };
                        k += 1;
                    }
                }
                start += run.len();
            }
        }
        out
    }
}

/// Buckets a percentile reading adds up at once (every octave holds a
/// whole number of runs).
const RUN: usize = 16;

/// Values a histogram lists before it takes its buckets (1 KB of list).
pub const SPARSE_LIMIT: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};
    use rand::Rng;

    #[test]
    fn small_values_are_exact_and_large_ones_keep_three_digits() {
        let mut h = LogHistogram::with_digits(3);
        for v in [0, 1, 2047] {
            h.clear();
            h.record(v);
            assert_eq!(h.value_at_quantile(0.5), v);
        }
        for v in [2048_u64, 3_000_001, 987_654_321_000, u64::MAX / 3] {
            h.clear();
            h.record(v);
            let got = h.value_at_quantile(1.0);
            assert!(got >= v && got - v <= v / 1024, "{v} read back as {got}");
        }
    }

    #[test]
    fn buckets_tile_the_values_without_gaps() {
        let h = LogHistogram::with_digits(2);
        let mut next = 0;
        for i in 0..4096 {
            let (low, high) = h.bounds(i);
            assert_eq!(low, next, "bucket {i}");
            let (octave, at) = h.locate(low);
            assert_eq!(at, i);
            assert_eq!(h.locate(high), (octave, i));
            assert!(h.octave_range(octave).contains(&i));
            next = high + 1;
        }
    }

    /// The same percentiles as the HDR histogram, value for value, for
    /// both precisions the engine uses.
    #[test]
    fn percentiles_match_an_hdr_histogram() {
        let mut rng = stream(3, "histogram", Purpose::Service);
        for digits in [2, 3] {
            for scale in [1_000_u64, 1_000_000, 10_000_000_000] {
                let mut ours = LogHistogram::with_digits(digits);
                let mut hdr = hdrhistogram::Histogram::<u64>::new(digits).expect("valid precision");
                for _ in 0..20_000 {
                    // Heavy-tailed: most values small, some far out.
                    let v = (rng.next_u64() % scale) >> (rng.next_u64() % 20);
                    ours.record(v);
                    hdr.record(v).expect("in range");
                }
                let qs = [0.0, 0.001, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0];
                let all = ours.values_at_quantiles(qs);
                for (q, value) in qs.into_iter().zip(all) {
                    let expected = hdr.value_at_quantile(q);
                    assert_eq!(value, expected, "digits {digits}, scale {scale}, q {q}");
                    assert_eq!(ours.value_at_quantile(q), expected);
                }
                assert_eq!(ours.len(), hdr.len());
            }
        }
    }

    /// A histogram that takes its buckets from the first value.
    fn dense(digits: u8) -> LogHistogram {
        let mut h = LogHistogram::with_digits(digits);
        h.listed = SPARSE_LIMIT as u32;
        h
    }

    /// Everything a reading can ask, for comparing two histograms.
    fn readings(h: &LogHistogram) -> (u64, [u64; 9], Vec<u64>) {
        let qs = [0.0, 0.001, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0];
        let above = [0, 1, 999, 1_000_000, 10_000_000, 123_456_789]
            .map(|v| h.count_above(v))
            .to_vec();
        (h.len(), h.values_at_quantiles(qs), above)
    }

    #[test]
    fn a_listed_histogram_reads_as_its_buckets_would() {
        let mut rng = stream(5, "histogram", Purpose::Service);
        for digits in [2, 3] {
            for n in [0, 1, 2, 3, 17, 255, 256, 257, 600] {
                let mut listed = LogHistogram::with_digits(digits);
                let mut buckets = dense(digits);
                let mut earlier = (LogHistogram::with_digits(digits), dense(digits));
                for k in 0..n {
                    let v = (rng.next_u64() % 100_000_000) >> (rng.next_u64() % 16);
                    listed.record(v);
                    buckets.record(v);
                    if k == n / 3 {
                        earlier.0.copy_from(&listed);
                        earlier.1.copy_from(&buckets);
                    }
                    assert_eq!(
                        readings(&listed),
                        readings(&buckets),
                        "{digits} digits, {k} of {n}"
                    );
                }
                assert_eq!(listed.is_sparse(), n <= SPARSE_LIMIT, "{n} values");
                // The values since `earlier`, from every pairing of kinds.
                let mut since = LogHistogram::with_digits(digits);
                since.set_difference(&buckets, &earlier.1);
                let want = readings(&since);
                for (later, old) in [
                    (&listed, &earlier.0),
                    (&listed, &earlier.1),
                    (&buckets, &earlier.0),
                ] {
                    let mut got = LogHistogram::with_digits(digits);
                    got.set_difference(later, old);
                    assert_eq!(readings(&got), want, "{digits} digits, {n} values");
                }
                listed.clear();
                buckets.clear();
                assert_eq!(readings(&listed), readings(&buckets));
                assert!(listed.is_empty());
            }
        }
    }

    #[test]
    fn a_quiet_histogram_lists_its_values_and_a_busy_one_keeps_its_buckets() {
        let mut h = LogHistogram::with_digits(3);
        for v in 0..10 {
            h.record(10_000_000 + v * 1_000_000);
        }
        assert!(h.counts.is_empty(), "no buckets for ten values");
        assert_eq!(h.sparse.len(), 10);
        // An interval histogram, cleared at every point, takes its buckets
        // once it has listed its share of values, and keeps them.
        for _ in 0..SPARSE_LIMIT {
            h.clear();
            h.record(20_000_000);
        }
        assert!(!h.is_sparse(), "buckets after {SPARSE_LIMIT} values");
        h.clear();
        h.record(30_000_000);
        assert!(!h.is_sparse(), "cleared, it keeps them");
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn an_empty_histogram_reads_zero_and_clear_forgets() {
        let mut h = LogHistogram::with_digits(3);
        assert_eq!(h.value_at_quantile(0.99), 0);
        h.record(5_000_000);
        h.clear();
        assert!(h.is_empty());
        assert_eq!(h.value_at_quantile(0.99), 0);
        h.record(7);
        assert_eq!(h.value_at_quantile(0.99), 7);
    }
}
