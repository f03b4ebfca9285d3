//! The GPU backend behind the `Backend` trait: this file is the recorder (buffers, the
//! command encoder and its one compute pass, the uniform arena, dispatch); `backend/ops.rs`
//! maps each op of the trait to its kernels.
//!
//! Ops are recorded into one command encoder and submitted by `flush` (a training step is
//! one submission). Every dispatch takes its typed parameters (`params.rs`) from a 256-byte
//! slot of one uniform arena, written once per flush. Pipelines come from the context's
//! cache, shared by every model on the device; buffers are allocated by the layers once per
//! model and reused for every step.

use super::params::{BatchnormParams, GemmParams, KernelParams};
use super::GpuContext;
use crate::backend::geom::Window;
use crate::backend::Limits;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

mod ops;

/// Bytes per dispatch in the uniform arena: WebGPU's minimum uniform offset alignment.
const SLOT: u64 = 256;
const ARENA_SLOTS: u64 = 2048;

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
    /// A budget for all of a model's buffers, when set (else the platform's).
    budget: Option<u64>,
}

impl Gpu {
    /// A backend for one model on the engine's device; the pipelines it dispatches are
    /// the context's, so any number of models on one context build each only once.
    pub fn new(ctx: Rc<GpuContext>) -> Gpu {
        let dev = &ctx.device;
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
            budget: None,
        }
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
    fn buffer(&self, len: usize) -> wgpu::Buffer {
        let size = 4 * len.max(1) as u64;
        self.allocated.set(self.allocated.get() + size);
        self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Ends the open pass, writes the arena and submits everything recorded so far.
    fn submit(&self) {
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
        }
    }

    /// Records one dispatch of `entry` in the shader file of `P`. `bindings` lists exactly
    /// the storage buffers the entry point uses.
    fn dispatch<P: KernelParams>(
        &self,
        entry: &'static str,
        params: P,
        bindings: &[(u32, &wgpu::Buffer)],
        groups: (u32, u32),
    ) {
        if groups.0 == 0 || groups.1 == 0 {
            return;
        }
        if self.arena_data.borrow().len() as u64 >= SLOT * ARENA_SLOTS {
            self.submit();
        }
        let offset = {
            let mut data = self.arena_data.borrow_mut();
            let offset = data.len() as u64;
            data.extend_from_slice(bytemuck::bytes_of(&params));
            data.resize((offset + SLOT) as usize, 0);
            offset
        };
        let pipeline = self.ctx.pipeline(P::FILE, entry);
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &self.arena,
                offset,
                size: wgpu::BufferSize::new(std::mem::size_of::<P>() as u64),
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
        pass.dispatch_workgroups(groups.0, groups.1, 1);
    }

    /// Workgroups of 256 covering `len` invocations, folded into y past 65,535.
    fn groups1d(len: usize) -> (u32, u32) {
        let g = len.div_ceil(256) as u32;
        if g <= 65_535 {
            (g, 1)
        } else {
            (65_535, g.div_ceil(65_535))
        }
    }

    /// One product of gemm.wgsl (mode 0–5) with sizes (m, n, k), in 64×64 tiles.
    fn gemm(
        &self,
        mode: u32,
        (m, n, k): (usize, usize, usize),
        g: Option<&Window>,
        a: &wgpu::Buffer,
        b: &wgpu::Buffer,
        bias: Option<&wgpu::Buffer>,
        out: &wgpu::Buffer,
    ) {
        let p = GemmParams::new(mode, (m, n, k), g, bias.is_some());
        let groups = ((n as u32).div_ceil(64), (m as u32).div_ceil(64));
        self.dispatch("gemm", p, &[(1, a), (2, b), (3, bias.unwrap_or(&self.dummy)), (4, out)], groups);
    }

    /// out[c] = Σ_rows x[row, c] (bias gradients), one workgroup per channel.
    fn channel_sum(&self, rows: usize, c: usize, x: &wgpu::Buffer, out: &wgpu::Buffer) {
        let p = BatchnormParams { rows: rows as u32, c: c as u32, ..Default::default() };
        self.dispatch("channel_sum", p, &[(1, x), (5, out)], (c as u32, 1));
    }

    /// A scratch buffer of `len` values, allocated once per length and reused.
    fn scratch(&self, len: usize) -> wgpu::Buffer {
        self.scratch.borrow_mut().entry(len).or_insert_with(|| self.buffer(len)).clone()
    }
}

impl Drop for Gpu {
    fn drop(&mut self) {
        // End an open pass before its encoder goes.
        self.pass.get_mut().take();
    }
}
