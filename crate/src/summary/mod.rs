//! The summary: per layer output shape, parameters, multiply-adds, FLOPs and output
//! bytes, and the memory a model needs for one prediction and for a training batch —
//! each figure with the arithmetic that gives it, so a student can check it by hand.
//!
//! Conventions (stated in the page and docs/summary.md):
//! - MACs are multiply-accumulates of convolutions and dense layers.
//! - FLOPs = 2 × MACs, plus one operation per output element for a bias and one for an
//!   activation; pooling, batch norm, adds and activations count their element operations.
//! - Bytes are f32 (4 bytes) unless said; MB = 10^6 bytes, MiB = 2^20 bytes.

mod text;
mod walk;

use crate::spec::{ModelSpec, Shape};
use serde::Serialize;
use walk::Walk;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// Nesting depth: 0 for top-level layers, 1 inside a block, …
    pub depth: usize,
    pub name: String,
    #[serde(rename = "type")]
    pub type_name: &'static str,
    pub output: Shape,
    /// How the output size comes about, e.g. "(28 − 3) / 1 + 1 = 26".
    pub shape_formula: String,
    pub trainable: usize,
    pub non_trainable: usize,
    /// How the parameters add up, e.g. "(3·3·1 + 1)·32".
    pub params_formula: String,
    pub macs: u64,
    pub flops: u64,
    /// Output elements × 4 bytes, for one instance.
    pub output_bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Bytes {
    pub bytes: u64,
    pub mb: f64,
    pub mib: f64,
}

impl Bytes {
    pub fn new(bytes: u64) -> Bytes {
        Bytes { bytes, mb: bytes as f64 / 1e6, mib: bytes as f64 / (1u64 << 20) as f64 }
    }
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Inference {
    pub params: Bytes,
    /// The largest sum of two consecutive outputs alive at once (input counts as an output;
    /// inside a block its input stays alive too).
    pub peak_activations: Bytes,
    /// The two tensors (by layer name) that make the peak.
    pub peak_between: (String, String),
    /// params + peak_activations.
    pub total: Bytes,
    /// For comparison: every output kept (what a naive count gives).
    pub naive_all_outputs: Bytes,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Training {
    pub batch: usize,
    /// Input batch + every layer's output, kept for backprop, × batch, f32.
    pub activations: Bytes,
    pub params: Bytes,
    /// activations + params.
    pub forward_backward: Bytes,
    pub gradients: Bytes,
    pub sgd_momentum_state: Bytes,
    pub adam_state: Bytes,
    /// forward_backward + gradients + optimizer state.
    pub total_sgd_momentum: Bytes,
    pub total_adam: Bytes,
    /// The same with f16 activations (parameters, gradients and state stay f32).
    pub activations_f16: Bytes,
    pub total_adam_f16: Bytes,
    /// What ConvPlay's engine adds on top: two gradient buffers of the largest output
    /// (backward uses them in turn), each × batch, f32.
    pub activation_gradients: Bytes,
    /// Engine workspace: max-pool argmax (4 bytes per pooled output), BN batch statistics,
    /// labels, the loss gradient and metrics.
    pub workspace: Bytes,
    /// total_adam + activation_gradients + workspace: what the engine allocates with Adam.
    pub engine_adam: Bytes,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub name: String,
    pub input: Shape,
    pub rows: Vec<Row>,
    pub params: usize,
    pub trainable: usize,
    pub non_trainable: usize,
    pub macs: u64,
    pub flops: u64,
    pub inference: Inference,
    pub training: Training,
}

/// Summarises a validated spec; the training figures are for a batch of `batch` instances.
pub fn summarize(spec: &ModelSpec, batch: usize) -> Summary {
    let mut walk = Walk {
        rows: Vec::new(),
        all_outputs: 0,
        peak: (0, String::new(), String::new()),
        frozen: false,
        frozen_params: 0,
    };
    let input_elems = spec.input.elements() as u64;
    walk.peak = (input_elems, "input".into(), "input".into());
    walk.sequence(&spec.layers, spec.input, "input", 0, 0);
    let trainable: usize = walk.rows.iter().map(|r| r.trainable).sum();
    let non_trainable: usize = walk.rows.iter().map(|r| r.non_trainable).sum();
    let params = trainable + non_trainable;
    let param_bytes = params as u64 * 4;
    let grad_bytes = trainable as u64 * 4;
    let peak = walk.peak.0 * 4;
    let acts = (input_elems + walk.all_outputs) * batch as u64;
    let fb = acts * 4 + param_bytes;
    let largest = walk.rows.iter().map(|r| r.output.elements() as u64).max().unwrap_or(0);
    let act_grads = 2 * largest * batch as u64 * 4;
    let workspace: u64 = walk
        .rows
        .iter()
        .map(|r| match r.type_name {
            "max_pool2d" => r.output.elements() as u64 * batch as u64 * 4,
            "batch_norm" => 2 * r.output.channels() as u64 * 4,
            _ => 0,
        })
        .sum::<u64>()
        + batch as u64 * 4
        + batch as u64 * 4 * walk.rows.last().map_or(0, |r| r.output.elements() as u64)
        + 8;
    Summary {
        name: spec.name.clone(),
        input: spec.input,
        params,
        trainable,
        non_trainable,
        macs: walk.rows.iter().map(|r| r.macs).sum(),
        flops: walk.rows.iter().map(|r| r.flops).sum(),
        inference: Inference {
            params: Bytes::new(param_bytes),
            peak_activations: Bytes::new(peak),
            peak_between: (walk.peak.1.clone(), walk.peak.2.clone()),
            total: Bytes::new(param_bytes + peak),
            naive_all_outputs: Bytes::new((input_elems + walk.all_outputs) * 4),
        },
        training: Training {
            batch,
            activations: Bytes::new(acts * 4),
            params: Bytes::new(param_bytes),
            forward_backward: Bytes::new(fb),
            gradients: Bytes::new(grad_bytes),
            sgd_momentum_state: Bytes::new(grad_bytes),
            adam_state: Bytes::new(2 * grad_bytes),
            total_sgd_momentum: Bytes::new(fb + 2 * grad_bytes),
            total_adam: Bytes::new(fb + 3 * grad_bytes),
            activations_f16: Bytes::new(acts * 2),
            total_adam_f16: Bytes::new(acts * 2 + param_bytes + 3 * grad_bytes),
            activation_gradients: Bytes::new(act_grads),
            workspace: Bytes::new(workspace),
            // Frozen layers keep their gradient and Adam buffers in the engine.
            engine_adam: Bytes::new(fb + 3 * (grad_bytes + walk.frozen_params as u64 * 4) + act_grads + workspace),
        },
        rows: walk.rows,
    }
}
