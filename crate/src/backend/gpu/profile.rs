//! Where a training step's time goes on the GPU: every dispatch's kernel, layer, workgroups
//! and time, and the CPU's share (recording the step and submitting it).
//!
//! While a `Gpu` backend profiles, each dispatch gets a compute pass of its own. Where the
//! device has timestamp queries (wgpu's `TIMESTAMP_QUERY`; `timestamp-query` in a browser)
//! the pass writes a timestamp at its start and end, resolved after the step. Where it has
//! none, each dispatch is submitted alone and its time is the difference between the moments
//! the queue reports consecutive submissions done (`on_submitted_work_done`): coarser, and it
//! includes each submission's overhead, which is said in `method`.
//!
//! `profile_training` times ordinary steps first (the record/submit split and the img/s
//! without the profiler's extra passes), then profiles one more step.

use super::backend::Gpu;
use super::GpuContext;
use crate::backend::ops::OptimStep;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::spec::ModelSpec;
use serde::Serialize;
use std::rc::Rc;
use std::sync::{Arc, Mutex};

/// At most this many dispatches of a profiled step get timestamps (two queries each).
const MAX_TIMED: u32 = wgpu::QUERY_SET_MAX_QUERIES / 2;

/// Milliseconds from a fixed origin: `performance.now()` in the browser, a monotonic clock natively.
pub fn now_ms() -> f64 {
    #[cfg(target_arch = "wasm32")]
    {
        let perf = js_sys::Reflect::get(&js_sys::global(), &"performance".into()).ok();
        let now = perf.as_ref().and_then(|p| js_sys::Reflect::get(p, &"now".into()).ok());
        match (perf, now.and_then(|f| f.dyn_into::<js_sys::Function>().ok())) {
            (Some(p), Some(f)) => f.call0(&p).ok().and_then(|v| v.as_f64()).unwrap_or_else(js_sys::Date::now),
            _ => js_sys::Date::now(),
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START.get_or_init(std::time::Instant::now).elapsed().as_secs_f64() * 1e3
    }
}

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::JsCast;

/// One dispatch of a profiled step.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DispatchTime {
    /// The layer (or parameter, for the optimiser) the dispatch works for; "loss", "input".
    pub layer: String,
    /// "forward", "backward", "loss", "optimizer", "augment", "metrics".
    pub phase: &'static str,
    /// `shader/entry`, e.g. "gemm/gemm" (with the GEMM mode: "gemm/gemm mode 2").
    pub kernel: String,
    pub workgroups: u64,
    /// The device's time for it (NaN when it could not be timed).
    pub ms: f64,
}

/// A training step, where its time goes.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StepProfile {
    pub adapter: String,
    /// The GEMM kernel the device's products ran with and how it was chosen
    /// (`GpuContext::gemm_report`: "reg (timed at start-up: tiled … ms, reg … ms)").
    pub gemm: String,
    /// "timestamp queries" or "completion times (one submission per dispatch)".
    pub method: &'static str,
    pub batch: usize,
    /// Ordinary (unprofiled) steps timed: wall time per step, and the CPU's share of it
    /// spent recording and submitting the step (the rest is waiting for the device).
    pub steps_timed: usize,
    pub step_ms: f64,
    pub record_ms: f64,
    pub images_per_second: f64,
    /// Per step, in ordinary steps: submissions to the queue, bind groups created, dispatches.
    pub submissions: f64,
    pub bind_groups_created: f64,
    pub dispatches: usize,
    /// The profiled step's dispatches in order, and their device time in all.
    pub kernels: Vec<DispatchTime>,
    pub gpu_ms: f64,
}

/// What a profiling `Gpu` keeps while it records.
pub(super) struct Recording {
    pub(super) entries: Vec<DispatchTime>,
    timestamps: Option<(wgpu::QuerySet, wgpu::Buffer)>,
    /// Completion moments by dispatch (the fallback), and when the first was submitted.
    pub(super) done: Arc<Mutex<Vec<(usize, f64)>>>,
    pub(super) started: f64,
}

