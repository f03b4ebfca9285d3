//! The GPU backend behind the `Backend` trait. Ops are recorded into one command
//! encoder and submitted by `flush` (a training step is one submission). Every
//! dispatch takes its sizes from a slot of one uniform arena, written once per flush.
//! Pipelines are built on first use and cached; buffers are allocated by the layers
//! once per model and reused for every step.

use super::GpuContext;
use crate::backend::geom::Window;
use crate::backend::ops::{Backend, BnDims, OptimStep};
use crate::error::Result;
use crate::spec::{Activation, Lrn};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

const SHADERS: &[(&str, &str)] = &[
    ("gemm", include_str!("../../../../shaders/gemm.wgsl")),
    ("eltwise", include_str!("../../../../shaders/eltwise.wgsl")),
    ("pool", include_str!("../../../../shaders/pool.wgsl")),
    ("batchnorm", include_str!("../../../../shaders/batchnorm.wgsl")),
    ("loss", include_str!("../../../../shaders/loss.wgsl")),
    ("optim", include_str!("../../../../shaders/optim.wgsl")),
    ("depthwise", include_str!("../../../../shaders/depthwise.wgsl")),
    ("lrn", include_str!("../../../../shaders/lrn.wgsl")),
    ("augment", include_str!("../../../../shaders/augment.wgsl")),
];

/// Every kernel's uniform struct is 24 four-byte fields (96 bytes).
type Params = [u32; 24];
const SLOT: u64 = 256;
const ARENA_SLOTS: u64 = 2048;

pub struct Gpu {
    pub ctx: Rc<GpuContext>,
    pipelines: RefCell<HashMap<(&'static str, &'static str), wgpu::ComputePipeline>>,
    modules: RefCell<HashMap<&'static str, wgpu::ShaderModule>>,
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
}

fn f(v: f32) -> u32 {
    v.to_bits()
}

fn act_code(a: Activation) -> (u32, f32) {
    match a {
        Activation::Linear => (0, 0.0),
        Activation::Relu => (1, 0.0),
        Activation::Relu6 => (2, 0.0),
        Activation::LeakyRelu { alpha } => (3, alpha),
        Activation::Sigmoid => (4, 0.0),
        Activation::Tanh => (5, 0.0),
        Activation::Softmax => (6, 0.0),
    }
}

fn params(values: &[u32]) -> Params {
    let mut p = [0u32; 24];
    p[..values.len()].copy_from_slice(values);
    p
}

/// Window geometry in the field order the WGSL structs use after their first field(s).
fn geom(g: &Window) -> [u32; 13] {
    [g.n, g.h, g.w, g.c, g.oh, g.ow, g.oc, g.kh, g.kw, g.sh, g.sw, g.pad_top, g.pad_left]
}

