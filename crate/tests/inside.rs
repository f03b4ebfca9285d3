//! Looking inside a model: per-layer outputs and the saliency map (gradient of the
//! top class's logit with respect to the input) against finite differences, with
//! batch norm in inference mode and dropout off; GPU against CPU.

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::ops::{Backend, OptimStep};
use convplay::model::Model;
use convplay::spec::{parse, Shape};

const SPEC: &str = r#"{"input": [8, 8, 2], "layers": [
    {"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "tanh"},
    {"type": "batch_norm", "momentum": 0.5},
    {"type": "max_pool2d", "pool_size": 2},
    {"type": "dropout", "rate": 0.5},
    {"type": "residual", "activation": "tanh", "layers": [
        {"type": "conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "tanh"},
        {"type": "batch_norm", "momentum": 0.5}]},
    {"type": "flatten"},
    {"type": "dense", "units": 6, "activation": "tanh"},
    {"type": "batch_norm", "momentum": 0.5},
    {"type": "dense", "units": 4, "activation": "softmax"}
]}"#;

/// A model with a few training steps behind it, so the moving statistics are not 0 and 1.
fn trained<B: Backend>(be: B) -> Model<B> {
    let spec = parse(SPEC).unwrap();
    let mut m = Model::new(be, &spec, 4, 3).unwrap();
    let step = OptimStep::Sgd { lr: 0.05, momentum: 0.0, nesterov: false, weight_decay: 0.0 };
    for s in 0..3 {
        m.train_step(&common::random_vec(4 * 128, 20 + s), &[0, 1, 2, 3], step).unwrap();
    }
    m
}

#[test]
fn layer_outputs_and_probabilities() {
    let mut m = trained(Cpu::new());
    let x = common::random_vec(128, 7);
    let inside = pollster::block_on(m.inspect(&x)).unwrap();
    let shapes: Vec<Shape> = inside.layers.iter().map(|l| l.shape).collect();
    assert_eq!(shapes[0], Shape::Map { h: 8, w: 8, c: 3 });
    assert_eq!(shapes[2], Shape::Map { h: 4, w: 4, c: 3 });
    assert_eq!(*shapes.last().unwrap(), Shape::Flat(4));
    for l in &inside.layers {
        assert_eq!(l.values.len() as u64, l.shape.elements(), "{}", l.name);
    }
    // Dropout is the identity at inference.
    assert_eq!(inside.layers[3].values, inside.layers[2].values);
    let sum: f32 = inside.probabilities.iter().sum();
    assert!((sum - 1.0).abs() < 1e-5);
    let probs = pollster::block_on(async {
        m.set_input(&x).unwrap();
        m.predict(1).await.unwrap()
    });
    assert_eq!(probs.len(), inside.probabilities.len(), "probability counts");
    for (a, b) in probs.iter().zip(&inside.probabilities) {
        assert!((a - b).abs() < 1e-6, "predict {a} vs inspect {b}");
    }
    assert!(inside.probabilities.iter().all(|&p| p <= inside.probabilities[inside.top]));
    assert!(pollster::block_on(m.inspect(&common::random_vec(256, 1)))
        .unwrap_err()
        .to_string()
        .contains("one instance"));
}

#[test]
fn saliency_matches_finite_differences() {
    let mut m = trained(Cpu::new());
    let x = common::random_vec(128, 7);
    let inside = pollster::block_on(m.inspect(&x)).unwrap();
    let top = inside.top;
    let mut logit = |x: &[f32]| pollster::block_on(m.inspect(x)).unwrap().layers.last().unwrap().values[top];
    let mut checked = 0;
    for j in (0..128).step_by(5) {
        let h = 1e-3f32;
        let mut xp = x.clone();
        xp[j] += h;
        let mut xm = x.clone();
        xm[j] -= h;
        let numeric = (logit(&xp) - logit(&xm)) / (2.0 * h);
        let analytic = inside.saliency[j];
        assert!(
            (numeric - analytic).abs() <= 0.03 * numeric.abs().max(analytic.abs()) + 5e-3,
            "input {j}: numeric {numeric} vs saliency {analytic}"
        );
        checked += 1;
    }
    assert!(checked > 20);
    assert!(inside.saliency.iter().any(|&s| s.abs() > 1e-3), "saliency is all zero");
}

#[test]
fn inspect_gpu_matches_cpu() {
    let Some(ctx) = common::gpu() else { return };
    let mut g = trained(convplay::backend::gpu::backend::Gpu::new(std::rc::Rc::new(ctx)));
    let mut c = trained(Cpu::new());
    let x = common::random_vec(128, 11);
    let (ig, ic) = (pollster::block_on(g.inspect(&x)).unwrap(), pollster::block_on(c.inspect(&x)).unwrap());
    assert_eq!(ig.top, ic.top);
    let close = |what: &str, a: &[f32], b: &[f32]| {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        for (i, (p, q)) in a.iter().zip(b).enumerate() {
            assert!((p - q).abs() <= 1e-4 * (1.0 + q.abs()), "{what}[{i}]: gpu {p} vs cpu {q}");
        }
    };
    assert_eq!(ig.layers.len(), ic.layers.len(), "layer counts");
    for (lg, lc) in ig.layers.iter().zip(&ic.layers) {
        close(&lg.name, &lg.values, &lc.values);
    }
    close("saliency", &ig.saliency, &ic.saliency);
}
