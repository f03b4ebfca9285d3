//! The summary: per layer output shape, parameters, multiply-adds, FLOPs and output
//! bytes, and the memory a model needs for one prediction and for a training batch —
//! each figure with the arithmetic that gives it, so a student can check it by hand.
//!
//! Conventions (stated in the page and docs/summary.md):
//! - MACs are multiply-accumulates of convolutions and dense layers.
//! - FLOPs = 2 × MACs, plus one operation per output element for a bias and one for an
//!   activation; pooling, batch norm, adds and activations count their element operations.
//! - Bytes are f32 (4 bytes) unless said; MB = 10^6 bytes, MiB = 2^20 bytes.
//! - Every count is computed in u64 with checked arithmetic ([`crate::spec::size::Count`]),
//!   on every host alike, and is exact up to 2^53 − 1 (so it is exact in JavaScript, and as
//!   an f64: FLOPs and the MB/MiB figures are shown from it). A count past that is held at
//!   2^53 − 1 and [`Summary::too_large`] says so; nothing wraps.

mod text;
pub use text::group;
mod walk;

use crate::spec::size::{Count, MAX_BUFFER_ELEMENTS, MAX_COUNT, MAX_MEMORY};
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
    pub trainable: u64,
    pub non_trainable: u64,
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
    /// A checked count of bytes; a too-large one is held at 2^53 − 1.
    pub fn count(bytes: Count) -> Bytes {
        Bytes::new(bytes.saturated())
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
    /// engine_adam with f16 activations (a GPU with `shader-f16`): the activations at 2 bytes
    /// a value, activation gradients and everything else still f32.
    pub engine_adam_f16: Bytes,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub name: String,
    pub input: Shape,
    pub rows: Vec<Row>,
    pub params: u64,
    pub trainable: u64,
    pub non_trainable: u64,
    pub macs: u64,
    pub flops: u64,
    pub inference: Inference,
    pub training: Training,
    /// Why this engine cannot hold the model, when it cannot: a figure past 2^53 − 1 (then
    /// held at 2^53 − 1 above), a layer's parameters or output over the 4,294,967,295
    /// elements one buffer holds, or parameters and peak activations over the 4 GiB a wasm32
    /// engine addresses. The limit is in the text.
    pub too_large: Option<String>,
}

