//! The GPU backend behind the `Backend` trait: this file is the recorder (buffers, the
//! command encoder and its one compute pass, the uniform arena, dispatch); `backend/ops.rs`
//! maps each op of the trait to its kernels.
//!
//! Ops are recorded into one command encoder and submitted by `flush` (a training step is
//! one submission). Every dispatch takes its typed parameters (`params.rs`) from a 256-byte
//! slot of one uniform arena, written once per flush. Pipelines come from the context's
//! cache, shared by every model on the device; buffers are allocated by the layers once per
//! model and reused for every step, and so are bind groups (cached by pipeline, slot and
//! buffers: a step after the first creates none). GEMMs with few tiles and a long K are
//! split along K (`gemm`); a conv's or dense layer's forward product applies its bias and
//! activation in the same dispatch (`gemm_act`). While profiling (`profile.rs`) each
//! dispatch is timed on its own.
//!
//! Every dispatch fits the device's grid: its workgroups are counted in one line and folded
//! into x, y (and z) of at most `maxComputeWorkgroupsPerDimension` each (`grid`); the
//! kernels unfold the index (`wid.x + nwg.x * (wid.y + nwg.y * wid.z)`). Recording, writes and
//! each submission run inside GPU error scopes: a validation error (or work too large for
//! any grid) is kept and returned by the next `read` as `Error::Gpu`, with the device's words.

use super::gemm_choice::GemmKernel;
use super::params::{act_code, BatchnormParams, GemmParams, KernelParams};
use super::profile::{now_ms, DispatchTime, Recording};
use super::GpuContext;
use crate::backend::geom::Window;
use crate::backend::ops::Backend;
use crate::backend::Limits;
use crate::error::{Error, Result};
use crate::spec::Activation;
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

mod f16;
mod ops;

/// Bytes per dispatch in the uniform arena: WebGPU's minimum uniform offset alignment.
const SLOT: u64 = 256;
const ARENA_SLOTS: u64 = 2048;
/// Invocations per workgroup of every kernel but the smoke test's.
const WORKGROUP: u64 = 256;
/// A GEMM with fewer 64×64 tiles than this is split along K (if K is long enough).
const SPLIT_TARGET: usize = 64;
/// Split-K partials of one product hold at most this many values (16 MiB).
const MAX_PARTIAL: usize = 4 << 20;

/// What an error scope will report once the device has looked at the work in it.
type ScopeResult = Pin<Box<dyn Future<Output = Option<wgpu::Error>>>>;

/// A bind group's identity: the pipeline (shader file, entry point), the uniform slot and
/// the storage buffers by binding. A training step dispatches the same kernels on the same
/// buffers at the same slots every time, so each step after the first finds all of its
/// bind groups here instead of creating them again.
type BindKey = (&'static str, &'static str, u64, Vec<(u32, wgpu::Buffer)>);
/// Bind groups kept at most; past it the cache starts afresh (a model's steps need far fewer).
const MAX_BINDS: usize = 8192;

/// Work counted since the backend was made (the profiler reports them per step).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub submissions: u64,
    pub bind_groups: u64,
    pub dispatches: u64,
}

