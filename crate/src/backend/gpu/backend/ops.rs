//! The `Backend` trait on the GPU: each op as the kernels it dispatches, with their typed
//! parameters. The kernels' CPU twins are the reference functions of `backend/cpu/`.

use super::Gpu;
use crate::backend::geom::{Upsample, Window};
use crate::backend::gpu::halves::{from_half_bytes, half_bytes, to_half_bytes};
use crate::backend::gpu::params::{
    act_code, AugmentParams, BatchnormParams, DepthwiseParams, EltwiseParams, LossParams, LrnParams, OptimParams,
    PoolParams, UpsampleParams,
};
use crate::backend::ops::{Backend, BnDims, OptimStep};
use crate::error::Result;
use crate::spec::{Activation, Lrn};

impl Backend for Gpu {
    type Buf = wgpu::Buffer;
    type Idx = wgpu::Buffer;
    type Snapshot = wgpu::Buffer;

    fn name(&self) -> &'static str {
        "gpu"
    }
    fn alloc(&self, len: usize) -> wgpu::Buffer {
        self.buffer(len)
    }
    fn alloc_act(&self, len: usize) -> wgpu::Buffer {
        self.activation_buffer(len)
    }
    fn alloc_idx(&self, len: usize) -> wgpu::Buffer {
        self.alloc(len)
    }
    fn write(&self, buf: &wgpu::Buffer, data: &[f32]) {
        // Work recorded before this write must see the old contents: it is submitted first.
        if self.is_half(buf) {
            self.write_bytes(buf, &to_half_bytes(data));
        } else {
            self.write_bytes(buf, bytemuck::cast_slice(data));
        }
    }
    fn write_idx(&self, buf: &wgpu::Buffer, data: &[u32]) {
        self.write_bytes(buf, bytemuck::cast_slice(data));
    }
    fn flush(&self) {
        self.submit();
    }
    fn label(&self, layer: &str, phase: &'static str) {
        self.set_label(layer, phase);
    }
    async fn read(&self, buf: &wgpu::Buffer, len: usize) -> Result<Vec<f32>> {
        self.flush();
        // Anything the device rejected since the last read is an error, not a result.
        self.check().await?;
        if self.is_half(buf) {
            let bytes = self.ctx.read_bytes(buf, half_bytes(len)).await?;
            return Ok(from_half_bytes(&bytes, len));
        }
        self.ctx.read_f32(buf, len).await
    }
    fn snapshot(&self, buf: &wgpu::Buffer, len: usize) -> wgpu::Buffer {
        self.flush();
        let size = if self.is_half(buf) { half_bytes(len) } else { (len * 4) as u64 };
        self.staged_from(buf, self.ctx.stage(buf, size))
    }
    async fn read_snapshot(&self, snapshot: wgpu::Buffer, len: usize) -> Result<Vec<f32>> {
        // Whatever was recorded since runs on while this waits.
        self.flush();
        self.check().await?;
        let half = self.take_staged(&snapshot);
        let bytes = self.ctx.read_staged(&snapshot, &format!("{len} values")).await?;
        if half {
            return Ok(from_half_bytes(&bytes, len));
        }
        Ok(bytemuck::cast_slice::<u8, f32>(&bytes).to_vec())
    }
    fn allocated_bytes(&self) -> u64 {
        self.allocated.get()
    }
    fn limits(&self) -> crate::backend::Limits {
        self.model_limits()
    }
    fn fill(&self, buf: &wgpu::Buffer, len: usize, value: f32) {
        let p = EltwiseParams { len: len as u32, value, ..Default::default() };
        self.dispatch("fill", p, &[(2, buf)], Self::groups1d(len));
    }

    fn conv2d_forward(
        &self,
        g: &Window,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        b: Option<&wgpu::Buffer>,
        out: &wgpu::Buffer,
    ) {
        self.conv2d_forward_act(g, x, w, b, out, Activation::Linear);
    }
    fn conv2d_forward_act(
        &self,
        g: &Window,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        b: Option<&wgpu::Buffer>,
        out: &wgpu::Buffer,
        a: Activation,
    ) {
        // The bias and the activation in the GEMM's epilogue: one dispatch (softmax: two).
        let m = (g.n * g.oh * g.ow) as usize;
        self.gemm_act(0, (m, g.oc as usize, (g.kh * g.kw * g.c) as usize), Some(g), (x, w, b, out), a);
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
    fn conv2d_transpose_forward(
        &self,
        g: &Window,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        b: Option<&wgpu::Buffer>,
        out: &wgpu::Buffer,
    ) {
        // conv2d's data gradient (mode 1) of x, with the bias in the GEMM's epilogue.
        let m = (g.n * g.h * g.w) as usize;
        self.gemm(1, (m, g.c as usize, (g.kh * g.kw * g.oc) as usize), Some(g), x, w, b, out);
    }
    fn conv2d_transpose_backward(
        &self,
        g: &Window,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        dout: &wgpu::Buffer,
        dx: Option<&wgpu::Buffer>,
        dw: &wgpu::Buffer,
        db: Option<&wgpu::Buffer>,
    ) {
        // The roles swapped: dout is the adjoint conv's input, x its output gradient.
        if let Some(dx) = dx {
            let m = (g.n * g.oh * g.ow) as usize;
            self.gemm(0, (m, g.oc as usize, (g.kh * g.kw * g.c) as usize), Some(g), dout, w, None, dx);
        }
        let k = (g.n * g.oh * g.ow) as usize;
        self.gemm(2, ((g.kh * g.kw * g.c) as usize, g.oc as usize, k), Some(g), dout, x, None, dw);
        if let Some(db) = db {
            self.channel_sum((g.n * g.h * g.w) as usize, g.c as usize, dout, db);
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
            "forward",
            DepthwiseParams::window(len, g, b.is_some()),
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
                "backward_data",
                DepthwiseParams::window(len, g, false),
                &[(1, dout), (2, w), (4, dx)],
                Self::groups1d(len),
            );
        }
        let klen = (g.kh * g.kw * g.c) as usize;
        self.dispatch(
            "backward_filter",
            DepthwiseParams::window(klen, g, false),
            &[(1, x), (4, dw), (5, dout)],
            Self::groups1d(klen),
        );
        if let Some(db) = db {
            self.channel_sum((g.n * g.oh * g.ow) as usize, g.c as usize, dout, db);
        }
    }

    fn upsample_forward(&self, g: &Upsample, x: &wgpu::Buffer, out: &wgpu::Buffer) {
        let len = g.output_len();
        self.dispatch("forward", UpsampleParams::of(len, g), &[(1, x), (2, out)], Self::groups1d(len));
    }
    fn upsample_backward(&self, g: &Upsample, dout: &wgpu::Buffer, dx: &wgpu::Buffer) {
        let len = g.input_len();
        self.dispatch("backward", UpsampleParams::of(len, g), &[(1, dout), (2, dx)], Self::groups1d(len));
    }

    fn max_pool_forward(&self, g: &Window, x: &wgpu::Buffer, out: &wgpu::Buffer, argmax: &wgpu::Buffer) {
        let len = g.output_len();
        self.dispatch("max_forward", PoolParams::window(len, g), &[(1, x), (2, out), (3, argmax)], Self::groups1d(len));
    }
    fn max_pool_backward(&self, g: &Window, dout: &wgpu::Buffer, argmax: &wgpu::Buffer, dx: &wgpu::Buffer) {
        if g.sh == g.kh && g.sw == g.kw && g.pad_top == 0 && g.pad_left == 0 {
            // The windows tile the input: one invocation per output scatters its window.
            let len = g.output_len();
            let p = PoolParams::window(len, g);
            self.dispatch("max_backward_tiles", p, &[(1, dout), (2, dx), (3, argmax)], Self::groups1d(len));
            return;
        }
        let len = g.input_len();
        self.dispatch(
            "max_backward",
            PoolParams::window(len, g),
            &[(1, dout), (2, dx), (3, argmax)],
            Self::groups1d(len),
        );
    }
    fn avg_pool_forward(&self, g: &Window, x: &wgpu::Buffer, out: &wgpu::Buffer) {
        let len = g.output_len();
        self.dispatch("avg_forward", PoolParams::window(len, g), &[(1, x), (2, out)], Self::groups1d(len));
    }
    fn avg_pool_backward(&self, g: &Window, dout: &wgpu::Buffer, dx: &wgpu::Buffer) {
        let len = g.input_len();
        self.dispatch("avg_backward", PoolParams::window(len, g), &[(1, dout), (2, dx)], Self::groups1d(len));
    }
    fn global_avg_pool_forward(&self, n: usize, hw: usize, c: usize, x: &wgpu::Buffer, out: &wgpu::Buffer) {
        let len = n * c;
        self.dispatch("gap_forward", PoolParams::global(len, n, hw, c), &[(1, x), (2, out)], Self::groups1d(len));
    }
    fn global_avg_pool_backward(&self, n: usize, hw: usize, c: usize, dout: &wgpu::Buffer, dx: &wgpu::Buffer) {
        let len = n * hw * c;
        let p = PoolParams::global(len, n, hw, c);
        self.dispatch("gap_backward", p, &[(1, dout), (2, dx)], Self::groups1d(len));
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
    fn dense_forward_act(
        &self,
        n: usize,
        k: usize,
        m: usize,
        x: &wgpu::Buffer,
        w: &wgpu::Buffer,
        b: Option<&wgpu::Buffer>,
        out: &wgpu::Buffer,
        a: Activation,
    ) {
        self.gemm_act(3, (n, m, k), None, (x, w, b, out), a);
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
        let (act, alpha) = act_code(a);
        let p = EltwiseParams { len: len as u32, act, c: channels as u32, alpha, ..Default::default() };
        match a {
            Activation::Linear => {}
            Activation::Softmax => {
                self.dispatch("softmax_forward", p, &[(2, y)], Self::groups1d(len / channels.max(1)));
            }
            _ => self.dispatch("act_forward", p, &[(2, y)], Self::groups1d(len)),
        }
    }
    fn activation_backward(&self, a: Activation, channels: usize, len: usize, y: &wgpu::Buffer, dy: &wgpu::Buffer) {
        let (act, alpha) = act_code(a);
        let p = EltwiseParams { len: len as u32, act, c: channels as u32, alpha, ..Default::default() };
        match a {
            Activation::Linear => {}
            Activation::Softmax => {
                self.dispatch("softmax_backward", p, &[(1, y), (2, dy)], Self::groups1d(len / channels.max(1)));
            }
            // 1,024 values per workgroup (eltwise.wgsl).
            _ => self.dispatch("act_backward", p, &[(1, y), (2, dy)], (len as u64).div_ceil(1024)),
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
        let p = BatchnormParams { rows: d.rows as u32, c: d.c as u32, eps: d.eps, momentum: d.momentum };
        self.dispatch("bn_stats", p, &[(1, x), (6, saved), (7, rm), (8, rv)], d.c as u64);
        self.dispatch(
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
        let p = BatchnormParams { rows: d.rows as u32, c: d.c as u32, eps: d.eps, momentum: d.momentum };
        let saved = self.scratch(2 * d.c);
        self.dispatch("bn_infer_stats", p, &[(6, &saved), (7, rm), (8, rv)], Self::groups1d(d.c));
        self.dispatch(
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
        let p = BatchnormParams { rows: d.rows as u32, c: d.c as u32, eps: d.eps, momentum: d.momentum };
        self.dispatch("bn_grad_reduce", p, &[(1, x), (4, dout), (6, saved), (9, dgamma), (10, dbeta)], d.c as u64);
        self.dispatch(
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
        let p = AugmentParams {
            len: len as u32,
            h: h as u32,
            w: w as u32,
            c: c as u32,
            seed,
            shift: a.shift,
            rotate: a.rotate_deg.to_radians(),
            scale: a.scale,
        };
        self.dispatch("affine", p, &[(1, x), (2, out)], Self::groups1d(len));
    }
    fn dropout_forward(&self, seed: u32, rate: f32, len: usize, x: &wgpu::Buffer, out: &wgpu::Buffer) {
        let p = EltwiseParams { len: len as u32, seed, rate, ..Default::default() };
        self.dispatch("dropout", p, &[(1, x), (2, out)], Self::groups1d(len));
    }
    fn dropout_backward(&self, seed: u32, rate: f32, len: usize, dout: &wgpu::Buffer, dx: &wgpu::Buffer) {
        self.dropout_forward(seed, rate, len, dout, dx);
    }

    fn lrn_forward(&self, c: usize, len: usize, l: &Lrn, x: &wgpu::Buffer, out: &wgpu::Buffer) {
        let p = LrnParams {
            len: len as u32,
            c: c as u32,
            r: l.depth_radius as u32,
            bias: l.bias,
            alpha: l.alpha,
            beta: l.beta,
        };
        self.dispatch("forward", p, &[(1, x), (3, out)], Self::groups1d(len));
    }
    fn lrn_backward(&self, c: usize, len: usize, l: &Lrn, x: &wgpu::Buffer, dout: &wgpu::Buffer, dx: &wgpu::Buffer) {
        let p = LrnParams {
            len: len as u32,
            c: c as u32,
            r: l.depth_radius as u32,
            bias: l.bias,
            alpha: l.alpha,
            beta: l.beta,
        };
        self.dispatch("backward", p, &[(1, x), (2, dout), (3, dx)], Self::groups1d(len));
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
        // 256 rows per workgroup, up to LOSS_GROUPS of them; with more than one, each writes its
        // partial sums after metrics[0..2] and `loss_total` adds them up.
        let groups = n.div_ceil(256).clamp(1, crate::backend::ops::LOSS_GROUPS);
        let p = LossParams { n: n as u32, k: k as u32, groups: groups as u32 };
        let bindings = [(1, logits), (2, labels), (3, dlogits), (4, metrics)];
        self.dispatch("softmax_xent", p, &bindings, groups as u64);
        if groups > 1 {
            self.dispatch("loss_total", p, &[(4, metrics)], 1);
        }
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
            OptimStep::Sgd { lr, momentum, nesterov, weight_decay } => OptimParams {
                len: len as u32,
                kind: 0,
                lr,
                momentum,
                nesterov: nesterov as u32,
                weight_decay,
                ..Default::default()
            },
            OptimStep::Adam { lr, beta1, beta2, eps, t, weight_decay, decoupled } => OptimParams {
                len: len as u32,
                kind: 1,
                lr,
                weight_decay,
                beta1,
                beta2,
                eps,
                bc1: 1.0 - beta1.powi(t as i32),
                bc2: 1.0 - beta2.powi(t as i32),
                decoupled: decoupled as u32,
                ..Default::default()
            },
        };
        self.dispatch("step", p, &[(1, g), (2, w), (3, m), (4, v)], Self::groups1d(len));
    }

    fn copy(&self, src: &wgpu::Buffer, dst: &wgpu::Buffer, len: usize) {
        if src == dst {
            return;
        }
        // A kernel rather than copy_buffer_to_buffer, so the step's compute pass stays open.
        let p = EltwiseParams { len: len as u32, ..Default::default() };
        self.dispatch("copy", p, &[(1, src), (2, dst)], Self::groups1d(len));
    }

    fn add_into(&self, dst: &wgpu::Buffer, src: &wgpu::Buffer, len: usize) {
        let p = EltwiseParams { len: len as u32, ..Default::default() };
        self.dispatch("add_into", p, &[(1, src), (2, dst)], Self::groups1d(len));
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
        // The part has c_part channels per row; the whole (`hw` here) has c_total.
        let p = EltwiseParams {
            len: len as u32,
            c: c_part as u32,
            hw: c_total as u32,
            offset: offset as u32,
            ..Default::default()
        };
        if split {
            self.dispatch("split_part", p, &[(1, out), (2, part)], Self::groups1d(len));
        } else {
            self.dispatch("concat_part", p, &[(1, part), (2, out)], Self::groups1d(len));
        }
    }
    fn scale_channels(&self, n: usize, hw: usize, c: usize, x: &wgpu::Buffer, s: &wgpu::Buffer, out: &wgpu::Buffer) {
        let len = n * hw * c;
        let p = EltwiseParams { len: len as u32, c: c as u32, hw: hw as u32, ..Default::default() };
        self.dispatch("scale_channels", p, &[(1, x), (2, out), (3, s)], Self::groups1d(len));
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
        let p = EltwiseParams { len: len as u32, c: c as u32, hw: hw as u32, ..Default::default() };
        self.dispatch("scale_channels", p, &[(1, dy), (2, dx), (3, s)], Self::groups1d(len));
        let p2 = EltwiseParams { len: (n * c) as u32, ..p };
        self.dispatch("scale_grad", p2, &[(1, x), (2, ds), (4, dy)], Self::groups1d(n * c));
    }
}
