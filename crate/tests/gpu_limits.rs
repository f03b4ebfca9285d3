//! GPU kernels past the dispatch limit (`maxComputeWorkgroupsPerDimension`, 65,535 on
//! most devices): a convolution with more than 65,535 × 64 output rows, a dense layer's
//! bias gradient and a batch norm over more than 65,535 channels, an element-wise op over
//! more than 65,535 × 256 values. Each must equal the CPU result (on a sample of the
//! outputs where there are millions), and a GPU validation error must reach the caller as
//! an error instead of a console line and a stale result.
//! Sizes are kept cheap (one input channel, 3×3 kernels, few rows) for lavapipe.

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::geom::Window;
use convplay::backend::gpu::backend::Gpu;
use convplay::backend::ops::Backend;
use convplay::spec::{Activation, Padding};
use convplay::Error;
use std::rc::Rc;

fn gpu() -> Option<Gpu> {
    common::gpu().map(|ctx| Gpu::new(Rc::new(ctx)))
}

use common::ops::{bn_case, read, upload};

/// Every `step`-th value (and the last), compared with a tolerance for sums in another order.
fn close_sampled(what: &str, gpu: &[f32], cpu: &[f32], step: usize) {
    assert_eq!(gpu.len(), cpu.len(), "{what}: lengths");
    assert!(!cpu.is_empty(), "{what}: no output");
    let last = cpu.len() - 1;
    for i in (0..cpu.len()).step_by(step).chain([last]) {
        let (g, c) = (gpu[i], cpu[i]);
        assert!((g - c).abs() <= 1e-4 * c.abs().max(1.0), "{what}[{i} of {}]: gpu {g} vs cpu {c}", cpu.len());
    }
}

fn conv_forward<B: Backend>(be: &B, g: &Window) -> Vec<f32> {
    let klen = (g.kh * g.kw * g.c * g.oc) as usize;
    let x = upload(be, &common::random_vec(g.input_len(), 1));
    let w = upload(be, &common::random_vec(klen, 2));
    let b = upload(be, &common::random_vec(g.oc as usize, 3));
    let out = be.alloc(g.output_len());
    be.conv2d_forward(g, &x, &w, Some(&b), &out);
    read(be, &out, g.output_len())
}

/// Batch 17 of 512×512×1 → 1 channel: 4,456,448 output rows, past 65,535 tiles of 64.
/// Forward only: the backward passes fold their tiles the same way (one kernel), and the
/// filter gradient's sum over 4.46 million rows is too slow for lavapipe (whose loops
/// also stop at 65,535 iterations, so long reductions cannot be checked there).
#[test]
fn conv_past_the_gemm_grid_limit_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let g = Window::new("big", 17, (512, 512, 1), 1, (3, 3), (1, 1), Padding::Same).unwrap();
    let rows = (g.n * g.oh * g.ow) as u64;
    assert!(rows.div_ceil(64) > 65_535, "{rows} rows fit one grid dimension: the test would prove nothing");
    let (got, want) = (conv_forward(&gpu, &g), conv_forward(&Cpu::new(), &g));
    close_sampled("conv forward", &got, &want, 997);
    // The tail, where a grid clipped at 65,535 tiles never reaches, in full.
    let tail = got.len() - 64 * 1024;
    close_sampled("conv forward tail", &got[tail..], &want[tail..], 1);
}

fn dense_case<B: Backend>(be: &B, (n, k, m): (usize, usize, usize)) -> Vec<Vec<f32>> {
    let x = upload(be, &common::random_vec(n * k, 11));
    let w = upload(be, &common::random_vec(k * m, 12));
    let b = upload(be, &common::random_vec(m, 13));
    let dout = upload(be, &common::random_vec(n * m, 14));
    let (out, dw, db) = (be.alloc(n * m), be.alloc(k * m), be.alloc(m));
    be.dense_forward(n, k, m, &x, &w, Some(&b), &out);
    // No dx: its sum runs over all 70,000 outputs, past lavapipe's 65,535 loop iterations.
    be.dense_backward(n, k, m, &x, &w, &dout, None, &dw, Some(&db));
    vec![read(be, &out, n * m), read(be, &dw, k * m), read(be, &db, m)]
}

/// A dense layer with 70,000 outputs: its bias gradient is one workgroup per output.
#[test]
fn dense_bias_gradient_over_70000_outputs_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let dims = (3, 2, 70_000);
    let (got, want) = (dense_case(&gpu, dims), dense_case(&Cpu::new(), dims));
    assert_eq!(got.len(), 3);
    for (k, what) in ["dense out", "dense dw", "dense db"].iter().enumerate() {
        close_sampled(what, &got[k], &want[k], 1);
    }
}

/// Batch norm over 70,000 channels (3 rows): the statistics are one workgroup per channel.
#[test]
fn batch_norm_over_70000_channels_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let (got, want) = (bn_case(&gpu, 3, 70_000, 21), bn_case(&Cpu::new(), 3, 70_000, 21));
    assert_eq!(got.len(), want.len());
    for (k, (g, c)) in got.iter().zip(&want).enumerate() {
        close_sampled(&format!("batch norm output {k}"), g, c, 1);
    }
}

