//! Batch normalisation (training and inference modes) and local response normalisation.

use super::{param, Op, Param, Pass};
use crate::backend::ops::{Backend, BnDims};
use crate::error::Result;
use crate::spec::{BatchNorm, Lrn};

pub struct Bn<B: Backend> {
    pub c: usize,
    /// Positions per instance (h·w, or 1 after flatten).
    pub per_instance: usize,
    pub spec: BatchNorm,
    pub gamma: usize,
    pub beta: usize,
    pub moving_mean: usize,
    pub moving_var: usize,
    /// Batch mean and 1/std per channel, saved by the training forward.
    pub saved: B::Buf,
    /// When γ or β is not learned, its fixed value (1 or 0) sits here and gets no update.
    pub frozen: Vec<usize>,
    /// Where the gradients of a γ or β that is not learned go (allocated once).
    pub unused_grads: Option<(B::Buf, B::Buf)>,
    /// The input gradient of a first layer, which nobody reads (allocated on need, with its length).
    pub unused_dx: Option<(B::Buf, usize)>,
    /// Zeros per channel, for the inference-mode backward (allocated on need).
    pub zeros: Option<B::Buf>,
    /// Frozen (`"trainable": false`): inference mode even in training — the moving
    /// statistics normalise and are not updated, γ and β get no gradient.
    pub inference: bool,
}

impl<B: Backend> Bn<B> {
    pub fn new(
        be: &B,
        params: &mut Vec<Param<B>>,
        name: &str,
        c: usize,
        per_instance: usize,
        spec: BatchNorm,
    ) -> Bn<B> {
        let gamma = param(be, params, format!("{name}/gamma"), vec![c], &vec![1.0; c], spec.scale);
        let beta = param(be, params, format!("{name}/beta"), vec![c], &vec![0.0; c], spec.center);
        let moving_mean = param(be, params, format!("{name}/moving_mean"), vec![c], &vec![0.0; c], false);
        let moving_var = param(be, params, format!("{name}/moving_variance"), vec![c], &vec![1.0; c], false);
        let mut frozen = vec![];
        if !spec.scale {
            frozen.push(gamma);
        }
        if !spec.center {
            frozen.push(beta);
        }
        let unused_grads = (!frozen.is_empty()).then(|| (be.alloc(c), be.alloc(c)));
        Bn {
            c,
            per_instance,
            spec,
            gamma,
            beta,
            moving_mean,
            moving_var,
            saved: be.alloc(2 * c),
            frozen,
            unused_grads,
            unused_dx: None,
            zeros: None,
            inference: false,
        }
    }
    fn dims(&self, n: usize) -> BnDims {
        BnDims { c: self.c, rows: n * self.per_instance, eps: self.spec.epsilon, momentum: self.spec.momentum }
    }
}

impl<B: Backend> Op<B> for Bn<B> {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        let d = self.dims(p.n);
        let (g, b, rm, rv) =
            (p.value(self.gamma), p.value(self.beta), p.value(self.moving_mean), p.value(self.moving_var));
        if p.train && !self.inference {
            p.be.batch_norm_train(d, x, g, b, rm, rv, &self.saved, out);
        } else {
            p.be.batch_norm_infer(d, x, g, b, rm, rv, out);
        }
        Ok(())
    }
    fn backward(&mut self, p: &Pass<B>, x: &B::Buf, _out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        let d = self.dims(p.n);
        if !p.train || self.inference {
            // Inference mode is a fixed per-channel affine map, so dx = dout · γ / sqrt(var + ε):
            // the inference kernel with a zero mean and a zero β computes exactly that.
            // (Used for saliency and frozen layers; parameters get no gradient here.)
            let Some(dx) = dx else { return Ok(()) };
            let zeros = self.zeros.get_or_insert_with(|| {
                let z = p.be.alloc(self.c);
                p.be.fill(&z, self.c, 0.0);
                z
            });
            p.be.batch_norm_infer(d, dout, p.value(self.gamma), zeros, zeros, p.value(self.moving_var), dx);
            return Ok(());
        }
        // γ and β that are not learned still need somewhere to write their gradient.
        let (dg, db) = match &self.unused_grads {
            None => (p.grad(self.gamma)?, p.grad(self.beta)?),
            Some((g, b)) => (
                if self.spec.scale { p.grad(self.gamma)? } else { g },
                if self.spec.center { p.grad(self.beta)? } else { b },
            ),
        };
        let len = d.c * d.rows;
        if dx.is_none() && self.unused_dx.as_ref().is_none_or(|(_, l)| *l < len) {
            self.unused_dx = Some((p.be.alloc(len), len));
        }
        let dx = match (dx, &self.unused_dx) {
            (Some(d), _) => d,
            (None, Some((b, _))) => b,
            (None, None) => return Ok(()),
        };
        p.be.batch_norm_backward(d, x, p.value(self.gamma), &self.saved, dout, dx, dg, db);
        Ok(())
    }
    fn workspace_bytes(&self) -> u64 {
        8 * self.c as u64
    }
}

pub struct LocalResponseNorm {
    pub c: usize,
    pub spec: Lrn,
    pub len: usize,
}

impl<B: Backend> Op<B> for LocalResponseNorm {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        p.be.lrn_forward(self.c, p.n * self.len, &self.spec, x, out);
        Ok(())
    }
    fn backward(&mut self, p: &Pass<B>, x: &B::Buf, _out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        if let Some(dx) = dx {
            p.be.lrn_backward(self.c, p.n * self.len, &self.spec, x, dout, dx);
        }
        Ok(())
    }
}
