//! The summary: per layer output shape, parameters, multiply-adds, FLOPs and output
//! bytes, and the memory a model needs for one prediction and for a training batch —
//! each figure with the arithmetic that gives it, so a student can check it by hand.
//!
//! Conventions (stated in the page and docs/summary.md):
//! - MACs are multiply-accumulates of convolutions and dense layers.
//! - FLOPs = 2 × MACs, plus one operation per output element for a bias and one for an
//!   activation; pooling, batch norm, adds and activations count their element operations.
//! - Bytes are f32 (4 bytes) unless said; MB = 10^6 bytes, MiB = 2^20 bytes.

use crate::spec::{Activation, Layer, LayerKind, ModelSpec, Padding, Shape};
use serde::Serialize;

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

fn act_flops(a: Activation, n: u64) -> u64 {
    match a {
        Activation::Linear => 0,
        Activation::Softmax => 3 * n,
        _ => n,
    }
}

fn dim_formula(input: usize, k: usize, s: usize, padding: Padding, out: usize) -> String {
    match padding {
        Padding::Valid => format!("({input} − {k}) / {s} + 1 = {out}"),
        Padding::Same => format!("⌈{input} / {s}⌉ = {out}"),
    }
}

fn window_formula(inp: Shape, out: Shape, k: (usize, usize), s: (usize, usize), padding: Padding) -> String {
    match (inp, out) {
        (Shape::Map { h, w, .. }, Shape::Map { h: oh, w: ow, .. }) => {
            let hf = dim_formula(h, k.0, s.0, padding, oh);
            if h == w && k.0 == k.1 && s.0 == s.1 {
                format!("{hf} (both sides)")
            } else {
                format!("h: {hf}; w: {}", dim_formula(w, k.1, s.1, padding, ow))
            }
        }
        _ => String::new(),
    }
}

struct Walk {
    rows: Vec<Row>,
    /// Sizes (elements) of every output, in order, for the training count.
    all_outputs: u64,
    /// Inference peak: (elements, names).
    peak: (u64, String, String),
    /// Inside a layer marked `"trainable": false`.
    frozen: bool,
    /// Parameters of frozen layers that would otherwise learn (the engine still keeps their
    /// gradient and optimiser buffers).
    frozen_params: usize,
}

impl Walk {
    fn note_pair(&mut self, a: (u64, &str), b: (u64, &str), extra: u64) {
        let total = a.0 + b.0 + extra;
        if total > self.peak.0 {
            self.peak = (total, a.1.to_string(), b.1.to_string());
        }
    }

    /// Walks a sequence; `prev` is the tensor feeding it; `alive` elements stay alive throughout.
    fn sequence(&mut self, layers: &[Layer], input: Shape, prev_name: &str, depth: usize, alive: u64) -> Shape {
        let mut shape = input;
        let mut prev = (input.elements() as u64, prev_name.to_string());
        for layer in layers {
            let out = self.layer(layer, shape, &prev.1, depth, alive);
            let n = out.elements() as u64;
            self.note_pair((prev.0, &prev.1), (n, &layer.name), alive);
            prev = (n, layer.name.clone());
            shape = out;
        }
        shape
    }

    fn push(
        &mut self,
        depth: usize,
        layer: &Layer,
        output: Shape,
        shape_formula: String,
        params: (usize, usize, String),
        macs: u64,
        flops: u64,
    ) {
        self.all_outputs += output.elements() as u64;
        self.rows.push(Row {
            depth,
            name: layer.name.clone(),
            type_name: layer.kind.type_name(),
            output,
            shape_formula,
            trainable: params.0,
            non_trainable: params.1,
            params_formula: params.2,
            macs,
            flops,
            output_bytes: output.elements() as u64 * 4,
        });
    }

    /// A layer's rows; a frozen layer's parameters count as non-trainable.
    fn layer(&mut self, layer: &Layer, input: Shape, input_name: &str, depth: usize, alive: u64) -> Shape {
        let first = self.rows.len();
        let outer = self.frozen;
        self.frozen |= !layer.trainable;
        let out = self.layer_kind(layer, input, input_name, depth, alive);
        if self.frozen {
            for r in &mut self.rows[first..] {
                self.frozen_params += r.trainable;
                r.non_trainable += r.trainable;
                r.trainable = 0;
            }
        }
        self.frozen = outer;
        out
    }

