//! The activation fused into the GEMM's epilogue (`Backend::conv2d_forward_act`,
//! `dense_forward_act`; shaders/gemm.wgsl, gemm_reg.wgsl): on the GPU a conv or dense layer's
//! forward pass with its bias and an element-wise activation is one dispatch, and its result
//! equals the CPU's forward followed by the activation — for every activation, with and
//! without bias, on odd shapes, with both GEMM kernels (forced), unsplit and split along K
//! (where the reduction applies the activation). Softmax, which needs whole rows, stays a
//! dispatch of its own. A profiled training step shows no `eltwise/act_forward` under a conv
//! or dense layer. Tolerance as gpu_ops.rs: |gpu − cpu| ≤ 1e-4 · max(1, |cpu|).

mod common;

use common::ops::{read, upload};
use convplay::backend::cpu::backend::Cpu;
use convplay::backend::geom::Window;
use convplay::backend::gpu::backend::Gpu;
use convplay::backend::gpu::gemm_choice::GemmKernel;
use convplay::backend::gpu::params::GemmParams;
use convplay::backend::gpu::pipelines::shader_source;
use convplay::backend::gpu::profile::profile_training;
use convplay::backend::gpu::GpuContext;
use convplay::backend::ops::Backend;
use convplay::spec::{Activation, Padding};
use std::rc::Rc;

const KERNELS: [GemmKernel; 3] = [GemmKernel::Reg, GemmKernel::Lane, GemmKernel::Tiled];

const ACTIVATIONS: [Activation; 7] = [
    Activation::Linear,
    Activation::Relu,
    Activation::Relu6,
    Activation::LeakyRelu { alpha: 0.3 },
    Activation::Sigmoid,
    Activation::Tanh,
    Activation::Softmax,
];

fn close(what: &str, gpu: &[f32], cpu: &[f32]) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths");
    for (i, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        assert!((g - c).abs() <= 1e-4 * c.abs().max(1.0), "{what}[{i}]: gpu {g} vs cpu {c}");
    }
}

/// A context with `kernel` forced, or None where no GPU is required and none is here.
fn forced(kernel: GemmKernel) -> Option<Rc<GpuContext>> {
    let ctx = common::gpu()?;
    ctx.set_gemm_kernel(kernel);
    assert_eq!(ctx.gemm_kernel(), kernel);
    Some(Rc::new(ctx))
}

/// Inputs scaled by 3 so that products pass relu6's 6 and saturate sigmoid and tanh.
fn inputs<B: Backend>(be: &B, (xl, wl, bl): (usize, usize, usize), seed: u64) -> [B::Buf; 3] {
    let x: Vec<f32> = common::random_vec(xl, seed).iter().map(|v| 3.0 * v).collect();
    [upload(be, &x), upload(be, &common::random_vec(wl, seed + 1)), upload(be, &common::random_vec(bl, seed + 2))]
}

/// The CPU's conv forward and then the activation, as two ops.
fn cpu_conv(g: &Window, bias: bool, a: Activation, seed: u64) -> Vec<f32> {
    let be = Cpu::new();
    let [x, w, b] = inputs(&be, (g.input_len(), (g.kh * g.kw * g.c * g.oc) as usize, g.oc as usize), seed);
    let out = be.alloc(g.output_len());
    be.conv2d_forward(g, &x, &w, bias.then_some(&b), &out);
    be.activation_forward(a, g.oc as usize, g.output_len(), &out);
    read(&be, &out, g.output_len())
}

/// The fused conv forward on `gpu`: its output and the dispatches it took.
fn gpu_conv(gpu: &Gpu, g: &Window, bias: bool, a: Activation, seed: u64) -> (Vec<f32>, u64) {
    let [x, w, b] = inputs(gpu, (g.input_len(), (g.kh * g.kw * g.c * g.oc) as usize, g.oc as usize), seed);
    let out = gpu.alloc(g.output_len());
    let before = gpu.counters().dispatches;
    gpu.conv2d_forward_act(g, &x, &w, bias.then_some(&b), &out, a);
    let dispatches = gpu.counters().dispatches - before;
    (read(gpu, &out, g.output_len()), dispatches)
}

fn cpu_dense((n, k, m): (usize, usize, usize), bias: bool, a: Activation, seed: u64) -> Vec<f32> {
    let be = Cpu::new();
    let [x, w, b] = inputs(&be, (n * k, k * m, m), seed);
    let out = be.alloc(n * m);
    be.dense_forward(n, k, m, &x, &w, bias.then_some(&b), &out);
    be.activation_forward(a, m, n * m, &out);
    read(&be, &out, n * m)
}

fn gpu_dense(gpu: &Gpu, (n, k, m): (usize, usize, usize), bias: bool, a: Activation, seed: u64) -> (Vec<f32>, u64) {
    let [x, w, b] = inputs(gpu, (n * k, k * m, m), seed);
    let out = gpu.alloc(n * m);
    let before = gpu.counters().dispatches;
    gpu.dense_forward_act(n, k, m, &x, &w, bias.then_some(&b), &out, a);
    let dispatches = gpu.counters().dispatches - before;
    (read(gpu, &out, n * m), dispatches)
}

