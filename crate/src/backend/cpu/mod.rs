//! The CPU backend: plain Rust. These reference functions are the oracle every
//! GPU kernel is tested against (generic over the float type, so gradient checks
//! run in f64), and the engine in browsers without WebGPU. Each file's header names
//! its GPU twin in shaders/; `saxpy` here is the twin of shaders/smoke.wgsl.

pub mod act;
pub mod augment;
pub mod backend;
pub mod conv;
pub mod dense;
pub mod fast;
pub mod fast_ops;
pub mod gemm;
pub mod loss;
pub mod misc;
pub mod norm;
pub mod optim;
pub mod pool;
pub mod rng;
pub mod threads;
pub mod upsample;

/// A number as the float type `T`. For `f32`/`f64` the conversion cannot fail; if a
/// float type could not hold the value the result is NaN, which the loss reports, rather
/// than a panic.
pub fn float<T: num_traits::Float, V: num_traits::ToPrimitive>(v: V) -> T {
    T::from(v).unwrap_or_else(T::nan)
}

/// CPU twin of `shaders/smoke.wgsl`: out[i] = a * x[i] + y[i], rounded once (fused multiply-add).
pub fn saxpy(a: f32, x: &[f32], y: &[f32]) -> Vec<f32> {
    debug_assert_eq!(x.len(), y.len());
    x.iter().zip(y).map(|(&xi, &yi)| a.mul_add(xi, yi)).collect()
}