    fn layer_kind(&mut self, layer: &Layer, input: Shape, input_name: &str, depth: usize, alive: u64) -> Shape {
        let cin = input.channels();
        let n_in = input.elements() as u64;
        match &layer.kind {
            LayerKind::Conv2d(c) => {
                let out = spatial(input, c.kernel, c.strides, c.padding, c.filters);
                let (kh, kw) = c.kernel;
                let weights = kh * kw * cin * c.filters;
                let bias = if c.use_bias { c.filters } else { 0 };
                let formula = if c.use_bias {
                    format!("({kh}·{kw}·{cin} + 1)·{}", c.filters)
                } else {
                    format!("{kh}·{kw}·{cin}·{}", c.filters)
                };
                let n = out.elements() as u64;
                let macs = n * (kh * kw * cin) as u64;
                let flops = 2 * macs + if c.use_bias { n } else { 0 } + act_flops(c.activation, n);
                self.push(
                    depth,
                    layer,
                    out,
                    window_formula(input, out, c.kernel, c.strides, c.padding),
                    (weights + bias, 0, formula),
                    macs,
                    flops,
                );
                out
            }
            LayerKind::DepthwiseConv2d(c) => {
                let out = spatial(input, c.kernel, c.strides, c.padding, cin);
                let (kh, kw) = c.kernel;
                let params = kh * kw * cin + if c.use_bias { cin } else { 0 };
                let formula =
                    if c.use_bias { format!("({kh}·{kw} + 1)·{cin}") } else { format!("{kh}·{kw}·{cin}") };
                let n = out.elements() as u64;
                let macs = n * (kh * kw) as u64;
                let flops = 2 * macs + if c.use_bias { n } else { 0 } + act_flops(c.activation, n);
                self.push(
                    depth,
                    layer,
                    out,
                    window_formula(input, out, c.kernel, c.strides, c.padding),
                    (params, 0, formula),
                    macs,
                    flops,
                );
                out
            }
            LayerKind::SeparableConv2d(c) => {
                let out = spatial(input, c.kernel, c.strides, c.padding, c.filters);
                let (kh, kw) = c.kernel;
                let f = c.filters;
                let params = kh * kw * cin + cin * f + if c.use_bias { f } else { 0 };
                let formula = format!(
                    "{kh}·{kw}·{cin} (depthwise) + {cin}·{f}{} (pointwise)",
                    if c.use_bias { format!(" + {f}") } else { String::new() }
                );
                let (oh, ow) = hw(out);
                let macs = (oh * ow * cin * kh * kw + oh * ow * cin * f) as u64;
                let n = out.elements() as u64;
                let flops = 2 * macs + if c.use_bias { n } else { 0 } + act_flops(c.activation, n);
                self.push(
                    depth,
                    layer,
                    out,
                    window_formula(input, out, c.kernel, c.strides, c.padding),
                    (params, 0, formula),
                    macs,
                    flops,
                );
                out
            }
            LayerKind::MaxPool2d(p) | LayerKind::AvgPool2d(p) => {
                let out = spatial(input, p.pool, p.strides, p.padding, cin);
                let n = out.elements() as u64;
                let window = (p.pool.0 * p.pool.1) as u64;
                let flops = if matches!(layer.kind, LayerKind::MaxPool2d(_)) { n * (window - 1) } else { n * window };
                self.push(
                    depth,
                    layer,
                    out,
                    window_formula(input, out, p.pool, p.strides, p.padding),
                    (0, 0, "no parameters".into()),
                    0,
                    flops,
                );
                out
            }
            LayerKind::GlobalAvgPool2d => {
                let out = Shape::Flat(cin);
                let (h, w) = hw(input);
                self.push(
                    depth,
                    layer,
                    out,
                    format!("mean over {h}×{w} per channel → {cin}"),
                    (0, 0, "no parameters".into()),
                    0,
                    n_in,
                );
                out
            }
            LayerKind::BatchNorm(b) => {
                let learned = (b.scale as usize + b.center as usize) * cin;
                let formula = format!(
                    "{}{cin} (γ{}) + 2·{cin} moving mean/variance (not trained)",
                    if learned == 2 * cin { "2·" } else { "" },
                    if learned == 2 * cin { ", β" } else { "" }
                );
                self.push(depth, layer, input, "same as input".into(), (learned, 2 * cin, formula), 0, 2 * n_in);
                input
            }
            LayerKind::Dense(d) => {
                let out = Shape::Flat(d.units);
                let params = cin * d.units + if d.use_bias { d.units } else { 0 };
                let formula =
                    if d.use_bias { format!("({cin} + 1)·{}", d.units) } else { format!("{cin}·{}", d.units) };
                let macs = (cin * d.units) as u64;
                let n = d.units as u64;
                let flops = 2 * macs + if d.use_bias { n } else { 0 } + act_flops(d.activation, n);
                self.push(depth, layer, out, format!("{} units", d.units), (params, 0, formula), macs, flops);
                out
            }
            LayerKind::Flatten => {
                let out = Shape::Flat(input.elements());
                let shape_formula = match input {
                    Shape::Map { h, w, c } => format!("{h}·{w}·{c} = {}", out.elements()),
                    Shape::Flat(n) => format!("{n}"),
                };
                self.push(depth, layer, out, shape_formula, (0, 0, "no parameters".into()), 0, 0);
                out
            }
            LayerKind::Activation { activation } => {
                self.push(
                    depth,
                    layer,
                    input,
                    "same as input".into(),
                    (0, 0, "no parameters".into()),
                    0,
                    act_flops(*activation, n_in),
                );
                input
            }
            LayerKind::Dropout { .. } => {
                self.push(depth, layer, input, "same as input".into(), (0, 0, "no parameters".into()), 0, 0);
                input
            }
            LayerKind::Lrn(l) => {
                let per = 2 * (2 * l.depth_radius as u64 + 1) + 3;
                self.push(depth, layer, input, "same as input".into(), (0, 0, "no parameters".into()), 0, per * n_in);
                input
            }
            LayerKind::SqueezeExcite(se) => {
                let hid = (cin / se.ratio).max(1);
                let params = cin * hid + hid + hid * cin + cin;
                let macs = (2 * cin * hid) as u64;
                let formula =
                    format!("({cin} + 1)·{hid} + ({hid} + 1)·{cin}  (squeeze {cin}→{hid}, excite {hid}→{cin})");
                let flops = n_in + 2 * macs + (hid + cin) as u64 * 2 + n_in;
                self.push(
                    depth,
                    layer,
                    input,
                    "same as input, channels rescaled".into(),
                    (params, 0, formula),
                    macs,
                    flops,
                );
                input
            }
            LayerKind::Residual(r) => {
                let row = self.rows.len();
                self.push(depth, layer, input, String::new(), (0, 0, String::new()), 0, 0);
                let inner = self.sequence(&r.layers, input, input_name, depth + 1, alive + n_in);
                let n = inner.elements() as u64;
                let (params, formula, macs) = if inner != input {
                    let cout = inner.channels();
                    (cin * cout + cout, format!("projection 1×1 conv: ({cin} + 1)·{cout}"), n * cin as u64)
                } else {
                    (0, "identity shortcut: no parameters".into(), 0)
                };
                let flops = 2 * macs + n + act_flops(r.activation, n);
                self.all_outputs = self.all_outputs - input.elements() as u64 + n; // the row was pushed with the input's size
                let shape_formula = if inner == input {
                    "block output + input".into()
                } else {
                    format!("block output + projection of input → {inner}")
                };
                let rw = &mut self.rows[row];
                (rw.output, rw.shape_formula, rw.trainable, rw.params_formula, rw.macs, rw.flops, rw.output_bytes) =
                    (inner, shape_formula, params, formula, macs, flops, n * 4);
                // The add reads the block output and the input, and writes the sum.
                self.note_pair((n, &layer.name), (n_in, input_name), alive + n);
                inner
            }
            LayerKind::Concat { branches } => {
                let row = self.rows.len();
                self.push(depth, layer, input, String::new(), (0, 0, "no parameters".into()), 0, 0);
                let mut done = 0u64;
                let mut outs = Vec::new();
                for branch in branches {
                    let out = if branch.is_empty() {
                        input
                    } else {
                        self.sequence(branch, input, input_name, depth + 1, alive + n_in + done)
                    };
                    done += out.elements() as u64;
                    outs.push(out);
                }
                let out = match outs[0] {
                    Shape::Map { h, w, .. } => Shape::Map { h, w, c: outs.iter().map(|s| s.channels()).sum() },
                    Shape::Flat(_) => Shape::Flat(outs.iter().map(|s| s.channels()).sum()),
                };
                let parts = outs.iter().map(|s| s.channels().to_string()).collect::<Vec<_>>().join(" + ");
                self.all_outputs = self.all_outputs - input.elements() as u64 + out.elements() as u64;
                let n = out.elements() as u64;
                let rw = &mut self.rows[row];
                (rw.output, rw.shape_formula, rw.output_bytes) =
                    (out, format!("channels {parts} = {}", out.channels()), n * 4);
                self.note_pair((done, "branch outputs"), (n, &layer.name), alive + n_in);
                out
            }
        }
    }
}

