//! The register-tiled GEMM kernels (shaders/gemm_reg.wgsl and its lane-shaped twin
//! shaders/gemm_lane.wgsl) against the CPU reference, each forced on the context whatever the
//! start-up timing chose: every mode (conv forward, data and filter
//! gradients, dense forward and gradients) on odd shapes — batch 1 and > 1, stride 1 and 2,
//! "same" and "valid", 1, 3 and other odd channel counts, M, N and K that are not multiples of
//! the 4×4 block or the 64×64 tile — with and without bias, split K with several splits, and
//! a whole training step of seed-001 and seed-004, and a conv past the grid's 65,535 workgroups
//! per dimension. The tiled kernel runs the same cases, so a mismatch names the kernel. Tolerance as gpu_ops.rs: |gpu − cpu| ≤ 1e-4 · max(1, |cpu|).

mod common;

use common::ops::{conv_case, read, upload};
use convplay::backend::cpu::backend::Cpu;
use convplay::backend::geom::Window;
use convplay::backend::gpu::backend::Gpu;
use convplay::backend::gpu::gemm_choice::GemmKernel;
use convplay::backend::gpu::params::GemmParams;
use convplay::backend::gpu::GpuContext;
use convplay::backend::ops::{Backend, OptimStep};
use convplay::model::Model;
use convplay::spec::Padding;
use std::rc::Rc;

const KERNELS: [GemmKernel; 3] = [GemmKernel::Reg, GemmKernel::Lane, GemmKernel::Tiled];
/// The kernels without workgroup memory.
const REGISTER: [GemmKernel; 2] = [GemmKernel::Reg, GemmKernel::Lane];

fn close(what: &str, gpu: &[f32], cpu: &[f32]) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths");
    for (i, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        assert!((g - c).abs() <= 1e-4 * c.abs().max(1.0), "{what}[{i}]: gpu {g} vs cpu {c}");
    }
}

fn compare(what: &str, gpu: &[Vec<f32>], cpu: &[Vec<f32>]) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: output counts");
    for (k, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        close(&format!("{what} output {k}"), g, c);
    }
}

fn dense_case<B: Backend>(be: &B, (n, k, m): (usize, usize, usize), bias: bool, seed: u64) -> Vec<Vec<f32>> {
    let x = upload(be, &common::random_vec(n * k, seed));
    let w = upload(be, &common::random_vec(k * m, seed + 1));
    let b = upload(be, &common::random_vec(m, seed + 2));
    let dout = upload(be, &common::random_vec(n * m, seed + 3));
    let (out, dx, dw) = (be.alloc(n * m), be.alloc(n * k), be.alloc(k * m));
    be.dense_forward(n, k, m, &x, &w, bias.then_some(&b), &out);
    be.dense_backward(n, k, m, &x, &w, &dout, Some(&dx), &dw, None);
    vec![read(be, &out, n * m), read(be, &dx, n * k), read(be, &dw, k * m)]
}

/// A context with `kernel` forced, or None where no GPU is required and none is here.
fn forced(kernel: GemmKernel) -> Option<Rc<GpuContext>> {
    let ctx = common::gpu()?;
    ctx.set_gemm_kernel(kernel);
    assert_eq!(ctx.gemm_kernel(), kernel);
    assert!(ctx.gemm_report().starts_with(kernel.name()), "{}", ctx.gemm_report());
    Some(Rc::new(ctx))
}

