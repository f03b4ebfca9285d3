//! Shader modules and pipelines belong to the device (the `GpuContext`), not to a model:
//! a second model on the same context dispatches the same kernels without building any.

mod common;

use convplay::backend::gpu::backend::Gpu;
use convplay::backend::gpu::gemm_choice::GemmKernel;
use convplay::model::Model;
use convplay::spec::parse;
use std::rc::Rc;

const SPEC: &str = r#"{"input": [8, 8, 2], "layers": [
    {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "batch_norm"},
    {"type": "max_pool2d", "pool_size": 2},
    {"type": "separable_conv2d", "filters": 5, "kernel_size": 3, "padding": "same", "activation": "tanh"},
    {"type": "global_avg_pool2d"},
    {"type": "dense", "units": 3, "activation": "softmax"}
]}"#;

#[test]
fn two_models_on_one_context_share_its_pipelines() {
    let Some(ctx) = common::gpu() else { return };
    let ctx = Rc::new(ctx);
    // The context has built the smoke pipeline to check the device and kept the conv products
    // of the GEMM kernel its start-up probe chose (forced by CONVPLAY_GEMM: no probe, none).
    let start = ctx.pipelines_built();
    assert!(start >= 1);
    let spec = parse(SPEC).unwrap();
    let x = common::random_vec(4 * 8 * 8 * 2, 11);
    let predict = |m: &mut Model<Gpu>| {
        m.set_input(&x).unwrap();
        pollster::block_on(m.predict(4)).unwrap()
    };

    let mut first = Model::new(Gpu::new(ctx.clone()), &spec, 4, 3).unwrap();
    let a = predict(&mut first);
    let built = ctx.pipelines_built();
    // fill, BN, max pool, depthwise, GAP, dense and softmax at least, beside the conv.
    assert!(built >= start + 6, "only {} pipelines built for a forward pass", built - start);

    // A second model, while the first is alive, runs the same kernels and builds none.
    let mut second = Model::new(Gpu::new(ctx.clone()), &spec, 4, 3).unwrap();
    let b = predict(&mut second);
    assert_eq!(ctx.pipelines_built(), built, "the second model built its own pipelines");
    assert_eq!(a, b, "same spec, seed and input on shared pipelines");
    assert_eq!(predict(&mut first), a);
    assert_eq!(ctx.pipelines_built(), built);

    // Another context is another device: it has its own cache, and the same answer on the
    // same kernel (its probe may have chosen another on a busy machine: it takes the first's).
    let other = Rc::new(common::gpu().unwrap());
    other.set_gemm_kernel(ctx.gemm_kernel());
    let before = other.pipelines_built();
    let mut third = Model::new(Gpu::new(other.clone()), &spec, 4, 3).unwrap();
    assert_eq!(predict(&mut third), a);
    assert!(other.pipelines_built() >= before + 6);
    assert_eq!(ctx.pipelines_built(), built);
}

#[test]
fn the_start_up_probe_keeps_only_the_chosen_kernels_pipelines() {
    // A conv of the probe's shape (its forward product is one of the probe's pipelines), then
    // a classifier's head.
    let spec = parse(
        r#"{"input": [14, 14, 16], "layers": [
        {"type": "conv2d", "filters": 32, "kernel_size": 3, "padding": "same", "use_bias": false},
        {"type": "global_avg_pool2d"},
        {"type": "dense", "units": 3, "activation": "softmax"}]}"#,
    )
    .unwrap();
    let x = common::random_vec(2 * 14 * 14 * 16, 3);
    // Pipelines a forward pass builds on a fresh context, with `kernel` (None: the chosen one).
    let built_by_a_pass = |kernel: Option<GemmKernel>| {
        let ctx = Rc::new(common::gpu()?);
        if !ctx.gemm_report().contains("timed at start-up") {
            return None; // CONVPLAY_GEMM forced a kernel: no probe ran.
        }
        let chosen = ctx.gemm_kernel();
        if let Some(k) = kernel {
            ctx.set_gemm_kernel(k);
        }
        let before = ctx.pipelines_built();
        let mut m = Model::new(Gpu::new(ctx.clone()), &spec, 2, 1).unwrap();
        m.set_input(&x).unwrap();
        pollster::block_on(m.predict(2)).unwrap();
        Some((chosen, ctx.pipelines_built() - before))
    };
    let Some((chosen, with_chosen)) = built_by_a_pass(None) else { return };
    // Another register kernel's probe pipelines were dropped: the same pass builds its conv
    // product too (the tiled kernel's one `gemm` entry would serve the dense layer as well).
    let other = GemmKernel::ALL.into_iter().find(|&k| k != chosen && k != GemmKernel::Tiled).unwrap();
    let Some((_, with_other)) = built_by_a_pass(Some(other)) else { return };
    assert!(with_other > with_chosen, "{} chosen: {with_chosen}; {} forced: {with_other}", chosen.name(), other.name());
}
