//! Blocks: a sequence of layers, the residual block, parallel branches concatenated
//! on channels (inception), and squeeze-and-excitation.

use super::{conv::Conv, dense::Dense, Node, Op, Pass};
use crate::backend::ops::Backend;
use crate::error::Result;
use crate::spec::Activation;

/// Layers run one after another. Backward passes the gradient through two buffers
/// of the largest output, used in turn (layer i reads one and writes the other).
pub struct Sequence<B: Backend> {
    pub nodes: Vec<Node<B>>,
    pub grads: [B::Buf; 2],
}

impl<B: Backend> Sequence<B> {
    /// The output buffer, or None for an empty sequence (the identity).
    pub fn output(&self) -> Option<&B::Buf> {
        self.nodes.last().map(|n| &n.out)
    }

    pub fn forward(&mut self, p: &Pass<B>, x: &B::Buf) -> Result<()> {
        for i in 0..self.nodes.len() {
            let (before, rest) = self.nodes.split_at_mut(i);
            let input = before.last().map_or(x, |n| &n.out);
            let node = &mut rest[0];
            p.be.label(&node.name, "forward");
            node.op.forward(p, input, &node.out)?;
        }
        Ok(())
    }

    /// `dout` is the gradient of the last output (it may be modified); `dx`, if given,
    /// receives the gradient of `x`. Without `dx`, layers below the lowest one that learns
    /// (frozen layers at the bottom) are skipped.
    pub fn backward(&mut self, p: &Pass<B>, x: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        let count = self.nodes.len();
        let lowest = if dx.is_some() { 0 } else { self.nodes.iter().position(|n| n.learns).unwrap_or(count) };
        for i in (lowest..count).rev() {
            let (before, rest) = self.nodes.split_at_mut(i);
            let d = if i + 1 == count { dout } else { &self.grads[(count - 2 - i) % 2] };
            let (input, dinput) = match before.last() {
                Some(_) if i == lowest && dx.is_none() && lowest > 0 => (&before[i - 1].out, None),
                Some(prev) => (&prev.out, Some(&self.grads[(count - 1 - i) % 2])),
                None => (x, dx),
            };
            let node = &mut rest[0];
            p.be.label(&node.name, "backward");
            node.op.backward(p, input, &node.out, d, dinput)?;
        }
        Ok(())
    }
}

/// out = activation(inner(x) + shortcut(x)); the shortcut is x or a strided 1×1 conv.
pub struct Residual<B: Backend> {
    pub inner: Sequence<B>,
    pub projection: Option<(Conv, B::Buf)>,
    pub activation: Activation,
    pub channels: usize,
    /// Output values per instance.
    pub len: usize,
    pub in_len: usize,
    /// The shortcut's gradient with respect to x, kept while the inner block runs backward.
    pub skip: B::Buf,
}

impl<B: Backend> Op<B> for Residual<B> {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        self.inner.forward(p, x)?;
        let n = p.n * self.len;
        p.be.copy(self.inner.output().unwrap_or(x), out, n);
        match &mut self.projection {
            Some((conv, proj)) => {
                Op::<B>::forward(conv, p, x, proj)?;
                p.be.add_into(out, proj, n);
            }
            None => p.be.add_into(out, x, n),
        }
        p.be.activation_forward(self.activation, self.channels, n, out);
        Ok(())
    }

    fn backward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        let n = p.n * self.len;
        p.be.activation_backward(self.activation, self.channels, n, out, dout);
        match &mut self.projection {
            Some((conv, proj)) => Op::<B>::backward(conv, p, x, proj, dout, dx.map(|_| &self.skip))?,
            None => {
                if dx.is_some() {
                    p.be.copy(dout, &self.skip, n);
                }
            }
        }
        if self.inner.nodes.is_empty() {
            if let Some(dx) = dx {
                p.be.copy(dout, dx, n);
            }
        } else {
            self.inner.backward(p, x, dout, dx)?;
        }
        if let Some(dx) = dx {
            p.be.add_into(dx, &self.skip, p.n * self.in_len);
        }
        Ok(())
    }
    fn inner(&self) -> Vec<&Sequence<B>> {
        vec![&self.inner]
    }
}