pub struct Gpu {
    pub ctx: Rc<GpuContext>,
    encoder: RefCell<Option<wgpu::CommandEncoder>>,
    /// The compute pass open on `encoder`: every dispatch until the next flush goes into it,
    /// so a training step is one pass (WebGPU orders dispatches within a pass).
    pass: RefCell<Option<wgpu::ComputePass<'static>>>,
    arena: wgpu::Buffer,
    arena_data: RefCell<Vec<u8>>,
    /// Stands in for an optional read-only binding (no bias, …); never written.
    dummy: wgpu::Buffer,
    scratch: RefCell<HashMap<usize, wgpu::Buffer>>,
    allocated: Cell<u64>,
    /// Error scopes popped but not yet looked at (on the web their answer comes later).
    scopes: RefCell<Vec<ScopeResult>>,
    /// The first error since the last `read`, which that read returns.
    failed: RefCell<Option<String>>,
    /// A budget for all of a model's buffers, when set (else the platform's).
    budget: Option<u64>,
    binds: RefCell<HashMap<BindKey, wgpu::BindGroup>>,
    counters: Cell<Counters>,
    /// The layer and phase that following dispatches work for (kept while profiling).
    label: RefCell<(String, &'static str)>,
    profile: RefCell<Option<Recording>>,
    /// Split K below this many workgroups (`gemm`); 1 never splits.
    split_target: Cell<usize>,
    partials: RefCell<Option<(usize, wgpu::Buffer)>>,
    /// The lane kernel's transposed conv kernel (`transposed`).
    transposed: RefCell<Option<(usize, wgpu::Buffer)>>,
    /// Whether `alloc_act` gives f16 buffers (the context's setting when this backend was made).
    f16: bool,
    /// The buffers that hold f16 (activations; snapshots of them until read): `backend/f16.rs`.
    halves: RefCell<HashSet<wgpu::Buffer>>,
}

impl Gpu {
    /// A backend for one model on the engine's device; the pipelines it dispatches are
    /// the context's, so any number of models on one context build each only once.
    pub fn new(ctx: Rc<GpuContext>) -> Gpu {
        let dev = &ctx.device;
        let ctx_f16 = ctx.f16_activations();
        let arena = dev.create_buffer(&wgpu::BufferDescriptor {
            label: Some("uniform arena"),
            size: SLOT * ARENA_SLOTS,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let dummy = dev.create_buffer(&wgpu::BufferDescriptor {
            label: Some("unused binding"),
            size: 16,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        Gpu {
            ctx,
            encoder: RefCell::new(None),
            pass: RefCell::new(None),
            arena,
            arena_data: RefCell::new(Vec::with_capacity((SLOT * 64) as usize)),
            dummy,
            scratch: RefCell::new(HashMap::new()),
            allocated: Cell::new(0),
            scopes: RefCell::new(Vec::new()),
            failed: RefCell::new(None),
            budget: None,
            binds: RefCell::new(HashMap::new()),
            counters: Cell::new(Counters::default()),
            label: RefCell::new((String::new(), "")),
            profile: RefCell::new(None),
            split_target: Cell::new(SPLIT_TARGET),
            partials: RefCell::new(None),
            transposed: RefCell::new(None),
            f16: ctx_f16,
            halves: RefCell::new(HashSet::new()),
        }
    }

    /// Runs `f` inside a validation error scope, kept for `check` (scopes nest, so `f` may
    /// open its own; each is pushed and popped here, in order, on this thread).
    fn scoped<R>(&self, f: impl FnOnce() -> R) -> R {
        let scope = self.ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let r = f();
        let answer = scope.pop();
        self.scopes.borrow_mut().push(Box::pin(answer));
        r
    }

    /// Keeps `message` if it is the first error since the last `read`.
    fn fail(&self, message: String) {
        self.failed.borrow_mut().get_or_insert(message);
    }

    /// Looks at the scopes that have answered (natively all at once, on the web when the
    /// browser has), keeping the first error and dropping the rest, so they never pile up.
    fn sweep(&self) {
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut errors = Vec::new();
        self.scopes.borrow_mut().retain_mut(|s| match s.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(e) => {
                errors.extend(e);
                false
            }
            std::task::Poll::Pending => true,
        });
        for e in errors {
            self.fail(rejected(&e));
        }
    }

    /// Waits for every scope so far and returns (and forgets) the first error among them.
    pub async fn check(&self) -> Result<()> {
        let scopes = std::mem::take(&mut *self.scopes.borrow_mut());
        for s in scopes {
            if let Some(e) = s.await {
                self.fail(rejected(&e));
            }
        }
        self.failed.borrow_mut().take().map_or(Ok(()), |m| Err(Error::Gpu(m)))
    }

    /// The workgroup grid for `groups` workgroups in one line, folded into y and z when x
    /// would pass the device's `maxComputeWorkgroupsPerDimension`; None when no grid holds them
    /// or the kernels' u32 invocation index would overflow.
    pub fn grid(groups: u64, limit: u32) -> Option<(u32, u32, u32)> {
        let limit = limit.max(1) as u64;
        if groups.checked_mul(WORKGROUP)? > 1 << 32 {
            return None;
        }
        let x = groups.min(limit);
        let rest = groups.div_ceil(x.max(1));
        let y = rest.min(limit);
        let z = rest.div_ceil(y.max(1));
        (z <= limit).then_some((x as u32, y as u32, z as u32))
    }

    /// The same backend with a budget of `bytes` for all of a model's buffers together.
    pub fn with_budget(mut self, bytes: u64) -> Gpu {
        self.budget = Some(bytes);
        self
    }

    /// What a model here may allocate: the budget (set, else the platform's — WebGPU does not
    /// say how much memory a device has), and per buffer the smallest of the device's
    /// `maxBufferSize` and `maxStorageBufferBindingSize` (every buffer is bound as storage)
    /// and the host's largest array (parameters are initialised there).
    pub fn model_limits(&self) -> Limits {
        let host = Limits::platform();
        let l = &self.ctx.limits;
        let mut limits = match self.budget {
            Some(b) => host.clone().with_budget(b),
            None => host.clone(),
        };
        for (bytes, source) in [
            (l.max_storage_buffer_binding_size, "this device's maxStorageBufferBindingSize"),
            (l.max_buffer_size, "this device's maxBufferSize"),
        ] {
            if bytes < limits.max_buffer {
                limits.max_buffer = bytes;
                limits.max_buffer_source = source.into();
            }
        }
        limits
    }

    /// A zeroed storage buffer of `len` f32 (at least one), counted in `allocated`.
    pub(super) fn buffer(&self, len: usize) -> wgpu::Buffer {
        self.sized(4 * len.max(1) as u64)
    }

    /// A zeroed storage buffer of `size` bytes, counted in `allocated`.
    pub(super) fn sized(&self, size: u64) -> wgpu::Buffer {
        self.allocated.set(self.allocated.get() + size);
        self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Ends the open pass, writes the arena and submits everything recorded so far, inside
    /// an error scope: the pass's errors (a grid too large, a buffer bound twice) show here.
    fn submit(&self) {
        self.scoped(|| {
            // The pass must end before its encoder can finish.
            drop(self.pass.borrow_mut().take());
            let enc = self.encoder.borrow_mut().take();
            let mut data = self.arena_data.borrow_mut();
            if !data.is_empty() {
                self.ctx.queue.write_buffer(&self.arena, 0, &data);
                data.clear();
            }
            if let Some(enc) = enc {
                self.ctx.queue.submit([enc.finish()]);
                self.count(|c| c.submissions += 1);
            }
        });
        self.sweep();
    }

    fn count(&self, f: impl FnOnce(&mut Counters)) {
        let mut c = self.counters.get();
        f(&mut c);
        self.counters.set(c);
    }

    /// Submissions, bind groups created and dispatches since this backend was made.
    pub fn counters(&self) -> Counters {
        self.counters.get()
    }

    /// From now on every dispatch is timed on its own (see `profile.rs`) until `stop_profile`.
    pub fn start_profile(&self) {
        self.submit();
        *self.profile.borrow_mut() = Some(Recording::new(&self.ctx));
    }

    /// Submits the profiled work and hands back what was recorded, to be finished (timed).
    pub(super) fn stop_profile(&self) -> Recording {
        self.submit();
        self.profile.borrow_mut().take().unwrap_or_else(|| Recording::new(&self.ctx))
    }

    /// Names the layer and phase that the following dispatches work for (kept while profiling).
    pub fn set_label(&self, layer: &str, phase: &'static str) {
        if self.profile.borrow().is_some() {
            *self.label.borrow_mut() = (layer.to_string(), phase);
        }
    }

    /// Writes `data` into `buf` inside an error scope, after the work recorded before it.
    fn write_bytes(&self, buf: &wgpu::Buffer, data: &[u8]) {
        self.submit();
        self.scoped(|| self.ctx.queue.write_buffer(buf, 0, data));
    }

    /// Records one dispatch of `entry` in the shader file of `P` over `groups` workgroups
    /// (folded into the device's grid by `grid`). `bindings` lists exactly the storage
    /// buffers the entry point uses.
    fn dispatch<P: KernelParams>(
        &self,
        entry: &'static str,
        params: P,
        bindings: &[(u32, &wgpu::Buffer)],
        groups: u64,
    ) {
        self.dispatch_in(P::FILE, entry, params, bindings, groups);
    }

    /// `dispatch` of an entry point in shader `file`, which declares `P` too (the gemm_reg and
    /// gemm_lane modules read GemmParams, which goes by "gemm", from gemm_common.wgsl).
    fn dispatch_in<P: KernelParams>(
        &self,
        file: &'static str,
        entry: &'static str,
        params: P,
        bindings: &[(u32, &wgpu::Buffer)],
        groups: u64,
    ) {
        if groups == 0 {
            return;
        }
        let limit = self.ctx.limits.max_compute_workgroups_per_dimension;
        let Some((x, y, z)) = Self::grid(groups, limit) else {
            self.fail(format!(
                "{file}/{entry}: {groups} workgroups of {WORKGROUP} are more than one dispatch can hold \
                 (2^32 invocations, {limit} workgroups per dimension); use a smaller batch or smaller images"
            ));
            return;
        };
        if self.arena_data.borrow().len() as u64 >= SLOT * ARENA_SLOTS {
            self.submit();
        }
        self.count(|c| c.dispatches += 1);
        let kernel = || self.kernel_name(file, entry, bytemuck::bytes_of(&params)[0], bindings);
        let profiled = self.profile.borrow().is_some();
        let d = profiled.then(|| {
            let (layer, phase) = self.label.borrow().clone();
            DispatchTime { layer, phase, kernel: kernel(), workgroups: groups, ms: f64::NAN }
        });
        self.scoped(|| self.record((file, entry), params, bindings, (x, y, z), d));
    }

    fn record<P: KernelParams>(
        &self,
        (file, entry): (&'static str, &'static str),
        params: P,
        bindings: &[(u32, &wgpu::Buffer)],
        (x, y, z): (u32, u32, u32),
        profiled: Option<DispatchTime>,
    ) {
        let offset = {
            let mut data = self.arena_data.borrow_mut();
            let offset = data.len() as u64;
            data.extend_from_slice(bytemuck::bytes_of(&params));
            data.resize((offset + SLOT) as usize, 0);
            offset
        };
        let pipeline = self.ctx.pipeline_halved(file, entry, self.halves_mask(bindings));
        let bind = self.bind_group(&pipeline, (file, entry), offset, std::mem::size_of::<P>() as u64, bindings);
        if let Some(d) = profiled {
            self.record_profiled(&pipeline, &bind, (x, y, z), d);
            return;
        }
        let mut pass = self.pass.borrow_mut();
        let pass = pass.get_or_insert_with(|| {
            let mut enc = self.encoder.borrow_mut();
            let enc = enc.get_or_insert_with(|| {
                self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("step") })
            });
            enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("step"), timestamp_writes: None })
                .forget_lifetime()
        });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind, &[]);
        pass.dispatch_workgroups(x, y, z);
    }

