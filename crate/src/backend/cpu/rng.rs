//! Counter-based random numbers: a value depends only on (seed, counter), so the
//! GPU and the CPU draw the same dropout masks without any state. This is the
//! PCG output hash (O'Neill), which needs only 32-bit integer multiply-adds and
//! shifts (the same arithmetic in WGSL).
//! GPU twins: `pcg` and `dropout` in shaders/eltwise.wgsl, `pcg` in shaders/augment.wgsl.

#[inline]
pub fn pcg_hash(input: u32) -> u32 {
    let state = input.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
    let word = ((state >> ((state >> 28) + 4)) ^ state).wrapping_mul(277_803_737);
    (word >> 22) ^ word
}

/// Uniform in [0, 1) with 24 bits, for element `index` under `seed`.
#[inline]
pub fn uniform(seed: u32, index: u32) -> f32 {
    let h = pcg_hash(index ^ pcg_hash(seed));
    (h >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Inverted dropout: keep with probability 1 − rate and scale by 1 / (1 − rate).
/// Returns the mask scale per element (0 or 1 / (1 − rate)) so backward is dy · mask.
pub fn dropout_mask(seed: u32, rate: f32, len: usize) -> Vec<f32> {
    let keep = 1.0 / (1.0 - rate);
    (0..len).map(|i| if uniform(seed, i as u32) >= rate { keep } else { 0.0 }).collect()
}

/// A seeded stream for weight initialisation (xorshift on top of the hash).
pub struct Stream {
    seed: u32,
    counter: u32,
}

impl Stream {
    pub fn new(seed: u32) -> Stream {
        Stream { seed, counter: 0 }
    }
    pub fn next_f32(&mut self) -> f32 {
        self.counter = self.counter.wrapping_add(1);
        uniform(self.seed, self.counter)
    }
    /// Uniform in [−limit, limit).
    pub fn symmetric(&mut self, limit: f32) -> f32 {
        (self.next_f32() * 2.0 - 1.0) * limit
    }
}
