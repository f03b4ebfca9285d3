//! The fast path for dense layers, pooling, batch norm, LRN and element-wise work: dense products
//! on the packed GEMM (gemm.rs), pooling one image per task, batch norm's per-channel sums one
//! group of channels per task, element-wise ops in pieces, all over the threads of the
//! current rayon pool. Each output is computed by one task in a fixed order, so a threaded
//! call gives the bits of a single-threaded one. Oracles: dense.rs, pool.rs and norm.rs
//! (pooling and batch norm here give exactly the reference's bits; LRN, with running window
//! sums, equals it to rounding). GPU twins: shaders/gemm.wgsl (dense), shaders/pool.wgsl,
//! shaders/batchnorm.wgsl, shaders/lrn.wgsl and shaders/eltwise.wgsl.

use super::act;
use super::gemm::{gemm, View};
use super::norm::BnSaved;
use crate::backend::geom::Window;
use crate::spec::Activation;
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

/// Same contract as `pool::max_pool_forward` (the same taps in the same order, the first
/// largest wins), channels innermost, one image per task.
pub fn max_pool_forward(g: &Window, x: &[f32], out: &mut [f32], argmax: &mut [u32]) {
    let (c, img, oimg) = (g.c as usize, (g.h * g.w * g.c) as usize, (g.oh * g.ow * g.c) as usize);
    let n = g.n as usize;
    out[..n * oimg].par_chunks_mut(oimg).zip(argmax[..n * oimg].par_chunks_mut(oimg)).enumerate().for_each(
        |(b, (out, argmax))| {
            let xb = &x[b * img..][..img];
            for (p, (o, a)) in out.chunks_exact_mut(c).zip(argmax.chunks_exact_mut(c)).enumerate() {
                let (oy, ox) = (p / g.ow as usize, p % g.ow as usize);
                o.fill(f32::NEG_INFINITY);
                a.fill((b * img) as u32);
                for ky in 0..g.kh as usize {
                    let Some(iy) = g.in_y(oy, ky) else { continue };
                    for kx in 0..g.kw as usize {
                        let Some(ix) = g.in_x(ox, kx) else { continue };
                        let at = (iy * g.w as usize + ix) * c;
                        let base = (b * img + at) as u32;
                        for (ci, ((o, a), &v)) in o.iter_mut().zip(a.iter_mut()).zip(&xb[at..at + c]).enumerate() {
                            if v > *o {
                                *o = v;
                                *a = base + ci as u32;
                            }
                        }
                    }
                }
            }
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

/// Element-wise work is split into pieces of this many values (a multiple of every channel
/// count a row-wise op needs is taken by `rows_of`).
const PIECE: usize = 1 << 15;

/// A piece length that holds whole rows of `c` values.
fn rows_of(c: usize) -> usize {
    (PIECE / c.max(1)).max(1) * c.max(1)
}

/// Runs `f` on matching pieces of `x` and `y` (whole rows of `c`), in parallel.
pub fn zip_rows(c: usize, x: &[f32], y: &mut [f32], f: impl Fn(&[f32], &mut [f32]) + Sync) {
    let p = rows_of(c);
    y.par_chunks_mut(p).zip(x.par_chunks(p)).for_each(|(y, x)| f(x, y));
}

/// Runs `f` on pieces of `y` (whole rows of `c`) with the offset of each, in parallel.
pub fn each_rows(c: usize, y: &mut [f32], f: impl Fn(usize, &mut [f32]) + Sync) {
    let p = rows_of(c);
    y.par_chunks_mut(p).enumerate().for_each(|(i, y)| f(i * p, y));
}

/// Channels per task for the per-channel sums of batch norm.
const GROUP: usize = 16;

/// Per channel of x [rows, c]: (Σ x, then Σ (x − mean)²) in row order, as `norm::batch_norm_train`
/// sums them; channel groups are shared among threads, so the sums are the reference's bits.
fn channel_stats(c: usize, x: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let m = (x.len() / c) as f32;
    let groups: Vec<(Vec<f32>, Vec<f32>)> = (0..c.div_ceil(GROUP))
        .into_par_iter()
        .map(|gi| {
            let (j0, j1) = (gi * GROUP, (gi * GROUP + GROUP).min(c));
            let mut mean = vec![0.0f32; j1 - j0];
            for row in x.chunks_exact(c) {
                mean.iter_mut().zip(&row[j0..j1]).for_each(|(s, &v)| *s += v);
            }
            mean.iter_mut().for_each(|s| *s /= m);
            let mut var = vec![0.0f32; j1 - j0];
            for row in x.chunks_exact(c) {
                for ((s, &v), &mu) in var.iter_mut().zip(&row[j0..j1]).zip(&mean) {
                    *s += (v - mu) * (v - mu);
                }
            }
            var.iter_mut().for_each(|s| *s /= m);
            (mean, var)
        })
        .collect();
    groups.into_iter().fold((vec![], vec![]), |(mut m, mut v), (gm, gv)| {
        m.extend(gm);
        v.extend(gv);
        (m, v)
    })
}

/// Same contract (and the same bits) as `norm::batch_norm_train`.
pub fn batch_norm_train(
    c: usize,
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
    momentum: f32,
    running_mean: &mut [f32],
    running_var: &mut [f32],
    out: &mut [f32],
) -> BnSaved<f32> {
    let (mean, var) = channel_stats(c, x);
    let inv_std: Vec<f32> = var.iter().map(|&v| 1.0 / (v + eps).sqrt()).collect();
    let (gamma, beta) = (&gamma[..c], &beta[..c]);
    zip_rows(c, x, &mut out[..x.len()], |x, o| {
        for (o, row) in o.chunks_exact_mut(c).zip(x.chunks_exact(c)) {
            let per = gamma.iter().zip(beta).zip(mean.iter().zip(&inv_std));
            for ((o, &v), ((&g, &b), (&mu, &is))) in o.iter_mut().zip(row).zip(per) {
                *o = g * (v - mu) * is + b;
            }
        }
    });
    for j in 0..c {
        running_mean[j] = momentum * running_mean[j] + (1.0 - momentum) * mean[j];
        running_var[j] = momentum * running_var[j] + (1.0 - momentum) * var[j];
    }
    BnSaved { mean, inv_std }
}

/// Same contract (and the same bits) as `norm::batch_norm_backward`.
pub fn batch_norm_backward(
    c: usize,
    x: &[f32],
    gamma: &[f32],
    saved: &BnSaved<f32>,
    dy: &[f32],
    dx: &mut [f32],
    dgamma: &mut [f32],
    dbeta: &mut [f32],
) {
    let m = (x.len() / c) as f32;
    let (mean, inv_std) = (&saved.mean, &saved.inv_std);
    let sums: Vec<(f32, f32)> = (0..c.div_ceil(GROUP))
        .into_par_iter()
        .flat_map_iter(|gi| {
            let (j0, j1) = (gi * GROUP, (gi * GROUP + GROUP).min(c));
            let (mut sd, mut sdx) = (vec![0.0f32; j1 - j0], vec![0.0f32; j1 - j0]);
            for (row, d) in x.chunks_exact(c).zip(dy.chunks_exact(c)) {
                for j in j0..j1 {
                    let xhat = (row[j] - mean[j]) * inv_std[j];
                    sd[j - j0] += d[j];
                    sdx[j - j0] += d[j] * xhat;
                }
            }
            sd.into_iter().zip(sdx)
        })
        .collect();
    // γ·inv_std/M per channel: the reference's first three factors, the same float.
    let scale: Vec<f32> = gamma[..c].iter().zip(inv_std).map(|(&g, &is)| g * is / m).collect();
    let (sd, sdx): (Vec<f32>, Vec<f32>) = sums.iter().copied().unzip();
    each_rows(c, &mut dx[..x.len()], |at, o| {
        for (r, o) in o.chunks_exact_mut(c).enumerate() {
            let (row, d) = (&x[at + r * c..][..c], &dy[at + r * c..][..c]);
            let per = mean.iter().zip(inv_std).zip(scale.iter().zip(sd.iter().zip(&sdx)));
            for (((o, &v), &d), ((&mu, &is), (&k, (&s1, &s2)))) in o.iter_mut().zip(row).zip(d).zip(per) {
                let xhat = (v - mu) * is;
                *o = k * (m * d - s1 - xhat * s2);
            }
        }
    });
    for (j, &(sd, sdx)) in sums.iter().enumerate() {
        dgamma[j] += sdx;
        dbeta[j] += sd;
    }
}

/// Same contract (and the same bits) as `act::activation_backward`, in pieces over the threads;
/// ReLU (the common case) as a plain loop the compiler vectorises.
pub fn activation_backward(a: Activation, channels: usize, y: &[f32], dy: &mut [f32]) {
    each_rows(channels, &mut dy[..y.len()], |at, d| {
        let y = &y[at..at + d.len()];
        match a {
            Activation::Relu => {
                for (d, &y) in d.iter_mut().zip(y) {
                    *d *= if y > 0.0 { 1.0 } else { 0.0 };
                }
            }
            _ => act::activation_backward(a, channels, y, d),
        }
    });
}

/// d^−β for LRN's denominators, without `powf` for the usual exponents (0.75: AlexNet's and
/// Keras's default; 0.5; 1).
fn pow_neg(d: f32, beta: f32) -> f32 {
    if beta == 0.75 {
        let s = d.sqrt();
        1.0 / (s * s.sqrt())
    } else if beta == 0.5 {
        1.0 / d.sqrt()
    } else if beta == 1.0 {
        1.0 / d
    } else {
        d.powf(-beta)
    }
}

/// d[j] = bias + α·Σ_{|k−j| ≤ r} x[k]² along one position's channels (summed in the
/// reference's order), and d^−β into `p`.
fn lrn_denominators(r: usize, bias: f32, alpha: f32, beta: f32, row: &[f32], d: &mut [f32], p: &mut [f32]) {
    let c = row.len();
    for j in 0..c {
        let s: f32 = row[j.saturating_sub(r)..=(j + r).min(c - 1)].iter().fold(0.0, |s, v| s + v * v);
        d[j] = bias + alpha * s;
        p[j] = pow_neg(d[j], beta);
    }
}

/// Same contract as `norm::lrn_forward` (equal to rounding: d^−β without `powf`), positions
/// shared among threads.
pub fn lrn_forward(c: usize, r: usize, bias: f32, alpha: f32, beta: f32, x: &[f32], out: &mut [f32]) {
    each_rows(c, &mut out[..x.len()], |at, o| {
        let (mut d, mut p) = (vec![0.0f32; c], vec![0.0f32; c]);
        for (o, row) in o.chunks_exact_mut(c).zip(x[at..].chunks_exact(c)) {
            lrn_denominators(r, bias, alpha, beta, row, &mut d, &mut p);
            for ((o, &v), &p) in o.iter_mut().zip(row).zip(&p) {
                *o = v * p;
            }
        }
    });
}

/// Same contract as `norm::lrn_backward`: dx[i] = dy[i]·d[i]^−β − 2αβ·x[i]·Σ_{|j−i| ≤ r} dy[j]·x[j]·d[j]^−β/d[j],
/// each power computed once per channel instead of once per window term.
pub fn lrn_backward(c: usize, r: usize, bias: f32, alpha: f32, beta: f32, x: &[f32], dy: &[f32], dx: &mut [f32]) {
    let k = 2.0 * alpha * beta;
    each_rows(c, &mut dx[..x.len()], |at, o| {
        let (mut d, mut p, mut t) = (vec![0.0f32; c], vec![0.0f32; c], vec![0.0f32; c]);
        for ((o, row), g) in o.chunks_exact_mut(c).zip(x[at..].chunks_exact(c)).zip(dy[at..].chunks_exact(c)) {
            lrn_denominators(r, bias, alpha, beta, row, &mut d, &mut p);
            for j in 0..c {
                t[j] = g[j] * row[j] * p[j] / d[j];
            }
            for i in 0..c {
                let cross: f32 = t[i.saturating_sub(r)..=(i + r).min(c - 1)].iter().sum();
                o[i] = g[i] * p[i] - k * row[i] * cross;
            }
        }
    });
}
