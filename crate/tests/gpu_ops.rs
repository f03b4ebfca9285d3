//! Every GPU kernel against the CPU reference on random shapes: odd sizes, batch 1
//! and > 1, stride 1 and 2, "same"/"valid", channel counts that are not multiples of 4.
//! Tolerance: |gpu − cpu| ≤ 1e-4 · max(1, |cpu|) (f32 sums taken in another order).

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::geom::Window;
use convplay::backend::gpu::backend::Gpu;
use convplay::backend::ops::{Backend, OptimStep};
use convplay::spec::{Activation, Lrn, Padding};
use std::rc::Rc;

fn gpu() -> Option<Gpu> {
    common::gpu().map(|ctx| Gpu::new(Rc::new(ctx)))
}

use common::ops::{bn_case, conv_case, odd_windows, read, upload};

fn close(what: &str, gpu: &[f32], cpu: &[f32]) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths");
    for (i, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        assert!((g - c).abs() <= 1e-4 * c.abs().max(1.0), "{what}[{i}]: gpu {g} vs cpu {c}");
    }
}

fn compare(what: &str, gpu_out: Vec<Vec<f32>>, cpu_out: Vec<Vec<f32>>) {
    assert_eq!(gpu_out.len(), cpu_out.len(), "{what}: output counts");
    for (k, (g, c)) in gpu_out.iter().zip(&cpu_out).enumerate() {
        close(&format!("{what} output {k}"), g, c);
    }
}

#[test]
fn conv2d_gpu_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    for (i, g) in odd_windows("test").iter().enumerate() {
        compare(
            &format!("conv2d {g:?}"),
            conv_case(&gpu, g, true, 100 + i as u64),
            conv_case(&Cpu::new(), g, true, 100 + i as u64),
        );
    }
}

fn depthwise_case<B: Backend>(be: &B, g: &Window, seed: u64) -> Vec<Vec<f32>> {
    let klen = (g.kh * g.kw * g.c) as usize;
    let x = upload(be, &common::random_vec(g.input_len(), seed));
    let w = upload(be, &common::random_vec(klen, seed + 1));
    let b = upload(be, &common::random_vec(g.c as usize, seed + 2));
    let dout = upload(be, &common::random_vec(g.output_len(), seed + 3));
    let out = be.alloc(g.output_len());
    let (dx, dw, db) = (be.alloc(g.input_len()), be.alloc(klen), be.alloc(g.c as usize));
    be.depthwise_forward(g, &x, &w, Some(&b), &out);
    be.depthwise_backward(g, &x, &w, &dout, Some(&dx), &dw, Some(&db));
    vec![read(be, &out, g.output_len()), read(be, &dx, g.input_len()), read(be, &dw, klen), read(be, &db, g.c as usize)]
}

#[test]
fn depthwise_gpu_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    for (i, g0) in odd_windows("test").iter().enumerate() {
        let mut g = *g0;
        g.oc = g.c;
        compare("depthwise", depthwise_case(&gpu, &g, 200 + i as u64), depthwise_case(&Cpu::new(), &g, 200 + i as u64));
    }
}

fn pool_case<B: Backend>(be: &B, g: &Window, seed: u64) -> Vec<Vec<f32>> {
    let x = upload(be, &common::random_vec(g.input_len(), seed));
    let dout = upload(be, &common::random_vec(g.output_len(), seed + 1));
    let (out, arg, dx) = (be.alloc(g.output_len()), be.alloc_idx(g.output_len()), be.alloc(g.input_len()));
    let (aout, adx) = (be.alloc(g.output_len()), be.alloc(g.input_len()));
    // Stale values where the gradients go: every input's gradient must be written.
    be.fill(&dx, g.input_len(), 7.0);
    be.max_pool_forward(g, &x, &out, &arg);
    be.max_pool_backward(g, &dout, &arg, &dx);
    be.avg_pool_forward(g, &x, &aout);
    be.avg_pool_backward(g, &dout, &adx);
    let (n, hw, c) = (g.n as usize, (g.h * g.w) as usize, g.c as usize);
    let (gout, gdx) = (be.alloc(n * c), be.alloc(n * hw * c));
    be.global_avg_pool_forward(n, hw, c, &x, &gout);
    be.global_avg_pool_backward(n, hw, c, &dout, &gdx);
    vec![
        read(be, &out, g.output_len()),
        read(be, &dx, g.input_len()),
        read(be, &aout, g.output_len()),
        read(be, &adx, g.input_len()),
        read(be, &gout, n * c),
        read(be, &gdx, n * hw * c),
    ]
}

