//! Sizes are checked before anything is allocated: a model that would not fit the engine's
//! budget or its largest buffer is refused with the numbers and the fixes, and a weights file
//! is checked against its own spec before a model is built for it (issue 13, finding 4).

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::{Engine, Limits};
use convplay::layers::plan::Plan;
use convplay::model::Model;
use convplay::presets::preset;
use convplay::spec::parse;
use convplay::train::Trainer;
use std::time::Duration;

#[global_allocator]
static COUNTING: common::peak::Counting = common::peak::Counting;

/// Fast and small: the refusal takes well under a second and a few MB, whatever was claimed.
fn refused_quickly<T>(what: &str, f: impl FnOnce() -> convplay::Result<T>) -> String {
    let (out, bytes, took) = common::peak::measure(f);
    let Err(e) = out else { panic!("{what}: expected a refusal") };
    assert!(took < Duration::from_secs(2), "{what}: took {took:?}");
    assert!(bytes < 16 << 20, "{what}: held {bytes} bytes at once");
    e.message()
}

fn safetensors_file(meta: &[(&str, &str)], tensors: &str, data: &[u8]) -> Vec<u8> {
    let meta: serde_json::Map<String, serde_json::Value> =
        meta.iter().map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string()))).collect();
    let meta = serde_json::Value::Object(meta).to_string();
    let sep = if tensors.is_empty() { "" } else { ", " };
    let mut header = format!("{{\"__metadata__\": {meta}{sep}{tensors}}}").into_bytes();
    while header.len() % 8 != 0 {
        header.push(b' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header);
    out.extend(data);
    out
}

/// A 264-byte file whose spec asks for 4.8 TB and which holds no tensors at all (before: the
/// model was built first and the allocation aborted the process).
#[test]
fn a_weights_file_with_no_tensors_is_refused_before_anything_is_built() {
    let spec = r#"{"input": [1], "layers": [{"type": "dense", "units": 300000}, {"type": "dense", "units": 1000000, "activation": "softmax"}]}"#;
    let bytes = safetensors_file(&[("format", "convplay"), ("spec", spec)], "", &[]);
    assert!(bytes.len() <= 264, "{} bytes", bytes.len());
    let msg = refused_quickly("read", || convplay::weights::read(&bytes));
    assert!(
        msg.starts_with("the weights file does not hold the tensors its own model spec needs (4 parameter tensors)"),
        "{msg}"
    );
    assert!(msg.contains("dense_2/kernel: missing from the file (shape [300000, 1000000] expected)"), "{msg}");
    let engine = Engine::Cpu { fallback_reason: None };
    let msg2 = refused_quickly("fromWeights", || Trainer::from_weights(&engine, &bytes, 32));
    assert_eq!(msg, msg2);
}

#[test]
fn a_tensor_shorter_than_its_shape_or_missing_is_named() {
    let spec = r#"{"input": [2], "layers": [{"type": "dense", "units": 3, "activation": "softmax"}]}"#;
    let meta = [("format", "convplay"), ("spec", spec)];
    // The kernel claims [2, 3] (24 bytes of f32) but holds 8; the bias is right.
    let tensors = r#""dense_1/kernel": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 8]}, "dense_1/bias": {"dtype": "F32", "shape": [3], "data_offsets": [8, 20]}"#;
    let bytes = safetensors_file(&meta, tensors, &[0u8; 20]);
    let msg = refused_quickly("short", || convplay::weights::read(&bytes));
    assert!(
        msg.ends_with(":\ndense_1/kernel: its shape [2, 3] takes 24 bytes of F32, but the file holds 8 for it"),
        "{msg}"
    );
    // A shape that claims 2^62 values in 8 bytes: no overflow, no allocation.
    let huge = r#""dense_1/kernel": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, "dense_1/bias": {"dtype": "F32", "shape": [4611686018427387904], "data_offsets": [24, 32]}"#;
    let bytes = safetensors_file(&meta, huge, &[0u8; 32]);
    let msg = refused_quickly("huge", || convplay::weights::read(&bytes));
    assert!(msg.ends_with("dense_1/bias: shape [4611686018427387904] in the file, [3] in its spec's model"), "{msg}");
    // A missing bias.
    let missing = r#""dense_1/kernel": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}"#;
    let bytes = safetensors_file(&meta, missing, &[0u8; 24]);
    let msg = refused_quickly("missing", || convplay::weights::read(&bytes));
    assert!(msg.ends_with(":\ndense_1/bias: missing from the file (shape [3] expected)"), "{msg}");
    // The same file with the bias reads.
    let whole =
        format!("{missing}, \"dense_1/bias\": {{\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [24, 36]}}");
    let file = convplay::weights::read(&safetensors_file(&meta, &whole, &[0u8; 36])).unwrap();
    assert_eq!(file.tensors.len(), 2);
}

/// A 20000×20000 dense layer at batch 1 under a 1 GiB budget (before: the wasm trapped).
#[test]
fn a_huge_dense_layer_is_refused_under_a_budget() {
    let spec = parse(
        r#"{"name": "wide", "input": [20000], "layers": [{"type": "dense", "units": 20000}, {"type": "dense", "units": 10, "activation": "softmax"}]}"#,
    )
    .unwrap();
    let msg = refused_quickly("budget", || Model::new(Cpu::with_budget(1 << 30), &spec, 1, 1));
    assert!(
        msg.starts_with("training wide at batch 1 needs 6.40 GB (6.40 GB of buffers, as the summary estimates, and 160 kB of the CPU's working memory) but this engine can allocate at most 1 GiB (the budget set for this engine); the largest part is dense_1/kernel (1.60 GB); even batch 1 needs 6.40 GB; try a smaller model: its largest parameter, dense_1/kernel, holds 400,000,000 values (6.40 GB with its gradient and optimiser state)"),
        "{msg}"
    );
    // On wasm32: 4 GiB in all.
    let msg = refused_quickly("wasm32", || Model::new(Cpu::with_limits(Limits::wasm32()), &spec, 1, 1));
    assert!(msg.contains(") but this engine can allocate at most 4 GiB (wasm32's 4 GiB address space)"), "{msg}");
}

/// seed-001 at batch 200,000 (before: a capacity overflow), with wasm32's limits.
#[test]
fn a_huge_batch_is_refused_with_the_largest_batch_that_fits() {
    let spec = preset("seed-001").unwrap();
    let msg = refused_quickly("batch", || Model::new(Cpu::with_limits(Limits::wasm32()), &spec, 200_000, 1));
    assert!(msg.starts_with("training seed-001 at batch 200,000 needs 76.3 GB ("), "{msg}");
    assert!(msg.contains(") but this engine can allocate at most 4 GiB (wasm32's 4 GiB address space)"), "{msg}");
    let plan = Plan::of(&spec).unwrap();
    let limits = Limits::wasm32();
    let best = plan.largest_batch(200_000, &limits, true).unwrap();
    assert!(plan.training_bytes(best, true).unwrap() <= limits.budget);
    assert!(plan.training_bytes(best + 1, true).unwrap() > limits.budget);
    let text = convplay::layers::plan::count_text(best);
    assert!(msg.contains(&format!("; try batch ≤ {text} (needs ")), "{msg}");
    // The summary says the same: 61.2 GB to train at that batch.
    let s = convplay::summary::summarize(&spec, 200_000);
    let buffers =
        format!("({:.1} GB of buffers, as the summary estimates, and ", s.training.engine_adam.bytes as f64 / 1e9);
    assert!(msg.contains(&buffers), "{msg}");
}

/// The plan is what the engine allocates: every buffer `Model::new` creates, to the byte.
#[test]
fn the_plan_is_the_measured_allocation() {
    let blocks = r#"{"name": "blocks", "input": [12, 12, 3], "layers": [
        {"type": "batch_norm", "scale": false},
        {"type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"},
        {"type": "separable_conv2d", "filters": 6, "kernel_size": 3, "padding": "same"},
        {"type": "depthwise_conv2d", "kernel_size": 3, "padding": "same", "trainable": false},
        {"type": "conv2d_transpose", "filters": 3, "kernel_size": 3, "activation": "relu"},
        {"type": "conv2d_transpose", "filters": 5, "kernel_size": 2, "strides": 2, "padding": "same", "use_bias": false},
        {"type": "up_sampling2d", "size": [1, 2], "interpolation": "bilinear"},
        {"type": "max_pool2d", "pool_size": [2, 4]},
        {"type": "residual", "projection": true, "layers": [{"type": "conv2d", "filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"}, {"type": "batch_norm"}]},
        {"type": "concat", "branches": [[{"type": "conv2d", "filters": 2, "kernel_size": 1}], [{"type": "max_pool2d", "pool_size": 3, "strides": 1, "padding": "same"}], []]},
        {"type": "squeeze_excite", "ratio": 4},
        {"type": "global_avg_pool2d"},
        {"type": "dense", "units": 5, "activation": "softmax"}]}"#;
    // course-3conv is a summary exercise with no classifier, so it cannot be trained.
    let names = convplay::presets::names().into_iter().filter(|&n| n != "course-3conv");
    let mut specs: Vec<_> = names.map(|n| preset(n).unwrap()).collect();
    specs.push(parse(blocks).unwrap());
    for spec in &specs {
        for batch in [1, 3] {
            let model = Model::new(Cpu::new(), spec, batch, 1).unwrap();
            let plan = Plan::of(spec).unwrap();
            assert_eq!(plan.built_bytes(batch as u64), Some(model.allocated_bytes()), "{} at {batch}", spec.name);
            let names: Vec<_> = model.params.iter().map(|p| (p.name.clone(), p.shape.clone())).collect();
            let planned: Vec<_> = plan.params.iter().map(|p| (p.name.clone(), p.shape.clone())).collect();
            assert_eq!(names, planned, "{}", spec.name);
        }
    }
}