#[test]
fn every_conv_mode_matches_the_cpu_on_odd_shapes() {
    // The odd shapes of the GPU op tests, plus MNIST's first conv, a 4×4 kernel, 65 input
    // channels and 70 and 68 output channels (products wider than 32 columns: the lane
    // kernel's 64-column tiles, one of them cut at 70; with 32 and 68 columns, multiples of 4,
    // its forward product and filter gradient read B as vec4s).
    let mut windows = common::ops::ODD_SHAPES.to_vec();
    windows.extend([
        (1, 28, 28, 1, 32, 3, 1, Padding::Valid),
        (3, 10, 9, 3, 7, 4, 2, Padding::Same),
        (2, 11, 13, 65, 3, 3, 1, Padding::Same),
        (2, 9, 7, 5, 70, 3, 2, Padding::Same),
        (1, 6, 5, 3, 68, 3, 1, Padding::Valid),
    ]);
    for kernel in KERNELS {
        let Some(ctx) = forced(kernel) else { return };
        for (i, &shape) in windows.iter().enumerate() {
            let g = common::ops::window("gemm_reg", shape);
            let bias = i % 2 == 0;
            let seed = 1200 + i as u64;
            let cpu = conv_case(&Cpu::new(), &g, bias, seed);
            // Unsplit, and split wherever a product allows it.
            for target in [1, 64] {
                let gpu = Gpu::new(ctx.clone());
                gpu.set_split_target(target);
                let what = format!("{} conv {g:?} bias {bias} split target {target}", kernel.name());
                compare(&what, &conv_case(&gpu, &g, bias, seed), &cpu);
            }
        }
    }
}

#[test]
fn every_dense_mode_matches_the_cpu_on_odd_shapes() {
    let dims = [(1, 1, 1), (3, 7, 5), (64, 1600, 64), (129, 65, 10), (2, 300, 131), (1, 17, 3), (67, 3, 70)];
    for kernel in KERNELS {
        let Some(ctx) = forced(kernel) else { return };
        for (i, &d) in dims.iter().enumerate() {
            let bias = i % 2 == 1;
            let seed = 1300 + i as u64;
            let cpu = dense_case(&Cpu::new(), d, bias, seed);
            let gpu = Gpu::new(ctx.clone());
            compare(&format!("{} dense {d:?} bias {bias}", kernel.name()), &dense_case(&gpu, d, bias, seed), &cpu);
        }
    }
}

#[test]
fn split_k_with_many_splits_matches_the_cpu() {
    for kernel in REGISTER {
        split_k_case(kernel);
    }
}

fn split_k_case(kernel: GemmKernel) {
    let Some(ctx) = forced(kernel) else { return };
    let windows = [
        // MNIST's first conv: C is 9 × 32, K = 8·26·26 in about 21 parts, the last short.
        (8, 28, 28, 1, 32, 3, 1, Padding::Valid),
        // Odd sizes, stride 2, "same": a split part starts in the middle of an output row.
        (32, 13, 11, 5, 70, 3, 2, Padding::Same),
        // C is 288 × 64 (5 tiles), K = 5·22·22.
        (5, 24, 24, 32, 64, 3, 1, Padding::Valid),
    ];
    for (i, &(n, h, w, c, oc, k, s, p)) in windows.iter().enumerate() {
        let g = Window::new("gemm_reg split", n, (h, w, c), oc, (k, k), (s, s), p).unwrap();
        let m = (g.kh * g.kw * g.c) as usize;
        let kk = (g.n * g.oh * g.ow) as usize;
        let (splits, chunk) = GemmParams::split_k((m, g.oc as usize, kk), 64, 4 << 20);
        assert!(splits >= 3, "case {i} must reach several splits: {splits}");
        assert_ne!(chunk % g.ow as usize, 0, "case {i}: a part should begin inside an output row");
        let seed = 1400 + i as u64;
        let cpu = conv_case(&Cpu::new(), &g, false, seed);
        let gpu = Gpu::new(ctx.clone());
        let before = gpu.counters().dispatches;
        let out = conv_case(&gpu, &g, false, seed);
        // forward, data gradient, filter gradient and its reduction, bias gradient.
        assert!(gpu.counters().dispatches - before >= 5, "case {i}: the filter gradient was split");
        compare(&format!("{} split conv {g:?}", kernel.name()), &out, &cpu);
    }
    for (i, d) in [(2000, 37, 10), (1031, 70, 3)].into_iter().enumerate() {
        let cpu = dense_case(&Cpu::new(), d, false, 1450 + i as u64);
        let out = dense_case(&Gpu::new(ctx.clone()), d, false, 1450 + i as u64);
        compare(&format!("{} split dense {d:?}", kernel.name()), &out, &cpu);
    }
}

