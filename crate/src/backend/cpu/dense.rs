//! Reference dense layer: x [n, k] · w [k, m] + b [m] → out [n, m] (Keras layout).
//! GPU twins: shaders/gemm.wgsl, shaders/gemm_reg.wgsl and shaders/gemm_lane.wgsl (modes 3–5) and `channel_sum` of shaders/batchnorm.wgsl
//! for the bias gradient.

use num_traits::Float;

pub fn dense_forward<T: Float>(n: usize, k: usize, m: usize, x: &[T], w: &[T], b: Option<&[T]>, out: &mut [T]) {
    for r in 0..n {
        let o = &mut out[r * m..(r + 1) * m];
        for (j, v) in o.iter_mut().enumerate() {
            *v = b.map_or(T::zero(), |b| b[j]);
        }
        for i in 0..k {
            let xv = x[r * k + i];
            let wr = &w[i * m..(i + 1) * m];
            for (v, &wv) in o.iter_mut().zip(wr) {
                *v = *v + xv * wv;
            }
        }
    }
}

/// dx = dout · wᵀ; dw += xᵀ · dout; db += Σ_rows dout.
pub fn dense_backward<T: Float>(
    n: usize,
    k: usize,
    m: usize,
    x: &[T],
    w: &[T],
    dout: &[T],
    dx: &mut [T],
    dw: &mut [T],
    db: Option<&mut [T]>,
) {
    for r in 0..n {
        let d = &dout[r * m..(r + 1) * m];
        for i in 0..k {
            let wr = &w[i * m..(i + 1) * m];
            let mut s = T::zero();
            let xv = x[r * k + i];
            let dwr = &mut dw[i * m..(i + 1) * m];
            for j in 0..m {
                s = s + d[j] * wr[j];
                dwr[j] = dwr[j] + xv * d[j];
            }
            dx[r * k + i] = s;
        }
    }
    if let Some(db) = db {
        for r in 0..n {
            for j in 0..m {
                db[j] = db[j] + dout[r * m + j];
            }
        }
    }
}