impl Recording {
    pub(super) fn new(ctx: &GpuContext) -> Recording {
        let timestamps = ctx.device.features().contains(wgpu::Features::TIMESTAMP_QUERY).then(|| {
            let set = ctx.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("profile"),
                ty: wgpu::QueryType::Timestamp,
                count: 2 * MAX_TIMED,
            });
            let resolve = ctx.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some("profile/resolve"),
                size: 16 * MAX_TIMED as u64,
                usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            });
            (set, resolve)
        });
        Recording { entries: Vec::new(), timestamps, done: Arc::new(Mutex::new(Vec::new())), started: now_ms() }
    }

    /// Whether dispatches are timed with timestamps (else each is submitted alone).
    pub(super) fn timed(&self) -> bool {
        self.timestamps.is_some()
    }

    /// The timestamp writes for the next dispatch's pass (None past `MAX_TIMED` or without).
    pub(super) fn writes(&self) -> Option<wgpu::ComputePassTimestampWrites<'_>> {
        let i = self.entries.len() as u32;
        let (set, _) = self.timestamps.as_ref()?;
        (i < MAX_TIMED).then_some(wgpu::ComputePassTimestampWrites {
            query_set: set,
            beginning_of_pass_write_index: Some(2 * i),
            end_of_pass_write_index: Some(2 * i + 1),
        })
    }

    /// The dispatches with their times, once the device has run them all.
    pub(super) async fn finish(mut self, ctx: &GpuContext) -> Result<Vec<DispatchTime>> {
        match &self.timestamps {
            Some((set, resolve)) => {
                let n = (self.entries.len() as u32).min(MAX_TIMED);
                if n > 0 {
                    let mut enc = ctx.device.create_command_encoder(&Default::default());
                    enc.resolve_query_set(set, 0..2 * n, resolve, 0);
                    ctx.queue.submit([enc.finish()]);
                    let bytes = ctx.read_bytes(resolve, 16 * n as u64).await?;
                    let ticks: &[u64] = bytemuck::cast_slice(&bytes);
                    let period = ctx.queue.get_timestamp_period() as f64 / 1e6;
                    for (e, t) in self.entries.iter_mut().zip(ticks.chunks(2)) {
                        e.ms = t[1].saturating_sub(t[0]) as f64 * period;
                    }
                }
            }
            None => {
                // Every submission is done once a readback after them is.
                let sync = ctx.device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some("profile/sync"),
                    size: 4,
                    usage: wgpu::BufferUsages::COPY_SRC,
                    mapped_at_creation: false,
                });
                ctx.read_bytes(&sync, 4).await?;
                let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner()).clone();
                done.sort_by_key(|&(i, _)| i);
                let mut last = self.started;
                for (i, t) in done {
                    if let Some(e) = self.entries.get_mut(i) {
                        e.ms = (t - last).max(0.0);
                    }
                    last = last.max(t);
                }
            }
        }
        Ok(self.entries)
    }
}

/// Times `steps` ordinary training steps of `spec` at `batch` on the context's device (after
/// two warm-up steps), then profiles one more, dispatch by dispatch. Inputs are synthetic:
/// the point is the time, not what is learned.
pub async fn profile_training(
    ctx: Rc<GpuContext>,
    spec: &ModelSpec,
    batch: usize,
    steps: usize,
) -> Result<StepProfile> {
    if batch == 0 || steps == 0 {
        return Err(Error::Invalid(format!(
            "profiling needs a batch and steps of at least 1 (got batch {batch}, {steps} steps)"
        )));
    }
    let adapter = format!("{} ({:?})", ctx.adapter_info.name, ctx.adapter_info.backend);
    let gemm = ctx.gemm_report();
    let mut model = Model::new(Gpu::new(ctx), spec, batch, 1)?;
    let (x, y) = synthetic(&model, batch);
    let step = adam();
    for _ in 0..2 {
        model.train_step(&x, &y, step)?;
    }
    model.take_metrics(1).await?;
    let before = model.be.counters();
    let (mut record, t0) = (0.0, now_ms());
    for _ in 0..steps {
        let r = now_ms();
        model.train_step(&x, &y, step)?;
        record += now_ms() - r;
    }
    model.take_metrics(1).await?;
    let step_ms = (now_ms() - t0) / steps as f64;
    let after = model.be.counters();
    let per = |a: u64, b: u64| (a - b) as f64 / steps as f64;

    model.be.start_profile();
    model.train_step(&x, &y, step)?;
    let recording = model.be.stop_profile();
    let method = if recording.timed() { "timestamp queries" } else { "completion times (one submission per dispatch)" };
    let kernels = recording.finish(&model.be.ctx).await?;
    model.take_metrics(1).await?;
    Ok(StepProfile {
        adapter,
        gemm,
        method,
        batch,
        steps_timed: steps,
        step_ms,
        record_ms: record / steps as f64,
        images_per_second: batch as f64 / (step_ms / 1e3),
        // take_metrics's own submission (a fill) is in the count; it is per run, not per step.
        submissions: per(after.submissions, before.submissions),
        bind_groups_created: per(after.bind_groups, before.bind_groups),
        dispatches: kernels.len(),
        gpu_ms: kernels.iter().map(|k| k.ms).filter(|m| m.is_finite()).sum(),
        kernels,
    })
}

