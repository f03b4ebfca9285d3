//! Residual, concat and squeeze-and-excitation blocks in the engine: whole-model
//! gradients against finite differences on the CPU, and the GPU against the CPU.

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::ops::Backend;
use convplay::model::Model;
use convplay::spec::parse;

const SPEC: &str = r#"{"input": [6, 6, 3], "layers": [
    {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "tanh"},
    {"type": "residual", "activation": "tanh", "layers": [
        {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "tanh"},
        {"type": "batch_norm"},
        {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same"}]},
    {"type": "residual", "projection": true, "layers": [
        {"type": "conv2d", "filters": 6, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "tanh"}]},
    {"type": "squeeze_excite", "ratio": 2},
    {"type": "concat", "branches": [
        [{"type": "conv2d", "filters": 2, "kernel_size": 1, "activation": "tanh"}],
        [{"type": "separable_conv2d", "filters": 3, "kernel_size": 3, "padding": "same", "activation": "sigmoid"}],
        [{"type": "avg_pool2d", "pool_size": 3, "strides": 1, "padding": "same"}],
        []]},
    {"type": "global_avg_pool2d"},
    {"type": "dense", "units": 5, "activation": "softmax"}
]}"#;

fn batch() -> (Vec<f32>, Vec<u8>) {
    (common::random_vec(4 * 108, 9), vec![0, 3, 1, 4])
}

fn loss<B: Backend>(m: &mut Model<B>, x: &[f32], y: &[u8]) -> f32 {
    m.compute_gradients(x, y).unwrap();
    pollster::block_on(m.take_metrics(y.len())).unwrap().0
}

#[test]
fn block_model_gradients_match_finite_differences() {
    let spec = parse(SPEC).unwrap();
    let mut m = Model::new(Cpu::new(), &spec, 4, 5).unwrap();
    let (x, y) = batch();
    loss(&mut m, &x, &y);
    let grads: Vec<Vec<f32>> =
        m.params.iter().map(|p| p.grad.as_ref().map(|g| g.0.borrow()[..p.len].to_vec()).unwrap_or_default()).collect();
    let mut checked = 0;
    for (pi, p) in m
        .params
        .iter()
        .enumerate()
        .collect::<Vec<_>>()
        .into_iter()
        .map(|(i, p)| (i, (p.name.clone(), p.len, p.grad.is_some())))
        .collect::<Vec<_>>()
    {
        let (name, len, trainable) = p;
        if !trainable {
            continue;
        }
        for j in [0, len / 2, len - 1] {
            let h = 1e-2f32;
            let orig = m.params[pi].value.borrow()[j];
            m.params[pi].value.borrow_mut()[j] = orig + h;
            let lp = loss(&mut m, &x, &y);
            m.params[pi].value.borrow_mut()[j] = orig - h;
            let lm = loss(&mut m, &x, &y);
            m.params[pi].value.borrow_mut()[j] = orig;
            let numeric = (lp - lm) / (2.0 * h);
            let analytic = grads[pi][j];
            assert!(
                (numeric - analytic).abs() <= 0.05 * numeric.abs().max(analytic.abs()) + 2e-4,
                "{name}[{j}]: numeric {numeric} vs analytic {analytic}"
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "checked {checked} values");
}

#[test]
fn block_model_gpu_matches_cpu() {
    let Some(ctx) = common::gpu() else { return };
    let spec = parse(SPEC).unwrap();
    let gpu = convplay::backend::gpu::backend::Gpu::new(std::rc::Rc::new(ctx));
    let mut g = Model::new(gpu, &spec, 4, 5).unwrap();
    let mut c = Model::new(Cpu::new(), &spec, 4, 5).unwrap();
    let (x, y) = batch();
    let (lg, lc) = (loss(&mut g, &x, &y), loss(&mut c, &x, &y));
    assert!((lg - lc).abs() < 1e-4, "loss gpu {lg} vs cpu {lc}");
    assert_eq!(g.params.len(), c.params.len(), "parameter counts");
    for (pg, pc) in g.params.iter().zip(&c.params) {
        let Some((gg, _, _)) = &pg.grad else { continue };
        let gv = pollster::block_on(g.be.read(gg, pg.len)).unwrap();
        let cv = pc.grad.as_ref().unwrap().0.borrow()[..pc.len].to_vec();
        assert_eq!(gv.len(), cv.len(), "{} gradient lengths", pg.name);
        for (i, (a, b)) in gv.iter().zip(&cv).enumerate() {
            assert!((a - b).abs() <= 1e-3 * b.abs().max(1e-2), "{}[{i}]: gpu {a} vs cpu {b}", pg.name);
        }
    }
}

#[test]
fn initialisers_are_keras_like_seeded_and_reproducible() {
    let spec = |init: &str| {
        parse(&format!(
            r#"{{"input": [5, 5, 1], "layers": [{{"type": "conv2d", "filters": 32, "kernel_size": 3, "kernel_initializer": "{init}"}},
                {{"type": "flatten"}}, {{"type": "dense", "units": 10, "activation": "softmax"}}]}}"#
        ))
        .unwrap()
    };
    let kernel = |init: &str, seed: u32| -> Vec<f32> {
        let m = Model::new(Cpu::new(), &spec(init), 1, seed).unwrap();
        let w = m.params[0].value.borrow().clone();
        w
    };
    let (glorot, he) = (kernel("glorot_uniform", 1), kernel("he_uniform", 1));
    // fan_in 3·3·1 = 9, fan_out 3·3·32 = 288.
    let (lg, lh) = ((6.0f32 / 297.0).sqrt(), (6.0f32 / 9.0).sqrt());
    assert!(glorot.iter().all(|w| w.abs() <= lg) && glorot.iter().any(|w| w.abs() > 0.8 * lg));
    assert!(he.iter().all(|w| w.abs() <= lh) && he.iter().any(|w| w.abs() > 0.8 * lh));
    assert_eq!(kernel("glorot_uniform", 1), glorot, "same seed, same weights");
    assert_ne!(kernel("glorot_uniform", 2), glorot, "another seed, other weights");
}

/// Batch norm as the first layer and without learned γ/β trains on varying batch sizes.
#[test]
fn batch_norm_first_and_frozen_trains() {
    let spec = parse(
        r#"{"input": [4, 4, 2], "layers": [{"type": "batch_norm", "center": false, "scale": false},
            {"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"}]}"#,
    )
    .unwrap();
    let mut m = Model::new(Cpu::new(), &spec, 6, 1).unwrap();
    let step = convplay::backend::ops::OptimStep::Sgd { lr: 0.1, momentum: 0.0, nesterov: false, weight_decay: 0.0 };
    for n in [2usize, 6, 3] {
        let x = common::random_vec(n * 32, n as u64);
        let y: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
        m.train_step(&x, &y, step).unwrap();
    }
    let bytes = m.allocated_bytes();
    m.train_step(&common::random_vec(6 * 32, 9), &[0, 1, 2, 0, 1, 2], step).unwrap();
    assert_eq!(m.allocated_bytes(), bytes, "no allocation per step");
}
