//! The `Backend` trait: every op a layer needs, on buffers the backend owns.
//!
//! Buffers are flat f32 (or u32) arrays with the layouts of the CPU reference:
//! NHWC activations, HWIO conv kernels, [in, out] dense weights. Ops are
//! *recorded*: on the GPU they go into the current command encoder and run when
//! `flush` submits it (a whole training step becomes one submission); on the CPU
//! they run at once. Only `read` waits, and it is async on both.
//!
//! Parameter gradients are overwritten, not accumulated: each parameter is used
//! once per step.

use crate::backend::geom::{Upsample, Window};
use crate::error::Result;
use crate::spec::Activation;

/// Batch-norm settings for one call: channels and rows (n·h·w), epsilon, momentum.
#[derive(Clone, Copy, Debug)]
pub struct BnDims {
    pub c: usize,
    pub rows: usize,
    pub eps: f32,
    pub momentum: f32,
}

/// Adam / AdamW / SGD hyper-parameters for one step (the schedule is computed on the host).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptimStep {
    /// Keras SGD: v = momentum·v − lr·g; w += v (Nesterov: w += momentum·v − lr·g).
    Sgd { lr: f32, momentum: f32, nesterov: bool, weight_decay: f32 },
    /// Adam with bias correction (t from 1). `decoupled`: AdamW (w −= lr·wd·w), else L2 (g += wd·w).
    Adam { lr: f32, beta1: f32, beta2: f32, eps: f32, t: u32, weight_decay: f32, decoupled: bool },
}

/// Workgroups the GPU's loss kernel spreads a batch's rows over, at most (shaders/loss.wgsl).
pub const LOSS_GROUPS: usize = 64;
/// A model's metrics buffer: (Σ loss, correct count), then a partial pair per loss workgroup.
pub const METRICS_LEN: usize = 2 + 2 * LOSS_GROUPS;