/// Dispatches a fused forward product takes: the product (and its split-K reduction, which
/// applies the activation), plus a softmax of its own.
fn expected_dispatches(splits: usize, a: Activation) -> u64 {
    1 + (splits >= 2) as u64 + (a == Activation::Softmax) as u64
}

/// Conv windows whose forward product has few tiles and a long K (kh·kw·c ≥ 512), so that
/// it is split along K when it has no bias: one in several parts, the last short, and one
/// of a single output pixel per image.
fn split_windows() -> Vec<Window> {
    [(1, 6, 5, 70, 9, 3, 1, Padding::Same), (2, 4, 4, 130, 3, 3, 2, Padding::Valid)]
        .into_iter()
        .map(|s| common::ops::window("fused split", s))
        .collect()
}

#[test]
fn the_fused_conv_forward_equals_the_cpu_for_every_activation() {
    let mut windows = common::ops::odd_windows("fused");
    windows.extend(split_windows());
    for kernel in KERNELS {
        let Some(ctx) = forced(kernel) else { return };
        for (i, g) in windows.iter().enumerate() {
            let (m, n, k) = ((g.n * g.oh * g.ow) as usize, g.oc as usize, (g.kh * g.kw * g.c) as usize);
            for (j, a) in ACTIVATIONS.into_iter().enumerate() {
                for bias in [false, true] {
                    let seed = 3000 + 16 * i as u64 + j as u64;
                    let cpu = cpu_conv(g, bias, a, seed);
                    // Unsplit, and split wherever the product allows it (only without a bias).
                    for target in [1, 64] {
                        let gpu = Gpu::new(ctx.clone());
                        gpu.set_split_target(target);
                        let splits = match (bias, target) {
                            (false, 64) => GemmParams::split_k((m, n, k), 64, 4 << 20).0,
                            _ => 1,
                        };
                        let (out, dispatches) = gpu_conv(&gpu, g, bias, a, seed);
                        let what = format!("{} conv {g:?} {a:?} bias {bias} split target {target}", kernel.name());
                        close(&what, &out, &cpu);
                        assert_eq!(dispatches, expected_dispatches(splits, a), "{what}: dispatches");
                    }
                }
            }
        }
    }
}

#[test]
fn the_split_windows_do_split() {
    for g in split_windows() {
        let dims = ((g.n * g.oh * g.ow) as usize, g.oc as usize, (g.kh * g.kw * g.c) as usize);
        assert!(GemmParams::split_k(dims, 64, 4 << 20).0 >= 2, "{g:?} is not split");
    }
}

#[test]
fn the_fused_dense_forward_equals_the_cpu_for_every_activation() {
    // Odd sizes; the last three have a long K, split along K without a bias.
    let dims = [(1, 1, 1), (3, 7, 5), (129, 65, 10), (2, 300, 131), (67, 3, 70), (3, 1000, 7), (1, 600, 130)];
    assert!(dims[5..].iter().all(|&(n, k, m)| GemmParams::split_k((n, m, k), 64, 4 << 20).0 >= 2));
    for kernel in KERNELS {
        let Some(ctx) = forced(kernel) else { return };
        for (i, &(n, k, m)) in dims.iter().enumerate() {
            for (j, a) in ACTIVATIONS.into_iter().enumerate() {
                for bias in [false, true] {
                    let seed = 4000 + 16 * i as u64 + j as u64;
                    let cpu = cpu_dense((n, k, m), bias, a, seed);
                    for target in [1, 64] {
                        let gpu = Gpu::new(ctx.clone());
                        gpu.set_split_target(target);
                        let splits = match (bias, target) {
                            (false, 64) => GemmParams::split_k((n, m, k), 64, 4 << 20).0,
                            _ => 1,
                        };
                        let (out, dispatches) = gpu_dense(&gpu, (n, k, m), bias, a, seed);
                        let what =
                            format!("{} dense {:?} {a:?} bias {bias} split target {target}", kernel.name(), (n, k, m));
                        close(&what, &out, &cpu);
                        assert_eq!(dispatches, expected_dispatches(splits, a), "{what}: dispatches");
                    }
                }
            }
        }
    }
}

/// The text of the function that starts with `head` in WGSL source `src`.
fn function<'a>(src: &'a str, head: &str) -> &'a str {
    let start = src.find(head).unwrap_or_else(|| panic!("no {head}"));
    let len = src[start..].find("\n}\n").unwrap_or_else(|| panic!("{head} never ends"));
    &src[start..start + len + 2]
}

