//! Split K (shaders/gemm.wgsl `splits`, `splitk_reduce`): products with few 64×64 tiles of C
//! and a long K — a conv's filter gradient (GEMM mode 2, K = batch·oh·ow) and a dense
//! layer's weight gradient (mode 5, K = batch) — are split across workgroups and the
//! partials added. Each case here reaches several splits (one with a short last part) and
//! is compared with the CPU reference, split and unsplit, and the dispatch count shows that
//! the split really happened. Tolerance as in gpu_ops.rs.

mod common;

use common::ops::{read, upload};
use convplay::backend::cpu::backend::Cpu;
use convplay::backend::geom::Window;
use convplay::backend::gpu::backend::Gpu;
use convplay::backend::gpu::params::GemmParams;
use convplay::backend::ops::Backend;
use convplay::spec::Padding;
use std::rc::Rc;

fn close(what: &str, gpu: &[f32], cpu: &[f32]) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths");
    for (i, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        assert!((g - c).abs() <= 1e-4 * c.abs().max(1.0), "{what}[{i}]: gpu {g} vs cpu {c}");
    }
}

/// Filter and bias gradients (and the data gradient) of a conv.
fn conv_grads<B: Backend>(be: &B, g: &Window, seed: u64) -> Vec<Vec<f32>> {
    let klen = (g.kh * g.kw * g.c * g.oc) as usize;
    let x = upload(be, &common::random_vec(g.input_len(), seed));
    let w = upload(be, &common::random_vec(klen, seed + 1));
    let dout = upload(be, &common::random_vec(g.output_len(), seed + 3));
    let (dx, dw, db) = (be.alloc(g.input_len()), be.alloc(klen), be.alloc(g.oc as usize));
    be.conv2d_backward(g, &x, &w, &dout, Some(&dx), &dw, Some(&db));
    vec![read(be, &dw, klen), read(be, &db, g.oc as usize), read(be, &dx, g.input_len())]
}

fn dense_grads<B: Backend>(be: &B, (n, k, m): (usize, usize, usize), seed: u64) -> Vec<Vec<f32>> {
    let x = upload(be, &common::random_vec(n * k, seed));
    let w = upload(be, &common::random_vec(k * m, seed + 1));
    let dout = upload(be, &common::random_vec(n * m, seed + 3));
    let (dx, dw) = (be.alloc(n * k), be.alloc(k * m));
    be.dense_backward(n, k, m, &x, &w, &dout, Some(&dx), &dw, None);
    vec![read(be, &dw, k * m), read(be, &dx, n * k)]
}

#[test]
fn the_split_is_chosen_by_tiles_k_and_memory() {
    // MNIST's first conv at batch 64: C is 9 × 32 (one tile), K = 64·26·26.
    let (splits, chunk) = GemmParams::split_k((9, 32, 43_264), 64, 4 << 20);
    assert!((60..=64).contains(&splits), "{splits}");
    assert_eq!(chunk % 16, 0);
    assert!(splits * chunk >= 43_264 && (splits - 1) * chunk < 43_264, "{splits} × {chunk}");
    // Enough tiles already, or K too short to be worth it: no split.
    assert_eq!(GemmParams::split_k((4096, 4096, 100_000), 64, 4 << 20), (1, 100_000));
    assert_eq!(GemmParams::split_k((9, 32, 300), 64, 4 << 20), (1, 300));
    // The partials' memory bounds the split: 2 × 288 × 64 values fit, 3 do not.
    assert_eq!(GemmParams::split_k((288, 64, 100_000), 64, 2 * 288 * 64 + 5).0, 2);
}

#[test]
fn split_k_gradients_match_the_cpu() {
    let Some(ctx) = common::gpu() else { return };
    let ctx = Rc::new(ctx);
    let windows = [
        // MNIST's first conv: one input channel, K = 8·26·26 = 5,408 in 21 parts (the last short).
        (8, 28, 28, 1, 32, 3, 1, Padding::Valid),
        // Odd sizes, stride 2, "same": K = 16·7·6 = 672, two parts.
        (16, 13, 11, 5, 70, 3, 2, Padding::Same),
        // Many input channels: C is 288 × 64 (5 tiles), K = 5·22·22.
        (5, 24, 24, 32, 64, 3, 1, Padding::Valid),
    ];
    for (i, &(n, h, w, c, oc, k, s, p)) in windows.iter().enumerate() {
        let g = Window::new("splitk", n, (h, w, c), oc, (k, k), (s, s), p).unwrap();
        let seed = 900 + i as u64;
        let cpu = conv_grads(&Cpu::new(), &g, seed);
        let m = (g.kh * g.kw * g.c) as usize;
        let kk = (g.n * g.oh * g.ow) as usize;
        let (splits, _) = GemmParams::split_k((m, g.oc as usize, kk), 64, 4 << 20);
        assert!(splits >= 2, "case {i} must reach several splits ({m}, {}, {kk})", g.oc);

        let split = Gpu::new(ctx.clone());
        let before = split.counters().dispatches;
        let out = conv_grads(&split, &g, seed);
        let split_dispatches = split.counters().dispatches - before;
        for (j, (gv, cv)) in out.iter().zip(&cpu).enumerate() {
            close(&format!("split conv {g:?} output {j}"), gv, cv);
        }

        let whole = Gpu::new(ctx.clone());
        whole.set_split_target(1);
        let before = whole.counters().dispatches;
        let out = conv_grads(&whole, &g, seed);
        let whole_dispatches = whole.counters().dispatches - before;
        for (j, (gv, cv)) in out.iter().zip(&cpu).enumerate() {
            close(&format!("unsplit conv {g:?} output {j}"), gv, cv);
        }
        // Each split product adds one dispatch (its reduction): the filter gradient, and the
        // data gradient (M = n·h·w, N = c, K = kh·kw·oc) when it too has few tiles.
        let data = GemmParams::split_k(((g.n * g.h * g.w) as usize, g.c as usize, 9 * g.oc as usize), 64, 4 << 20);
        let extra = 1 + (data.0 >= 2) as u64;
        assert_eq!(split_dispatches, whole_dispatches + extra, "case {i}");
    }

    // A dense weight gradient over a long batch: C is 37 × 10, K = 2,000.
    for (i, dims) in [(2000, 37, 10), (1031, 70, 3)].into_iter().enumerate() {
        let cpu = dense_grads(&Cpu::new(), dims, 950 + i as u64);
        let split = Gpu::new(ctx.clone());
        let before = split.counters().dispatches;
        let out = dense_grads(&split, dims, 950 + i as u64);
        assert_eq!(split.counters().dispatches - before, 3, "dense {dims:?}: data, weight and reduction");
        for (j, (gv, cv)) in out.iter().zip(&cpu).enumerate() {
            close(&format!("split dense {dims:?} output {j}"), gv, cv);
        }
    }
}
