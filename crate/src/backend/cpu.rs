//! The CPU backend: plain Rust. It is the reference every GPU kernel is tested
//! against, and the engine in browsers without WebGPU.

/// CPU twin of `shaders/smoke.wgsl`: out[i] = a * x[i] + y[i].
/// Uses a fused multiply-add like the shader, so both round once per element.
pub fn saxpy(a: f32, x: &[f32], y: &[f32]) -> Vec<f32> {
    debug_assert_eq!(x.len(), y.len());
    x.iter().zip(y).map(|(&xi, &yi)| a.mul_add(xi, yi)).collect()
}
