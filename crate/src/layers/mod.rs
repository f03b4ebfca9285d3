//! Layers: each family in its own file. A layer is built from its spec for a
//! maximum batch size; it allocates its output and output-gradient buffers once,
//! owns indices into the model's parameter list, and calls the backend.
//!
//! Forward saves what backward needs (pool argmax, BN batch statistics); backward
//! receives the gradient of the layer's output (which it may modify in place) and
//! writes the gradient of its input and of its parameters.

pub mod block;
pub mod build;
pub mod conv;
pub mod dense;
pub mod norm;
pub mod plan;
pub mod pool;
pub mod simple;

use crate::backend::ops::Backend;
use crate::error::Result;
use crate::spec::Shape;

/// One parameter tensor with its gradient and optimiser state.
pub struct Param<B: Backend> {
    pub name: String,
    /// Keras layout: conv kernel [kh, kw, c_in, c_out], depthwise [kh, kw, c], dense [in, out], vectors [n].
    pub shape: Vec<usize>,
    pub len: usize,
    pub value: B::Buf,
    /// None for non-trainable state (BN's moving mean and variance).
    pub grad: Option<(B::Buf, B::Buf, B::Buf)>,
    /// In a layer marked `"trainable": false`: the optimiser leaves it as it is.
    pub frozen: bool,
}

impl<B: Backend> Param<B> {
    /// Whether the optimiser updates this parameter.
    pub fn learns(&self) -> bool {
        self.grad.is_some() && !self.frozen
    }
}

/// What a layer gets when it runs.
pub struct Pass<'a, B: Backend> {
    pub be: &'a B,
    pub params: &'a [Param<B>],
    /// Instances in this batch (≤ the batch the model was built for).
    pub n: usize,
    pub train: bool,
    /// Per-step seed for dropout masks.
    pub seed: u32,
}

impl<B: Backend> Pass<'_, B> {
    pub fn value(&self, i: usize) -> &B::Buf {
        &self.params[i].value
    }
    /// The gradient buffer of trainable parameter `i`; an error (not a panic) if the
    /// parameter was built frozen, which would be a bug in the layer that asks.
    pub fn grad(&self, i: usize) -> Result<&B::Buf> {
        match self.params.get(i).and_then(|p| p.grad.as_ref()) {
            Some((g, ..)) => Ok(g),
            None => Err(crate::Error::Invalid(format!(
                "parameter {i} has no gradient buffer (it was built frozen); this is a bug in the layer"
            ))),
        }
    }
}

/// A layer's op: what `forward` and `backward` do between input and output.
pub trait Op<B: Backend> {
    fn forward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf) -> Result<()>;
    /// `dx` is None for the first layer (no one needs the input's gradient).
    fn backward(&mut self, p: &Pass<B>, x: &B::Buf, out: &B::Buf, dout: &B::Buf, dx: Option<&B::Buf>) -> Result<()>;
    /// Bytes of extra buffers this op holds (saved statistics, argmax, intermediates).
    fn workspace_bytes(&self) -> u64 {
        0
    }
    /// The sequences inside a block (a residual's layers, a concat's branches), so that a
    /// walk over a built model reaches every layer.
    fn inner(&self) -> Vec<&block::Sequence<B>> {
        Vec::new()
    }
}

pub struct Node<B: Backend> {
    pub name: String,
    pub type_name: &'static str,
    pub input: Shape,
    pub output: Shape,
    pub op: Box<dyn Op<B>>,
    /// [batch, output] values, kept from forward for backward.
    pub out: B::Buf,
    /// Whether the layer holds a parameter the optimiser updates (else, below the lowest
    /// such layer, backward has nothing to do unless the input's gradient is wanted).
    pub learns: bool,
}

/// Allocates a parameter (and, when trainable, its gradient and two state buffers).
pub fn param<B: Backend>(
    be: &B,
    params: &mut Vec<Param<B>>,
    name: String,
    shape: Vec<usize>,
    init: &[f32],
    trainable: bool,
) -> usize {
    debug_assert_eq!(shape.iter().product::<usize>(), init.len());
    let value = be.alloc(init.len());
    be.write(&value, init);
    let grad = trainable.then(|| (be.alloc(init.len()), be.alloc(init.len()), be.alloc(init.len())));
    params.push(Param { name, shape, len: init.len(), value, grad, frozen: false });
    params.len() - 1
}

/// Kernel values as Keras draws them: glorot_uniform U(−l, l) with l = sqrt(6 / (fan_in +
/// fan_out)), or he_uniform with l = sqrt(6 / fan_in).
pub fn init_kernel(
    stream: &mut crate::backend::cpu::rng::Stream,
    init: crate::spec::Init,
    len: usize,
    fan_in: usize,
    fan_out: usize,
) -> Vec<f32> {
    let limit = match init {
        crate::spec::Init::GlorotUniform => (6.0 / (fan_in + fan_out) as f32).sqrt(),
        crate::spec::Init::HeUniform => (6.0 / fan_in as f32).sqrt(),
    };
    (0..len).map(|_| stream.symmetric(limit)).collect()
}