/// Training img/s of `model` at `batch`: one warm-up step (pipelines built, buffers touched),
/// then `steps` steps timed to the end of a readback. Synthetic inputs; the weights change.
pub async fn time_training<B: crate::backend::ops::Backend>(
    model: &mut Model<B>,
    batch: usize,
    steps: usize,
) -> Result<f64> {
    let (x, y) = synthetic(model, batch);
    model.train_step(&x, &y, adam())?;
    model.take_metrics(1).await?;
    let t0 = now_ms();
    for _ in 0..steps.max(1) {
        model.train_step(&x, &y, adam())?;
    }
    model.take_metrics(1).await?;
    Ok((batch * steps.max(1)) as f64 / ((now_ms() - t0).max(1e-3) / 1e3))
}

/// A batch of made-up inputs in [0, 1] and labels for `model`.
pub fn synthetic<B: crate::backend::ops::Backend>(model: &Model<B>, batch: usize) -> (Vec<f32>, Vec<u8>) {
    let per = model.spec.input.buffer_len();
    let x = (0..batch * per).map(|i| ((i * 7919) % 256) as f32 / 255.0).collect();
    let y = (0..batch).map(|i| (i % model.classes) as u8).collect();
    (x, y)
}

/// Adam with Keras's defaults at 1e-3, as the benchmarks train.
pub fn adam() -> OptimStep {
    OptimStep::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7, t: 0, weight_decay: 0.0, decoupled: false }
}

/// The profile as a Markdown table, a row per dispatch, then the totals per layer.
pub fn table(p: &StepProfile) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "Profile of one training step, batch {}, on {} ({}):", p.batch, p.adapter, p.method);
    let _ = writeln!(s, "GEMM kernel: {}", p.gemm);
    let _ = writeln!(
        s,
        "ordinary steps: {:.2} ms each ({:.1} img/s), of which {:.2} ms on the CPU recording and submitting; \
         per step {:.1} submissions, {:.1} bind groups created, {} dispatches",
        p.step_ms, p.images_per_second, p.record_ms, p.submissions, p.bind_groups_created, p.dispatches
    );
    let _ = writeln!(s, "\n| # | layer | phase | kernel | workgroups | ms | share |");
    let _ = writeln!(s, "|---:|---|---|---|---:|---:|---:|");
    for (i, k) in p.kernels.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {i} | {} | {} | {} | {} | {:.3} | {:.1}% |",
            k.layer,
            k.phase,
            k.kernel,
            k.workgroups,
            k.ms,
            100.0 * k.ms / p.gpu_ms.max(1e-9)
        );
    }
    let _ = writeln!(s, "\n| layer | ms | share |");
    let _ = writeln!(s, "|---|---:|---:|");
    for (layer, ms) in by_layer(p) {
        let _ = writeln!(s, "| {layer} | {ms:.3} | {:.1}% |", 100.0 * ms / p.gpu_ms.max(1e-9));
    }
    let _ = writeln!(s, "| all dispatches | {:.3} | 100% |", p.gpu_ms);
    s
}

/// Device time per layer (a parameter's optimiser step counts to its layer), in first-seen order.
pub fn by_layer(p: &StepProfile) -> Vec<(String, f64)> {
    let mut out: Vec<(String, f64)> = Vec::new();
    for k in &p.kernels {
        let layer = match k.phase {
            "optimizer" => k.layer.rsplit_once('/').map_or(k.layer.as_str(), |(l, _)| l),
            _ => k.layer.as_str(),
        };
        let ms = if k.ms.is_finite() { k.ms } else { 0.0 };
        match out.iter_mut().find(|(l, _)| l == layer) {
            Some(e) => e.1 += ms,
            None => out.push((layer.to_string(), ms)),
        }
    }
    out
}