impl Gpu {
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
            pipelines: RefCell::new(HashMap::new()),
            modules: RefCell::new(HashMap::new()),
            encoder: RefCell::new(None),
            pass: RefCell::new(None),
            arena,
            arena_data: RefCell::new(Vec::with_capacity((SLOT * 64) as usize)),
            dummy,
            scratch: RefCell::new(HashMap::new()),
            allocated: Cell::new(0),
        }
    }

    fn pipeline(&self, file: &'static str, entry: &'static str) -> wgpu::ComputePipeline {
        if let Some(p) = self.pipelines.borrow().get(&(file, entry)) {
            return p.clone();
        }
        let dev = &self.ctx.device;
        let module = self
            .modules
            .borrow_mut()
            .entry(file)
            .or_insert_with(|| {
                let src = SHADERS.iter().find(|(n, _)| *n == file).map(|(_, s)| *s).unwrap_or("");
                dev.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(file),
                    source: wgpu::ShaderSource::Wgsl(src.into()),
                })
            })
            .clone();
        let p = dev.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: None,
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        });
        self.pipelines.borrow_mut().insert((file, entry), p.clone());
        p
    }

    /// Records one dispatch. `bindings` lists exactly the storage buffers the entry point uses.
    fn dispatch(
        &self,
        file: &'static str,
        entry: &'static str,
        p: Params,
        bindings: &[(u32, &wgpu::Buffer)],
        groups: (u32, u32),
    ) {
        if groups.0 == 0 || groups.1 == 0 {
            return;
        }
        if self.arena_data.borrow().len() as u64 >= SLOT * ARENA_SLOTS {
            self.flush();
        }
        let offset = {
            let mut data = self.arena_data.borrow_mut();
            let offset = data.len() as u64;
            data.extend_from_slice(bytemuck::cast_slice(&p));
            data.resize((offset + SLOT) as usize, 0);
            offset
        };
        let pipeline = self.pipeline(file, entry);
        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &self.arena,
                offset,
                size: wgpu::BufferSize::new(96),
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
        let mut v = vec![mode, m as u32, n as u32, k as u32];
        v.extend_from_slice(&g.map(geom).unwrap_or([0; 13]));
        v.push(bias.is_some() as u32);
        let groups = ((n as u32).div_ceil(64), (m as u32).div_ceil(64));
        self.dispatch(
            "gemm",
            "gemm",
            params(&v),
            &[(1, a), (2, b), (3, bias.unwrap_or(&self.dummy)), (4, out)],
            groups,
        );
    }

    fn channel_sum(&self, rows: usize, c: usize, x: &wgpu::Buffer, out: &wgpu::Buffer) {
        self.dispatch("batchnorm", "channel_sum", params(&[rows as u32, c as u32]), &[(1, x), (5, out)], (c as u32, 1));
    }

    fn scratch(&self, len: usize) -> wgpu::Buffer {
        self.scratch.borrow_mut().entry(len).or_insert_with(|| self.alloc(len)).clone()
    }

    fn pool_params(len: usize, g: &Window) -> Params {
        let gg = geom(g);
        // P { len, n, h, w, c, oh, ow, kh, kw, sh, sw, pt, pl }
        params(&[len as u32, gg[0], gg[1], gg[2], gg[3], gg[4], gg[5], gg[7], gg[8], gg[9], gg[10], gg[11], gg[12]])
    }

    fn dw_params(len: usize, g: &Window, has_bias: bool) -> Params {
        let mut p = Self::pool_params(len, g);
        p[13] = has_bias as u32;
        p
    }
}

impl Backend for Gpu {
    type Buf = wgpu::Buffer;
    type Idx = wgpu::Buffer;

