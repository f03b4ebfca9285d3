//! The up-sampling kernels (shaders/upsample.wgsl) against the CPU reference: odd sizes,
//! batch 1 and > 1, both interpolations, and line lengths past the dispatch limit
//! (`maxComputeWorkgroupsPerDimension` × 256 values), which must not be clipped.
//! Tolerance: |gpu − cpu| ≤ 1e-4 · max(1, |cpu|).

mod common;

use common::ops::{read, upload};
use convplay::backend::cpu::backend::Cpu;
use convplay::backend::geom::Upsample;
use convplay::backend::gpu::backend::Gpu;
use convplay::backend::ops::Backend;
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
