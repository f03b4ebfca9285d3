//! Reference conv2d, depthwise conv2d and transposed conv2d, forward and backward. Generic
//! over the float type so gradient checks can run in f64.
//! GPU twins: shaders/gemm.wgsl and its register-tiled twins shaders/gemm_reg.wgsl and
//! shaders/gemm_lane.wgsl (conv2d:
//! modes 0–2; the transposed conv runs the same modes with the roles swapped: forward mode 1,
//! backward modes 0 and 2), shaders/depthwise.wgsl,
//! and `channel_sum` of shaders/batchnorm.wgsl for the bias gradient.
//!
//! Layouts: x [n, h, w, c] (NHWC), conv kernel [kh, kw, c, oc] (HWIO), depthwise
//! kernel [kh, kw, c], bias [oc], out [n, oh, ow, oc].

use crate::backend::geom::Window;
use num_traits::Float;

/// out[n,oy,ox,f] = b[f] + Σ_{ky,kx,c} x[n, oy·sh+ky−pt, ox·sw+kx−pl, c] · w[ky,kx,c,f]
pub fn conv2d_forward<T: Float>(g: &Window, x: &[T], w: &[T], b: Option<&[T]>, out: &mut [T]) {
    let (c, oc) = (g.c as usize, g.oc as usize);
    for n in 0..g.n as usize {
        for oy in 0..g.oh as usize {
            for ox in 0..g.ow as usize {
                let o = ((n * g.oh as usize + oy) * g.ow as usize + ox) * oc;
                let acc = &mut out[o..o + oc];
                for (f, a) in acc.iter_mut().enumerate() {
                    *a = b.map_or(T::zero(), |b| b[f]);
                }
                for ky in 0..g.kh as usize {
                    let Some(iy) = g.in_y(oy, ky) else { continue };
                    for kx in 0..g.kw as usize {
                        let Some(ix) = g.in_x(ox, kx) else { continue };
                        let xi = ((n * g.h as usize + iy) * g.w as usize + ix) * c;
                        for ci in 0..c {
                            let xv = x[xi + ci];
                            let wi = ((ky * g.kw as usize + kx) * c + ci) * oc;
                            for (f, a) in acc.iter_mut().enumerate() {
                                *a = *a + xv * w[wi + f];
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Given dout, returns dx and accumulates (+=) into dw and db.
pub fn conv2d_backward<T: Float>(
    g: &Window,
    x: &[T],
    w: &[T],
    dout: &[T],
    dx: &mut [T],
    dw: &mut [T],
    db: Option<&mut [T]>,
) {
    let (c, oc) = (g.c as usize, g.oc as usize);
    dx.iter_mut().for_each(|v| *v = T::zero());
    if let Some(db) = db {
        for (i, d) in dout.iter().enumerate() {
            db[i % oc] = db[i % oc] + *d;
        }
    }
    for n in 0..g.n as usize {
        for oy in 0..g.oh as usize {
            for ox in 0..g.ow as usize {
                let o = ((n * g.oh as usize + oy) * g.ow as usize + ox) * oc;
                let d = &dout[o..o + oc];
                for ky in 0..g.kh as usize {
                    let Some(iy) = g.in_y(oy, ky) else { continue };
                    for kx in 0..g.kw as usize {
                        let Some(ix) = g.in_x(ox, kx) else { continue };
                        let xi = ((n * g.h as usize + iy) * g.w as usize + ix) * c;
                        for ci in 0..c {
                            let wi = ((ky * g.kw as usize + kx) * c + ci) * oc;
                            let mut s = T::zero();
                            for f in 0..oc {
                                s = s + d[f] * w[wi + f];
                                dw[wi + f] = dw[wi + f] + x[xi + ci] * d[f];
                            }
                            dx[xi + ci] = dx[xi + ci] + s;
                        }
                    }
                }
            }
        }
    }
}

/// out[n,oy,ox,c] = b[c] + Σ_{ky,kx} x[n, oy·sh+ky−pt, ox·sw+kx−pl, c] · w[ky,kx,c]   (g.oc == g.c)
pub fn depthwise_forward<T: Float>(g: &Window, x: &[T], w: &[T], b: Option<&[T]>, out: &mut [T]) {
    let c = g.c as usize;
    for n in 0..g.n as usize {
        for oy in 0..g.oh as usize {
            for ox in 0..g.ow as usize {
                let o = ((n * g.oh as usize + oy) * g.ow as usize + ox) * c;
                for ci in 0..c {
                    let mut a = b.map_or(T::zero(), |b| b[ci]);
                    for ky in 0..g.kh as usize {
                        let Some(iy) = g.in_y(oy, ky) else { continue };
                        for kx in 0..g.kw as usize {
                            let Some(ix) = g.in_x(ox, kx) else { continue };
                            a = a + x[((n * g.h as usize + iy) * g.w as usize + ix) * c + ci]
                                * w[(ky * g.kw as usize + kx) * c + ci];
                        }
                    }
                    out[o + ci] = a;
                }
            }
        }
    }
}

pub fn depthwise_backward<T: Float>(
    g: &Window,
    x: &[T],
    w: &[T],
    dout: &[T],
    dx: &mut [T],
    dw: &mut [T],
    db: Option<&mut [T]>,
) {
    let c = g.c as usize;
    dx.iter_mut().for_each(|v| *v = T::zero());
    if let Some(db) = db {
        for (i, d) in dout.iter().enumerate() {
            db[i % c] = db[i % c] + *d;
        }
    }
    for n in 0..g.n as usize {
        for oy in 0..g.oh as usize {
            for ox in 0..g.ow as usize {
                let o = ((n * g.oh as usize + oy) * g.ow as usize + ox) * c;
                for ky in 0..g.kh as usize {
                    let Some(iy) = g.in_y(oy, ky) else { continue };
                    for kx in 0..g.kw as usize {
                        let Some(ix) = g.in_x(ox, kx) else { continue };
                        let xi = ((n * g.h as usize + iy) * g.w as usize + ix) * c;
                        let wi = (ky * g.kw as usize + kx) * c;
                        for ci in 0..c {
                            let d = dout[o + ci];
                            dx[xi + ci] = dx[xi + ci] + d * w[wi + ci];
                            dw[wi + ci] = dw[wi + ci] + d * x[xi + ci];
                        }
                    }
                }
            }
        }
    }
}

/// Transposed conv2d (Keras Conv2DTranspose), with `g` the window of its adjoint conv2d:
/// g's input [n, h, w, c] is this op's output (c = filters), g's output [n, oh, ow, oc] is
/// its input x (oc = input channels), w [kh, kw, c, oc] (Keras's [kh, kw, filters, in]).
/// out[n, iy, ix, ci] = b[ci] + Σ x[n, oy, ox, f] · w[ky, kx, ci, f] over oy·sh + ky − pt = iy,
/// ox·sw + kx − pl = ix: conv2d's data gradient of x, plus the bias.
pub fn conv2d_transpose_forward<T: Float>(g: &Window, x: &[T], w: &[T], b: Option<&[T]>, out: &mut [T]) {
    let c = g.c as usize;
    data_gradient(g, x, w, out);
    if let Some(b) = b {
        for (i, v) in out.iter_mut().enumerate() {
            *v = *v + b[i % c];
        }
    }
}

/// conv2d's data gradient alone: dx (overwritten) from dout.
fn data_gradient<T: Float>(g: &Window, dout: &[T], w: &[T], dx: &mut [T]) {
    let (c, oc) = (g.c as usize, g.oc as usize);
    dx.iter_mut().for_each(|v| *v = T::zero());
    for n in 0..g.n as usize {
        for oy in 0..g.oh as usize {
            for ox in 0..g.ow as usize {
                let d = &dout[((n * g.oh as usize + oy) * g.ow as usize + ox) * oc..][..oc];
                for ky in 0..g.kh as usize {
                    let Some(iy) = g.in_y(oy, ky) else { continue };
                    for kx in 0..g.kw as usize {
                        let Some(ix) = g.in_x(ox, kx) else { continue };
                        let xi = ((n * g.h as usize + iy) * g.w as usize + ix) * c;
                        for ci in 0..c {
                            let wi = ((ky * g.kw as usize + kx) * c + ci) * oc;
                            let s = (0..oc).fold(T::zero(), |s, f| s + d[f] * w[wi + f]);
                            dx[xi + ci] = dx[xi + ci] + s;
                        }
                    }
                }
            }
        }
    }
}

/// Given dout [n, h, w, c] of the transposed conv: dx [n, oh, ow, oc] = conv2d forward of
/// dout (overwritten); accumulates (+=) dw[ky, kx, ci, f] += dout[.., iy, ix, ci] · x[.., oy, ox, f]
/// (conv2d's filter gradient with dout as its input and x as its output gradient) and db.
pub fn conv2d_transpose_backward<T: Float>(
    g: &Window,
    x: &[T],
    w: &[T],
    dout: &[T],
    dx: &mut [T],
    dw: &mut [T],
    db: Option<&mut [T]>,
) {
    conv2d_forward(g, dout, w, None, dx);
    let mut unused = vec![T::zero(); g.input_len()];
    let zero_w = vec![T::zero(); w.len()];
    // conv2d_backward with the roles swapped: its input is dout, its output gradient x.
    conv2d_backward(g, dout, &zero_w, x, &mut unused, dw, None);
    if let Some(db) = db {
        let c = g.c as usize;
        for (i, d) in dout[..g.input_len()].iter().enumerate() {
            db[i % c] = db[i % c] + *d;
        }
    }
}
