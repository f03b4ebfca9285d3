//! Reference activations. Backward takes the forward output y (every activation
//! here has a derivative expressible through y), so x need not be kept.
//! GPU twin: shaders/eltwise.wgsl (`act_forward`, `act_backward`, `softmax_*`).

use crate::spec::Activation;
use num_traits::Float;

fn c<T: Float>(v: f32) -> T {
    super::float::<T, _>(v)
}

/// In place over rows of `channels` (softmax normalises each row).
pub fn activation_forward<T: Float>(a: Activation, channels: usize, x: &mut [T]) {
    match a {
        Activation::Linear => {}
        Activation::Relu => x.iter_mut().for_each(|v| *v = v.max(T::zero())),
        Activation::Relu6 => x.iter_mut().for_each(|v| *v = v.max(T::zero()).min(c(6.0))),
        Activation::LeakyRelu { alpha } => x.iter_mut().for_each(|v| {
            if *v < T::zero() {
                *v = *v * c(alpha)
            }
        }),
        Activation::Sigmoid => x.iter_mut().for_each(|v| *v = T::one() / (T::one() + (-*v).exp())),
        Activation::Tanh => x.iter_mut().for_each(|v| *v = v.tanh()),
        Activation::Softmax => {
            for row in x.chunks_mut(channels) {
                let m = row.iter().fold(T::neg_infinity(), |m, &v| m.max(v));
                let mut s = T::zero();
                for v in row.iter_mut() {
                    *v = (*v - m).exp();
                    s = s + *v;
                }
                row.iter_mut().for_each(|v| *v = *v / s);
            }
        }
    }
}

/// dx from dy and the forward output y, in place over dy.
pub fn activation_backward<T: Float>(a: Activation, channels: usize, y: &[T], dy: &mut [T]) {
    let each = |dy: &mut [T], f: &dyn Fn(T) -> T| dy.iter_mut().zip(y).for_each(|(d, &y)| *d = *d * f(y));
    match a {
        Activation::Linear => {}
        Activation::Relu => each(dy, &|y| if y > T::zero() { T::one() } else { T::zero() }),
        Activation::Relu6 => each(dy, &|y| if y > T::zero() && y < c(6.0) { T::one() } else { T::zero() }),
        Activation::LeakyRelu { alpha } => each(dy, &|y| if y > T::zero() { T::one() } else { c(alpha) }),
        Activation::Sigmoid => each(dy, &|y| y * (T::one() - y)),
        Activation::Tanh => each(dy, &|y| T::one() - y * y),
        Activation::Softmax => {
            for (d, yr) in dy.chunks_mut(channels).zip(y.chunks(channels)) {
                let dot = d.iter().zip(yr).fold(T::zero(), |s, (&d, &y)| s + d * y);
                d.iter_mut().zip(yr).for_each(|(d, &y)| *d = y * (*d - dot));
            }
        }
    }
}
