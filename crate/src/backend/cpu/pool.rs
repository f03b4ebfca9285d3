//! Reference pooling. Padding positions never take part: max pooling ignores them
//! and average pooling divides by the number of real inputs in the window
//! (TensorFlow's behaviour for "same").
//! GPU twin: shaders/pool.wgsl.

use crate::backend::geom::Window;
use num_traits::Float;

/// Max pooling; `argmax[o]` is the flat input index that won, for backward.
pub fn max_pool_forward<T: Float>(g: &Window, x: &[T], out: &mut [T], argmax: &mut [u32]) {
    let c = g.c as usize;
    for n in 0..g.n as usize {
        for oy in 0..g.oh as usize {
            for ox in 0..g.ow as usize {
                for ci in 0..c {
                    let mut best = T::neg_infinity();
                    let mut at = 0usize;
                    for ky in 0..g.kh as usize {
                        let Some(iy) = g.in_y(oy, ky) else { continue };
                        for kx in 0..g.kw as usize {
                            let Some(ix) = g.in_x(ox, kx) else { continue };
                            let i = ((n * g.h as usize + iy) * g.w as usize + ix) * c + ci;
                            if x[i] > best {
                                best = x[i];
                                at = i;
                            }
                        }
                    }
                    let o = ((n * g.oh as usize + oy) * g.ow as usize + ox) * c + ci;
                    out[o] = best;
                    argmax[o] = at as u32;
                }
            }
        }
    }
}

pub fn max_pool_backward<T: Float>(dout: &[T], argmax: &[u32], dx: &mut [T]) {
    dx.iter_mut().for_each(|v| *v = T::zero());
    for (d, &i) in dout.iter().zip(argmax) {
        dx[i as usize] = dx[i as usize] + *d;
    }
}

fn window_count(g: &Window, oy: usize, ox: usize) -> usize {
    let rows = (0..g.kh as usize).filter(|&ky| g.in_y(oy, ky).is_some()).count();
    let cols = (0..g.kw as usize).filter(|&kx| g.in_x(ox, kx).is_some()).count();
    rows * cols
}

pub fn avg_pool_forward<T: Float>(g: &Window, x: &[T], out: &mut [T]) {
    let c = g.c as usize;
    for n in 0..g.n as usize {
        for oy in 0..g.oh as usize {
            for ox in 0..g.ow as usize {
                let inv = T::one() / super::float::<T, _>(window_count(g, oy, ox));
                for ci in 0..c {
                    let mut s = T::zero();
                    for ky in 0..g.kh as usize {
                        let Some(iy) = g.in_y(oy, ky) else { continue };
                        for kx in 0..g.kw as usize {
                            let Some(ix) = g.in_x(ox, kx) else { continue };
                            s = s + x[((n * g.h as usize + iy) * g.w as usize + ix) * c + ci];
                        }
                    }
                    out[((n * g.oh as usize + oy) * g.ow as usize + ox) * c + ci] = s * inv;
                }
            }
        }
    }
}

pub fn avg_pool_backward<T: Float>(g: &Window, dout: &[T], dx: &mut [T]) {
    let c = g.c as usize;
    dx.iter_mut().for_each(|v| *v = T::zero());
    for n in 0..g.n as usize {
        for oy in 0..g.oh as usize {
            for ox in 0..g.ow as usize {
                let inv = T::one() / super::float::<T, _>(window_count(g, oy, ox));
                for ci in 0..c {
                    let d = dout[((n * g.oh as usize + oy) * g.ow as usize + ox) * c + ci] * inv;
                    for ky in 0..g.kh as usize {
                        let Some(iy) = g.in_y(oy, ky) else { continue };
                        for kx in 0..g.kw as usize {
                            let Some(ix) = g.in_x(ox, kx) else { continue };
                            let i = ((n * g.h as usize + iy) * g.w as usize + ix) * c + ci;
                            dx[i] = dx[i] + d;
                        }
                    }
                }
            }
        }
    }
}

/// x [n, hw, c] → out [n, c]: the mean over the hw positions.
pub fn global_avg_pool_forward<T: Float>(n: usize, hw: usize, c: usize, x: &[T], out: &mut [T]) {
    let inv = T::one() / super::float::<T, _>(hw);
    for b in 0..n {
        for ci in 0..c {
            let mut s = T::zero();
            for p in 0..hw {
                s = s + x[(b * hw + p) * c + ci];
            }
            out[b * c + ci] = s * inv;
        }
    }
}

pub fn global_avg_pool_backward<T: Float>(n: usize, hw: usize, c: usize, dout: &[T], dx: &mut [T]) {
    let inv = T::one() / super::float::<T, _>(hw);
    for b in 0..n {
        for p in 0..hw {
            for ci in 0..c {
                dx[(b * hw + p) * c + ci] = dout[b * c + ci] * inv;
            }
        }
    }
}
