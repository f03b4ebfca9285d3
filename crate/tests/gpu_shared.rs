//! Shader modules and pipelines belong to the device (the `GpuContext`), not to a model:
//! a second model on the same context dispatches the same kernels without building any.

mod common;

use convplay::backend::gpu::backend::Gpu;
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
    // The context builds the smoke pipeline to check the device, and nothing else yet.
    assert_eq!(ctx.pipelines_built(), 1);
    let spec = parse(SPEC).unwrap();
    let x = common::random_vec(4 * 8 * 8 * 2, 11);
    let predict = |m: &mut Model<Gpu>| {
        m.set_input(&x).unwrap();
        pollster::block_on(m.predict(4)).unwrap()
    };

    let mut first = Model::new(Gpu::new(ctx.clone()), &spec, 4, 3).unwrap();
    let a = predict(&mut first);
    let built = ctx.pipelines_built();
    // fill, conv (gemm), BN, max pool, depthwise, GAP, dense and softmax at least.
    assert!(built >= 8, "only {built} pipelines built for a forward pass");

    // A second model, while the first is alive, runs the same kernels and builds none.
    let mut second = Model::new(Gpu::new(ctx.clone()), &spec, 4, 3).unwrap();
    let b = predict(&mut second);
    assert_eq!(ctx.pipelines_built(), built, "the second model built its own pipelines");
    assert_eq!(a, b, "same spec, seed and input on shared pipelines");
    assert_eq!(predict(&mut first), a);
    assert_eq!(ctx.pipelines_built(), built);

    // Another context is another device: it has its own cache. Its start-up probe may time
    // the GEMM kernels differently on a busy machine (lane against reg builds another number
    // of pipelines), so it takes the first context's kernel before the count is compared.
    let other = Rc::new(common::gpu().unwrap());
    assert_eq!(other.pipelines_built(), 1);
    other.set_gemm_kernel(ctx.gemm_kernel());
    let mut third = Model::new(Gpu::new(other.clone()), &spec, 4, 3).unwrap();
    assert_eq!(predict(&mut third), a);
    assert_eq!(other.pipelines_built(), built);
}