/// One SGD step of a preset at batch `n` on `be`; its parameters afterwards.
fn trained<B: Backend>(be: B, preset: &str, n: usize) -> Vec<(String, Vec<f32>)> {
    let spec = convplay::presets::preset(preset).unwrap();
    let mut model = Model::new(be, &spec, n, 7).unwrap();
    let per = spec.input.buffer_len();
    let x: Vec<f32> = common::random_vec(n * per, 77).iter().map(|v| 0.5 + 0.5 * v).collect();
    let y: Vec<u8> = (0..n).map(|i| (i * 7 % 10) as u8).collect();
    let step = OptimStep::Sgd { lr: 0.05, momentum: 0.0, nesterov: false, weight_decay: 0.0 };
    model.train_step(&x, &y, step).unwrap();
    pollster::block_on(model.read_params()).unwrap()
}

#[test]
fn a_training_step_with_the_register_kernels_equals_the_cpu() {
    for (kernel, preset, n) in REGISTER.into_iter().flat_map(|k| [(k, "seed-001", 5), (k, "seed-004", 3)]) {
        let Some(ctx) = forced(kernel) else { return };
        let cpu = trained(Cpu::new(), preset, n);
        let gpu = trained(Gpu::new(ctx.clone()), preset, n);
        assert_eq!(gpu.len(), cpu.len(), "{preset}: parameter counts");
        for ((name, g), (_, c)) in gpu.iter().zip(&cpu) {
            close(&format!("{} {preset} {name} after one step", kernel.name()), g, c);
        }
    }
}

#[test]
fn the_kernel_names_parse_and_bad_ones_say_how_to_fix_them() {
    assert_eq!(GemmKernel::parse("tiled").unwrap(), GemmKernel::Tiled);
    assert_eq!(GemmKernel::parse(" REG ").unwrap(), GemmKernel::Reg);
    assert_eq!(GemmKernel::parse("lane").unwrap(), GemmKernel::Lane);
    let e = GemmKernel::parse("fast").unwrap_err().message();
    assert!(e.contains("\"fast\"") && e.contains("tiled") && e.contains("reg") && e.contains("lane"), "{e}");
    for (mode, m) in (0..6).flat_map(|mode| [(mode, 9), (mode, 17), (mode, 288)]) {
        assert_eq!(GemmKernel::Tiled.entry(mode, m, 64), "gemm");
        // The lane kernel: 16 rows × 4 columns per invocation up to 32 columns, else 8 × 8.
        for (n, tm, tn, suffix) in [(10, 16, 32, "_n"), (32, 16, 32, "_n"), (33, 8, 64, ""), (128, 8, 64, "")] {
            let entry = GemmKernel::Lane.entry(mode, m, n);
            assert!(entry.starts_with("lane_"), "{entry}");
            assert_eq!(entry.ends_with("_n"), !suffix.is_empty(), "{entry}");
            let src = convplay::backend::gpu::pipelines::shader_source(GemmKernel::Lane.file()).unwrap();
            let body = src.split(&format!("fn {entry}(")).nth(1).unwrap().split("\n}").next().unwrap();
            assert!(
                body.contains(&format!("lid, {tn}u, {tm}u)")),
                "mode {mode}, {n} columns: {entry} covers {tm}×{tn}"
            );
            assert_eq!(GemmKernel::Lane.tile(mode, m, n), (tm, tn), "mode {mode}, {n} columns: {entry}");
        }
        let entry = GemmKernel::Reg.entry(mode, m, 64);
        let src = convplay::backend::gpu::pipelines::shader_source(GemmKernel::Reg.file()).unwrap();
        assert!(src.contains(&format!("fn {entry}(")), "mode {mode}: {entry} is in gemm_reg.wgsl");
        // The entry's workgroup tile is as tall as the parts it asks for (128 or 16 rows), or 64
        // where it keeps rows 4–7 too (`upper`), else 32; 32 wide.
        let (tm, tn) = GemmKernel::Reg.tile(mode, m, 64);
        let body = src.split(&format!("fn {entry}(")).nth(1).unwrap().split("\n}").next().unwrap();
        let rows = match (body.contains("lid, 128u)"), body.contains("upper(t)"), body.contains("lid, 16u)")) {
            (true, _, _) => 128,
            (_, true, _) => 64,
            (_, _, true) => 16,
            _ => 32,
        };
        assert_eq!((tm, tn), (rows, 32), "mode {mode}, {m} rows: {entry}");
    }
    assert_eq!(GemmKernel::Reg.entry(2, 288, 64), "gemm_conv_filter_wide");
    assert_eq!(GemmKernel::Reg.entry(2, 17, 64), "gemm_conv_filter");
    assert_eq!(GemmKernel::Reg.entry(2, 9, 64), "gemm_conv_filter_narrow");
}

