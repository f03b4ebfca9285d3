//! The CPU fast path for convolutions: im2col + the packed GEMM of gemm.rs (a direct loop
//! for one input channel, where im2col would only copy), images shared among the threads
//! of the current rayon pool. The reference functions in conv.rs stay the oracle; tests
//! hold this path to them. GPU twins: shaders/gemm.wgsl (which reads its patches
//! implicitly instead of through an im2col buffer) and shaders/depthwise.wgsl.
//!
//! Determinism: an output element never depends on how images are shared among threads.
//! The filter gradient sums over the batch, so it is summed per fixed part of `PART`
//! images (each part's sum in a fixed order) and the parts are then added in order: the
//! same bits on one thread or many.

use super::gemm::{gemm_packed, PackedB, View};
use crate::backend::geom::Window;
use rayon::prelude::*;

/// Images per partial filter gradient (a constant, so the sum's order never depends on the threads).
const PART: usize = 4;

/// Patches of one image `x`: [oh·ow, kh·kw·c], zeros where the window is in the padding.
fn im2col(g: &Window, x: &[f32], cols: &mut [f32]) {
    let (c, kh, kw) = (g.c as usize, g.kh as usize, g.kw as usize);
    let kl = kh * kw * c;
    for oy in 0..g.oh as usize {
        for ox in 0..g.ow as usize {
            let row = &mut cols[(oy * g.ow as usize + ox) * kl..][..kl];
            for ky in 0..kh {
                let iy = g.in_y(oy, ky);
                for kx in 0..kw {
                    let dst = &mut row[(ky * kw + kx) * c..][..c];
                    match (iy, g.in_x(ox, kx)) {
                        (Some(iy), Some(ix)) => dst.copy_from_slice(&x[(iy * g.w as usize + ix) * c..][..c]),
                        _ => dst.iter_mut().for_each(|v| *v = 0.0),
                    }
                }
            }
        }
    }
}

/// Adds the patch gradients of one image back into its dx (the inverse of im2col).
fn col2im(g: &Window, cols: &[f32], dx: &mut [f32]) {
    let (c, kh, kw) = (g.c as usize, g.kh as usize, g.kw as usize);
    let kl = kh * kw * c;
    for oy in 0..g.oh as usize {
        for ox in 0..g.ow as usize {
            let row = &cols[(oy * g.ow as usize + ox) * kl..][..kl];
            for ky in 0..kh {
                let Some(iy) = g.in_y(oy, ky) else { continue };
                for kx in 0..kw {
                    let Some(ix) = g.in_x(ox, kx) else { continue };
                    let dst = &mut dx[(iy * g.w as usize + ix) * c..][..c];
                    for (d, &s) in dst.iter_mut().zip(&row[(ky * kw + kx) * c..][..c]) {
                        *d += s;
                    }
                }
            }
        }
    }
}

/// A 1×1 convolution with stride 1 reads each pixel once, in place: its patches are the
/// image itself, so im2col is skipped.
fn pointwise(g: &Window) -> bool {
    g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pad_top == 0 && g.pad_left == 0 && g.oh == g.h && g.ow == g.w
}

/// Whether a GEMM inside one image should share its rows among threads too (few images).
fn inner_parallel(tasks: usize) -> bool {
    tasks < rayon::current_num_threads()
}

/// Same contract as `conv::conv2d_forward`.
pub fn conv2d_forward(g: &Window, x: &[f32], w: &[f32], bias: Option<&[f32]>, out: &mut [f32]) {
    if g.c == 1 {
        return direct_forward(g, x, w, bias, out);
    }
    let (oc, rows) = (g.oc as usize, (g.oh * g.ow) as usize);
    let kl = (g.kh * g.kw * g.c) as usize;
    let img = (g.h * g.w * g.c) as usize;
    let direct = pointwise(g);
    let pb = PackedB::new(kl, oc, View::rows(w, oc));
    let inner = inner_parallel(g.n as usize);
    out[..g.output_len()].par_chunks_mut(rows * oc).enumerate().for_each_init(Vec::new, |cols, (b, o)| {
        let xb = &x[b * img..][..img];
        let patches = if direct {
            xb
        } else {
            cols.resize(rows * kl, 0.0);
            im2col(g, xb, cols);
            &cols[..]
        };
        if let Some(bias) = bias {
            o.chunks_exact_mut(oc).for_each(|r| r.copy_from_slice(bias));
        }
        gemm_packed(rows, View::rows(patches, kl), &pb, o, bias.is_some(), inner);
    });
}

