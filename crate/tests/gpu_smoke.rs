//! The smoke kernel (shaders/smoke.wgsl) on the native GPU (lavapipe in CI)
//! gives the CPU twin's result. The CPU rounds once (fused multiply-add); a
//! driver may round twice, so the tolerance is one or two ulps of the result.

mod common;

use convplay::backend::{cpu, BackendChoice, Engine};

#[test]
fn smoke_kernel_matches_cpu_on_odd_sizes() {
    let Some(gpu) = common::gpu() else { return };
    for (n, a) in [(1usize, 2.0f32), (63, -0.5), (64, 1.0), (65, 3.25), (1000, 0.1), (70_001, -7.0)] {
        let x = common::random_vec(n, n as u64);
        let y = common::random_vec(n, n as u64 + 1);
        let want = cpu::saxpy(a, &x, &y);
        let got = pollster::block_on(gpu.saxpy(a, &x, &y)).unwrap();
        assert_eq!(got.len(), n);
        let max_err = got.iter().zip(&want).map(|(g, w)| (g - w).abs() / w.abs().max(1.0)).fold(0.0f32, f32::max);
        assert!(max_err <= 2.5e-7, "n={n}: max relative |gpu - cpu| = {max_err}");
    }
}

#[test]
fn engine_reports_gpu_when_one_is_present() {
    if common::gpu().is_none() {
        return;
    }
    let engine = pollster::block_on(Engine::new(BackendChoice::Auto)).unwrap();
    let info = engine.info();
    assert_eq!(info.kind, "gpu", "fell back: {:?}", info.fallback_reason);
    assert!(info.limits.unwrap().max_storage_buffer_binding_size >= 128 << 20);
}

#[test]
fn cpu_engine_and_bad_lengths() {
    let engine = pollster::block_on(Engine::new(BackendChoice::Cpu)).unwrap();
    assert_eq!(engine.info().kind, "cpu");
    let out = pollster::block_on(engine.saxpy(2.0, &[1.0, 2.0], &[0.5, -4.0])).unwrap();
    assert_eq!(out, vec![2.5, 0.0]);
    let e = pollster::block_on(engine.saxpy(2.0, &[1.0, 2.0], &[0.5])).unwrap_err();
    assert_eq!(e.message(), "smoke kernel: x has 2 values and y has 1; pass two arrays of the same length");
    assert_eq!(
        "tpu".parse::<BackendChoice>().unwrap_err().message(),
        "unknown backend \"tpu\": use \"auto\", \"webgpu\" (or \"gpu\") or \"cpu\""
    );
}
