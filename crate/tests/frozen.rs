//! `"trainable": false` (Keras's frozen layers): the spec field, the summary's counts,
//! frozen parameters and batch-norm statistics left untouched by training, and the
//! equivalence that fine-tuning relies on: training a model whose bottom is frozen gives
//! the same weights as training its top alone on the bottom's inference-mode outputs.

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::gpu::backend::Gpu;
use convplay::backend::ops::Backend;
use convplay::model::Model;
use convplay::optim::Optimizer;
use convplay::spec::parse;
use convplay::summary::summarize;
use std::rc::Rc;

const FROZEN_BOTTOM: &str = r#"{"input": [6, 6, 2], "layers": [
    {"type": "conv2d", "name": "c1", "filters": 4, "kernel_size": 3, "activation": "relu", "trainable": false},
    {"type": "batch_norm", "name": "bn1", "trainable": false},
    {"type": "residual", "name": "res", "trainable": false, "layers": [
        {"type": "conv2d", "name": "c2", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},
        {"type": "batch_norm", "name": "bn2"}]},
    {"type": "conv2d", "name": "c3", "filters": 3, "kernel_size": 1, "activation": "tanh"},
    {"type": "batch_norm", "name": "bn3", "trainable": false},
    {"type": "global_avg_pool2d"},
    {"type": "dense", "name": "out", "units": 3, "activation": "softmax"}
]}"#;

/// The same top, fed with the frozen bottom's output (4×4×4).
const TOP: &str = r#"{"input": [4, 4, 4], "layers": [
    {"type": "conv2d", "name": "c3", "filters": 3, "kernel_size": 1, "activation": "tanh"},
    {"type": "batch_norm", "name": "bn3", "trainable": false},
    {"type": "global_avg_pool2d"},
    {"type": "dense", "name": "out", "units": 3, "activation": "softmax"}
]}"#;

fn read<B: Backend>(m: &Model<B>) -> Vec<(String, Vec<f32>)> {
    pollster::block_on(m.read_params()).unwrap()
}

#[test]
fn spec_field_is_checked_and_summary_counts_frozen_as_non_trainable() {
    let err = parse(
        r#"{"input": [4], "layers": [{"type": "dense", "units": 2, "activation": "softmax", "trainable": "no"}]}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("\"trainable\" must be true or false"), "{err}");
    let spec = parse(FROZEN_BOTTOM).unwrap();
    let s = summarize(&spec, 8);
    // c1 (3·3·2+1)·4 = 76, bn1 γβ 8, c2 (3·3·4+1)·4 = 148, bn2 γβ 8, bn3 γβ 6 are frozen;
    // c3 (4+1)·3 = 15 and out (3+1)·3 = 12 learn; every BN's moving statistics never do.
    assert_eq!(s.trainable, 27);
    assert_eq!(s.non_trainable, 76 + 8 + 148 + 8 + 6 + 2 * (4 + 4 + 3));
    // The spec keeps the field when it is written back out.
    let back = serde_json::to_value(&spec.layers[0]).unwrap();
    assert_eq!(back["trainable"], false);
    assert!(serde_json::to_value(&spec.layers[3]).unwrap().get("trainable").is_none());
}

fn frozen_stays_and_top_matches<B: Backend>(make: impl Fn() -> B) {
    let spec = parse(FROZEN_BOTTOM).unwrap();
    let mut full = Model::new(make(), &spec, 8, 3).unwrap();
    // Give the frozen BNs non-trivial moving statistics, so inference mode differs from batch statistics.
    for p in &full.params {
        if p.name.ends_with("moving_mean") || p.name.ends_with("moving_variance") {
            let v: Vec<f32> = common::random_vec(p.len, p.len as u64)
                .iter()
                .map(|x| if p.name.ends_with("mean") { 0.3 * x } else { 0.5 + x.abs() })
                .collect();
            full.be.write(&p.value, &v);
        }
    }
    let x = common::random_vec(8 * 72, 11);
    let y = [0u8, 1, 2, 0, 1, 2, 2, 1];
    // The frozen bottom's output in inference mode (top-level layer 2, the residual block).
    full.set_input(&x).unwrap();
    let bottom = pollster::block_on(full.features(8, 2)).unwrap();
    let mut top = Model::new(make(), &parse(TOP).unwrap(), 8, 99).unwrap();
    assert_eq!(pollster::block_on(top.copy_params_from(&full)).unwrap(), 2 + 4 + 2);
    let before = read(&full);
    let opt = Optimizer::adam();
    for _ in 0..3 {
        full.train_step(&x, &y, opt.step(0.05)).unwrap();
        top.train_step(&bottom, &y, opt.step(0.05)).unwrap();
    }
    let after = read(&full);
    let learned = ["c3/kernel", "c3/bias", "out/kernel", "out/bias"];
    assert_eq!(before.len(), after.len(), "parameter counts");
    for ((name, a), (_, b)) in before.iter().zip(&after) {
        assert_eq!(a.len(), b.len(), "{name} lengths");
        if learned.contains(&name.as_str()) {
            assert!(a.iter().zip(b).any(|(p, q)| p != q), "{name} should have been trained");
        } else {
            assert_eq!(a, b, "{name} is frozen (or a frozen BN's statistic) and must not change");
        }
    }
    let top_after = read(&top);
    for (name, v) in &top_after {
        let (_, w) = after.iter().find(|(n, _)| n == name).unwrap();
        assert_eq!(v.len(), w.len(), "{name} lengths");
        for (i, (p, q)) in v.iter().zip(w).enumerate() {
            assert!((p - q).abs() <= 1e-4 * q.abs().max(1.0), "{name}[{i}]: top alone {p} vs frozen-bottom model {q}");
        }
    }
}

#[test]
fn cpu_frozen_layers_stay_and_match_training_the_top_alone() {
    frozen_stays_and_top_matches(Cpu::new);
}

#[test]
fn gpu_frozen_layers_stay_and_match_training_the_top_alone() {
    let Some(ctx) = common::gpu() else {
        assert!(!common::gpu_required(), "no GPU adapter, and CI requires one");
        return;
    };
    let ctx = Rc::new(ctx);
    frozen_stays_and_top_matches(|| Gpu::new(ctx.clone()));
}

#[test]
fn copy_params_refuses_a_shape_mismatch_by_name() {
    let a = Model::new(
        Cpu::new(),
        &parse(r#"{"input": [4], "layers": [{"type": "dense", "name": "d", "units": 3, "activation": "softmax"}]}"#)
            .unwrap(),
        1,
        1,
    )
    .unwrap();
    let mut b = Model::new(
        Cpu::new(),
        &parse(r#"{"input": [5], "layers": [{"type": "dense", "name": "d", "units": 3, "activation": "softmax"}]}"#)
            .unwrap(),
        1,
        1,
    )
    .unwrap();
    let err = pollster::block_on(b.copy_params_from(&a)).unwrap_err().to_string();
    assert!(err.contains("d/kernel: [4, 3] there, [5, 3] here"), "{err}");
}
