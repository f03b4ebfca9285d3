//! conv2d, depthwise conv2d, separable conv2d (depthwise then a 1×1 conv) and transposed conv2d.

use super::{init_kernel, param, Op, Param, Pass};
use crate::backend::cpu::rng::Stream;
use crate::backend::geom::Window;
use crate::backend::ops::Backend;
use crate::error::{Error, Result};
use crate::spec::{Activation, Init, Padding};

/// A conv2d (or depthwise) with optional bias and a fused activation.
pub struct Conv {
    pub depthwise: bool,
    pub c: usize,
    pub hw: (usize, usize),
    pub oc: usize,
    pub kernel: (usize, usize),
    pub strides: (usize, usize),
    pub padding: Padding,
    pub activation: Activation,
    pub w: usize,
    pub b: Option<usize>,
    pub out_len: usize,
}

impl Conv {
    pub fn new<B: Backend>(
        be: &B,
        params: &mut Vec<Param<B>>,
        stream: &mut Stream,
        name: &str,
        depthwise: bool,
        (h, w, c): (usize, usize, usize),
        oc: usize,
        kernel: (usize, usize),
        strides: (usize, usize),
        padding: Padding,
        activation: Activation,
        use_bias: bool,
        out_len: usize,
        init: Init,
    ) -> Conv {
        let (kh, kw) = kernel;
        let (len, fan_in, fan_out) =
            if depthwise { (kh * kw * c, kh * kw * c, kh * kw) } else { (kh * kw * c * oc, kh * kw * c, kh * kw * oc) };
        let shape = if depthwise { vec![kh, kw, c] } else { vec![kh, kw, c, oc] };
        let wi =
            param(be, params, format!("{name}/kernel"), shape, &init_kernel(stream, init, len, fan_in, fan_out), true);
        let bi = use_bias.then(|| param(be, params, format!("{name}/bias"), vec![oc], &vec![0.0; oc], true));
        Conv { depthwise, c, hw: (h, w), oc, kernel, strides, padding, activation, w: wi, b: bi, out_len }
    }

    fn window(&self, n: usize) -> Result<Window> {
        Window::new(
            if self.depthwise { "depthwise_conv2d" } else { "conv2d" },
            n,
            (self.hw.0, self.hw.1, self.c),
            self.oc,
            self.kernel,
            self.strides,
            self.padding,
        )
    }
}

impl<B: Backend> Op<B> for Conv {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        let g = self.window(p.n)?;
        let b = self.b.map(|i| p.value(i));
        if self.depthwise {
            p.be.depthwise_forward(&g, x, p.value(self.w), b, out);
            p.be.activation_forward(self.activation, self.oc, p.n * self.out_len, out);
        } else {
            // One op: the GPU applies the activation in the product's epilogue.
            p.be.conv2d_forward_act(&g, x, p.value(self.w), b, out, self.activation);
        }
        Ok(())
    }

    fn backward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        let g = self.window(p.n)?;
        p.be.activation_backward(self.activation, self.oc, p.n * self.out_len, out, dout);
        let db = self.b.map(|i| p.grad(i)).transpose()?;
        let dw = p.grad(self.w)?;
        if self.depthwise {
            p.be.depthwise_backward(&g, x, p.value(self.w), dout, dx, dw, db);
        } else {
            p.be.conv2d_backward(&g, x, p.value(self.w), dout, dx, dw, db);
        }
        Ok(())
    }
}

/// Keras SeparableConv2D: depthwise k×k (no bias) into a buffer, then a 1×1 conv.
pub struct Separable<B: Backend> {
    pub depthwise: Conv,
    pub pointwise: Conv,
    pub mid: B::Buf,
    pub dmid: B::Buf,
    pub mid_len: usize,
}

impl<B: Backend> Op<B> for Separable<B> {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        Op::<B>::forward(&mut self.depthwise, p, x, &self.mid)?;
        Op::<B>::forward(&mut self.pointwise, p, &self.mid, out)
    }
    fn backward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        Op::<B>::backward(&mut self.pointwise, p, &self.mid, out, dout, Some(&self.dmid))?;
        Op::<B>::backward(&mut self.depthwise, p, x, &self.mid, &self.dmid, dx)
    }
    fn workspace_bytes(&self) -> u64 {
        8 * self.mid_len as u64
    }
}

/// Keras Conv2DTranspose with optional bias and a fused activation: the adjoint of the conv2d
/// that maps its output (`out_hw` × filters) back onto its input (`hwc`). Kernel
/// [kh, kw, filters, in_channels], bias [filters], as Keras stores them.
pub struct ConvTranspose {
    pub hwc: (usize, usize, usize),
    pub out_hw: (usize, usize),
    pub filters: usize,
    pub kernel: (usize, usize),
    pub strides: (usize, usize),
    pub padding: Padding,
    pub activation: Activation,
    pub w: usize,
    pub b: Option<usize>,
    pub out_len: usize,
}

impl ConvTranspose {
    #[allow(clippy::too_many_arguments)]
    pub fn new<B: Backend>(
        be: &B,
        params: &mut Vec<Param<B>>,
        stream: &mut Stream,
        name: &str,
        hwc: (usize, usize, usize),
        (out_hw, filters): ((usize, usize), usize),
        spec: &crate::spec::Conv2dTranspose,
        activation: Activation,
    ) -> ConvTranspose {
        let ((kh, kw), c) = (spec.kernel, hwc.2);
        // Keras's fans for the kernel shape [kh, kw, filters, in]: in = kh·kw·filters, out = kh·kw·in.
        let init = init_kernel(stream, spec.init, kh * kw * filters * c, kh * kw * filters, kh * kw * c);
        let w = param(be, params, format!("{name}/kernel"), vec![kh, kw, filters, c], &init, true);
        let b =
            spec.use_bias.then(|| param(be, params, format!("{name}/bias"), vec![filters], &vec![0.0; filters], true));
        let out_len = out_hw.0 * out_hw.1 * filters;
        let (kernel, strides, padding) = (spec.kernel, spec.strides, spec.padding);
        ConvTranspose { hwc, out_hw, filters, kernel, strides, padding, activation, w, b, out_len }
    }

    /// The adjoint conv2d's window: its input is this layer's output, its output this layer's input.
    fn window(&self, n: usize) -> Result<Window> {
        let (h, w, c) = self.hwc;
        let (oh, ow) = self.out_hw;
        let g = Window::new("conv2d_transpose", n, (oh, ow, self.filters), c, self.kernel, self.strides, self.padding)?;
        if (g.oh as usize, g.ow as usize) != (h, w) {
            return Err(Error::Invalid(format!(
                "conv2d_transpose: output {oh}×{ow} does not map back onto the input {h}×{w}; this is a ConvPlay bug, please report it"
            )));
        }
        Ok(g)
    }
}

impl<B: Backend> Op<B> for ConvTranspose {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        let g = self.window(p.n)?;
        p.be.conv2d_transpose_forward(&g, x, p.value(self.w), self.b.map(|i| p.value(i)), out);
        p.be.activation_forward(self.activation, self.filters, p.n * self.out_len, out);
        Ok(())
    }

    fn backward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        let g = self.window(p.n)?;
        p.be.activation_backward(self.activation, self.filters, p.n * self.out_len, out, dout);
        let db = self.b.map(|i| p.grad(i)).transpose()?;
        p.be.conv2d_transpose_backward(&g, x, p.value(self.w), dout, dx, p.grad(self.w)?, db);
        Ok(())
    }
}
