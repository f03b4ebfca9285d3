//! Activation shapes and the output-size rules of convolution and pooling.

use super::Padding;
use serde::Serialize;
use std::fmt;

/// The shape of one instance (no batch axis): an NHWC feature map or a flat vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Map { h: usize, w: usize, c: usize },
    Flat(usize),
}

impl Shape {
    pub fn elements(&self) -> usize {
        match *self {
            Shape::Map { h, w, c } => h * w * c,
            Shape::Flat(n) => n,
        }
    }
    /// Channels: the last axis.
    pub fn channels(&self) -> usize {
        match *self {
            Shape::Map { c, .. } => c,
            Shape::Flat(n) => n,
        }
    }
    pub fn dims(&self) -> Vec<usize> {
        match *self {
            Shape::Map { h, w, c } => vec![h, w, c],
            Shape::Flat(n) => vec![n],
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Shape::Map { h, w, c } => write!(f, "{h}×{w}×{c}"),
            Shape::Flat(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for Shape {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.dims().serialize(s)
    }
}

/// Output length along one axis, or None when the window does not fit ("valid" only).
pub fn conv_out(input: usize, k: usize, stride: usize, padding: Padding) -> Option<usize> {
    match padding {
        Padding::Valid => (input >= k).then(|| (input - k) / stride + 1),
        Padding::Same => Some(input.div_ceil(stride)),
    }
}

/// Rows (or columns) of zero padding before the input for "same": TensorFlow puts
/// the smaller half first, so for stride 2 the extra row/column is at the bottom/right.
pub fn padding_before(input: usize, k: usize, stride: usize, padding: Padding) -> usize {
    match padding {
        Padding::Valid => 0,
        Padding::Same => {
            let out = input.div_ceil(stride);
            let total = ((out - 1) * stride + k).saturating_sub(input);
            total / 2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tensorflow_same_padding_offsets() {
        // 5 wide, k 3, s 2 → out 3, total pad 2 → 1 before, 1 after.
        assert_eq!(conv_out(5, 3, 2, Padding::Same), Some(3));
        assert_eq!(padding_before(5, 3, 2, Padding::Same), 1);
        // 6 wide, k 3, s 2 → out 3, total pad 1 → 0 before, 1 after (bottom/right).
        assert_eq!(conv_out(6, 3, 2, Padding::Same), Some(3));
        assert_eq!(padding_before(6, 3, 2, Padding::Same), 0);
        // 224, k 3, s 2 (EfficientNet stem) → 112, pad 0 before, 1 after.
        assert_eq!(padding_before(224, 3, 2, Padding::Same), 0);
        // 7, k 5, s 1 → total 4, 2 before.
        assert_eq!(padding_before(7, 5, 1, Padding::Same), 2);
        assert_eq!(conv_out(28, 3, 1, Padding::Valid), Some(26));
        assert_eq!(conv_out(2, 3, 1, Padding::Valid), None);
        assert_eq!(conv_out(300, 3, 2, Padding::Same), Some(150));
        assert_eq!(conv_out(75, 3, 2, Padding::Same), Some(38));
    }
}
