//! Geometry of the window ops (conv, depthwise conv, pooling) over NHWC tensors,
//! shared by the CPU reference and the GPU kernels (gpu/params.rs copies it into their uniforms).

use crate::error::{Error, Result};
use crate::spec::{conv_out, padding_before, Padding};

/// Sizes of one 2-D window op. Input x: [n, h, w, c] (NHWC); output: [n, oh, ow, oc].
/// For conv2d, kernel w: [kh, kw, c, oc] (HWIO); for depthwise and pooling oc = c.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Window {
    pub n: u32,
    pub h: u32,
    pub w: u32,
    pub c: u32,
    pub oh: u32,
    pub ow: u32,
    pub oc: u32,
    pub kh: u32,
    pub kw: u32,
    pub sh: u32,
    pub sw: u32,
    /// Zero rows above / columns left of the input ("same": TensorFlow's smaller half).
    pub pad_top: u32,
    pub pad_left: u32,
    pub _pad: [u32; 3],
}

impl Window {
    /// Checks the sizes and computes the output size with TensorFlow's rules.
    pub fn new(
        what: &str,
        n: usize,
        (h, w, c): (usize, usize, usize),
        oc: usize,
        (kh, kw): (usize, usize),
        (sh, sw): (usize, usize),
        padding: Padding,
    ) -> Result<Window> {
        if n == 0 || h == 0 || w == 0 || c == 0 || oc == 0 || kh == 0 || kw == 0 || sh == 0 || sw == 0 {
            return Err(Error::Invalid(format!(
                "{what}: zero-sized dimension in input {n}×{h}×{w}×{c}, kernel {kh}×{kw}, stride {sh}×{sw}, {oc} output channels; every size must be at least 1"
            )));
        }
        let (Some(oh), Some(ow)) = (conv_out(h, kh, sh, padding), conv_out(w, kw, sw, padding)) else {
            return Err(Error::Invalid(format!(
                "{what}: kernel {kh}×{kw} does not fit input {h}×{w} with padding \"valid\"; use padding \"same\" or a smaller kernel"
            )));
        };
        let big = [n, h, w, c, oc, kh, kw, sh, sw].iter().any(|&d| d > u32::MAX as usize);
        if big || n.saturating_mul(h).saturating_mul(w).saturating_mul(c) > u32::MAX as usize {
            return Err(Error::Invalid(format!(
                "{what}: input {n}×{h}×{w}×{c} is too large (over 2^32 elements); use a smaller batch"
            )));
        }
        Ok(Window {
            n: n as u32,
            h: h as u32,
            w: w as u32,
            c: c as u32,
            oh: oh as u32,
            ow: ow as u32,
            oc: oc as u32,
            kh: kh as u32,
            kw: kw as u32,
            sh: sh as u32,
            sw: sw as u32,
            pad_top: padding_before(h, kh, sh, padding) as u32,
            pad_left: padding_before(w, kw, sw, padding) as u32,
            _pad: [0; 3],
        })
    }

    pub fn input_len(&self) -> usize {
        (self.n * self.h * self.w * self.c) as usize
    }
    pub fn output_len(&self) -> usize {
        (self.n * self.oh * self.ow * self.oc) as usize
    }
    /// Input row/column for output position `o` and kernel offset `k`, if inside the input.
    #[inline]
    pub fn in_y(&self, oy: usize, ky: usize) -> Option<usize> {
        (oy * self.sh as usize + ky).checked_sub(self.pad_top as usize).filter(|&y| y < self.h as usize)
    }
    #[inline]
    pub fn in_x(&self, ox: usize, kx: usize) -> Option<usize> {
        (ox * self.sw as usize + kx).checked_sub(self.pad_left as usize).filter(|&x| x < self.w as usize)
    }
}

/// Sizes of one up-sampling: x [n, h, w, c] → out [n, h·sh, w·sw, c], nearest or bilinear
/// (TensorFlow 2's half-pixel centres).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Upsample {
    pub n: u32,
    pub h: u32,
    pub w: u32,
    pub c: u32,
    pub sh: u32,
    pub sw: u32,
    pub bilinear: bool,
}

impl Upsample {
    /// Checks the sizes: each at least 1, and the output at most 2^32 elements (the GPU's u32 indices).
    pub fn new(
        n: usize,
        (h, w, c): (usize, usize, usize),
        (sh, sw): (usize, usize),
        bilinear: bool,
    ) -> Result<Upsample> {
        if [n, h, w, c, sh, sw].contains(&0) {
            return Err(Error::Invalid(format!(
                "up-sampling: zero-sized dimension in input {n}×{h}×{w}×{c} or size {sh}×{sw}; every size must be at least 1"
            )));
        }
        let out = [n, h, w, c, sh, sw].iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64));
        if out.is_none_or(|o| o > u32::MAX as u64) {
            return Err(Error::Invalid(format!(
                "up-sampling: output {n}×{}×{}×{c} is too large (over 2^32 elements); use a smaller batch or size",
                h as u64 * sh as u64,
                w as u64 * sw as u64
            )));
        }
        let u = |d: usize| d as u32;
        Ok(Upsample { n: u(n), h: u(h), w: u(w), c: u(c), sh: u(sh), sw: u(sw), bilinear })
    }
    pub fn oh(&self) -> usize {
        (self.h * self.sh) as usize
    }
    pub fn ow(&self) -> usize {
        (self.w * self.sw) as usize
    }
    pub fn input_len(&self) -> usize {
        (self.n * self.h * self.w * self.c) as usize
    }
    pub fn output_len(&self) -> usize {
        self.n as usize * self.oh() * self.ow() * self.c as usize
    }
}
