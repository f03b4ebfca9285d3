//! The fast path for dense layers and pooling: dense products on the packed GEMM
//! (gemm.rs), pooling one image per task, both over the threads of the current rayon pool.
//! Each output is computed by one task in a fixed order, so a threaded call gives the bits
//! of a single-threaded one. Oracles: dense.rs and pool.rs (the reference loops).

use super::gemm::{gemm, View};
use super::pool;
use crate::backend::geom::Window;
use rayon::prelude::*;

/// Same contract as `dense::dense_forward`.
pub fn dense_forward(n: usize, k: usize, m: usize, x: &[f32], w: &[f32], b: Option<&[f32]>, out: &mut [f32]) {
    let out = &mut out[..n * m];
    if let Some(b) = b {
        out.chunks_exact_mut(m).for_each(|r| r.copy_from_slice(&b[..m]));
    }
    gemm(n, m, k, View::rows(x, k), View::rows(w, m), out, b.is_some());
}

/// Same contract as `dense::dense_backward` (dx overwritten; dw, db accumulated).
pub fn dense_backward(
    n: usize,
    k: usize,
    m: usize,
    x: &[f32],
    w: &[f32],
    dout: &[f32],
    dx: &mut [f32],
    dw: &mut [f32],
    db: Option<&mut [f32]>,
) {
    // dx = dout · wᵀ; dw += xᵀ · dout; db += Σ_rows dout.
    gemm(n, k, m, View::rows(dout, m), View::transposed(w, m), &mut dx[..n * k], false);
    gemm(k, m, n, View::transposed(x, k), View::rows(dout, m), &mut dw[..k * m], true);
    if let Some(db) = db {
        for row in dout[..n * m].chunks_exact(m) {
            for (s, &v) in db.iter_mut().zip(row) {
                *s += v;
            }
        }
    }
}

fn one_image(g: &Window) -> Window {
    Window { n: 1, ..*g }
}

/// Same contract as `pool::max_pool_forward`.
pub fn max_pool_forward(g: &Window, x: &[f32], out: &mut [f32], argmax: &mut [u32]) {
    let (g1, img, oimg) = (one_image(g), (g.h * g.w * g.c) as usize, (g.oh * g.ow * g.c) as usize);
    let n = g.n as usize;
    out[..n * oimg].par_chunks_mut(oimg).zip(argmax[..n * oimg].par_chunks_mut(oimg)).enumerate().for_each(
        |(b, (o, a))| {
            pool::max_pool_forward(&g1, &x[b * img..][..img], o, a);
            a.iter_mut().for_each(|i| *i += (b * img) as u32);
        },
    );
}

/// Same contract as `pool::max_pool_backward` for the indices `max_pool_forward` wrote
/// (each image's winners lie in that image).
pub fn max_pool_backward(g: &Window, dout: &[f32], argmax: &[u32], dx: &mut [f32]) {
    let (img, oimg, n) = ((g.h * g.w * g.c) as usize, (g.oh * g.ow * g.c) as usize, g.n as usize);
    dx[..n * img].par_chunks_mut(img).enumerate().for_each(|(b, d)| {
        d.fill(0.0);
        for (&v, &i) in dout[b * oimg..][..oimg].iter().zip(&argmax[b * oimg..][..oimg]) {
            d[i as usize - b * img] += v;
        }
    });
}
