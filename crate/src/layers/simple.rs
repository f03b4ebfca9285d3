//! Shape-keeping layers without parameters: flatten, a stand-alone activation, dropout.

use super::{Op, Pass};
use crate::backend::ops::Backend;
use crate::error::Result;
use crate::spec::Activation;

/// Flatten: NHWC is already contiguous per instance, so this is a copy.
pub struct Flatten {
    pub len: usize,
}

impl<B: Backend> Op<B> for Flatten {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        p.be.copy(x, out, p.n * self.len);
        Ok(())
    }
    fn backward(&mut self, p: &Pass<B>, _x: &B::Buf, _out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        if let Some(dx) = dx {
            p.be.copy(dout, dx, p.n * self.len);
        }
        Ok(())
    }
}

pub struct Act {
    pub activation: Activation,
    pub channels: usize,
    pub len: usize,
}

impl<B: Backend> Op<B> for Act {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        p.be.copy(x, out, p.n * self.len);
        p.be.activation_forward(self.activation, self.channels, p.n * self.len, out);
        Ok(())
    }
    fn backward(&mut self, p: &Pass<B>, _x: &B::Buf, out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        p.be.activation_backward(self.activation, self.channels, p.n * self.len, out, dout);
        if let Some(dx) = dx {
            p.be.copy(dout, dx, p.n * self.len);
        }
        Ok(())
    }
}

/// Inverted dropout while training (mask from the step's seed), identity at inference.
pub struct Dropout {
    pub rate: f32,
    pub len: usize,
    /// Distinguishes the masks of different dropout layers in one step.
    pub salt: u32,
}

impl<B: Backend> Op<B> for Dropout {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        if p.train && self.rate > 0.0 {
            p.be.dropout_forward(p.seed ^ self.salt, self.rate, p.n * self.len, x, out);
        } else {
            p.be.copy(x, out, p.n * self.len);
        }
        Ok(())
    }
    fn backward(&mut self, p: &Pass<B>, _x: &B::Buf, _out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        if let Some(dx) = dx {
            if p.train && self.rate > 0.0 {
                p.be.dropout_backward(p.seed ^ self.salt, self.rate, p.n * self.len, dout, dx);
            } else {
                p.be.copy(dout, dx, p.n * self.len);
            }
        }
        Ok(())
    }
}