pub trait Backend: 'static {
    type Buf: Clone;
    type Idx: Clone;
    /// Values set aside by [`Backend::snapshot`]: the values themselves on the CPU, a copy the
    /// CPU can map on the GPU.
    type Snapshot;

    fn name(&self) -> &'static str;
    /// A zeroed f32 buffer of `len` values (len ≥ 1).
    fn alloc(&self, len: usize) -> Self::Buf;
    /// A zeroed buffer for `len` activations: the input batch or a layer's output, kept for the
    /// backward pass. A GPU model with f16 activations stores these as f16 (its kernels read
    /// them as f32); elsewhere this is `alloc`. Reads and writes take f32 either way.
    fn alloc_act(&self, len: usize) -> Self::Buf {
        self.alloc(len)
    }
    fn alloc_idx(&self, len: usize) -> Self::Idx;
    fn write(&self, buf: &Self::Buf, data: &[f32]);
    fn write_idx(&self, buf: &Self::Idx, data: &[u32]);
    /// Runs (submits) everything recorded so far.
    fn flush(&self);
    /// Names the layer and phase the following ops work for (the GPU profiler's rows).
    fn label(&self, _layer: &str, _phase: &'static str) {}
    /// The first `len` values, after all recorded work.
    fn read(&self, buf: &Self::Buf, len: usize) -> impl std::future::Future<Output = Result<Vec<f32>>>;
    /// A read in two halves: sets the first `len` values aside as they will be after the work
    /// recorded so far (submitting it), without waiting for it. [`Backend::read_snapshot`]
    /// then waits for that work only, not for any recorded after this call, so a device need
    /// not run dry while a result comes back.
    fn snapshot(&self, buf: &Self::Buf, len: usize) -> Self::Snapshot;
    /// The values `snapshot` set aside (`len` of them).
    fn read_snapshot(
        &self,
        snapshot: Self::Snapshot,
        len: usize,
    ) -> impl std::future::Future<Output = Result<Vec<f32>>>;
    /// Bytes held in buffers allocated so far (for the memory report).
    fn allocated_bytes(&self) -> u64;
    /// What a model on this backend may allocate (checked before building it).
    fn limits(&self) -> crate::backend::Limits;

    fn fill(&self, buf: &Self::Buf, len: usize, value: f32);

    fn conv2d_forward(&self, g: &Window, x: &Self::Buf, w: &Self::Buf, b: Option<&Self::Buf>, out: &Self::Buf);
    /// `conv2d_forward` and then the activation `a` over its output (channels `g.oc`): a conv
    /// layer's whole forward pass as one op, so a backend may apply `a` as it writes the output
    /// (the GPU does, in the GEMM's epilogue: one dispatch instead of two). The default runs
    /// the two ops one after the other; any activation is allowed, softmax included.
    fn conv2d_forward_act(
        &self,
        g: &Window,
        x: &Self::Buf,
        w: &Self::Buf,
        b: Option<&Self::Buf>,
        out: &Self::Buf,
        a: Activation,
    ) {
        self.conv2d_forward(g, x, w, b, out);
        self.activation_forward(a, g.oc as usize, g.output_len(), out);
    }
    /// dx (if wanted), dw and db (if any) from dout.
    fn conv2d_backward(
        &self,
        g: &Window,
        x: &Self::Buf,
        w: &Self::Buf,
        dout: &Self::Buf,
        dx: Option<&Self::Buf>,
        dw: &Self::Buf,
        db: Option<&Self::Buf>,
    );
    /// Transposed conv2d (Keras Conv2DTranspose), `g` the window of its adjoint conv2d: g's
    /// input [n, h, w, c] is this op's output (c = filters), g's output [n, oh, ow, oc] its input
    /// x; w [kh, kw, c, oc] as Keras stores it. out = conv2d's data gradient of x, plus b [c].
    fn conv2d_transpose_forward(
        &self,
        g: &Window,
        x: &Self::Buf,
        w: &Self::Buf,
        b: Option<&Self::Buf>,
        out: &Self::Buf,
    );
    /// dx (if wanted) = conv2d forward of dout; dw = conv2d's filter gradient with dout as its
    /// input and x as its output gradient; db = Σ dout per channel.
    fn conv2d_transpose_backward(
        &self,
        g: &Window,
        x: &Self::Buf,
        w: &Self::Buf,
        dout: &Self::Buf,
        dx: Option<&Self::Buf>,
        dw: &Self::Buf,
        db: Option<&Self::Buf>,
    );
    fn depthwise_forward(&self, g: &Window, x: &Self::Buf, w: &Self::Buf, b: Option<&Self::Buf>, out: &Self::Buf);
    fn depthwise_backward(
        &self,
        g: &Window,
        x: &Self::Buf,
        w: &Self::Buf,
        dout: &Self::Buf,
        dx: Option<&Self::Buf>,
        dw: &Self::Buf,
        db: Option<&Self::Buf>,
    );

    /// Up-sampling, nearest or bilinear: x [n, h, w, c] → out [n, h·sh, w·sw, c].
    fn upsample_forward(&self, g: &Upsample, x: &Self::Buf, out: &Self::Buf);
    /// dx [n, h, w, c] (overwritten) from dout.
    fn upsample_backward(&self, g: &Upsample, dout: &Self::Buf, dx: &Self::Buf);

    fn max_pool_forward(&self, g: &Window, x: &Self::Buf, out: &Self::Buf, argmax: &Self::Idx);
    fn max_pool_backward(&self, g: &Window, dout: &Self::Buf, argmax: &Self::Idx, dx: &Self::Buf);
    fn avg_pool_forward(&self, g: &Window, x: &Self::Buf, out: &Self::Buf);
    fn avg_pool_backward(&self, g: &Window, dout: &Self::Buf, dx: &Self::Buf);
    fn global_avg_pool_forward(&self, n: usize, hw: usize, c: usize, x: &Self::Buf, out: &Self::Buf);
    fn global_avg_pool_backward(&self, n: usize, hw: usize, c: usize, dout: &Self::Buf, dx: &Self::Buf);

    /// x [n, k] · w [k, m] + b → out [n, m].
    fn dense_forward(
        &self,
        n: usize,
        k: usize,
        m: usize,
        x: &Self::Buf,
        w: &Self::Buf,
        b: Option<&Self::Buf>,
        out: &Self::Buf,
    );
    /// `dense_forward` and then the activation `a` over its output [n, m], as one op (see
    /// `conv2d_forward_act`).
    fn dense_forward_act(
        &self,
        n: usize,
        k: usize,
        m: usize,
        x: &Self::Buf,
        w: &Self::Buf,
        b: Option<&Self::Buf>,
        out: &Self::Buf,
        a: Activation,
    ) {
        self.dense_forward(n, k, m, x, w, b, out);
        self.activation_forward(a, m, n * m, out);
    }
    fn dense_backward(
        &self,
        n: usize,
        k: usize,
        m: usize,
        x: &Self::Buf,
        w: &Self::Buf,
        dout: &Self::Buf,
        dx: Option<&Self::Buf>,
        dw: &Self::Buf,
        db: Option<&Self::Buf>,
    );

    /// In place on the first `len` values; softmax over rows of `channels`.
    fn activation_forward(&self, a: Activation, channels: usize, len: usize, y: &Self::Buf);
    /// dy ← dy · f′ (from the output y), in place.
    fn activation_backward(&self, a: Activation, channels: usize, len: usize, y: &Self::Buf, dy: &Self::Buf);

    /// Training mode; saves mean and 1/std per channel for backward; updates running stats.
    fn batch_norm_train(
        &self,
        d: BnDims,
        x: &Self::Buf,
        gamma: &Self::Buf,
        beta: &Self::Buf,
        running_mean: &Self::Buf,
        running_var: &Self::Buf,
        saved: &Self::Buf,
        out: &Self::Buf,
    );
    fn batch_norm_infer(
        &self,
        d: BnDims,
        x: &Self::Buf,
        gamma: &Self::Buf,
        beta: &Self::Buf,
        running_mean: &Self::Buf,
        running_var: &Self::Buf,
        out: &Self::Buf,
    );
    fn batch_norm_backward(
        &self,
        d: BnDims,
        x: &Self::Buf,
        gamma: &Self::Buf,
        saved: &Self::Buf,
        dout: &Self::Buf,
        dx: &Self::Buf,
        dgamma: &Self::Buf,
        dbeta: &Self::Buf,
    );

    /// Inverted dropout with the counter-based mask of (seed, index).
    /// Random affine augmentation of n maps [h, w, c] (shift, rotation, scale per
    /// instance from the seed), bilinear, zeros outside. `x` and `out` must differ.
    fn augment(
        &self,
        a: &crate::backend::cpu::augment::Augment,
        seed: u32,
        n: usize,
        h: usize,
        w: usize,
        c: usize,
        x: &Self::Buf,
        out: &Self::Buf,
    );
    fn dropout_forward(&self, seed: u32, rate: f32, len: usize, x: &Self::Buf, out: &Self::Buf);
    fn dropout_backward(&self, seed: u32, rate: f32, len: usize, dout: &Self::Buf, dx: &Self::Buf);

    fn lrn_forward(&self, c: usize, len: usize, p: &crate::spec::Lrn, x: &Self::Buf, out: &Self::Buf);
    fn lrn_backward(&self, c: usize, len: usize, p: &crate::spec::Lrn, x: &Self::Buf, dout: &Self::Buf, dx: &Self::Buf);

    /// Softmax cross-entropy over logits [n, k] with labels [n]; writes dlogits and adds
    /// (Σ loss, correct count) to metrics[0], metrics[1]. `metrics` holds [`METRICS_LEN`]
    /// values: past the first two, room for a partial sum per workgroup (the GPU's rows
    /// are spread over up to [`LOSS_GROUPS`] workgroups).
    fn softmax_xent(
        &self,
        n: usize,
        k: usize,
        logits: &Self::Buf,
        labels: &Self::Idx,
        dlogits: &Self::Buf,
        metrics: &Self::Buf,
    );

    fn optim_step(&self, step: OptimStep, len: usize, w: &Self::Buf, g: &Self::Buf, m: &Self::Buf, v: &Self::Buf);

    fn copy(&self, src: &Self::Buf, dst: &Self::Buf, len: usize);

    /// dst += src (residual add; summing gradients). dst and src are different buffers.
    fn add_into(&self, dst: &Self::Buf, src: &Self::Buf, len: usize);
    /// Copies part [rows, c_part] into out [rows, c_total] at channel `offset` (concat), or,
    /// with `split`, the other way (the gradient of concat).
    fn concat_part(
        &self,
        split: bool,
        rows: usize,
        c_part: usize,
        c_total: usize,
        offset: usize,
        part: &Self::Buf,
        out: &Self::Buf,
    );
    /// out[b, p, c] = x[b, p, c] · s[b, c]   (squeeze-and-excitation).
    fn scale_channels(&self, n: usize, hw: usize, c: usize, x: &Self::Buf, s: &Self::Buf, out: &Self::Buf);
    /// dx = dy · s; ds[b, c] = Σ_p dy · x.
    fn scale_channels_backward(
        &self,
        n: usize,
        hw: usize,
        c: usize,
        x: &Self::Buf,
        s: &Self::Buf,
        dy: &Self::Buf,
        dx: &Self::Buf,
        ds: &Self::Buf,
    );
}
