//! Softmax cross-entropy fused with its gradient, and the accuracy count.
//! GPU twin: shaders/loss.wgsl.

use num_traits::Float;

/// logits [n, k], labels [n] → (mean loss, correct count); dlogits = (softmax − onehot) / n.
pub fn softmax_xent<T: Float>(k: usize, logits: &[T], labels: &[u8], dlogits: &mut [T]) -> (T, usize) {
    let n = labels.len();
    let nf = super::float::<T, _>(n);
    let mut loss = T::zero();
    let mut correct = 0;
    for (r, &label) in labels.iter().enumerate() {
        let z = &logits[r * k..(r + 1) * k];
        let d = &mut dlogits[r * k..(r + 1) * k];
        let (mut best, mut arg) = (T::neg_infinity(), 0);
        for (j, &v) in z.iter().enumerate() {
            if v > best {
                best = v;
                arg = j;
            }
        }
        correct += (arg == label as usize) as usize;
        let mut s = T::zero();
        for (dj, &v) in d.iter_mut().zip(z) {
            *dj = (v - best).exp();
            s = s + *dj;
        }
        loss = loss + (s.ln() - (z[label as usize] - best));
        for (j, dj) in d.iter_mut().enumerate() {
            *dj = (*dj / s - if j == label as usize { T::one() } else { T::zero() }) / nf;
        }
    }
    (loss / nf, correct)
}
