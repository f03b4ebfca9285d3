//! Gradient checks shared by the CPU op tests: finite differences in f64, and a model that
//! learns one batch.

/// `n` random values in f64 (the f32 test generator's, widened), seeded.
pub fn rand64(n: usize, seed: u64) -> Vec<f64> {
    super::random_vec(n, seed).into_iter().map(f64::from).collect()
}

/// Checks d(Σ f(x)·r)/dx against `analytic` by central differences: the worst relative
/// error over every element of `x` must stay below 1e-6.
pub fn check(name: &str, x: &[f64], analytic: &[f64], f: &dyn Fn(&[f64]) -> Vec<f64>, r: &[f64]) {
    assert_eq!(x.len(), analytic.len(), "{name}: input and gradient lengths");
    let h = 1e-6;
    let mut worst = 0.0f64;
    for i in 0..x.len() {
        let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
        xp[i] += h;
        xm[i] -= h;
        let (fp, fm) = (f(&xp), f(&xm));
        assert_eq!((fp.len(), fm.len()), (r.len(), r.len()), "{name}: output and projection lengths");
        let lp: f64 = fp.iter().zip(r).map(|(a, b)| a * b).sum();
        let lm: f64 = fm.iter().zip(r).map(|(a, b)| a * b).sum();
        let numeric = (lp - lm) / (2.0 * h);
        let err = (numeric - analytic[i]).abs() / numeric.abs().max(analytic[i].abs()).max(1.0);
        worst = worst.max(err);
    }
    assert!(worst < 1e-6, "{name}: worst relative gradient error {worst:e}");
}

/// Trains `m` for `steps` Adam steps (lr 0.01) on one batch and returns the loss after each:
/// a model whose gradients flow learns that batch, so the last loss is far below the first.
pub fn adam_losses<B: convplay::backend::ops::Backend>(
    m: &mut convplay::model::Model<B>,
    x: &[f32],
    labels: &[u8],
    steps: usize,
) -> Vec<f32> {
    let step = convplay::backend::ops::OptimStep::Adam {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-7,
        t: 1,
        weight_decay: 0.0,
        decoupled: false,
    };
    (0..steps)
        .map(|_| {
            m.train_step(x, labels, step).unwrap();
            pollster::block_on(m.take_metrics(labels.len())).unwrap().0
        })
        .collect()
}
