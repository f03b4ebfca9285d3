//! Benchmarks (not tests): per-kernel GFLOP/s and whole training steps in img/s,
//! on any backend, timed from the host with a readback as the barrier.

use crate::backend::geom::Window;
use crate::backend::ops::{Backend, OptimStep};
use crate::error::Result;
use crate::model::Model;
use crate::spec::{ModelSpec, Padding};

pub struct KernelResult {
    pub name: String,
    pub flops: f64,
    pub seconds: f64,
}

impl KernelResult {
    pub fn gflops(&self) -> f64 {
        self.flops / self.seconds / 1e9
    }
}

fn now() -> f64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

fn filled<B: Backend>(be: &B, len: usize) -> B::Buf {
    let b = be.alloc(len);
    be.write(&b, &(0..len).map(|i| ((i % 17) as f32 - 8.0) * 0.01).collect::<Vec<_>>());
    b
}

/// Times `reps` runs of `op` (after one warm-up), waiting for the device at the end.
async fn time<B: Backend>(be: &B, sync: &B::Buf, reps: usize, op: &dyn Fn()) -> Result<f64> {
    op();
    be.read(sync, 1).await?;
    let t0 = now();
    for _ in 0..reps {
        op();
    }
    be.read(sync, 1).await?;
    Ok((now() - t0) / reps as f64)
}

/// The convolution and dense shapes of the seed-004 network at batch 128.
pub async fn kernels<B: Backend>(be: &B, reps: usize) -> Result<Vec<KernelResult>> {
    let mut out = Vec::new();
    for (name, n, hwc, oc) in [
        ("conv2d 26×26×32→24×24×64, 3×3", 128, (26, 26, 32), 64),
        ("conv2d 12×12×64→10×10×128, 3×3", 128, (12, 12, 64), 128),
    ] {
        let g = Window::new("bench", n, hwc, oc, (3, 3), (1, 1), Padding::Valid)?;
        let klen = (9 * g.c * g.oc) as usize;
        let (x, w, o) = (filled(be, g.input_len()), filled(be, klen), be.alloc(g.output_len()));
        let (dx, dw) = (be.alloc(g.input_len()), be.alloc(klen));
        let macs = g.output_len() as f64 * 9.0 * g.c as f64;
        let s = time(be, &o, reps, &|| be.conv2d_forward(&g, &x, &w, None, &o)).await?;
        out.push(KernelResult { name: format!("{name} forward"), flops: 2.0 * macs, seconds: s });
        let s = time(be, &dw, reps, &|| be.conv2d_backward(&g, &x, &w, &o, Some(&dx), &dw, None)).await?;
        out.push(KernelResult { name: format!("{name} backward (data + filter)"), flops: 4.0 * macs, seconds: s });
    }
    let (n, k, m) = (128, 3200, 128);
    let (x, w, o) = (filled(be, n * k), filled(be, k * m), be.alloc(n * m));
    let s = time(be, &o, reps, &|| be.dense_forward(n, k, m, &x, &w, None, &o)).await?;
    out.push(KernelResult { name: "dense 3200→128 forward".into(), flops: 2.0 * (n * k * m) as f64, seconds: s });
    Ok(out)
}

/// Training img/s of a model at a batch size: `steps` steps after two warm-up steps.
pub async fn train_steps<B: Backend>(be: B, spec: &ModelSpec, batch: usize, steps: usize) -> Result<f64> {
    let mut model = Model::new(be, spec, batch, 1)?;
    let per = spec.input.buffer_len();
    let x: Vec<f32> = (0..batch * per).map(|i| ((i * 7919) % 256) as f32 / 255.0).collect();
    let y: Vec<u8> = (0..batch).map(|i| (i % model.classes) as u8).collect();
    let step =
        OptimStep::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7, t: 0, weight_decay: 0.0, decoupled: false };
    for _ in 0..2 {
        model.train_step(&x, &y, step)?;
    }
    model.take_metrics(1).await?;
    let t0 = now();
    for _ in 0..steps {
        model.train_step(&x, &y, step)?;
    }
    model.take_metrics(1).await?;
    Ok((batch * steps) as f64 / (now() - t0))
}
