//! Reference element-wise ops of the blocks: residual add, channel concat, and the
//! channel-wise scale of squeeze-and-excitation.
//! GPU twin: shaders/eltwise.wgsl (`add_into`, `concat_part`, `split_part`,
//! `scale_channels`, `scale_grad`).

use num_traits::Float;

/// out = a + b (residual add; the gradient goes to both unchanged).
pub fn add<T: Float>(a: &[T], b: &[T], out: &mut [T]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = x + y;
    }
}

/// Concatenates tensors [m, c_i] on the last axis into out [m, Σ c_i].
pub fn concat_channels<T: Float>(parts: &[(&[T], usize)], out: &mut [T]) {
    let total: usize = parts.iter().map(|p| p.1).sum();
    let m = out.len() / total;
    for r in 0..m {
        let mut off = r * total;
        for &(x, c) in parts {
            out[off..off + c].copy_from_slice(&x[r * c..(r + 1) * c]);
            off += c;
        }
    }
}

/// Splits the gradient of a concat back into its parts.
pub fn concat_backward<T: Float>(dout: &[T], parts: &mut [(&mut [T], usize)]) {
    let total: usize = parts.iter().map(|p| p.1).sum();
    let m = dout.len() / total;
    for r in 0..m {
        let mut off = r * total;
        for (dx, c) in parts.iter_mut() {
            dx[r * *c..(r + 1) * *c].copy_from_slice(&dout[off..off + *c]);
            off += *c;
        }
    }
}

/// x [n, hw, c] scaled per (instance, channel) by s [n, c].
pub fn scale_channels<T: Float>(n: usize, hw: usize, c: usize, x: &[T], s: &[T], out: &mut [T]) {
    for b in 0..n {
        for p in 0..hw {
            for j in 0..c {
                let i = (b * hw + p) * c + j;
                out[i] = x[i] * s[b * c + j];
            }
        }
    }
}

/// dx = dy · s; ds[b, j] = Σ_p dy · x.
pub fn scale_channels_backward<T: Float>(
    n: usize,
    hw: usize,
    c: usize,
    x: &[T],
    s: &[T],
    dy: &[T],
    dx: &mut [T],
    ds: &mut [T],
) {
    ds.iter_mut().for_each(|v| *v = T::zero());
    for b in 0..n {
        for p in 0..hw {
            for j in 0..c {
                let i = (b * hw + p) * c + j;
                dx[i] = dy[i] * s[b * c + j];
                ds[b * c + j] = ds[b * c + j] + dy[i] * x[i];
            }
        }
    }
}
