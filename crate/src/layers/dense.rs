//! The dense layer: x [n, k] · w [k, m] + b, with a fused activation.

use super::{init_kernel, param, Op, Param, Pass};
use crate::backend::cpu::rng::Stream;
use crate::backend::ops::Backend;
use crate::error::Result;
use crate::spec::{Activation, Init};

pub struct Dense {
    pub k: usize,
    pub m: usize,
    pub activation: Activation,
    pub w: usize,
    pub b: Option<usize>,
}

impl Dense {
    pub fn new<B: Backend>(
        be: &B,
        params: &mut Vec<Param<B>>,
        stream: &mut Stream,
        name: &str,
        k: usize,
        m: usize,
        activation: Activation,
        use_bias: bool,
        init: Init,
    ) -> Dense {
        let w = param(be, params, format!("{name}/kernel"), vec![k, m], &init_kernel(stream, init, k * m, k, m), true);
        let b = use_bias.then(|| param(be, params, format!("{name}/bias"), vec![m], &vec![0.0; m], true));
        Dense { k, m, activation, w, b }
    }
}

impl<B: Backend> Op<B> for Dense {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        // One op: the GPU applies the activation in the product's epilogue.
        let b = self.b.map(|i| p.value(i));
        p.be.dense_forward_act(p.n, self.k, self.m, x, p.value(self.w), b, out, self.activation);
        Ok(())
    }
    fn backward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        p.be.activation_backward(self.activation, self.m, p.n * self.m, out, dout);
        p.be.dense_backward(
            p.n,
            self.k,
            self.m,
            x,
            p.value(self.w),
            dout,
            dx,
            p.grad(self.w)?,
            self.b.map(|i| p.grad(i)).transpose()?,
        );
        Ok(())
    }
}
