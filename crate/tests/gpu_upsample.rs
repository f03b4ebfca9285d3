//! The up-sampling layers on the GPU against the CPU: the kernels of shaders/upsample.wgsl
//! (odd sizes, batch 1 and > 1, both interpolations) and the transposed convolution (gemm.wgsl's
//! conv modes with the roles swapped; "valid" and "same", strides 1–3, with and without bias),
//! line lengths past the dispatch limit (`maxComputeWorkgroupsPerDimension` workgroups), which
//! must not be clipped, and a training step of a model with both layers.
//! Tolerance: |gpu − cpu| ≤ 1e-4 · max(1, |cpu|).

mod common;

use common::ops::{read, upload};
use convplay::backend::cpu::backend::Cpu;
use convplay::backend::geom::{Upsample, Window};
use convplay::backend::gpu::backend::Gpu;
use convplay::backend::ops::Backend;
use convplay::spec::{deconv_out, Padding};
use std::rc::Rc;

fn gpu() -> Option<Gpu> {
    common::gpu().map(|ctx| Gpu::new(Rc::new(ctx)))
}

fn close(what: &str, gpu: &[f32], cpu: &[f32], step: usize) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths");
    let last = cpu.len() - 1;
    for i in (0..cpu.len()).step_by(step).chain([last]) {
        let (g, c) = (gpu[i], cpu[i]);
        assert!((g - c).abs() <= 1e-4 * c.abs().max(1.0), "{what}[{i} of {}]: gpu {g} vs cpu {c}", cpu.len());
    }
}

fn case<B: Backend>(be: &B, g: &Upsample, seed: u64) -> (Vec<f32>, Vec<f32>) {
    let x = upload(be, &common::random_vec(g.input_len(), seed));
    let dout = upload(be, &common::random_vec(g.output_len(), seed + 1));
    let (out, dx) = (be.alloc(g.output_len()), be.alloc(g.input_len()));
    be.upsample_forward(g, &x, &out);
    be.upsample_backward(g, &dout, &dx);
    (read(be, &out, g.output_len()), read(be, &dx, g.input_len()))
}

#[test]
fn upsampling_gpu_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    for (i, &(n, h, w, c, sh, sw)) in
        [(1, 3, 4, 1, 2, 2), (2, 5, 3, 3, 3, 2), (1, 1, 7, 5, 1, 3), (3, 4, 1, 2, 4, 1), (2, 9, 11, 6, 2, 3)]
            .iter()
            .enumerate()
    {
        for bilinear in [false, true] {
            let g = Upsample::new(n, (h, w, c), (sh, sw), bilinear).unwrap();
            let (go, gdx) = case(&gpu, &g, 10 + i as u64);
            let (co, cdx) = case(&Cpu::new(), &g, 10 + i as u64);
            close(&format!("forward {g:?}"), &go, &co, 1);
            close(&format!("backward {g:?}"), &gdx, &cdx, 1);
        }
    }
}

/// Forward over 17.6 million outputs and backward over 16.8 million inputs: both lines pass
/// 65,535 workgroups of 256, so the grid folds them; the tails, which a clipped grid would
/// never reach, are compared in full.
#[test]
fn upsampling_past_the_dispatch_limit_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let limit = 65_535 * 256;
    let fwd = Upsample::new(1, (2100, 2100, 1), (2, 2), true).unwrap();
    // Size 1×1 keeps dout within lavapipe's 128 MiB binding limit.
    let bwd = Upsample::new(1, (4097, 4097, 1), (1, 1), false).unwrap();
    assert!(fwd.output_len() > limit && bwd.input_len() > limit, "the test would prove nothing");
    let (cpu, tail) = (Cpu::new(), 64 * 1024);
    let runs = [
        ("forward", forward_only(&gpu, &fwd), forward_only(&cpu, &fwd)),
        ("backward", backward_only(&gpu, &bwd), backward_only(&cpu, &bwd)),
    ];
    for (what, got, want) in runs {
        close(what, &got, &want, 997);
        let t = got.len() - tail;
        close(&format!("{what} tail"), &got[t..], &want[t..], 1);
    }
}

fn forward_only<B: Backend>(be: &B, g: &Upsample) -> Vec<f32> {
    let x = upload(be, &common::random_vec(g.input_len(), 5));
    let out = be.alloc(g.output_len());
    be.upsample_forward(g, &x, &out);
    read(be, &out, g.output_len())
}

fn backward_only<B: Backend>(be: &B, g: &Upsample) -> Vec<f32> {
    let dout = upload(be, &common::random_vec(g.output_len(), 6));
    let dx = be.alloc(g.input_len());
    be.upsample_backward(g, &dout, &dx);
    read(be, &dx, g.input_len())
}

/// The adjoint window of a transposed conv from input (h, w, c) to `f` filters.
fn window(n: usize, (h, w, c): (usize, usize, usize), f: usize, k: usize, s: usize, p: Padding) -> Window {
    let (oh, ow) = (deconv_out(h as u64, k, s, p).unwrap() as usize, deconv_out(w as u64, k, s, p).unwrap() as usize);
    Window::new("t", n, (oh, ow, f), c, (k, k), (s, s), p).unwrap()
}

