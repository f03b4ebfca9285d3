//! Checked size arithmetic and the engine's size limits.
//!
//! Every size product (elements, parameters, MACs, FLOPs, bytes, batch × elements) is done
//! in `u64` on every host, through [`Count`], which is exact up to [`MAX_COUNT`] = 2^53 − 1
//! and "too large" past it — never wrapped. 2^53 − 1 is the largest whole number that
//! JavaScript (and an f64) holds exactly, so every figure that reaches the page is exact.

use std::ops::{Add, Mul, Sub};

/// The largest count kept exactly: 2^53 − 1 (JavaScript's `Number.MAX_SAFE_INTEGER`).
pub const MAX_COUNT: u64 = (1 << 53) - 1;
/// The most memory a wasm32 engine can address: 4 GiB.
pub const MAX_MEMORY: u64 = 1 << 32;
/// The most elements one buffer may hold: indices into it are 32-bit on the GPU.
pub const MAX_BUFFER_ELEMENTS: u64 = u32::MAX as u64;

/// `a · b`, None when either is None or the product passes [`MAX_COUNT`].
pub fn mul(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    a?.checked_mul(b?).filter(|&p| p <= MAX_COUNT)
}

/// `a + b`, None when either is None or the sum passes [`MAX_COUNT`].
pub fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    a?.checked_add(b?).filter(|&s| s <= MAX_COUNT)
}

/// A count that is exact up to [`MAX_COUNT`] and "too large" past it; arithmetic on a
/// too-large count stays too large.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Count(Option<u64>);

impl Count {
    pub const ZERO: Count = Count(Some(0));
    pub const TOO_LARGE: Count = Count(None);

    pub fn new(n: u64) -> Count {
        Count((n <= MAX_COUNT).then_some(n))
    }
    /// The exact value, or None when too large.
    pub fn get(self) -> Option<u64> {
        self.0
    }
    /// The exact value, or [`MAX_COUNT`] when too large (for fields that must be a number;
    /// a reader tells the two apart by [`MAX_COUNT`] itself, which no exact figure reaches).
    pub fn saturated(self) -> u64 {
        self.0.unwrap_or(MAX_COUNT)
    }
    pub fn exceeds(self, limit: u64) -> bool {
        self.0.is_none_or(|n| n > limit)
    }
}

impl From<u64> for Count {
    fn from(n: u64) -> Count {
        Count::new(n)
    }
}

impl From<usize> for Count {
    fn from(n: usize) -> Count {
        u64::try_from(n).map_or(Count::TOO_LARGE, Count::new)
    }
}

impl<T: Into<Count>> Add<T> for Count {
    type Output = Count;
    fn add(self, b: T) -> Count {
        Count(add(self.0, b.into().0))
    }
}

impl<T: Into<Count>> Mul<T> for Count {
    type Output = Count;
    fn mul(self, b: T) -> Count {
        Count(mul(self.0, b.into().0))
    }
}

/// `a − b`: too large when either is (or when b > a, which a sum never gives).
impl<T: Into<Count>> Sub<T> for Count {
    type Output = Count;
    fn sub(self, b: T) -> Count {
        Count(self.0.zip(b.into().0).and_then(|(a, b)| a.checked_sub(b)))
    }
}

impl std::iter::Sum for Count {
    fn sum<I: Iterator<Item = Count>>(it: I) -> Count {
        it.fold(Count::ZERO, |a, b| a + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_past_u32_are_exact_and_past_2_53_too_large() {
        // 65536 · 65536 wraps to 0 in 32-bit usize; here it is exact.
        assert_eq!(mul(Some(65_536), Some(65_536)), Some(4_294_967_296));
        assert_eq!(Count::new(65_536) * 65_536u64 * 10u64 + 10u64, Count::new(42_949_672_970));
        assert_eq!((Count::new(u32::MAX as u64) + 1u64).get(), Some(1 << 32));
        assert_eq!(Count::new(MAX_COUNT).get(), Some(MAX_COUNT));
        assert_eq!(Count::new(MAX_COUNT) + 1u64, Count::TOO_LARGE);
        assert_eq!(Count::new(1 << 27) * (1u64 << 27), Count::TOO_LARGE);
        // Past u64 itself: no wrap, no panic.
        assert_eq!(mul(Some(u64::MAX), Some(2)), None);
        assert_eq!(add(Some(u64::MAX), Some(1)), None);
        assert_eq!(Count::TOO_LARGE * Count::new(0), Count::TOO_LARGE);
        assert_eq!(Count::TOO_LARGE.saturated(), MAX_COUNT);
        assert!(Count::new(MAX_MEMORY + 1).exceeds(MAX_MEMORY));
        assert!(!Count::new(MAX_MEMORY).exceeds(MAX_MEMORY));
        assert!(Count::TOO_LARGE.exceeds(u64::MAX));
        assert_eq!([1u64, 2, 3].map(Count::new).into_iter().sum::<Count>(), Count::new(6));
    }
}