#[test]
fn the_fused_activation_is_the_eltwise_one_by_construction() {
    // One text, act.wgsl, ends the eltwise module and every GEMM module, once each.
    let act = include_str!("../../shaders/act.wgsl");
    for module in ["eltwise", "gemm", "gemm_reg", "gemm_lane", "gemm_lane4"] {
        let src = shader_source(module).unwrap();
        assert!(src.ends_with(act), "{module} does not end with act.wgsl");
        assert_eq!(src.matches("fn act_fwd(").count(), 1, "{module}");
        assert_eq!(src.matches("fn act_fwd4(").count(), 1, "{module}");
    }
    // act_fwd4 is act_fwd on four values at once: its scalars become vec4s.
    let scalar = function(act, "fn act_fwd(v: f32) -> f32 {");
    let mut four = scalar.replace("fn act_fwd(v: f32) -> f32", "fn act_fwd4(v: vec4<f32>) -> vec4<f32>");
    for (one, vector) in [
        ("max(v, 0.0)", "max(v, vec4<f32>(0.0))"),
        ("clamp(v, 0.0, 6.0)", "clamp(v, vec4<f32>(0.0), vec4<f32>(6.0))"),
        ("v < 0.0", "v < vec4<f32>(0.0)"),
    ] {
        assert!(four.contains(one), "{one}: {scalar}");
        four = four.replace(one, vector);
    }
    assert_eq!(function(act, "fn act_fwd4("), four, "act_fwd4 differs from act_fwd");
    for code in ["case 1u", "case 2u", "case 3u", "case 4u", "case 5u", "p.alpha"] {
        assert!(scalar.contains(code), "{code}: {scalar}");
    }
    // Each epilogue writes C through it: the tiled kernel's, its split-K reduction, the register
    // kernels'; and the element-wise activation uses the same function.
    let gemm = shader_source("gemm").unwrap();
    assert!(gemm.contains("out[base + r * p.n + c] = act_fwd(v);"));
    assert!(gemm.contains("out[i] = act_fwd(sum);"));
    assert!(shader_source("gemm_reg").unwrap().contains("let y = act_fwd4(v + bv);"));
    assert!(shader_source("gemm_lane").unwrap().contains("let y = act_fwd4(v + bv);"));
    assert!(shader_source("eltwise").unwrap().contains("act_fwd("));
}

const SPEC: &str = r#"{"name": "fused", "input": [9, 9, 2], "layers": [
    {"type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"},
    {"type": "conv2d", "filters": 5, "kernel_size": 3, "activation": "tanh", "use_bias": false},
    {"type": "flatten"},
    {"type": "dense", "units": 6, "activation": "leaky_relu"},
    {"type": "dense", "units": 4, "activation": "softmax"},
    {"type": "dense", "units": 3, "activation": "softmax"}]}"#;

#[test]
fn a_profiled_step_runs_no_activation_dispatch_for_convs_and_dense_layers() {
    for kernel in KERNELS {
        let Some(ctx) = forced(kernel) else { return };
        let spec = convplay::spec::parse(SPEC).unwrap();
        let p = pollster::block_on(profile_training(ctx, &spec, 5, 1)).unwrap();
        let forward = |layer: &str| -> Vec<&str> {
            p.kernels.iter().filter(|k| k.layer == layer && k.phase == "forward").map(|k| k.kernel.as_str()).collect()
        };
        // The forward product of `n` columns (mode 0 conv, 3 dense), as the profile names it.
        let product = |mode: u32, n: usize| match kernel {
            GemmKernel::Tiled => format!("gemm/gemm mode {mode}"),
            GemmKernel::Reg if mode == 0 => "gemm_reg/gemm_conv_forward mode 0".to_string(),
            GemmKernel::Reg => "gemm_reg/gemm_dense_forward mode 3".to_string(),
            // Every product here has at most 32 columns: the lane kernel's narrow tiles, B read
            // as vec4s where n is a multiple of 4.
            GemmKernel::Lane => {
                let module = if n.is_multiple_of(4) { "gemm_lane4" } else { "gemm_lane" };
                let op = if mode == 0 { "conv" } else { "dense" };
                format!("{module}/lane_{op}_forward_n mode {mode}")
            }
        };
        for (layer, filters) in [("conv2d_1", 4), ("conv2d_2", 5)] {
            assert_eq!(forward(layer), [product(0, filters)], "{} {layer}: {:#?}", kernel.name(), p.kernels);
        }
        assert_eq!(forward("dense_1"), [product(3, 6)], "{}: {:#?}", kernel.name(), p.kernels);
        // Softmax needs the whole row: its own dispatch after the product (the last layer's
        // is left to the loss).
        let softmax = forward("dense_2");
        assert_eq!(softmax.len(), 2, "{softmax:?}");
        assert_eq!(softmax[0], product(3, 4));
        assert!(softmax[1].starts_with("eltwise/softmax_forward"), "{softmax:?}");
        assert_eq!(forward("dense_3"), [product(3, 3)]);
        // The backward pass still takes the activation's derivative from the stored output.
        let backward = |layer: &str| p.kernels.iter().any(|k| k.layer == layer && k.kernel.contains("act_backward"));
        assert!(backward("conv2d_1") && backward("conv2d_2") && backward("dense_1"), "{:#?}", p.kernels);
    }
}