/// Summarises a validated spec; the training figures are for a batch of `batch` instances.
pub fn summarize(spec: &ModelSpec, batch: usize) -> Summary {
    let mut walk = Walk {
        rows: Vec::new(),
        counts: Vec::new(),
        all_outputs: Count::ZERO,
        peak: (Count::ZERO, String::new(), String::new()),
        frozen: false,
        frozen_params: Count::ZERO,
    };
    let elems = |s: Shape| s.checked_elements().map_or(Count::TOO_LARGE, Count::new);
    let input_elems = elems(spec.input);
    walk.peak = (input_elems, "input".into(), "input".into());
    walk.sequence(&spec.layers, spec.input, "input", 0, Count::ZERO);
    let total = |k: usize| walk.counts.iter().map(|c| c[k]).sum::<Count>();
    let (trainable, non_trainable, macs, flops) = (total(0), total(1), total(2), total(3));
    let params = trainable + non_trainable;
    let param_bytes = params * 4u64;
    let grad_bytes = trainable * 4u64;
    let peak = walk.peak.0 * 4u64;
    let acts = (input_elems + walk.all_outputs) * batch;
    let fb = acts * 4u64 + param_bytes;
    let largest = walk.rows.iter().fold(Count::ZERO, |m, r| max(m, elems(r.output)));
    let act_grads = largest * batch * 8u64;
    let workspace = walk
        .rows
        .iter()
        .map(|r| match r.type_name {
            "max_pool2d" => elems(r.output) * batch * 4u64,
            "batch_norm" => Count::new(r.output.channels()) * 8u64,
            _ => Count::ZERO,
        })
        .sum::<Count>()
        + Count::from(batch) * 4u64
        + Count::from(batch) * 4u64 * walk.rows.last().map_or(Count::ZERO, |r| elems(r.output))
        + 8u64;
    let inference_total = param_bytes + peak;
    let figures = [params, macs, flops, fb + grad_bytes * 3u64 + act_grads + workspace];
    let too_large = limits(spec.input, &walk, figures, inference_total);
    let b = Bytes::count;
    Summary {
        name: spec.name.clone(),
        input: spec.input,
        params: params.saturated(),
        trainable: trainable.saturated(),
        non_trainable: non_trainable.saturated(),
        macs: macs.saturated(),
        flops: flops.saturated(),
        inference: Inference {
            params: b(param_bytes),
            peak_activations: b(peak),
            peak_between: (walk.peak.1.clone(), walk.peak.2.clone()),
            total: b(inference_total),
            naive_all_outputs: b((input_elems + walk.all_outputs) * 4u64),
        },
        training: Training {
            batch,
            activations: b(acts * 4u64),
            params: b(param_bytes),
            forward_backward: b(fb),
            gradients: b(grad_bytes),
            sgd_momentum_state: b(grad_bytes),
            adam_state: b(grad_bytes * 2u64),
            total_sgd_momentum: b(fb + grad_bytes * 2u64),
            total_adam: b(fb + grad_bytes * 3u64),
            activations_f16: b(acts * 2u64),
            total_adam_f16: b(acts * 2u64 + param_bytes + grad_bytes * 3u64),
            activation_gradients: b(act_grads),
            workspace: b(workspace),
            // Frozen layers keep their gradient and Adam buffers in the engine.
            engine_adam: b(fb + (grad_bytes + walk.frozen_params * 4u64) * 3u64 + act_grads + workspace),
            engine_adam_f16: b(acts * 2u64
                + param_bytes
                + (grad_bytes + walk.frozen_params * 4u64) * 3u64
                + act_grads
                + workspace),
        },
        rows: walk.rows,
        too_large,
    }
}

/// The larger of two counts; a too-large one is larger than any.
fn max(a: Count, b: Count) -> Count {
    match (a.get(), b.get()) {
        (Some(x), Some(y)) => Count::new(x.max(y)),
        _ => Count::TOO_LARGE,
    }
}

/// Why the engine cannot hold this model (see [`Summary::too_large`]), or None.
fn limits(input: Shape, walk: &Walk, figures: [Count; 4], inference: Count) -> Option<String> {
    let what = ["the parameter count", "the multiply-add count", "the FLOP count", "the training memory"];
    if let Some(i) = figures.iter().position(|c| c.get().is_none()) {
        return Some(format!(
            "too large for this engine: {} is past {} (2^53 − 1), the most it counts exactly",
            what[i],
            text::group(MAX_COUNT)
        ));
    }
    let n_in = input.checked_elements().map_or(Count::TOO_LARGE, Count::new);
    if n_in.exceeds(MAX_BUFFER_ELEMENTS) {
        return Some(format!(
            "too large for this engine: the input {input} has {} elements, more than the {} one buffer can hold",
            text::group(n_in.saturated()),
            text::group(MAX_BUFFER_ELEMENTS)
        ));
    }
    for (r, c) in walk.rows.iter().zip(&walk.counts) {
        let params = c[0] + c[1];
        let out = r.output.checked_elements().map_or(Count::TOO_LARGE, Count::new);
        for (n, what) in [(params, "parameters"), (out, "output elements")] {
            if n.exceeds(MAX_BUFFER_ELEMENTS) {
                return Some(format!(
                    "too large for this engine: {} ({}) has {} {what}, more than the {} one buffer can hold",
                    r.name,
                    r.type_name,
                    text::group(n.saturated()),
                    text::group(MAX_BUFFER_ELEMENTS)
                ));
            }
        }
    }
    inference.exceeds(MAX_MEMORY).then(|| {
        format!(
            "too large for this engine: parameters and peak activations need {} bytes, more than the {} bytes (4 GiB) \
             a wasm32 engine can address",
            text::group(inference.saturated()),
            text::group(MAX_MEMORY)
        )
    })
}