/// One input channel: each output is its bias plus the window's taps in the reference's
/// order, 16 filters at a time in registers (the weights padded to a multiple of 16).
fn direct_forward(g: &Window, x: &[f32], w: &[f32], bias: Option<&[f32]>, out: &mut [f32]) {
    const L: usize = 16;
    let (oc, taps) = (g.oc as usize, (g.kh * g.kw) as usize);
    let groups = oc.div_ceil(L);
    let mut wp = vec![0.0f32; groups * taps * L];
    let mut bp = vec![0.0f32; groups * L];
    for f in 0..oc {
        for t in 0..taps {
            wp[((f / L) * taps + t) * L + f % L] = w[t * oc + f];
        }
        bp[f] = bias.map_or(0.0, |b| b[f]);
    }
    let (img, orow) = ((g.h * g.w) as usize, (g.ow as usize) * oc);
    out[..g.output_len()].par_chunks_mut(orow).enumerate().for_each(|(r, o)| {
        let (b, oy) = (r / g.oh as usize, r % g.oh as usize);
        let xb = &x[b * img..][..img];
        for ox in 0..g.ow as usize {
            for gi in 0..groups {
                let mut acc = [0f32; L];
                super::gemm::copy_fixed::<L>(&mut acc, &bp[gi * L..]);
                for ky in 0..g.kh as usize {
                    let Some(iy) = g.in_y(oy, ky) else { continue };
                    for kx in 0..g.kw as usize {
                        let Some(ix) = g.in_x(ox, kx) else { continue };
                        let xv = xb[iy * g.w as usize + ix];
                        let wr = &wp[(gi * taps + ky * g.kw as usize + kx) * L..][..L];
                        for (a, &wv) in acc.iter_mut().zip(wr) {
                            *a += xv * wv;
                        }
                    }
                }
                let f0 = gi * L;
                let wd = L.min(oc - f0);
                o[ox * oc + f0..][..wd].copy_from_slice(&acc[..wd]);
            }
        }
    });
}

/// Same contract as `conv::depthwise_forward`, with the channels innermost (vectorised);
/// each output sums in the same order as the reference, so the results are identical.
pub fn depthwise_forward(g: &Window, x: &[f32], w: &[f32], bias: Option<&[f32]>, out: &mut [f32]) {
    let c = g.c as usize;
    let (img, orow) = ((g.h * g.w) as usize * c, g.ow as usize * c);
    // One output row per task: every value is summed by one task, in the reference's order.
    out[..g.output_len()].par_chunks_mut(orow).enumerate().for_each(|(r, orow)| {
        let (n, oy) = (r / g.oh as usize, r % g.oh as usize);
        let xb = &x[n * img..][..img];
        for (ox, o) in orow.chunks_exact_mut(c).enumerate() {
            match bias {
                Some(b) => o.copy_from_slice(&b[..c]),
                None => o.iter_mut().for_each(|v| *v = 0.0),
            }
            for ky in 0..g.kh as usize {
                let Some(iy) = g.in_y(oy, ky) else { continue };
                for kx in 0..g.kw as usize {
                    let Some(ix) = g.in_x(ox, kx) else { continue };
                    let xr = &xb[(iy * g.w as usize + ix) * c..][..c];
                    let wr = &w[(ky * g.kw as usize + kx) * c..][..c];
                    for ((ov, &xv), &wv) in o.iter_mut().zip(xr).zip(wr) {
                        *ov += xv * wv;
                    }
                }
            }
        }
    });
}

/// Same contract as `conv::conv2d_backward` (dx overwritten; dw, db accumulated).
pub fn conv2d_backward(
    g: &Window,
    x: &[f32],
    w: &[f32],
    dout: &[f32],
    dx: &mut [f32],
    dw: &mut [f32],
    db: Option<&mut [f32]>,
) {
    conv2d_backward_opt(g, x, w, dout, Some(dx), dw, db)
}

