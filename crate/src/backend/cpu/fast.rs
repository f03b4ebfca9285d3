//! The CPU fast path: im2col + a cache-blocked GEMM whose inner loop (a row of C
//! updated by a scalar times a row of B) the compiler vectorises (SSE/AVX natively,
//! simd128 in the browser). The reference functions in conv.rs stay the oracle;
//! tests hold this path to them. GPU twins: shaders/gemm.wgsl (which reads its
//! patches implicitly instead of through an im2col buffer) and shaders/depthwise.wgsl.

use crate::backend::geom::Window;

/// Rows of A and depth of K processed per block, sized so a block of B stays in L1/L2.
const BLOCK_K: usize = 128;
const BLOCK_M: usize = 64;

/// c[m, n] (+)= a[m, k] · b[k, n], all row-major.
pub fn gemm(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32], accumulate: bool) {
    if !accumulate {
        c[..m * n].iter_mut().for_each(|v| *v = 0.0);
    }
    for k0 in (0..k).step_by(BLOCK_K) {
        let k1 = (k0 + BLOCK_K).min(k);
        for i0 in (0..m).step_by(BLOCK_M) {
            let i1 = (i0 + BLOCK_M).min(m);
            for i in i0..i1 {
                let crow = &mut c[i * n..(i + 1) * n];
                let arow = &a[i * k..(i + 1) * k];
                for kk in k0..k1 {
                    let av = arow[kk];
                    if av == 0.0 {
                        continue;
                    }
                    let brow = &b[kk * n..(kk + 1) * n];
                    for (cv, &bv) in crow.iter_mut().zip(brow) {
                        *cv += av * bv;
                    }
                }
            }
        }
    }
}

/// c[k, n] += a[m, k]ᵀ · b[m, n]  (the filter gradient: patchesᵀ · dout).
pub fn gemm_tn_acc(m: usize, n: usize, k: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    for r in 0..m {
        let arow = &a[r * k..(r + 1) * k];
        let brow = &b[r * n..(r + 1) * n];
        for (kk, &av) in arow.iter().enumerate() {
            if av == 0.0 {
                continue;
            }
            let crow = &mut c[kk * n..(kk + 1) * n];
            for (cv, &bv) in crow.iter_mut().zip(brow) {
                *cv += av * bv;
            }
        }
    }
}

/// Patches of image `b`: [oh·ow, kh·kw·c], zeros where the window is in the padding.
fn im2col(g: &Window, x: &[f32], b: usize, cols: &mut [f32]) {
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
                        (Some(iy), Some(ix)) => {
                            dst.copy_from_slice(&x[((b * g.h as usize + iy) * g.w as usize + ix) * c..][..c])
                        }
                        _ => dst.iter_mut().for_each(|v| *v = 0.0),
                    }
                }
            }
        }
    }
}

/// Adds the patch gradients of image `b` back into dx (the inverse of im2col).
fn col2im(g: &Window, cols: &[f32], b: usize, dx: &mut [f32]) {
    let (c, kh, kw) = (g.c as usize, g.kh as usize, g.kw as usize);
    let kl = kh * kw * c;
    for oy in 0..g.oh as usize {
        for ox in 0..g.ow as usize {
            let row = &cols[(oy * g.ow as usize + ox) * kl..][..kl];
            for ky in 0..kh {
                let Some(iy) = g.in_y(oy, ky) else { continue };
                for kx in 0..kw {
                    let Some(ix) = g.in_x(ox, kx) else { continue };
                    let dst = &mut dx[((b * g.h as usize + iy) * g.w as usize + ix) * c..][..c];
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

/// Same contract as `conv::conv2d_forward`.
pub fn conv2d_forward(g: &Window, x: &[f32], w: &[f32], bias: Option<&[f32]>, out: &mut [f32]) {
    let (oc, rows) = (g.oc as usize, (g.oh * g.ow) as usize);
    let kl = (g.kh * g.kw * g.c) as usize;
    let direct = pointwise(g);
    let mut cols = if direct { vec![] } else { vec![0.0f32; rows * kl] };
    for b in 0..g.n as usize {
        let patches: &[f32] = if direct {
            &x[b * rows * kl..(b + 1) * rows * kl]
        } else {
            im2col(g, x, b, &mut cols);
            &cols
        };
        let o = &mut out[b * rows * oc..(b + 1) * rows * oc];
        match bias {
            Some(bias) => {
                for r in 0..rows {
                    o[r * oc..(r + 1) * oc].copy_from_slice(bias);
                }
                gemm(rows, oc, kl, patches, w, o, true);
            }
            None => gemm(rows, oc, kl, patches, w, o, false),
        }
    }
}

/// Same contract as `conv::depthwise_forward`, with the channels innermost (vectorised);
/// each output sums in the same order as the reference, so the results are identical.
pub fn depthwise_forward(g: &Window, x: &[f32], w: &[f32], bias: Option<&[f32]>, out: &mut [f32]) {
    let c = g.c as usize;
    for n in 0..g.n as usize {
        for oy in 0..g.oh as usize {
            for ox in 0..g.ow as usize {
                let o = &mut out[((n * g.oh as usize + oy) * g.ow as usize + ox) * c..][..c];
                match bias {
                    Some(b) => o.copy_from_slice(&b[..c]),
                    None => o.iter_mut().for_each(|v| *v = 0.0),
                }
                for ky in 0..g.kh as usize {
                    let Some(iy) = g.in_y(oy, ky) else { continue };
                    for kx in 0..g.kw as usize {
                        let Some(ix) = g.in_x(ox, kx) else { continue };
                        let xr = &x[((n * g.h as usize + iy) * g.w as usize + ix) * c..][..c];
                        let wr = &w[(ky * g.kw as usize + kx) * c..][..c];
                        for ((ov, &xv), &wv) in o.iter_mut().zip(xr).zip(wr) {
                            *ov += xv * wv;
                        }
                    }
                }
            }
        }
    }
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
    let (oc, rows) = (g.oc as usize, (g.oh * g.ow) as usize);
    let kl = (g.kh * g.kw * g.c) as usize;
    // wᵀ [oc, kl] so the data gradient is a plain row-major GEMM too.
    let mut wt = vec![0.0f32; oc * kl];
    for k in 0..kl {
        for f in 0..oc {
            wt[f * kl + k] = w[k * oc + f];
        }
    }
    let mut cols = vec![0.0f32; rows * kl];
    dx.iter_mut().for_each(|v| *v = 0.0);
    for b in 0..g.n as usize {
        let d = &dout[b * rows * oc..(b + 1) * rows * oc];
        im2col(g, x, b, &mut cols);
        gemm_tn_acc(rows, oc, kl, &cols, d, dw);
        gemm(rows, kl, oc, d, &wt, &mut cols, false);
        col2im(g, &cols, b, dx);
    }
    if let Some(db) = db {
        for row in dout[..g.output_len()].chunks(oc) {
            for (s, &v) in db.iter_mut().zip(row) {
                *s += v;
            }
        }
    }
}
