//! The walk over a spec that makes the summary's rows: each layer's output by the one
//! shape rule ([`LayerKind::output`]; a block's from its inner sequences), its parameters,
//! MACs and FLOPs with their arithmetic, and the tensors alive at once for the inference peak.

use super::Row;
use crate::spec::{concat_output, residual_output, Activation, Layer, LayerKind, Padding, Residual, Shape};

/// A leaf layer's figures: (shape formula, (trainable, non-trainable, params formula), MACs, FLOPs).
type Figures = (String, (usize, usize, String), u64, u64);

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

pub(super) struct Walk {
    pub(super) rows: Vec<Row>,
    /// Sizes (elements) of every output, in order, for the training count.
    pub(super) all_outputs: u64,
    /// Inference peak: (elements, names).
    pub(super) peak: (u64, String, String),
    /// Inside a layer marked `"trainable": false`.
    pub(super) frozen: bool,
    /// Parameters of frozen layers that would otherwise learn (the engine still keeps their
    /// gradient and optimiser buffers).
    pub(super) frozen_params: usize,
}

impl Walk {
    fn note_pair(&mut self, a: (u64, &str), b: (u64, &str), extra: u64) {
        let total = a.0 + b.0 + extra;
        if total > self.peak.0 {
            self.peak = (total, a.1.to_string(), b.1.to_string());
        }
    }

    /// Walks a sequence; `prev` is the tensor feeding it; `alive` elements stay alive throughout.
    pub(super) fn sequence(
        &mut self,
        layers: &[Layer],
        input: Shape,
        prev_name: &str,
        depth: usize,
        alive: u64,
    ) -> Shape {
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
        let out = match &layer.kind {
            LayerKind::Residual(r) => return self.residual(layer, r, input, input_name, depth, alive),
            LayerKind::Concat { branches } => return self.concat(layer, branches, input, input_name, depth, alive),
            kind => kind.output(input),
        };
        match out {
            Ok(out) => {
                let (shape_formula, params, macs, flops) = figures(&layer.kind, input, out);
                self.push(depth, layer, out, shape_formula, params, macs, flops);
                out
            }
            Err(e) => {
                // Only a spec that was not validated gets here: the row says why, the input passes on.
                self.push(depth, layer, input, format!("cannot take {input}: {e}"), (0, 0, String::new()), 0, 0);
                input
            }
        }
    }

    fn residual(
        &mut self,
        layer: &Layer,
        r: &Residual,
        input: Shape,
        input_name: &str,
        depth: usize,
        alive: u64,
    ) -> Shape {
        let cin = input.channels();
        let n_in = input.elements() as u64;
        let row = self.rows.len();
        self.push(depth, layer, input, String::new(), (0, 0, String::new()), 0, 0);
        let inner = self.sequence(&r.layers, input, input_name, depth + 1, alive + n_in);
        let (inner, shape_formula) = match residual_output(input, inner, r.projection) {
            Ok(out) if out == input => (out, "block output + input".to_string()),
            Ok(out) => (out, format!("block output + projection of input → {out}")),
            Err(e) => (inner, format!("cannot add the input: {e}")),
        };
        let n = inner.elements() as u64;
        let (params, formula, macs) = if inner != input {
            let cout = inner.channels();
            (cin * cout + cout, format!("projection 1×1 conv: ({cin} + 1)·{cout}"), n * cin as u64)
        } else {
            (0, "identity shortcut: no parameters".into(), 0)
        };
        let flops = 2 * macs + n + act_flops(r.activation, n);
        self.all_outputs = self.all_outputs - input.elements() as u64 + n; // the row was pushed with the input's size
        let rw = &mut self.rows[row];
        (rw.output, rw.shape_formula, rw.trainable, rw.params_formula, rw.macs, rw.flops, rw.output_bytes) =
            (inner, shape_formula, params, formula, macs, flops, n * 4);
        // The add reads the block output and the input, and writes the sum.
        self.note_pair((n, &layer.name), (n_in, input_name), alive + n);
        inner
    }

    fn concat(
        &mut self,
        layer: &Layer,
        branches: &[Vec<Layer>],
        input: Shape,
        input_name: &str,
        depth: usize,
        alive: u64,
    ) -> Shape {
        let n_in = input.elements() as u64;
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
        let (out, shape_formula) = match concat_output(&outs) {
            Ok(out) => {
                let parts = outs.iter().map(|s| s.channels().to_string()).collect::<Vec<_>>().join(" + ");
                (out, format!("channels {parts} = {}", out.channels()))
            }
            Err(e) => (input, format!("cannot concatenate: {e}")),
        };
        self.all_outputs = self.all_outputs - input.elements() as u64 + out.elements() as u64;
        let n = out.elements() as u64;
        let rw = &mut self.rows[row];
        (rw.output, rw.shape_formula, rw.output_bytes) = (out, shape_formula, n * 4);
        self.note_pair((done, "branch outputs"), (n, &layer.name), alive + n_in);
        out
    }
}

