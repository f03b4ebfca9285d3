//! The GPU profiler (crate/src/backend/gpu/profile.rs): one training step dispatch by
//! dispatch, each named by its layer and phase and timed; ordinary steps after the first
//! create no bind groups; and the errors for a CPU engine and an empty batch.

mod common;

use convplay::backend::gpu::gemm_choice::GemmKernel;
use convplay::backend::gpu::profile::{by_layer, profile_training, table};
use convplay::backend::{BackendChoice, Engine};
use std::rc::Rc;

const SPEC: &str = r#"{"name": "tiny", "input": [9, 9, 1], "layers": [
    {"type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"},
    {"type": "max_pool2d", "pool_size": 2},
    {"type": "flatten"},
    {"type": "dense", "units": 3, "activation": "softmax"}]}"#;

#[test]
fn a_profiled_step_names_and_times_every_dispatch() {
    let Some(ctx) = common::gpu() else { return };
    // The kernel names below are the tiled GEMM's; the register kernel's are checked after.
    ctx.set_gemm_kernel(GemmKernel::Tiled);
    let spec = convplay::spec::parse(SPEC).unwrap();
    let p = pollster::block_on(profile_training(Rc::new(ctx), &spec, 5, 2)).unwrap();
    assert_eq!(p.batch, 5);
    assert_eq!(p.bind_groups_created, 0.0, "a step after the first creates no bind groups");
    assert!(p.images_per_second > 0.0 && p.step_ms > 0.0 && p.record_ms >= 0.0, "{p:?}");
    assert_eq!(p.dispatches, p.kernels.len());
    // Forward, loss, backward and the optimiser, each dispatch under its layer.
    let has = |layer: &str, phase: &str, kernel: &str| {
        p.kernels.iter().any(|k| k.layer == layer && k.phase == phase && k.kernel.starts_with(kernel))
    };
    assert!(has("conv2d_1", "forward", "gemm/gemm mode 0"), "{:#?}", p.kernels);
    assert!(has("conv2d_1", "backward", "gemm/gemm mode 2"));
    assert!(has("max_pool2d_1", "backward", "pool/max_backward"));
    assert!(has("loss", "loss", "loss/softmax_xent"));
    assert!(has("dense_1/kernel", "optimizer", "optim/step"));
    assert!(p.kernels.iter().all(|k| k.workgroups >= 1 && k.ms.is_finite() && k.ms >= 0.0), "{:#?}", p.kernels);
    let total: f64 = p.kernels.iter().map(|k| k.ms).sum();
    assert!((total - p.gpu_ms).abs() <= 1e-9 * total.max(1.0));
    // Per layer: the optimiser's steps count to their layer, and the layers add up to the whole.
    let layers = by_layer(&p);
    let names: Vec<&str> = layers.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(names, ["conv2d_1", "max_pool2d_1", "flatten_1", "dense_1", "loss"]);
    assert!((layers.iter().map(|(_, ms)| ms).sum::<f64>() - p.gpu_ms).abs() <= 1e-9 * p.gpu_ms.max(1.0));
    let text = table(&p);
    assert!(text.contains("| conv2d_1 | backward | gemm/gemm mode 2 |"), "{text}");
}

#[test]
fn the_profile_names_the_gemm_kernel_and_its_entry_points() {
    let Some(ctx) = common::gpu() else { return };
    let report = ctx.gemm_report();
    assert!(
        report.starts_with("tiled (timed at start-up: tiled ")
            || report.starts_with("reg (timed at start-up: tiled ")
            || report.starts_with("lane (timed at start-up: tiled ")
            || report.ends_with("(forced)"),
        "{report}"
    );
    ctx.set_gemm_kernel(GemmKernel::Reg);
    let spec = convplay::spec::parse(SPEC).unwrap();
    let p = pollster::block_on(profile_training(Rc::new(ctx), &spec, 5, 1)).unwrap();
    assert_eq!(p.gemm, "reg (forced)");
    let has = |kernel: &str| p.kernels.iter().any(|k| k.kernel == kernel);
    assert!(
        has("gemm_reg/gemm_conv_forward mode 0") && has("gemm_reg/gemm_conv_filter_narrow mode 2"),
        "{:#?}",
        p.kernels
    );
    assert!(has("gemm_reg/gemm_dense_forward mode 3") && has("gemm_reg/gemm_dense_weight mode 5"), "{:#?}", p.kernels);
    assert!(!p.kernels.iter().any(|k| k.kernel.starts_with("gemm/gemm ")), "{:#?}", p.kernels);
    assert!(table(&p).contains("GEMM kernel: reg (forced)"));
}

#[test]
fn profiling_needs_a_gpu_and_a_batch() {
    let spec = convplay::spec::parse(SPEC).unwrap();
    let cpu = pollster::block_on(Engine::new(BackendChoice::Cpu)).unwrap();
    let e = pollster::block_on(cpu.profile(&spec, 4, 1)).unwrap_err();
    assert!(e.message().starts_with("the profile times GPU dispatches, and this engine runs on the CPU"), "{e}");
    // Measuring training speed works on either backend.
    assert!(pollster::block_on(cpu.measure_training(&spec, 4, 1)).unwrap() > 0.0);
    let Some(ctx) = common::gpu() else { return };
    let e = pollster::block_on(profile_training(Rc::new(ctx), &spec, 0, 1)).unwrap_err();
    assert!(e.message().contains("batch 0"), "{e}");
}