fn transpose_case<B: Backend>(be: &B, g: &Window, bias: bool, seed: u64) -> Vec<Vec<f32>> {
    let klen = (g.kh * g.kw * g.c * g.oc) as usize;
    let x = upload(be, &common::random_vec(g.output_len(), seed));
    let w = upload(be, &common::random_vec(klen, seed + 1));
    let b = upload(be, &common::random_vec(g.c as usize, seed + 2));
    let dout = upload(be, &common::random_vec(g.input_len(), seed + 3));
    let (out, dx, dw, db) = (be.alloc(g.input_len()), be.alloc(g.output_len()), be.alloc(klen), be.alloc(g.c as usize));
    let (b, db) = if bias { (Some(&b), Some(&db)) } else { (None, None) };
    be.conv2d_transpose_forward(g, &x, &w, b, &out);
    be.conv2d_transpose_backward(g, &x, &w, &dout, Some(&dx), &dw, db);
    let mut v = vec![read(be, &out, g.input_len()), read(be, &dx, g.output_len()), read(be, &dw, klen)];
    if let Some(db) = db {
        v.push(read(be, db, g.c as usize));
    }
    v
}

#[test]
fn conv2d_transpose_gpu_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let cases = [
        window(1, (3, 3, 1), 1, 3, 2, Padding::Valid),
        window(2, (4, 3, 3), 5, 3, 2, Padding::Same),
        window(3, (5, 5, 7), 6, 2, 2, Padding::Valid),
        window(1, (6, 7, 4), 3, 5, 1, Padding::Same),
        window(2, (3, 4, 2), 66, 1, 3, Padding::Valid),
        window(2, (7, 7, 17), 9, 3, 2, Padding::Same),
    ];
    for (i, g) in cases.iter().enumerate() {
        for bias in [true, false] {
            let seed = 300 + i as u64;
            let (got, want) = (transpose_case(&gpu, g, bias, seed), transpose_case(&Cpu::new(), g, bias, seed));
            for (k, (a, b)) in got.iter().zip(&want).enumerate() {
                close(&format!("conv2d_transpose {g:?} bias {bias} output {k}"), a, b, 1);
            }
        }
    }
}

/// A transposed conv whose output has 4.84 million rows (1100² → 2200², one channel): its
/// GEMM (mode 1) has more than 65,535 tiles of 64 rows, folded into the grid.
#[test]
fn conv2d_transpose_past_the_gemm_grid_limit_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let g = window(1, (1100, 1100, 1), 1, 2, 2, Padding::Same);
    assert!((g.n * g.h * g.w).div_ceil(64) > 65_535, "the test would prove nothing");
    let (got, want) = (transpose_forward(&gpu, &g), transpose_forward(&Cpu::new(), &g));
    close("conv2d_transpose forward", &got, &want, 997);
    let t = got.len() - 64 * 1024;
    close("conv2d_transpose forward tail", &got[t..], &want[t..], 1);
}

fn transpose_forward<B: Backend>(be: &B, g: &Window) -> Vec<f32> {
    let x = upload(be, &common::random_vec(g.output_len(), 8));
    let w = upload(be, &common::random_vec((g.kh * g.kw * g.c * g.oc) as usize, 9));
    let b = upload(be, &[0.25]);
    let out = be.alloc(g.input_len());
    be.conv2d_transpose_forward(g, &x, &w, Some(&b), &out);
    read(be, &out, g.input_len())
}

/// One training step of a model with both layers, from the same seed on both backends:
/// the same loss, the same gradients and the same parameters after the step.
#[test]
fn a_training_step_gpu_matches_cpu() {
    use convplay::backend::ops::OptimStep;
    use convplay::model::Model;
    let Some(gpu) = gpu() else { return };
    let spec = convplay::spec::parse(
        r#"{"input": [8, 8, 2], "layers": [
        {"type": "conv2d", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
        {"type": "up_sampling2d", "interpolation": "bilinear"},
        {"type": "conv2d_transpose", "filters": 3, "kernel_size": 3, "strides": 2, "activation": "tanh"},
        {"type": "up_sampling2d", "size": [1, 2]},
        {"type": "conv2d", "filters": 2, "kernel_size": 3, "strides": 3},
        {"type": "flatten"},
        {"type": "dense", "units": 3, "activation": "softmax"}]}"#,
    )
    .unwrap();
    let x = common::random_vec(4 * 128, 11);
    let labels = [0u8, 1, 2, 1];
    let step =
        OptimStep::Adam { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-7, t: 1, weight_decay: 0.0, decoupled: false };
    let mut g = Model::new(gpu, &spec, 4, 3).unwrap();
    let mut c = Model::new(Cpu::new(), &spec, 4, 3).unwrap();
    g.compute_gradients(&x, &labels).unwrap();
    c.compute_gradients(&x, &labels).unwrap();
    // Every parameter's gradient, before any optimiser (Adam's first step hides magnitudes).
    for (pg, pc) in g.params.iter().zip(&c.params) {
        let (Some((gg, ..)), Some((cg, ..))) = (&pg.grad, &pc.grad) else { continue };
        let a = pollster::block_on(g.be.read(gg, pg.len)).unwrap();
        let b = pollster::block_on(c.be.read(cg, pc.len)).unwrap();
        assert!(b.iter().any(|v| *v != 0.0), "{}: a zero gradient proves nothing", pc.name);
        close(&format!("{} gradient", pc.name), &a, &b, 1);
    }
    g.apply_gradients(step);
    c.apply_gradients(step);
    let (gl, cl) = (pollster::block_on(g.take_metrics(4)).unwrap(), pollster::block_on(c.take_metrics(4)).unwrap());
    assert!((gl.0 - cl.0).abs() < 1e-4, "loss gpu {} vs cpu {}", gl.0, cl.0);
    let (gp, cp) = (pollster::block_on(g.read_params()).unwrap(), pollster::block_on(c.read_params()).unwrap());
    assert_eq!(gp.len(), cp.len());
    for ((name, a), (_, b)) in gp.iter().zip(&cp) {
        close(name, a, b, 1);
    }
}