/// The start-up choice from the probe's times (milliseconds as measured: lavapipe, SwiftShader
/// in Chromium, a GPU where the kernels tie).
#[test]
fn the_probe_picks_the_lane_kernel_only_by_a_clear_margin() {
    use convplay::backend::gpu::gemm_choice::{pick, GemmDecision};
    let timed = |tiled_ms, reg_ms, lane_ms| pick(GemmDecision::Timed { tiled_ms, reg_ms, lane_ms });
    assert_eq!(timed(48.0, 3.2, 2.0), GemmKernel::Lane);
    assert_eq!(timed(111.0, 6.75, 6.33), GemmKernel::Reg);
    assert_eq!(timed(142.0, 4.58, 4.91), GemmKernel::Reg);
    assert_eq!(timed(109.5, 6.42, 5.42), GemmKernel::Reg);
    assert_eq!(timed(1.0, 0.95, 0.93), GemmKernel::Tiled);
    assert_eq!(timed(1.0, 0.95, 0.7), GemmKernel::Lane);
    assert_eq!(timed(1.0, 0.8, 0.95), GemmKernel::Reg);
    assert_eq!(pick(GemmDecision::Undecided), GemmKernel::Tiled);
    assert_eq!(pick(GemmDecision::Forced), GemmKernel::Tiled);
}

#[test]
fn a_bad_convplay_gemm_is_an_error_that_names_the_choices() {
    if common::gpu().is_none() {
        return;
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_convplay"))
        .args(["bench", "--profile", "--steps", "1"])
        .env("CONVPLAY_GEMM", "fast")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "CONVPLAY_GEMM=fast must fail: {stderr}");
    assert!(stderr.contains("CONVPLAY_GEMM: unknown GEMM kernel \"fast\": use \"tiled\""), "{stderr}");
}

/// Every kernel past the grid's 65,535 workgroups per dimension (gpu_limits.rs runs the kernel
/// the start-up timing chose; this runs each): a conv over batch 33 of 512×512×1.
#[test]
fn every_kernel_folds_past_the_grid_limit() {
    let g = Window::new("big", 33, (512, 512, 1), 1, (3, 3), (1, 1), Padding::Same).unwrap();
    let cpu = conv_forward(&Cpu::new(), &g);
    for kernel in KERNELS {
        let Some(ctx) = forced(kernel) else { return };
        let (tm, _) = kernel.tile(0, cpu.len(), 1);
        assert!(cpu.len().div_ceil(tm) > 65_535, "{} fits one grid dimension", kernel.name());
        let got = conv_forward(&Gpu::new(ctx), &g);
        assert_eq!(got.len(), cpu.len());
        // Every 997th value, and the tail (where a clipped grid never reaches) in full.
        let tail = got.len() - 64 * 1024;
        for (i, (a, b)) in got.iter().zip(&cpu).enumerate() {
            if i % 997 == 0 || i >= tail {
                assert!((a - b).abs() <= 1e-4 * b.abs().max(1.0), "{} [{i}]: gpu {a} vs cpu {b}", kernel.name());
            }
        }
    }
}

fn conv_forward<B: Backend>(be: &B, g: &Window) -> Vec<f32> {
    let x = upload(be, &common::random_vec(g.input_len(), 21));
    let w = upload(be, &common::random_vec(9, 22));
    let out = be.alloc(g.output_len());
    be.conv2d_forward(g, &x, &w, None, &out);
    read(be, &out, g.output_len())
}