/// `conv2d_backward` where the data gradient may be skipped (a first layer needs none).
pub fn conv2d_backward_opt(
    g: &Window,
    x: &[f32],
    w: &[f32],
    dout: &[f32],
    dx: Option<&mut [f32]>,
    dw: &mut [f32],
    db: Option<&mut [f32]>,
) {
    let (n, oc, rows) = (g.n as usize, g.oc as usize, (g.oh * g.ow) as usize);
    let kl = (g.kh * g.kw * g.c) as usize;
    let img = (g.h * g.w * g.c) as usize;
    let direct = pointwise(g);
    // wᵀ [oc, kl]: the data gradient of an image is dout · wᵀ.
    let wt = PackedB::new(oc, kl, View::transposed(w, oc));
    let parts = n.div_ceil(PART);
    let inner = inner_parallel(parts);
    let mut partial = vec![0.0f32; parts * kl * oc];
    let work = |p: usize, dwp: &mut [f32], dxp: Option<&mut [f32]>, cols: &mut Vec<f32>| {
        let (b0, b1) = (p * PART, (p * PART + PART).min(n));
        let (xs, ds) = (&x[b0 * img..b1 * img], &dout[b0 * rows * oc..b1 * rows * oc]);
        // dw_part = patchesᵀ · dout over the part's images, in order.
        let patches = if direct {
            xs
        } else {
            cols.resize((b1 - b0) * rows * kl, 0.0);
            for (xb, cb) in xs.chunks_exact(img).zip(cols.chunks_exact_mut(rows * kl)) {
                im2col(g, xb, cb);
            }
            &cols[..]
        };
        let dpack = PackedB::new((b1 - b0) * rows, oc, View::rows(ds, oc));
        gemm_packed(kl, View::transposed(patches, kl), &dpack, dwp, false, inner);
        let Some(dxp) = dxp else { return };
        for (db, dxb) in ds.chunks_exact(rows * oc).zip(dxp.chunks_exact_mut(img)) {
            if direct {
                gemm_packed(rows, View::rows(db, oc), &wt, dxb, false, inner);
            } else {
                let cb = &mut cols[..rows * kl];
                gemm_packed(rows, View::rows(db, oc), &wt, cb, false, inner);
                dxb.fill(0.0);
                col2im(g, cb, dxb);
            }
        }
    };
    let chunks = partial.par_chunks_mut(kl * oc).enumerate();
    match dx {
        Some(dx) => chunks
            .zip(dx[..n * img].par_chunks_mut(PART * img))
            .for_each_init(Vec::new, |cols, ((p, dwp), dxp)| work(p, dwp, Some(dxp), cols)),
        None => chunks.for_each_init(Vec::new, |cols, (p, dwp)| work(p, dwp, None, cols)),
    }
    for part in partial.chunks_exact(kl * oc) {
        for (d, &v) in dw.iter_mut().zip(part) {
            *d += v;
        }
    }
    if let Some(db) = db {
        for row in dout[..g.output_len()].chunks(oc) {
            for (s, &v) in db.iter_mut().zip(row) {
                *s += v;
            }
        }
    }
}

/// conv2d's data gradient alone, dx (overwritten) = col2im(dout · wᵀ) per image, images shared
/// among the threads: the forward pass of a transposed convolution (conv.rs's
/// `conv2d_transpose_forward` without its bias).
pub fn conv2d_backward_data(g: &Window, w: &[f32], dout: &[f32], dx: &mut [f32]) {
    let (n, oc, rows) = (g.n as usize, g.oc as usize, (g.oh * g.ow) as usize);
    let (kl, img) = ((g.kh * g.kw * g.c) as usize, (g.h * g.w * g.c) as usize);
    let direct = pointwise(g);
    let wt = PackedB::new(oc, kl, View::transposed(w, oc));
    let inner = inner_parallel(n);
    dx[..n * img].par_chunks_mut(img).zip(dout[..g.output_len()].par_chunks(rows * oc)).for_each_init(
        Vec::new,
        |cols: &mut Vec<f32>, (dxb, db)| {
            if direct {
                gemm_packed(rows, View::rows(db, oc), &wt, dxb, false, inner);
            } else {
                cols.resize(rows * kl, 0.0);
                gemm_packed(rows, View::rows(db, oc), &wt, cols, false, inner);
                dxb.fill(0.0);
                col2im(g, cols, dxb);
            }
        },
    );
}
