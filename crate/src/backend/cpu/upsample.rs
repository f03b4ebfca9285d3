//! Reference up-sampling (Keras UpSampling2D), forward and backward, nearest and bilinear,
//! one image at a time (the backend shares images among threads). Generic over the float
//! type so gradient checks run in f64.
//! GPU twin: shaders/upsample.wgsl (`forward`, `backward`).
//!
//! Nearest: out[oy, ox] = x[oy / sh, ox / sw] (each pixel repeated into an sh × sw block).
//! Bilinear: TensorFlow 2's `resize(..., method="bilinear")` (what Keras's layer calls) for an
//! integer factor s: output row o reads the source coordinate t = (o + ½) / s − ½ (half-pixel
//! centres), between rows lo = max(⌊t⌋, 0) and hi = min(⌊t⌋ + 1, h − 1) with weight
//! f = t − ⌊t⌋ on hi, so the border rows repeat the edge; columns alike. Backward gathers:
//! every input value sums the output gradients that read it, times the weight they read it with.

use super::float;
use crate::backend::geom::Upsample;
use num_traits::Float;

/// The two source rows (or columns) output `o` reads and the weight of the second.
pub fn taps<T: Float>(o: usize, s: u32, size: u32) -> (usize, usize, T) {
    let t: T = (float::<T, _>(o) + float(0.5)) / float(s) - float(0.5);
    let fl = t.floor();
    let lo = fl.max(T::zero()).to_usize().unwrap_or(0);
    let hi = (fl + T::one()).max(T::zero()).to_usize().unwrap_or(0).min(size as usize - 1);
    (lo, hi, t - fl)
}

/// The weight with which output `o` reads source row `i` (zero when it does not).
fn weight<T: Float>(o: usize, i: usize, s: u32, size: u32) -> T {
    let (lo, hi, f) = taps::<T>(o, s, size);
    let mut wt = T::zero();
    if lo == i {
        wt = wt + T::one() - f;
    }
    if hi == i {
        wt = wt + f;
    }
    wt
}

/// One image: x [h, w, c] → out [h·sh, w·sw, c].
pub fn forward_image<T: Float>(g: &Upsample, x: &[T], out: &mut [T]) {
    let (w, c, ow) = (g.w as usize, g.c as usize, g.ow());
    for oy in 0..g.oh() {
        for ox in 0..ow {
            let o = &mut out[(oy * ow + ox) * c..][..c];
            if !g.bilinear {
                let i = ((oy / g.sh as usize) * w + ox / g.sw as usize) * c;
                o.copy_from_slice(&x[i..i + c]);
                continue;
            }
            let (y0, y1, fy) = taps::<T>(oy, g.sh, g.h);
            let (x0, x1, fx) = taps::<T>(ox, g.sw, g.w);
            let at = |y: usize, xx: usize, ci: usize| x[(y * w + xx) * c + ci];
            for (ci, v) in o.iter_mut().enumerate() {
                let top = at(y0, x0, ci) + (at(y0, x1, ci) - at(y0, x0, ci)) * fx;
                let bottom = at(y1, x0, ci) + (at(y1, x1, ci) - at(y1, x0, ci)) * fx;
                *v = top + (bottom - top) * fy;
            }
        }
    }
}

/// One image: dout [h·sh, w·sw, c] → dx [h, w, c] (overwritten).
pub fn backward_image<T: Float>(g: &Upsample, dout: &[T], dx: &mut [T]) {
    let (w, c, ow) = (g.w as usize, g.c as usize, g.ow());
    let (sh, sw) = (g.sh as usize, g.sw as usize);
    for iy in 0..g.h as usize {
        for ix in 0..w {
            let d = &mut dx[(iy * w + ix) * c..][..c];
            d.iter_mut().for_each(|v| *v = T::zero());
            if !g.bilinear {
                for oy in iy * sh..(iy + 1) * sh {
                    for ox in ix * sw..(ix + 1) * sw {
                        let o = &dout[(oy * ow + ox) * c..][..c];
                        d.iter_mut().zip(o).for_each(|(v, &o)| *v = *v + o);
                    }
                }
                continue;
            }
            // Only outputs within one source step either side read this input.
            for oy in iy.saturating_sub(1) * sh..((iy + 2) * sh).min(g.oh()) {
                let wy: T = weight(oy, iy, g.sh, g.h);
                if wy == T::zero() {
                    continue;
                }
                for ox in ix.saturating_sub(1) * sw..((ix + 2) * sw).min(ow) {
                    let wt = wy * weight(ox, ix, g.sw, g.w);
                    if wt == T::zero() {
                        continue;
                    }
                    let o = &dout[(oy * ow + ox) * c..][..c];
                    d.iter_mut().zip(o).for_each(|(v, &o)| *v = *v + o * wt);
                }
            }
        }
    }
}

/// The whole batch: x [n, h, w, c] → out [n, h·sh, w·sw, c].
pub fn upsample_forward<T: Float>(g: &Upsample, x: &[T], out: &mut [T]) {
    let (img, oimg) = (g.input_len() / g.n as usize, g.output_len() / g.n as usize);
    for (xb, ob) in x.chunks_exact(img).zip(out.chunks_exact_mut(oimg)).take(g.n as usize) {
        forward_image(g, xb, ob);
    }
}

/// The whole batch: dout → dx (overwritten).
pub fn upsample_backward<T: Float>(g: &Upsample, dout: &[T], dx: &mut [T]) {
    let (img, oimg) = (g.input_len() / g.n as usize, g.output_len() / g.n as usize);
    for (db, xb) in dout.chunks_exact(oimg).zip(dx.chunks_exact_mut(img)).take(g.n as usize) {
        backward_image(g, db, xb);
    }
}