fn elementwise<B: Backend>(be: &B, x: &[f32], d: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let (y, dy, len) = (upload(be, x), upload(be, d), x.len());
    be.activation_forward(Activation::Relu, 1, len, &y);
    be.activation_backward(Activation::Relu, 1, len, &y, &dy);
    be.add_into(&dy, &y, len);
    (read(be, &y, len), read(be, &dy, len))
}

/// ReLU forward and backward, and add, over 65,536 × 256 + 1,000 values.
#[test]
fn elementwise_past_65535_workgroups_matches_cpu() {
    let Some(gpu) = gpu() else { return };
    let len = 65_536 * 256 + 1_000;
    let (x, d) = (common::random_vec(len, 31), common::random_vec(len, 32));
    let (gy, gdy) = elementwise(&gpu, &x, &d);
    let (cy, cdy) = elementwise(&Cpu::new(), &x, &d);
    close_sampled("relu forward", &gy, &cy, 101);
    close_sampled("relu backward + add", &gdy, &cdy, 101);
    let tail = len - 300_000;
    close_sampled("relu backward + add, tail", &gdy[tail..], &cdy[tail..], 1);
}

/// A dispatch the device rejects (one buffer bound as both read and read-write storage)
/// is an `Error::Gpu` at the next read, with the device's message, not a stale result.
#[test]
fn a_validation_error_is_an_error_at_the_next_read() {
    let Some(gpu) = gpu() else { return };
    let a = upload(&gpu, &[1.0, 2.0, 3.0]);
    gpu.add_into(&a, &a, 3);
    match pollster::block_on(gpu.read(&a, 3)) {
        Err(Error::Gpu(msg)) => assert!(msg.to_lowercase().contains("valid"), "{msg}"),
        other => panic!("expected a GPU validation error, got {other:?}"),
    }
    // Reported once: the backend works again afterwards.
    gpu.add_into(&a, &upload(&gpu, &[1.0, 1.0, 1.0]), 3);
    assert_eq!(read(&gpu, &a, 3), vec![2.0, 3.0, 4.0]);
}

/// The folding itself (no GPU needed): within the limit on every axis, enough workgroups,
/// and no grid where the kernels' u32 index would wrap or the axes run out.
#[test]
fn grid_folds_within_the_limit_and_refuses_past_2_32() {
    assert_eq!(Gpu::grid(1, 65_535), Some((1, 1, 1)));
    assert_eq!(Gpu::grid(65_535, 65_535), Some((65_535, 1, 1)));
    assert_eq!(Gpu::grid(65_536, 65_535), Some((65_535, 2, 1)));
    assert_eq!(Gpu::grid(69_632, 65_535), Some((65_535, 2, 1)));
    assert_eq!(Gpu::grid(1 << 24, 65_535), Some((65_535, 257, 1)));
    assert_eq!(Gpu::grid((1 << 24) + 1, 65_535), None, "2^32 + 256 invocations");
    assert_eq!(Gpu::grid(1000, 10), Some((10, 10, 10)));
    assert_eq!(Gpu::grid(1001, 10), None, "past 10 × 10 × 10");
    for limit in [1, 7, 100, 65_535, 1 << 20] {
        for groups in [1u64, 2, 6, 7, 8, 49, 50, 343, 1000, 65_536, 1 << 24] {
            let Some((x, y, z)) = Gpu::grid(groups, limit) else {
                assert!(groups > (limit as u64).pow(3), "{groups} groups, limit {limit}: refused");
                continue;
            };
            assert!(x <= limit && y <= limit && z <= limit, "{groups} groups, limit {limit}: {x}×{y}×{z}");
            let total = x as u64 * y as u64 * z as u64;
            assert!(total >= groups && total - groups < x as u64 * y as u64, "{groups}: {x}×{y}×{z}");
        }
    }
    // On the device: a dispatch past 2^32 invocations is refused with the numbers, at the
    // next read (nothing as large is allocated: the refusal comes before any binding).
    let Some(gpu) = gpu() else { return };
    let small = gpu.alloc(4);
    gpu.fill(&small, (1 << 32) + 1, 1.0);
    match pollster::block_on(gpu.read(&small, 4)) {
        Err(Error::Gpu(msg)) => assert!(msg.contains("eltwise/fill") && msg.contains("2^32"), "{msg}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(read(&gpu, &small, 4), vec![0.0; 4], "the refused fill wrote nothing");
}

/// Reading back more values than a buffer holds is an error, not zeros.
#[test]
fn reading_past_a_buffer_is_an_error() {
    let Some(gpu) = gpu() else { return };
    let a = upload(&gpu, &[1.0, 2.0]);
    match pollster::block_on(gpu.read(&a, 3)) {
        Err(Error::Gpu(msg)) => assert!(msg.contains("reading 3 values back"), "{msg}"),
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(read(&gpu, &a, 2), vec![1.0, 2.0]);
}