#[test]
fn pooling_gpu_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let mut ws = odd_windows("test");
    ws.push(Window::new("t", 2, (9, 9, 3), 3, (3, 3), (2, 2), Padding::Valid).unwrap()); // overlapping windows
    ws.push(Window::new("t", 1, (7, 8, 5), 5, (3, 3), (1, 1), Padding::Same).unwrap());
    // Windows that tile the input (one scatter per output): inputs left over at the bottom and
    // right, a last window cut by the edge ("same", padding below only), 3×3 tiles.
    ws.push(Window::new("t", 3, (13, 11, 6), 6, (2, 2), (2, 2), Padding::Valid).unwrap());
    ws.push(Window::new("t", 2, (13, 13, 4), 4, (2, 2), (2, 2), Padding::Same).unwrap());
    ws.push(Window::new("t", 2, (10, 8, 3), 3, (3, 3), (3, 3), Padding::Valid).unwrap());
    for (i, g0) in ws.iter().enumerate() {
        let mut g = *g0;
        g.oc = g.c;
        compare("pool", pool_case(&gpu, &g, 300 + i as u64), pool_case(&Cpu::new(), &g, 300 + i as u64));
    }
}

fn dense_case<B: Backend>(be: &B, (n, k, m): (usize, usize, usize), seed: u64) -> Vec<Vec<f32>> {
    let x = upload(be, &common::random_vec(n * k, seed));
    let w = upload(be, &common::random_vec(k * m, seed + 1));
    let b = upload(be, &common::random_vec(m, seed + 2));
    let dout = upload(be, &common::random_vec(n * m, seed + 3));
    let (out, dx, dw, db) = (be.alloc(n * m), be.alloc(n * k), be.alloc(k * m), be.alloc(m));
    be.dense_forward(n, k, m, &x, &w, Some(&b), &out);
    be.dense_backward(n, k, m, &x, &w, &dout, Some(&dx), &dw, Some(&db));
    vec![read(be, &out, n * m), read(be, &dx, n * k), read(be, &dw, k * m), read(be, &db, m)]
}

#[test]
fn dense_gpu_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    for (i, dims) in [(1, 1, 1), (3, 7, 5), (64, 1600, 64), (129, 65, 10), (2, 300, 131)].iter().enumerate() {
        compare("dense", dense_case(&gpu, *dims, 400 + i as u64), dense_case(&Cpu::new(), *dims, 400 + i as u64));
    }
}

fn act_case<B: Backend>(be: &B, a: Activation, seed: u64) -> Vec<Vec<f32>> {
    let (c, len) = (7, 7 * 301);
    let x: Vec<f32> = common::random_vec(len, seed).iter().map(|v| v * 8.0).collect();
    let y = upload(be, &x);
    let dy = upload(be, &common::random_vec(len, seed + 1));
    be.activation_forward(a, c, len, &y);
    be.activation_backward(a, c, len, &y, &dy);
    vec![read(be, &y, len), read(be, &dy, len)]
}

#[test]
fn activations_gpu_match_cpu() {
    let Some(gpu) = gpu() else { return };
    for a in [
        Activation::Relu,
        Activation::Relu6,
        Activation::LeakyRelu { alpha: 0.3 },
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Softmax,
    ] {
        compare(a.name(), act_case(&gpu, a, 500), act_case(&Cpu::new(), a, 500));
    }
}

#[test]
fn batch_norm_gpu_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    for (i, &(rows, c)) in [(1, 3), (10, 5), (3 * 26 * 26, 32), (1000, 7)].iter().enumerate() {
        compare("batch norm", bn_case(&gpu, rows, c, 600 + i as u64), bn_case(&Cpu::new(), rows, c, 600 + i as u64));
    }
}

/// The loss over `n` rows of `k` classes, run twice so the metrics accumulate: dlogits and the
/// first two metrics.
fn loss_case<B: Backend>(be: &B, n: usize, k: usize, seed: u64) -> Vec<Vec<f32>> {
    let logits = upload(be, &common::random_vec(n * k, seed).iter().map(|v| v * 5.0).collect::<Vec<_>>());
    let labels = be.alloc_idx(n);
    be.write_idx(&labels, &(0..n as u32).map(|i| (i * 7 + i / 3) % k as u32).collect::<Vec<_>>());
    let (dl, metrics) = (be.alloc(n * k), be.alloc(convplay::backend::ops::METRICS_LEN));
    be.softmax_xent(n, k, &logits, &labels, &dl, &metrics);
    be.softmax_xent(n, k, &logits, &labels, &dl, &metrics);
    vec![read(be, &dl, n * k), read(be, &metrics, 2)]
}