/// On the GPU, a buffer larger than the device's maxStorageBufferBindingSize is refused with
/// that number before it is created.
#[test]
fn the_gpu_refuses_a_buffer_past_the_device_limit() {
    let Some(ctx) = common::gpu() else { return };
    let ctx = std::rc::Rc::new(ctx);
    let limit = ctx.limits.max_storage_buffer_binding_size.min(ctx.limits.max_buffer_size);
    // A dense kernel of 1024 × m values, one row of 1024 values past the limit.
    let m = limit / 4096 + 1;
    let spec = parse(&format!(
        r#"{{"name": "past", "input": [1024], "layers": [{{"type": "dense", "units": {m}, "activation": "softmax"}}]}}"#
    ))
    .unwrap();
    let gpu = convplay::backend::gpu::backend::Gpu::new(ctx.clone()).with_budget(u64::MAX);
    let msg = refused_quickly("gpu", || Model::new(gpu, &spec, 1, 1));
    let source = if ctx.limits.max_storage_buffer_binding_size <= ctx.limits.max_buffer_size {
        "maxStorageBufferBindingSize"
    } else {
        "maxBufferSize"
    };
    let want = format!(
        "training past at batch 1 needs a buffer of {} for dense_1/kernel, but this device's {source} allows at most {} per buffer",
        convplay::layers::plan::bytes_text(1024 * m * 4),
        convplay::layers::plan::bytes_text(limit)
    );
    assert!(msg.starts_with(&want), "{msg}\nwanted: {want}");
}
