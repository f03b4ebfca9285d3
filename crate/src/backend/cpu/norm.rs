//! Reference batch normalisation (over every axis but the channels) and local
//! response normalisation (across channels, AlexNet / TensorFlow parameters).
//! GPU twins: shaders/batchnorm.wgsl and shaders/lrn.wgsl.

use num_traits::Float;

/// What training-mode BN saves for backward, per channel.
pub struct BnSaved<T> {
    pub mean: Vec<T>,
    /// 1 / sqrt(var + eps), var the biased batch variance.
    pub inv_std: Vec<T>,
}

/// Training mode: normalise with the batch statistics of x [m, c] and update the
/// running statistics like Keras: running = momentum·running + (1 − momentum)·batch.
pub fn batch_norm_train<T: Float>(
    c: usize,
    x: &[T],
    gamma: &[T],
    beta: &[T],
    eps: T,
    momentum: T,
    running_mean: &mut [T],
    running_var: &mut [T],
    out: &mut [T],
) -> BnSaved<T> {
    let m = x.len() / c;
    let mf = super::float::<T, _>(m);
    let mut mean = vec![T::zero(); c];
    let mut var = vec![T::zero(); c];
    for row in x.chunks(c) {
        for (s, &v) in mean.iter_mut().zip(row) {
            *s = *s + v;
        }
    }
    mean.iter_mut().for_each(|s| *s = *s / mf);
    for row in x.chunks(c) {
        for ((s, &v), &mu) in var.iter_mut().zip(row).zip(&mean) {
            *s = *s + (v - mu) * (v - mu);
        }
    }
    var.iter_mut().for_each(|s| *s = *s / mf);
    let inv_std: Vec<T> = var.iter().map(|&v| T::one() / (v + eps).sqrt()).collect();
    for (o, row) in out.chunks_mut(c).zip(x.chunks(c)) {
        for j in 0..c {
            o[j] = gamma[j] * (row[j] - mean[j]) * inv_std[j] + beta[j];
        }
    }
    for j in 0..c {
        running_mean[j] = momentum * running_mean[j] + (T::one() - momentum) * mean[j];
        running_var[j] = momentum * running_var[j] + (T::one() - momentum) * var[j];
    }
    BnSaved { mean, inv_std }
}

/// Inference mode: normalise with the running statistics.
pub fn batch_norm_infer<T: Float>(
    c: usize,
    x: &[T],
    gamma: &[T],
    beta: &[T],
    eps: T,
    running_mean: &[T],
    running_var: &[T],
    out: &mut [T],
) {
    for (o, row) in out.chunks_mut(c).zip(x.chunks(c)) {
        for j in 0..c {
            o[j] = gamma[j] * (row[j] - running_mean[j]) / (running_var[j] + eps).sqrt() + beta[j];
        }
    }
}

/// dx = γ·inv_std/M · (M·dy − Σdy − x̂·Σ(dy·x̂)); dγ += Σ dy·x̂; dβ += Σ dy.
pub fn batch_norm_backward<T: Float>(
    c: usize,
    x: &[T],
    gamma: &[T],
    saved: &BnSaved<T>,
    dy: &[T],
    dx: &mut [T],
    dgamma: &mut [T],
    dbeta: &mut [T],
) {
    let m = super::float::<T, _>(x.len() / c);
    let mut sum_dy = vec![T::zero(); c];
    let mut sum_dy_xhat = vec![T::zero(); c];
    for (row, d) in x.chunks(c).zip(dy.chunks(c)) {
        for j in 0..c {
            let xhat = (row[j] - saved.mean[j]) * saved.inv_std[j];
            sum_dy[j] = sum_dy[j] + d[j];
            sum_dy_xhat[j] = sum_dy_xhat[j] + d[j] * xhat;
        }
    }
    for ((o, row), d) in dx.chunks_mut(c).zip(x.chunks(c)).zip(dy.chunks(c)) {
        for j in 0..c {
            let xhat = (row[j] - saved.mean[j]) * saved.inv_std[j];
            o[j] = gamma[j] * saved.inv_std[j] / m * (m * d[j] - sum_dy[j] - xhat * sum_dy_xhat[j]);
        }
    }
    for j in 0..c {
        dgamma[j] = dgamma[j] + sum_dy_xhat[j];
        dbeta[j] = dbeta[j] + sum_dy[j];
    }
}

/// out[i] = x[i] / (bias + alpha · Σ_{|j−i| ≤ r} x[j]²)^beta over the channels of each position.
pub fn lrn_forward<T: Float>(c: usize, r: usize, bias: T, alpha: T, beta: T, x: &[T], out: &mut [T]) {
    for (o, row) in out.chunks_mut(c).zip(x.chunks(c)) {
        for i in 0..c {
            let lo = i.saturating_sub(r);
            let hi = (i + r).min(c - 1);
            let s = (lo..=hi).fold(T::zero(), |s, j| s + row[j] * row[j]);
            o[i] = row[i] * (bias + alpha * s).powf(-beta);
        }
    }
}

/// dx[i] = dy[i]·d[i]^−β − 2αβ·x[i]·Σ_{|j−i| ≤ r} dy[j]·x[j]·d[j]^(−β−1), d[j] = bias + α·Σ_{|k−j| ≤ r} x[k]².
pub fn lrn_backward<T: Float>(c: usize, r: usize, bias: T, alpha: T, beta: T, x: &[T], dy: &[T], dx: &mut [T]) {
    let two = super::float::<T, _>(2.0);
    let mut d = vec![T::zero(); c];
    for ((o, row), g) in dx.chunks_mut(c).zip(x.chunks(c)).zip(dy.chunks(c)) {
        for (j, dj) in d.iter_mut().enumerate() {
            let (lo, hi) = (j.saturating_sub(r), (j + r).min(c - 1));
            *dj = bias + alpha * (lo..=hi).fold(T::zero(), |s, k| s + row[k] * row[k]);
        }
        for i in 0..c {
            let (lo, hi) = (i.saturating_sub(r), (i + r).min(c - 1));
            let cross = (lo..=hi).fold(T::zero(), |s, j| s + g[j] * row[j] * d[j].powf(-beta - T::one()));
            o[i] = g[i] * d[i].powf(-beta) - two * alpha * beta * row[i] * cross;
        }
    }
}