    fn name(&self) -> &'static str {
        "gpu"
    }
    fn alloc(&self, len: usize) -> wgpu::Buffer {
        let size = 4 * len.max(1) as u64;
        self.allocated.set(self.allocated.get() + size);
        self.ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }
    fn alloc_idx(&self, len: usize) -> wgpu::Buffer {
        self.alloc(len)
    }
    fn write(&self, buf: &wgpu::Buffer, data: &[f32]) {
        // Work recorded before this write must see the old contents: submit it first.
        self.flush();
        self.ctx.queue.write_buffer(buf, 0, bytemuck::cast_slice(data));
    }
    fn write_idx(&self, buf: &wgpu::Buffer, data: &[u32]) {
        self.flush();
        self.ctx.queue.write_buffer(buf, 0, bytemuck::cast_slice(data));
    }
    fn flush(&self) {
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
    async fn read(&self, buf: &wgpu::Buffer, len: usize) -> Result<Vec<f32>> {
        self.flush();
        self.ctx.read_f32(buf, len).await
    }
    fn allocated_bytes(&self) -> u64 {
        self.allocated.get()
    }
    fn fill(&self, buf: &wgpu::Buffer, len: usize, value: f32) {
        self.dispatch(
            "eltwise",
            "fill",
            params(&[len as u32, 0, 0, 0, 0, 0, f(value)]),
            &[(2, buf)],
            Self::groups1d(len),
        );
    }

    fn conv2d_forward(
        &self,
        g: &Window,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        b: Option<&wgpu::Buffer>,
        out: &wgpu::Buffer,
    ) {
        let m = (g.n * g.oh * g.ow) as usize;
        self.gemm(0, (m, g.oc as usize, (g.kh * g.kw * g.c) as usize), Some(g), x, w, b, out);
    }
    fn conv2d_backward(
        &self,
        g: &Window,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        dout: &wgpu::Buffer,
        dx: Option<&wgpu::Buffer>,
        dw: &wgpu::Buffer,
        db: Option<&wgpu::Buffer>,
    ) {
        if let Some(dx) = dx {
            self.gemm(
                1,
                ((g.n * g.h * g.w) as usize, g.c as usize, (g.kh * g.kw * g.oc) as usize),
                Some(g),
                dout,
                w,
                None,
                dx,
            );
        }
        self.gemm(
            2,
            ((g.kh * g.kw * g.c) as usize, g.oc as usize, (g.n * g.oh * g.ow) as usize),
            Some(g),
            x,
            dout,
            None,
            dw,
        );
        if let Some(db) = db {
            self.channel_sum((g.n * g.oh * g.ow) as usize, g.oc as usize, dout, db);
        }
    }
    fn depthwise_forward(
        &self,
        g: &Window,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        b: Option<&wgpu::Buffer>,
        out: &wgpu::Buffer,
    ) {
        let len = g.output_len();
        self.dispatch(
            "depthwise",
            "forward",
            Self::dw_params(len, g, b.is_some()),
            &[(1, x), (2, w), (3, b.unwrap_or(&self.dummy)), (4, out)],
            Self::groups1d(len),
        );
    }
    fn depthwise_backward(
        &self,
        g: &Window,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        dout: &wgpu::Buffer,
        dx: Option<&wgpu::Buffer>,
        dw: &wgpu::Buffer,
        db: Option<&wgpu::Buffer>,
    ) {
        if let Some(dx) = dx {
            let len = g.input_len();
            self.dispatch(
                "depthwise",
                "backward_data",
                Self::dw_params(len, g, false),
                &[(1, dout), (2, w), (4, dx)],
                Self::groups1d(len),
            );
        }
        let klen = (g.kh * g.kw * g.c) as usize;
        self.dispatch(
            "depthwise",
            "backward_filter",
            Self::dw_params(klen, g, false),
            &[(1, x), (4, dw), (5, dout)],
            Self::groups1d(klen),
        );
        if let Some(db) = db {
            self.channel_sum((g.n * g.oh * g.ow) as usize, g.c as usize, dout, db);
        }
    }

    fn max_pool_forward(&self, g: &Window, x: &wgpu::Buffer, out: &wgpu::Buffer, argmax: &wgpu::Buffer) {
        let len = g.output_len();
        self.dispatch(
            "pool",
            "max_forward",
            Self::pool_params(len, g),
            &[(1, x), (2, out), (3, argmax)],
            Self::groups1d(len),
        );
    }
    fn max_pool_backward(&self, g: &Window, dout: &wgpu::Buffer, argmax: &wgpu::Buffer, dx: &wgpu::Buffer) {
        let len = g.input_len();
        self.dispatch(
            "pool",
            "max_backward",
            Self::pool_params(len, g),
            &[(1, dout), (2, dx), (3, argmax)],
            Self::groups1d(len),
        );
    }
    fn avg_pool_forward(&self, g: &Window, x: &wgpu::Buffer, out: &wgpu::Buffer) {
        let len = g.output_len();
        self.dispatch("pool", "avg_forward", Self::pool_params(len, g), &[(1, x), (2, out)], Self::groups1d(len));
    }
    fn avg_pool_backward(&self, g: &Window, dout: &wgpu::Buffer, dx: &wgpu::Buffer) {
        let len = g.input_len();
        self.dispatch("pool", "avg_backward", Self::pool_params(len, g), &[(1, dout), (2, dx)], Self::groups1d(len));
    }
    fn global_avg_pool_forward(&self, n: usize, hw: usize, c: usize, x: &wgpu::Buffer, out: &wgpu::Buffer) {
        let len = n * c;
        self.dispatch(
            "pool",
            "gap_forward",
            params(&[len as u32, n as u32, hw as u32, 1, c as u32]),
            &[(1, x), (2, out)],
            Self::groups1d(len),
        );
    }
    fn global_avg_pool_backward(&self, n: usize, hw: usize, c: usize, dout: &wgpu::Buffer, dx: &wgpu::Buffer) {
        let len = n * hw * c;
        self.dispatch(
            "pool",
            "gap_backward",
            params(&[len as u32, n as u32, hw as u32, 1, c as u32]),
            &[(1, dout), (2, dx)],
            Self::groups1d(len),
        );
    }

    fn dense_forward(
        &self,
        n: usize,
        k: usize,
        m: usize,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        b: Option<&wgpu::Buffer>,
        out: &wgpu::Buffer,
    ) {
        self.gemm(3, (n, m, k), None, x, w, b, out);
    }
    fn dense_backward(
        &self,
        n: usize,
        k: usize,
        m: usize,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        dout: &wgpu::Buffer,
        dx: Option<&wgpu::Buffer>,
        dw: &wgpu::Buffer,
        db: Option<&wgpu::Buffer>,
    ) {
        if let Some(dx) = dx {
            self.gemm(4, (n, k, m), None, dout, w, None, dx);
        }
        self.gemm(5, (k, m, n), None, x, dout, None, dw);
        if let Some(db) = db {
            self.channel_sum(n, m, dout, db);
        }
    }

    fn activation_forward(&self, a: Activation, channels: usize, len: usize, y: &wgpu::Buffer) {
        let (code, alpha) = act_code(a);
        match a {
            Activation::Linear => {}
            Activation::Softmax => {
                let p = params(&[len as u32, code, channels as u32, 0, f(alpha)]);
                self.dispatch("eltwise", "softmax_forward", p, &[(2, y)], Self::groups1d(len / channels.max(1)));
            }
            _ => self.dispatch(
                "eltwise",
                "act_forward",
                params(&[len as u32, code, channels as u32, 0, f(alpha)]),
                &[(2, y)],
                Self::groups1d(len),
            ),
        }
    }
    fn activation_backward(&self, a: Activation, channels: usize, len: usize, y: &wgpu::Buffer, dy: &wgpu::Buffer) {
        let (code, alpha) = act_code(a);
        match a {
            Activation::Linear => {}
            Activation::Softmax => {
                let p = params(&[len as u32, code, channels as u32, 0, f(alpha)]);
                self.dispatch(
                    "eltwise",
                    "softmax_backward",
                    p,
                    &[(1, y), (2, dy)],
                    Self::groups1d(len / channels.max(1)),
                );
            }
            _ => self.dispatch(
                "eltwise",
                "act_backward",
                params(&[len as u32, code, channels as u32, 0, f(alpha)]),
                &[(1, y), (2, dy)],
                Self::groups1d(len),
            ),
        }
    }

    fn batch_norm_train(
        &self,
        d: BnDims,
        x: &wgpu::Buffer,
        gamma: &wgpu::Buffer,
        beta: &wgpu::Buffer,
        rm: &wgpu::Buffer,
        rv: &wgpu::Buffer,
        saved: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) {
        let p = params(&[d.rows as u32, d.c as u32, f(d.eps), f(d.momentum)]);
        self.dispatch("batchnorm", "bn_stats", p, &[(1, x), (6, saved), (7, rm), (8, rv)], (d.c as u32, 1));
        self.dispatch(
            "batchnorm",
            "bn_apply",
            p,
            &[(1, x), (2, gamma), (3, beta), (5, out), (6, saved)],
            Self::groups1d(d.rows * d.c),
        );
    }
    fn batch_norm_infer(
        &self,
        d: BnDims,
        x: &wgpu::Buffer,
        gamma: &wgpu::Buffer,
        beta: &wgpu::Buffer,
        rm: &wgpu::Buffer,
        rv: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) {
        let p = params(&[d.rows as u32, d.c as u32, f(d.eps), f(d.momentum)]);
        let saved = self.scratch(2 * d.c);
        self.dispatch("batchnorm", "bn_infer_stats", p, &[(6, &saved), (7, rm), (8, rv)], Self::groups1d(d.c));
        self.dispatch(
            "batchnorm",
            "bn_apply",
            p,
            &[(1, x), (2, gamma), (3, beta), (5, out), (6, &saved)],
            Self::groups1d(d.rows * d.c),
        );
    }
    fn batch_norm_backward(
        &self,
        d: BnDims,
        x: &wgpu::Buffer,
        gamma: &wgpu::Buffer,
        saved: &wgpu::Buffer,
        dout: &wgpu::Buffer,
        dx: &wgpu::Buffer,
        dgamma: &wgpu::Buffer,
        dbeta: &wgpu::Buffer,
    ) {
        let p = params(&[d.rows as u32, d.c as u32, f(d.eps), f(d.momentum)]);
        self.dispatch(
            "batchnorm",
            "bn_grad_reduce",
            p,
            &[(1, x), (4, dout), (6, saved), (9, dgamma), (10, dbeta)],
            (d.c as u32, 1),
        );
        self.dispatch(
            "batchnorm",
            "bn_backward_apply",
            p,
            &[(1, x), (2, gamma), (4, dout), (5, dx), (6, saved), (9, dgamma), (10, dbeta)],
            Self::groups1d(d.rows * d.c),
        );
    }

    fn augment(
        &self,
        a: &crate::backend::cpu::augment::Augment,
        seed: u32,
        n: usize,
        h: usize,
        w: usize,
        c: usize,
        x: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) {
        let len = n * h * w * c;
        let p = params(&[
            len as u32,
            h as u32,
            w as u32,
            c as u32,
            seed,
            f(a.shift),
            f(a.rotate_deg.to_radians()),
            f(a.scale),
        ]);
        self.dispatch("augment", "affine", p, &[(1, x), (2, out)], Self::groups1d(len));
    }
    fn dropout_forward(&self, seed: u32, rate: f32, len: usize, x: &wgpu::Buffer, out: &wgpu::Buffer) {
        self.dispatch(
            "eltwise",
            "dropout",
            params(&[len as u32, 0, 0, seed, 0, f(rate)]),
            &[(1, x), (2, out)],
            Self::groups1d(len),
        );
    }
    fn dropout_backward(&self, seed: u32, rate: f32, len: usize, dout: &wgpu::Buffer, dx: &wgpu::Buffer) {
        self.dropout_forward(seed, rate, len, dout, dx);
    }

    fn lrn_forward(&self, c: usize, len: usize, l: &Lrn, x: &wgpu::Buffer, out: &wgpu::Buffer) {
        let p = params(&[len as u32, c as u32, l.depth_radius as u32, f(l.bias), f(l.alpha), f(l.beta)]);
        self.dispatch("lrn", "forward", p, &[(1, x), (3, out)], Self::groups1d(len));
    }
    fn lrn_backward(&self, c: usize, len: usize, l: &Lrn, x: &wgpu::Buffer, dout: &wgpu::Buffer, dx: &wgpu::Buffer) {
        let p = params(&[len as u32, c as u32, l.depth_radius as u32, f(l.bias), f(l.alpha), f(l.beta)]);
        self.dispatch("lrn", "backward", p, &[(1, x), (2, dout), (3, dx)], Self::groups1d(len));
    }

    fn softmax_xent(
        &self,
        n: usize,
        k: usize,
        logits: &wgpu::Buffer,
        labels: &wgpu::Buffer,
        dlogits: &wgpu::Buffer,
        metrics: &wgpu::Buffer,
    ) {
        self.dispatch(
            "loss",
            "softmax_xent",
            params(&[n as u32, k as u32]),
            &[(1, logits), (2, labels), (3, dlogits), (4, metrics)],
            (1, 1),
        );
    }

    fn optim_step(
        &self,
        step: OptimStep,
        len: usize,
        w: &wgpu::Buffer,
        g: &wgpu::Buffer,
        m: &wgpu::Buffer,
        v: &wgpu::Buffer,
    ) {
        let p = match step {
            OptimStep::Sgd { lr, momentum, nesterov, weight_decay } => {
                params(&[len as u32, 0, f(lr), f(momentum), nesterov as u32, f(weight_decay)])
            }
            OptimStep::Adam { lr, beta1, beta2, eps, t, weight_decay, decoupled } => params(&[
                len as u32,
                1,
                f(lr),
                0,
                0,
                f(weight_decay),
                f(beta1),
                f(beta2),
                f(eps),
                f(1.0 - beta1.powi(t as i32)),
                f(1.0 - beta2.powi(t as i32)),
                decoupled as u32,
            ]),
        };
        self.dispatch("optim", "step", p, &[(1, g), (2, w), (3, m), (4, v)], Self::groups1d(len));
    }

    fn copy(&self, src: &wgpu::Buffer, dst: &wgpu::Buffer, len: usize) {
        if src == dst {
            return;
        }
        // A kernel rather than copy_buffer_to_buffer, so the step's compute pass stays open.
        self.dispatch("eltwise", "copy", params(&[len as u32]), &[(1, src), (2, dst)], Self::groups1d(len));
    }

    fn add_into(&self, dst: &wgpu::Buffer, src: &wgpu::Buffer, len: usize) {
        self.dispatch("eltwise", "add_into", params(&[len as u32]), &[(1, src), (2, dst)], Self::groups1d(len));
    }
    fn concat_part(
        &self,
        split: bool,
        rows: usize,
        c_part: usize,
        c_total: usize,
        offset: usize,
        part: &wgpu::Buffer,
        out: &wgpu::Buffer,
    ) {
        let len = rows * c_part;
        // eltwise P: len, act, c (= c_part), seed, alpha, rate, value, hw (= c_total), _0 (= offset)
        let p = params(&[len as u32, 0, c_part as u32, 0, 0, 0, 0, c_total as u32, offset as u32]);
        if split {
            self.dispatch("eltwise", "split_part", p, &[(1, out), (2, part)], Self::groups1d(len));
        } else {
            self.dispatch("eltwise", "concat_part", p, &[(1, part), (2, out)], Self::groups1d(len));
        }
    }
    fn scale_channels(&self, n: usize, hw: usize, c: usize, x: &wgpu::Buffer, s: &wgpu::Buffer, out: &wgpu::Buffer) {
        let len = n * hw * c;
        let p = params(&[len as u32, 0, c as u32, 0, 0, 0, 0, hw as u32]);
        self.dispatch("eltwise", "scale_channels", p, &[(1, x), (2, out), (3, s)], Self::groups1d(len));
    }
    fn scale_channels_backward(
        &self,
        n: usize,
        hw: usize,
        c: usize,
        x: &wgpu::Buffer,
        s: &wgpu::Buffer,
        dy: &wgpu::Buffer,
        dx: &wgpu::Buffer,
        ds: &wgpu::Buffer,
    ) {
        let len = n * hw * c;
        let p = params(&[len as u32, 0, c as u32, 0, 0, 0, 0, hw as u32]);
        self.dispatch("eltwise", "scale_channels", p, &[(1, dy), (2, dx), (3, s)], Self::groups1d(len));
        let p2 = params(&[(n * c) as u32, 0, c as u32, 0, 0, 0, 0, hw as u32]);
        self.dispatch("eltwise", "scale_grad", p2, &[(1, x), (2, ds), (4, dy)], Self::groups1d(n * c));
    }
}

impl Drop for Gpu {
    fn drop(&mut self) {
        // End an open pass before its encoder goes.
        self.pass.get_mut().take();
    }
}
