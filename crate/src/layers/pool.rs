//! Max pooling (argmax saved for backward), average pooling, global average pooling, and
//! their opposite, up-sampling (nearest or bilinear).

use super::{Op, Pass};
use crate::backend::geom::{Upsample, Window};
use crate::backend::ops::Backend;
use crate::error::Result;
use crate::spec::Pool2d;

pub struct Pool<B: Backend> {
    pub max: bool,
    pub hwc: (usize, usize, usize),
    pub spec: Pool2d,
    /// Max pooling: the winning input index per output, [batch, out].
    pub argmax: Option<B::Idx>,
    pub out_len: usize,
}

impl<B: Backend> Pool<B> {
    fn window(&self, n: usize) -> Result<Window> {
        Window::new(
            if self.max { "max_pool2d" } else { "avg_pool2d" },
            n,
            self.hwc,
            self.hwc.2,
            self.spec.pool,
            self.spec.strides,
            self.spec.padding,
        )
    }
}

impl<B: Backend> Op<B> for Pool<B> {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        let g = self.window(p.n)?;
        match &self.argmax {
            Some(a) => p.be.max_pool_forward(&g, x, out, a),
            None => p.be.avg_pool_forward(&g, x, out),
        }
        Ok(())
    }
    fn backward(&mut self, p: &Pass<B>, _x: &B::Buf, _out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        let Some(dx) = dx else { return Ok(()) };
        let g = self.window(p.n)?;
        match &self.argmax {
            Some(a) => p.be.max_pool_backward(&g, dout, a, dx),
            None => p.be.avg_pool_backward(&g, dout, dx),
        }
        Ok(())
    }
    fn workspace_bytes(&self) -> u64 {
        if self.argmax.is_some() {
            4 * self.out_len as u64
        } else {
            0
        }
    }
}

pub struct GlobalAvgPool {
    pub hw: usize,
    pub c: usize,
}

impl<B: Backend> Op<B> for GlobalAvgPool {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        p.be.global_avg_pool_forward(p.n, self.hw, self.c, x, out);
        Ok(())
    }
    fn backward(&mut self, p: &Pass<B>, _x: &B::Buf, _out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        if let Some(dx) = dx {
            p.be.global_avg_pool_backward(p.n, self.hw, self.c, dout, dx);
        }
        Ok(())
    }
}

/// Keras UpSampling2D: height and width multiplied by `size`; no parameters.
pub struct UpSample {
    pub hwc: (usize, usize, usize),
    pub size: (usize, usize),
    pub bilinear: bool,
}

impl<B: Backend> Op<B> for UpSample {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        p.be.upsample_forward(&Upsample::new(p.n, self.hwc, self.size, self.bilinear)?, x, out);
        Ok(())
    }
    fn backward(&mut self, p: &Pass<B>, _x: &B::Buf, _out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        if let Some(dx) = dx {
            p.be.upsample_backward(&Upsample::new(p.n, self.hwc, self.size, self.bilinear)?, dout, dx);
        }
        Ok(())
    }
}