fn hw(s: Shape) -> (usize, usize) {
    match s {
        Shape::Map { h, w, .. } => (h, w),
        Shape::Flat(_) => (1, 1),
    }
}

/// Output of a window op on a validated spec (validation guarantees it fits).
fn spatial(input: Shape, k: (usize, usize), s: (usize, usize), p: Padding, c: usize) -> Shape {
    let (h, w) = hw(input);
    let oh = crate::spec::conv_out(h, k.0, s.0, p).unwrap_or(0);
    let ow = crate::spec::conv_out(w, k.1, s.1, p).unwrap_or(0);
    Shape::Map { h: oh, w: ow, c }
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

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn fmt_bytes(b: &Bytes) -> String {
    format!("{} bytes = {:.2} MB = {:.2} MiB", thousands(b.bytes), b.mb, b.mib)
}

impl Summary {
    /// A Keras-like text table with the memory breakdown below it.
    pub fn to_text(&self) -> String {
        let mut s = format!("Model \"{}\", input {}\n", self.name, self.input);
        let line = "─".repeat(100);
        s += &format!(
            "{line}\n{:<34} {:<18} {:>12} {:>16}  {}\n{line}\n",
            "Layer (type)", "Output shape", "Params", "MACs", "Params from"
        );
        for r in &self.rows {
            let name = format!("{}{} ({})", "  ".repeat(r.depth), r.name, r.type_name);
            let params = r.trainable + r.non_trainable;
            s += &format!(
                "{:<34} {:<18} {:>12} {:>16}  {}\n",
                name,
                r.output.to_string(),
                thousands(params as u64),
                thousands(r.macs),
                r.params_formula
            );
        }
        s += &format!(
            "{line}\nTotal params: {} (trainable {}, non-trainable {})\n",
            thousands(self.params as u64),
            thousands(self.trainable as u64),
            thousands(self.non_trainable as u64)
        );
        s += &format!("Multiply-adds: {}   FLOPs: {}\n\n", thousands(self.macs), thousands(self.flops));
        let i = &self.inference;
        s += "Inference, one instance (f32):\n";
        s += &format!("  parameters                 {}\n", fmt_bytes(&i.params));
        s += &format!(
            "  peak activations           {}  ({} → {})\n",
            fmt_bytes(&i.peak_activations),
            i.peak_between.0,
            i.peak_between.1
        );
        s += &format!("  total                      {}\n", fmt_bytes(&i.total));
        s += &format!("  (naive: all outputs kept   {})\n\n", fmt_bytes(&i.naive_all_outputs));
        let t = &self.training;
        s += &format!("Training, batch {} (f32):\n", t.batch);
        s += &format!("  activations kept           {}\n", fmt_bytes(&t.activations));
        s += &format!("  + parameters               {}\n", fmt_bytes(&t.params));
        s += &format!("  = forward + backward       {}\n", fmt_bytes(&t.forward_backward));
        s += &format!("  + gradients                {}\n", fmt_bytes(&t.gradients));
        s += &format!(
            "  + SGD momentum state       {}  → {}\n",
            fmt_bytes(&t.sgd_momentum_state),
            fmt_bytes(&t.total_sgd_momentum)
        );
        s += &format!("  + Adam state (m, v)        {}  → {}\n", fmt_bytes(&t.adam_state), fmt_bytes(&t.total_adam));
        s += &format!(
            "  with f16 activations       {}  → Adam total {}\n",
            fmt_bytes(&t.activations_f16),
            fmt_bytes(&t.total_adam_f16)
        );
        s += &format!(
            "ConvPlay's engine with Adam also holds activation gradients {} and workspace {}: {}\n",
            fmt_bytes(&t.activation_gradients),
            fmt_bytes(&t.workspace),
            fmt_bytes(&t.engine_adam)
        );
        s
    }
}