/// The GPU spreads the rows over up to LOSS_GROUPS workgroups (a segmentation batch has a row
/// per pixel) and adds their partial sums: one group, several, and the most with rows to spare.
#[test]
fn loss_over_many_rows_gpu_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    for (i, &(n, k)) in [(255, 10), (257, 11), (3000, 11), (40_000, 3)].iter().enumerate() {
        let (g, c) = (loss_case(&gpu, n, k, 900 + i as u64), loss_case(&Cpu::new(), n, k, 900 + i as u64));
        assert_eq!(g[1].len(), 2);
        // The sums over many rows differ in the order they are added: compare them relatively.
        assert!((g[1][0] - c[1][0]).abs() <= 1e-5 * c[1][0].abs(), "{n} rows: loss {} vs {}", g[1][0], c[1][0]);
        assert_eq!(g[1][1], c[1][1], "{n} rows: correct counts");
        close(&format!("{n} rows: dlogits"), &g[0], &c[0]);
    }
}

fn misc_case<B: Backend>(be: &B, seed: u64) -> Vec<Vec<f32>> {
    let (n, k) = (37, 10);
    let logits = upload(be, &common::random_vec(n * k, seed).iter().map(|v| v * 5.0).collect::<Vec<_>>());
    let labels = be.alloc_idx(n);
    be.write_idx(&labels, &(0..n as u32).map(|i| (i * 7) % 10).collect::<Vec<_>>());
    let (dl, metrics) = (be.alloc(n * k), be.alloc(2));
    be.softmax_xent(n, k, &logits, &labels, &dl, &metrics);
    let len = 1001;
    let x = upload(be, &common::random_vec(len, seed + 1));
    let (drop, dropb) = (be.alloc(len), be.alloc(len));
    be.dropout_forward(1234, 0.3, len, &x, &drop);
    be.dropout_backward(1234, 0.3, len, &x, &dropb);
    let lrn = Lrn { depth_radius: 2, bias: 2.0, alpha: 1e-1, beta: 0.75 };
    let xl = upload(be, &common::random_vec(9 * 11, seed + 2));
    let dl2 = upload(be, &common::random_vec(9 * 11, seed + 3));
    let (lo, ldx) = (be.alloc(99), be.alloc(99));
    be.lrn_forward(11, 99, &lrn, &xl, &lo);
    be.lrn_backward(11, 99, &lrn, &xl, &dl2, &ldx);
    let mut outs = vec![
        read(be, &dl, n * k),
        read(be, &metrics, 2),
        read(be, &drop, len),
        read(be, &dropb, len),
        read(be, &lo, 99),
        read(be, &ldx, 99),
    ];
    for (i, step) in [
        OptimStep::Adam { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-7, t: 3, weight_decay: 1e-2, decoupled: true },
        OptimStep::Adam { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-7, t: 1, weight_decay: 1e-3, decoupled: false },
        OptimStep::Sgd { lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 1e-4 },
        OptimStep::Sgd { lr: 0.1, momentum: 0.0, nesterov: false, weight_decay: 0.0 },
    ]
    .into_iter()
    .enumerate()
    {
        let w = upload(be, &common::random_vec(300, seed + 10 + i as u64));
        let g = upload(be, &common::random_vec(300, seed + 20 + i as u64));
        let m = upload(be, &common::random_vec(300, seed + 30 + i as u64));
        let v = upload(be, &common::random_vec(300, seed + 40 + i as u64).iter().map(|v| v.abs()).collect::<Vec<_>>());
        be.optim_step(step, 300, &w, &g, &m, &v);
        outs.extend([read(be, &w, 300), read(be, &m, 300), read(be, &v, 300)]);
    }
    let f = be.alloc(5);
    be.fill(&f, 5, 2.5);
    let cp = be.alloc(5);
    be.copy(&f, &cp, 5);
    outs.push(read(be, &cp, 5));
    outs
}

#[test]
fn loss_dropout_lrn_optimisers_gpu_match_cpu() {
    let Some(gpu) = gpu() else { return };
    let (g, c) = (misc_case(&gpu, 700), misc_case(&Cpu::new(), 700));
    compare("loss/dropout/lrn/optim", g, c.clone());
    // The dropout mask keeps about 70% and scales by 1/0.7.
    let kept = c[2].iter().filter(|v| **v != 0.0).count();
    assert!((600..800).contains(&kept), "kept {kept} of 1001");
}