    /// The bind group of a dispatch: found in the cache, else created and kept.
    fn bind_group(
        &self,
        pipeline: &wgpu::ComputePipeline,
        (file, entry): (&'static str, &'static str),
        offset: u64,
        size: u64,
        bindings: &[(u32, &wgpu::Buffer)],
    ) -> wgpu::BindGroup {
        let key: BindKey = (file, entry, offset, bindings.iter().map(|&(b, buf)| (b, buf.clone())).collect());
        if let Some(b) = self.binds.borrow().get(&key) {
            return b.clone();
        }
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &self.arena,
                offset,
                size: wgpu::BufferSize::new(size),
            }),
        }];
        entries.extend(
            bindings.iter().map(|(b, buf)| wgpu::BindGroupEntry { binding: *b, resource: buf.as_entire_binding() }),
        );
        let bind = self.ctx.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(entry),
            layout: &pipeline.get_bind_group_layout(0),
            entries: &entries,
        });
        self.count(|c| c.bind_groups += 1);
        let mut binds = self.binds.borrow_mut();
        if binds.len() >= MAX_BINDS {
            binds.clear();
        }
        binds.insert(key, bind.clone());
        bind
    }

    /// A profiled dispatch: a pass of its own, with timestamps where the device has them,
    /// else submitted alone with its completion noted (`profile.rs`).
    fn record_profiled(
        &self,
        pipeline: &wgpu::ComputePipeline,
        bind: &wgpu::BindGroup,
        (x, y, z): (u32, u32, u32),
        d: DispatchTime,
    ) {
        drop(self.pass.borrow_mut().take());
        let timed = {
            let mut prof = self.profile.borrow_mut();
            let Some(rec) = prof.as_mut() else { return };
            let mut enc = self.encoder.borrow_mut();
            let enc = enc.get_or_insert_with(|| {
                self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("profile") })
            });
            {
                let mut pass = enc.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("profile"),
                    timestamp_writes: rec.writes(),
                });
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, bind, &[]);
                pass.dispatch_workgroups(x, y, z);
            }
            rec.entries.push(d);
            rec.timed()
        };
        if timed {
            return;
        }
        let (index, done) = match self.profile.borrow().as_ref() {
            Some(rec) => (rec.entries.len() - 1, rec.done.clone()),
            None => return,
        };
        self.submit();
        self.ctx.queue.on_submitted_work_done(move || {
            done.lock().unwrap_or_else(|e| e.into_inner()).push((index, now_ms()));
        });
        // Natively the callback runs when the device is polled; wait here so its moment is true.
        #[cfg(not(target_arch = "wasm32"))]
        let _ = self.ctx.device.poll(wgpu::PollType::wait_indefinitely());
    }

    /// Workgroups of 256 covering `len` invocations.
    fn groups1d(len: usize) -> u64 {
        (len as u64).div_ceil(WORKGROUP)
    }

    /// One product of gemm.wgsl or gemm_reg.wgsl (mode 0–5, the context's kernel) with sizes
    /// (m, n, k), in the kernel's tiles (64×64; or 64 or 32 rows × 32), one workgroup each,
    /// counted in one line (the kernel finds its tile's row and column).
    /// A product of few tiles, a long K and no bias (a conv's filter gradient) is split along K
    /// across workgroups into partials that `splitk_reduce` adds up.
    fn gemm(
        &self,
        mode: u32,
        dims: (usize, usize, usize),
        g: Option<&Window>,
        a: &wgpu::Buffer,
        b: &wgpu::Buffer,
        bias: Option<&wgpu::Buffer>,
        out: &wgpu::Buffer,
    ) {
        self.gemm_act(mode, dims, g, (a, b, bias, out), Activation::Linear);
    }

    /// `gemm` with the activation `act` applied to C after the bias, in the same dispatch: the
    /// kernel's epilogue applies it as it writes C, or, when the product is split along K,
    /// `splitk_reduce` does once the partials are added. Softmax, which needs a whole row of
    /// C, runs as its own dispatch after the product.
    fn gemm_act(
        &self,
        mode: u32,
        (m, n, k): (usize, usize, usize),
        g: Option<&Window>,
        (a, b, bias, out): (&wgpu::Buffer, &wgpu::Buffer, Option<&wgpu::Buffer>, &wgpu::Buffer),
        act: Activation,
    ) {
        if act == Activation::Softmax {
            self.gemm(mode, (m, n, k), g, a, b, bias, out);
            self.activation_forward(act, n, m * n, out);
            return;
        }
        let mut p = GemmParams::new(mode, (m, n, k), g, bias.is_some());
        // Each kernel covers C with a line of its tiles (times the splits).
        let kernel = self.ctx.gemm_kernel();
        let (file, entry) = (kernel.module(mode, n), kernel.entry(mode, m, n));
        let (tm, tn) = kernel.tile(mode, m, n);
        let tiles = n.div_ceil(tn) as u64 * m.div_ceil(tm) as u64;
        let (splits, chunk) = match (bias, self.split_target.get()) {
            (None, target) if target > 1 => GemmParams::split_k((m, n, k), target, MAX_PARTIAL),
            _ => (1, k),
        };
        let (code, alpha) = act_code(act);
        // The lane kernel's data gradient reads the kernel with its channel axes swapped.
        let transposed;
        let b = if kernel == GemmKernel::Lane && mode == 1 {
            transposed = self.transposed(k * n);
            self.dispatch_in(file, "lane_transpose", p, &[(1, b), (4, &transposed)], (k * n).div_ceil(64) as u64);
            &transposed
        } else {
            b
        };
        if splits < 2 {
            (p.act, p.alpha) = (code, alpha);
            self.dispatch_in(file, entry, p, &[(1, a), (2, b), (3, bias.unwrap_or(&self.dummy)), (4, out)], tiles);
            return;
        }
        // The partials are the bare sums; the reduction applies the activation.
        (p.splits, p.kchunk) = (splits as u32, chunk as u32);
        let partial = self.partials(splits * m * n);
        self.dispatch_in(file, entry, p, &[(1, a), (2, b), (3, &self.dummy), (4, &partial)], tiles * splits as u64);
        (p.act, p.alpha) = (code, alpha);
        self.dispatch("splitk_reduce", p, &[(1, &partial), (4, out)], Self::groups1d(m * n));
    }

    /// The buffer for the lane kernel's transposed conv kernels, at least `len` values: one per
    /// model, grown when a larger kernel needs it. Each data gradient writes it just before it
    /// reads it, so the layers share it.
    fn transposed(&self, len: usize) -> wgpu::Buffer {
        self.grown(&self.transposed, len)
    }

    /// Sets how many workgroups a product should reach before K is split (1: never split);
    /// tests use it to compare split and unsplit products.
    pub fn set_split_target(&self, workgroups: usize) {
        self.split_target.set(workgroups);
    }

    /// The buffer for split-K partials, at least `len` values: one per model, grown when a
    /// larger product needs it (the bind groups on the old one are dropped with it).
    fn partials(&self, len: usize) -> wgpu::Buffer {
        self.grown(&self.partials, len)
    }

    /// The buffer kept in `slot` if it holds at least `len` values, else a new one in its place
    /// (the bind groups on the old one are dropped with it).
    fn grown(&self, slot: &RefCell<Option<(usize, wgpu::Buffer)>>, len: usize) -> wgpu::Buffer {
        let mut p = slot.borrow_mut();
        match &*p {
            Some((have, buf)) if *have >= len => buf.clone(),
            _ => {
                if let Some((have, _)) = p.take() {
                    self.allocated.set(self.allocated.get() - 4 * have as u64);
                    self.binds.borrow_mut().clear();
                }
                let buf = self.buffer(len);
                *p = Some((len, buf.clone()));
                buf
            }
        }
    }

    /// out[c] = Σ_rows x[row, c] (bias gradients), one workgroup per 64 channels.
    fn channel_sum(&self, rows: usize, c: usize, x: &wgpu::Buffer, out: &wgpu::Buffer) {
        let p = BatchnormParams { rows: rows as u32, c: c as u32, ..Default::default() };
        self.dispatch("channel_sum", p, &[(1, x), (5, out)], c.div_ceil(64) as u64);
    }

    /// A scratch buffer of `len` values, allocated once per length and reused.
    fn scratch(&self, len: usize) -> wgpu::Buffer {
        self.scratch.borrow_mut().entry(len).or_insert_with(|| self.buffer(len)).clone()
    }
}

/// The message for an error the device reported from a scope.
fn rejected(e: &wgpu::Error) -> String {
    format!("the GPU rejected ConvPlay's work (a bug in ConvPlay; please report it): {e}")
}

impl Drop for Gpu {
    fn drop(&mut self) {
        // End an open pass before its encoder goes.
        self.pass.get_mut().take();
    }
}