/// Parallel branches on the same input, outputs concatenated on channels.
pub struct Concat<B: Backend> {
    pub branches: Vec<Sequence<B>>,
    /// Channels of each branch's output.
    pub channels: Vec<usize>,
    /// Positions per instance (h·w).
    pub positions: usize,
    pub in_len: usize,
    /// Per branch: the slice of the output gradient, then the branch's input gradient.
    pub part_grads: Vec<B::Buf>,
    pub branch_dx: B::Buf,
}

impl<B: Backend> Op<B> for Concat<B> {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        let total: usize = self.channels.iter().sum();
        let mut offset = 0;
        for (b, branch) in self.branches.iter_mut().enumerate() {
            branch.forward(p, x)?;
            let part = branch.output().unwrap_or(x);
            p.be.concat_part(false, p.n * self.positions, self.channels[b], total, offset, part, out);
            offset += self.channels[b];
        }
        Ok(())
    }

    fn backward(&mut self, p: &Pass<B>, x: &B::Buf, _out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        let total: usize = self.channels.iter().sum();
        let rows = p.n * self.positions;
        let mut offset = 0;
        let mut first = true;
        for (b, branch) in self.branches.iter_mut().enumerate() {
            let part = &self.part_grads[b];
            p.be.concat_part(true, rows, self.channels[b], total, offset, part, dout);
            offset += self.channels[b];
            let target = if first { dx } else { Some(&self.branch_dx) };
            if branch.nodes.is_empty() {
                if let Some(t) = target {
                    p.be.copy(part, t, p.n * self.in_len);
                }
            } else {
                branch.backward(p, x, part, target)?;
            }
            if let (false, Some(dx)) = (first, dx) {
                p.be.add_into(dx, &self.branch_dx, p.n * self.in_len);
            }
            first = false;
        }
        Ok(())
    }
    fn inner(&self) -> Vec<&Sequence<B>> {
        self.branches.iter().collect()
    }
}

/// Squeeze-and-excitation: s = sigmoid(dense(relu(dense(mean over positions of x)))); out = x · s.
pub struct SqueezeExcite<B: Backend> {
    pub positions: usize,
    pub c: usize,
    pub hidden: usize,
    pub squeeze: Dense,
    pub excite: Dense,
    /// pooled [n, c], hidden [n, hidden], scales [n, c], and their gradients.
    pub pooled: B::Buf,
    pub hid: B::Buf,
    pub scales: B::Buf,
    pub dpooled: B::Buf,
    pub dhid: B::Buf,
    pub dscales: B::Buf,
    pub dx_pool: B::Buf,
}

impl<B: Backend> Op<B> for SqueezeExcite<B> {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()> {
        p.be.global_avg_pool_forward(p.n, self.positions, self.c, x, &self.pooled);
        Op::<B>::forward(&mut self.squeeze, p, &self.pooled, &self.hid)?;
        Op::<B>::forward(&mut self.excite, p, &self.hid, &self.scales)?;
        p.be.scale_channels(p.n, self.positions, self.c, x, &self.scales, out);
        Ok(())
    }

    fn backward(&mut self, p: &Pass<B>, x: &B::Buf, _out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()> {
        let len = p.n * self.positions * self.c;
        let direct = dx.unwrap_or(&self.dx_pool);
        p.be.scale_channels_backward(p.n, self.positions, self.c, x, &self.scales, dout, direct, &self.dscales);
        Op::<B>::backward(&mut self.excite, p, &self.hid, &self.scales, &self.dscales, Some(&self.dhid))?;
        Op::<B>::backward(&mut self.squeeze, p, &self.pooled, &self.hid, &self.dhid, Some(&self.dpooled))?;
        if let Some(dx) = dx {
            p.be.global_avg_pool_backward(p.n, self.positions, self.c, &self.dpooled, &self.dx_pool);
            p.be.add_into(dx, &self.dx_pool, len);
        }
        Ok(())
    }
}
