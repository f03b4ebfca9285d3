//! The uniform parameters of each WGSL kernel family: one `#[repr(C)]` struct per shader
//! file, mirrored field for field by the struct of the same name bound at `@binding(0)` in
//! that file. Every dispatch writes one of these into its slot of the uniform arena.
//!
//! `crate/tests/gpu_params.rs` parses each shader with naga and holds the two sides to the
//! same names, types, byte offsets and size, so a field renamed, retyped or moved on one
//! side only fails a test instead of handing a kernel the wrong number.

use crate::backend::geom::Window;
use crate::spec::Activation;

/// A kernel family's uniform struct, as the Rust side writes it.
pub trait KernelParams: bytemuck::Pod {
    /// The shader file (`shaders/<FILE>.wgsl`) whose entry points read these parameters.
    const FILE: &'static str;
    /// The struct's name in that file (the same as the Rust name).
    const WGSL_STRUCT: &'static str;
    /// Every field in declaration order: name, byte offset (`offset_of!`), scalar type.
    const FIELDS: &'static [(&'static str, usize, &'static str)];
}

/// Declares a params struct (`u32` and `f32` fields only, so `repr(C)` has no padding and
/// matches WGSL's uniform layout) and its `KernelParams` description from one field list.
macro_rules! kernel_params {
    ($(#[$doc:meta])* $name:ident in $file:literal {
        $($(#[$fdoc:meta])* $field:ident: $ty:ident),* $(,)?
    }) => {
        $(#[$doc])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
        pub struct $name {
            $($(#[$fdoc])* pub $field: $ty,)*
        }
        impl KernelParams for $name {
            const FILE: &'static str = $file;
            const WGSL_STRUCT: &'static str = stringify!($name);
            const FIELDS: &'static [(&'static str, usize, &'static str)] =
                &[$((stringify!($field), std::mem::offset_of!($name, $field), stringify!($ty))),*];
        }
    };
}

kernel_params! {
    /// shaders/gemm.wgsl: C[m, n] = act(A[m, k] · B[k, n] (+ bias)); the window sizes are read
    /// by the convolution modes (0–2) and zero for the dense ones (3–5).
    GemmParams in "gemm" {
        /// 0 conv forward, 1 conv backward data, 2 conv backward filter,
        /// 3 dense forward, 4 dense backward data, 5 dense backward weight.
        mode: u32, m: u32, n: u32, k: u32,
        /// The batch size (`Window::n`; `n` above is the GEMM's column count).
        nb: u32, h: u32, w: u32, c: u32,
        oh: u32, ow: u32, oc: u32, kh: u32,
        kw: u32, sh: u32, sw: u32, pt: u32,
        pl: u32, has_bias: u32,
        /// Split K: how many partial products (0 or 1: none), each over `kchunk` values of K
        /// (a multiple of the kernel's K tile, 16); `splitk_reduce` adds them up.
        splits: u32, kchunk: u32,
        /// The activation fused into the epilogue, after the bias (`act_code`: 0 none, 1 relu,
        /// 2 relu6, 3 leaky relu with slope `alpha`, 4 sigmoid, 5 tanh; never softmax); a
        /// split product applies it in `splitk_reduce`, once the partials are added.
        act: u32, alpha: f32,
        /// Unused: keep the struct a multiple of 16 bytes.
        pad0: u32, pad1: u32,
    }
}

kernel_params! {
    /// shaders/eltwise.wgsl: activations, dropout, copy, fill, add, concat parts and the
    /// channel scale of squeeze-and-excitation.
    EltwiseParams in "eltwise" {
        /// Elements to touch (softmax: all elements of the rows).
        len: u32,
        /// Activation code (see `act_code`).
        act: u32,
        /// Channels per row (concat: the part's channels).
        c: u32,
        /// Dropout seed.
        seed: u32,
        /// Leaky ReLU slope.
        alpha: f32,
        /// Dropout rate.
        rate: f32,
        /// Fill value.
        value: f32,
        /// Positions per instance (scale_channels); the concat output's channels (concat).
        hw: u32,
        /// Concat: the part's first channel in the output.
        offset: u32,
    }
}

kernel_params! {
    /// shaders/pool.wgsl: max and average pooling (a window) and global average pooling
    /// (h = positions per instance, w = 1).
    PoolParams in "pool" {
        len: u32, n: u32, h: u32, w: u32,
        c: u32, oh: u32, ow: u32, kh: u32,
        kw: u32, sh: u32, sw: u32, pt: u32,
        pl: u32,
    }
}

kernel_params! {
    /// shaders/depthwise.wgsl: depthwise conv2d (channel multiplier 1).
    DepthwiseParams in "depthwise" {
        len: u32, n: u32, h: u32, w: u32,
        c: u32, oh: u32, ow: u32, kh: u32,
        kw: u32, sh: u32, sw: u32, pt: u32,
        pl: u32, has_bias: u32,
    }
}

kernel_params! {
    /// shaders/batchnorm.wgsl: batch normalisation over [rows, c], and the column sum.
    BatchnormParams in "batchnorm" {
        rows: u32, c: u32, eps: f32, momentum: f32,
    }
}

kernel_params! {
    /// shaders/loss.wgsl: softmax cross-entropy over logits [n, k], its rows spread over
    /// `groups` workgroups.
    LossParams in "loss" {
        n: u32, k: u32, groups: u32,
    }
}

kernel_params! {
    /// shaders/optim.wgsl: one optimiser step; `kind` 0 is SGD, 1 Adam/AdamW.
    OptimParams in "optim" {
        len: u32, kind: u32, lr: f32, momentum: f32,
        nesterov: u32, weight_decay: f32, beta1: f32, beta2: f32,
        /// Adam's epsilon and bias corrections 1 − β₁ᵗ, 1 − β₂ᵗ.
        eps: f32, bc1: f32, bc2: f32, decoupled: u32,
    }
}

kernel_params! {
    /// shaders/lrn.wgsl: local response normalisation (TensorFlow's depth_radius `r`).
    LrnParams in "lrn" {
        len: u32, c: u32, r: u32, bias: f32,
        alpha: f32, beta: f32,
    }
}

kernel_params! {
    /// shaders/upsample.wgsl: up-sampling [n, h, w, c] → [n, oh, ow, c] by (sh, sw);
    /// `bilinear` 0 nearest, 1 bilinear.
    UpsampleParams in "upsample" {
        len: u32, n: u32, h: u32, w: u32,
        c: u32, oh: u32, ow: u32, sh: u32,
        sw: u32, bilinear: u32,
    }
}

kernel_params! {
    /// shaders/augment.wgsl: random affine augmentation of [n, h, w, c] (rotate in radians).
    AugmentParams in "augment" {
        len: u32, h: u32, w: u32, c: u32,
        seed: u32, shift: f32, rotate: f32, scale: f32,
    }
}

kernel_params! {
    /// shaders/smoke.wgsl: out = a·x + y over n values.
    SmokeParams in "smoke" {
        n: u32, a: f32,
    }
}

/// The activation code eltwise.wgsl switches on (and the GEMM epilogue, `GemmParams::act`),
/// and the leaky-ReLU slope.
pub fn act_code(a: Activation) -> (u32, f32) {
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

impl GemmParams {
    /// A product of `mode` with sizes (m, n, k), reading the window sizes of `g` if given.
    pub fn new(mode: u32, (m, n, k): (usize, usize, usize), g: Option<&Window>, has_bias: bool) -> GemmParams {
        let g = g.copied().unwrap_or(bytemuck::Zeroable::zeroed());
        GemmParams {
            mode,
            m: m as u32,
            n: n as u32,
            k: k as u32,
            nb: g.n,
            h: g.h,
            w: g.w,
            c: g.c,
            oh: g.oh,
            ow: g.ow,
            oc: g.oc,
            kh: g.kh,
            kw: g.kw,
            sh: g.sh,
            sw: g.sw,
            pt: g.pad_top,
            pl: g.pad_left,
            has_bias: has_bias as u32,
            splits: 1,
            kchunk: k as u32,
            ..Default::default()
        }
    }

    /// How to split K for a product of (m, n, k): (splits, K per split). Split when C's
    /// 64×64 tiles are fewer than `target` workgroups and K is long, each part at least 256
    /// of K and the partials together at most `max_partial` values; (1, k) otherwise.
    pub fn split_k((m, n, k): (usize, usize, usize), target: usize, max_partial: usize) -> (usize, usize) {
        let tiles = m.div_ceil(64).max(1) * n.div_ceil(64).max(1);
        let by_k = k / 256;
        let by_memory = max_partial / (m * n).max(1);
        let want = target.div_ceil(tiles);
        let splits = want.min(by_k).min(by_memory).min(256);
        if splits < 2 {
            return (1, k);
        }
        let chunk = k.div_ceil(splits).next_multiple_of(16);
        (k.div_ceil(chunk), chunk)
    }
}

impl PoolParams {
    /// A window op over `len` invocations (outputs forward, inputs backward).
    pub fn window(len: usize, g: &Window) -> PoolParams {
        PoolParams {
            len: len as u32,
            n: g.n,
            h: g.h,
            w: g.w,
            c: g.c,
            oh: g.oh,
            ow: g.ow,
            kh: g.kh,
            kw: g.kw,
            sh: g.sh,
            sw: g.sw,
            pt: g.pad_top,
            pl: g.pad_left,
        }
    }

    /// Global average pooling of [n, hw, c] over `len` invocations.
    pub fn global(len: usize, n: usize, hw: usize, c: usize) -> PoolParams {
        PoolParams { len: len as u32, n: n as u32, h: hw as u32, w: 1, c: c as u32, ..Default::default() }
    }
}

impl UpsampleParams {
    /// The up-sampling over `len` invocations (outputs forward, inputs backward).
    pub fn of(len: usize, g: &crate::backend::geom::Upsample) -> UpsampleParams {
        UpsampleParams {
            len: len as u32,
            n: g.n,
            h: g.h,
            w: g.w,
            c: g.c,
            oh: g.oh() as u32,
            ow: g.ow() as u32,
            sh: g.sh,
            sw: g.sw,
            bilinear: g.bilinear as u32,
        }
    }
}

impl DepthwiseParams {
    /// The depthwise window over `len` invocations (outputs, inputs or kernel values).
    pub fn window(len: usize, g: &Window, has_bias: bool) -> DepthwiseParams {
        DepthwiseParams {
            len: len as u32,
            n: g.n,
            h: g.h,
            w: g.w,
            c: g.c,
            oh: g.oh,
            ow: g.ow,
            kh: g.kh,
            kw: g.kw,
            sh: g.sh,
            sw: g.sw,
            pt: g.pad_top,
            pl: g.pad_left,
            has_bias: has_bias as u32,
        }
    }
}