/// A leaf layer's figures, given its input and its output by the shape rule.
fn figures(kind: &LayerKind, input: Shape, out: Shape) -> Figures {
    let cin = input.channels();
    let n_in = input.elements() as u64;
    let n = out.elements() as u64;
    let none = || (0, 0, "no parameters".to_string());
    match kind {
        LayerKind::Conv2d(c) => {
            let (kh, kw) = c.kernel;
            let weights = kh * kw * cin * c.filters;
            let bias = if c.use_bias { c.filters } else { 0 };
            let formula = if c.use_bias {
                format!("({kh}·{kw}·{cin} + 1)·{}", c.filters)
            } else {
                format!("{kh}·{kw}·{cin}·{}", c.filters)
            };
            let macs = n * (kh * kw * cin) as u64;
            let flops = 2 * macs + if c.use_bias { n } else { 0 } + act_flops(c.activation, n);
            let shape = window_formula(input, out, c.kernel, c.strides, c.padding);
            (shape, (weights + bias, 0, formula), macs, flops)
        }
        LayerKind::DepthwiseConv2d(c) => {
            let (kh, kw) = c.kernel;
            let params = kh * kw * cin + if c.use_bias { cin } else { 0 };
            let formula = if c.use_bias { format!("({kh}·{kw} + 1)·{cin}") } else { format!("{kh}·{kw}·{cin}") };
            let macs = n * (kh * kw) as u64;
            let flops = 2 * macs + if c.use_bias { n } else { 0 } + act_flops(c.activation, n);
            (window_formula(input, out, c.kernel, c.strides, c.padding), (params, 0, formula), macs, flops)
        }
        LayerKind::SeparableConv2d(c) => {
            let (kh, kw) = c.kernel;
            let f = c.filters;
            let params = kh * kw * cin + cin * f + if c.use_bias { f } else { 0 };
            let formula = format!(
                "{kh}·{kw}·{cin} (depthwise) + {cin}·{f}{} (pointwise)",
                if c.use_bias { format!(" + {f}") } else { String::new() }
            );
            let (oh, ow) = hw(out);
            let macs = (oh * ow * cin * kh * kw + oh * ow * cin * f) as u64;
            let flops = 2 * macs + if c.use_bias { n } else { 0 } + act_flops(c.activation, n);
            (window_formula(input, out, c.kernel, c.strides, c.padding), (params, 0, formula), macs, flops)
        }
        LayerKind::MaxPool2d(p) | LayerKind::AvgPool2d(p) => {
            let window = (p.pool.0 * p.pool.1) as u64;
            let flops = if matches!(kind, LayerKind::MaxPool2d(_)) { n * (window - 1) } else { n * window };
            (window_formula(input, out, p.pool, p.strides, p.padding), none(), 0, flops)
        }
        LayerKind::GlobalAvgPool2d => {
            let (h, w) = hw(input);
            (format!("mean over {h}×{w} per channel → {cin}"), none(), 0, n_in)
        }
        LayerKind::BatchNorm(b) => {
            let learned = (b.scale as usize + b.center as usize) * cin;
            let formula = format!(
                "{}{cin} (γ{}) + 2·{cin} moving mean/variance (not trained)",
                if learned == 2 * cin { "2·" } else { "" },
                if learned == 2 * cin { ", β" } else { "" }
            );
            ("same as input".into(), (learned, 2 * cin, formula), 0, 2 * n_in)
        }
        LayerKind::Dense(d) => {
            let params = cin * d.units + if d.use_bias { d.units } else { 0 };
            let formula = if d.use_bias { format!("({cin} + 1)·{}", d.units) } else { format!("{cin}·{}", d.units) };
            let macs = (cin * d.units) as u64;
            let flops = 2 * macs + if d.use_bias { n } else { 0 } + act_flops(d.activation, n);
            (format!("{} units", d.units), (params, 0, formula), macs, flops)
        }
        LayerKind::Flatten => {
            let shape = match input {
                Shape::Map { h, w, c } => format!("{h}·{w}·{c} = {}", out.elements()),
                Shape::Flat(n) => format!("{n}"),
            };
            (shape, none(), 0, 0)
        }
        LayerKind::Activation { activation } => ("same as input".into(), none(), 0, act_flops(*activation, n_in)),
        LayerKind::Dropout { .. } => ("same as input".into(), none(), 0, 0),
        LayerKind::Lrn(l) => {
            let per = 2 * (2 * l.depth_radius as u64 + 1) + 3;
            ("same as input".into(), none(), 0, per * n_in)
        }
        LayerKind::SqueezeExcite(se) => {
            let hid = (cin / se.ratio).max(1);
            let params = cin * hid + hid + hid * cin + cin;
            let macs = (2 * cin * hid) as u64;
            let formula = format!("({cin} + 1)·{hid} + ({hid} + 1)·{cin}  (squeeze {cin}→{hid}, excite {hid}→{cin})");
            let flops = n_in + 2 * macs + (hid + cin) as u64 * 2 + n_in;
            ("same as input, channels rescaled".into(), (params, 0, formula), macs, flops)
        }
        // Blocks are walked by Walk::residual and Walk::concat, row by row.
        LayerKind::Residual(_) | LayerKind::Concat { .. } => (String::new(), none(), 0, 0),
    }
}

fn hw(s: Shape) -> (usize, usize) {
    match s {
        Shape::Map { h, w, .. } => (h, w),
        Shape::Flat(_) => (1, 1),
    }
}
