//! The walk over a spec that makes the summary's rows: each layer's output by the one
//! shape rule ([`LayerKind::output`]; a block's from its inner sequences), its parameters,
//! MACs and FLOPs with their arithmetic, and the tensors alive at once for the inference peak.

use super::Row;
use crate::spec::size::Count;
use crate::spec::{
    concat_output, residual_output, Activation, Interpolation, Layer, LayerKind, Padding, Residual, Shape,
};

/// A leaf layer's figures: (shape formula, (trainable, non-trainable, params formula), MACs, FLOPs).
/// Every count is checked ([`Count`]): exact, or too large — never wrapped.
type Figures = (String, (Count, Count, String), Count, Count);

fn act_flops(a: Activation, n: Count) -> Count {
    match a {
        Activation::Linear => Count::ZERO,
        Activation::Softmax => n * 3u64,
        _ => n,
    }
}

fn elems(s: Shape) -> Count {
    s.checked_elements().map_or(Count::TOO_LARGE, Count::new)
}

fn dim_formula(input: u64, k: usize, s: usize, padding: Padding, out: u64) -> String {
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
    /// Each row's exact [trainable, non-trainable, MACs, FLOPs] (the rows hold saturated figures).
    pub(super) counts: Vec<[Count; 4]>,
    /// Sizes (elements) of every output, in order, for the training count.
    pub(super) all_outputs: Count,
    /// Inference peak: (elements, names).
    pub(super) peak: (Count, String, String),
    /// Inside a layer marked `"trainable": false`.
    pub(super) frozen: bool,
    /// Parameters of frozen layers that would otherwise learn (the engine still keeps their
    /// gradient and optimiser buffers).
    pub(super) frozen_params: Count,
}

impl Walk {
    fn note_pair(&mut self, a: (Count, &str), b: (Count, &str), extra: Count) {
        let total = a.0 + b.0 + extra;
        // A too-large total is larger than any exact one.
        let larger = match (total.get(), self.peak.0.get()) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(t), Some(p)) => t > p,
        };
        if larger {
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
        alive: Count,
    ) -> Shape {
        let mut shape = input;
        let mut prev = (elems(input), prev_name.to_string());
        for layer in layers {
            let out = self.layer(layer, shape, &prev.1, depth, alive);
            let n = elems(out);
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
        params: (Count, Count, String),
        macs: Count,
        flops: Count,
    ) {
        self.all_outputs = self.all_outputs + elems(output);
        self.counts.push([params.0, params.1, macs, flops]);
        self.rows.push(Row {
            depth,
            name: layer.name.clone(),
            type_name: layer.kind.type_name(),
            output,
            shape_formula,
            trainable: params.0.saturated(),
            non_trainable: params.1.saturated(),
            params_formula: params.2,
            macs: macs.saturated(),
            flops: flops.saturated(),
            output_bytes: (elems(output) * 4u64).saturated(),
        });
    }

    /// Sets row `i`'s exact counts and its saturated figures.
    fn set_counts(&mut self, i: usize, c: [Count; 4]) {
        self.counts[i] = c;
        let r = &mut self.rows[i];
        (r.trainable, r.non_trainable, r.macs, r.flops) =
            (c[0].saturated(), c[1].saturated(), c[2].saturated(), c[3].saturated());
    }

    /// A layer's rows; a frozen layer's parameters count as non-trainable.
    fn layer(&mut self, layer: &Layer, input: Shape, input_name: &str, depth: usize, alive: Count) -> Shape {
        let first = self.rows.len();
        let outer = self.frozen;
        self.frozen |= !layer.trainable;
        let out = self.layer_kind(layer, input, input_name, depth, alive);
        if self.frozen {
            for i in first..self.rows.len() {
                let [t, nt, macs, flops] = self.counts[i];
                self.frozen_params = self.frozen_params + t;
                self.set_counts(i, [Count::ZERO, nt + t, macs, flops]);
            }
        }
        self.frozen = outer;
        out
    }

    fn layer_kind(&mut self, layer: &Layer, input: Shape, input_name: &str, depth: usize, alive: Count) -> Shape {
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
                let zero = Count::ZERO;
                self.push(
                    depth,
                    layer,
                    input,
                    format!("cannot take {input}: {e}"),
                    (zero, zero, String::new()),
                    zero,
                    zero,
                );
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
        alive: Count,
    ) -> Shape {
        let cin = input.channels();
        let n_in = elems(input);
        let row = self.rows.len();
        let zero = Count::ZERO;
        self.push(depth, layer, input, String::new(), (zero, zero, String::new()), zero, zero);
        let inner = self.sequence(&r.layers, input, input_name, depth + 1, alive + n_in);
        let (inner, shape_formula) = match residual_output(input, inner, r.projection) {
            Ok(out) if out == input => (out, "block output + input".to_string()),
            Ok(out) => (out, format!("block output + projection of input → {out}")),
            Err(e) => (inner, format!("cannot add the input: {e}")),
        };
        let n = elems(inner);
        let (params, formula, macs) = if inner != input {
            let cout = inner.channels();
            (Count::new(cin) * cout + cout, format!("projection 1×1 conv: ({cin} + 1)·{cout}"), n * cin)
        } else {
            (zero, "identity shortcut: no parameters".into(), zero)
        };
        let flops = macs * 2u64 + n + act_flops(r.activation, n);
        self.all_outputs = self.all_outputs - n_in + n; // the row was pushed with the input's size
        self.set_counts(row, [params, zero, macs, flops]);
        let rw = &mut self.rows[row];
        (rw.output, rw.shape_formula, rw.params_formula, rw.output_bytes) =
            (inner, shape_formula, formula, (n * 4u64).saturated());
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
        alive: Count,
    ) -> Shape {
        let n_in = elems(input);
        let row = self.rows.len();
        let zero = Count::ZERO;
        self.push(depth, layer, input, String::new(), (zero, zero, "no parameters".into()), zero, zero);
        let mut done = zero;
        let mut outs = Vec::new();
        for branch in branches {
            let out = if branch.is_empty() {
                input
            } else {
                self.sequence(branch, input, input_name, depth + 1, alive + n_in + done)
            };
            done = done + elems(out);
            outs.push(out);
        }
        let (out, shape_formula) = match concat_output(&outs) {
            Ok(out) => {
                let parts = outs.iter().map(|s| s.channels().to_string()).collect::<Vec<_>>().join(" + ");
                (out, format!("channels {parts} = {}", out.channels()))
            }
            Err(e) => (input, format!("cannot concatenate: {e}")),
        };
        let n = elems(out);
        self.all_outputs = self.all_outputs - n_in + n;
        let rw = &mut self.rows[row];
        (rw.output, rw.shape_formula, rw.output_bytes) = (out, shape_formula, (n * 4u64).saturated());
        self.note_pair((done, "branch outputs"), (n, &layer.name), alive + n_in);
        out
    }
}

/// A leaf layer's figures, given its input and its output by the shape rule.
fn figures(kind: &LayerKind, input: Shape, out: Shape) -> Figures {
    let cin = input.channels();
    let n_in = elems(input);
    let n = elems(out);
    let zero = Count::ZERO;
    let none = || (zero, zero, "no parameters".to_string());
    let bias = |on: bool, c: Count| if on { c } else { zero };
    match kind {
        LayerKind::Conv2d(c) => {
            let (kh, kw) = c.kernel;
            let per_filter = Count::from(kh) * kw * cin;
            let filters = Count::from(c.filters);
            let formula = if c.use_bias {
                format!("({kh}·{kw}·{cin} + 1)·{}", c.filters)
            } else {
                format!("{kh}·{kw}·{cin}·{}", c.filters)
            };
            let macs = n * per_filter;
            let flops = macs * 2u64 + bias(c.use_bias, n) + act_flops(c.activation, n);
            let shape = window_formula(input, out, c.kernel, c.strides, c.padding);
            (shape, (per_filter * filters + bias(c.use_bias, filters), zero, formula), macs, flops)
        }
        LayerKind::DepthwiseConv2d(c) => {
            let (kh, kw) = c.kernel;
            let params = Count::from(kh) * kw * cin + bias(c.use_bias, Count::new(cin));
            let formula = if c.use_bias { format!("({kh}·{kw} + 1)·{cin}") } else { format!("{kh}·{kw}·{cin}") };
            let macs = n * kh * kw;
            let flops = macs * 2u64 + bias(c.use_bias, n) + act_flops(c.activation, n);
            (window_formula(input, out, c.kernel, c.strides, c.padding), (params, zero, formula), macs, flops)
        }
        LayerKind::SeparableConv2d(c) => {
            let (kh, kw) = c.kernel;
            let f = c.filters;
            let params = Count::from(kh) * kw * cin + Count::new(cin) * f + bias(c.use_bias, Count::from(f));
            let formula = format!(
                "{kh}·{kw}·{cin} (depthwise) + {cin}·{f}{} (pointwise)",
                if c.use_bias { format!(" + {f}") } else { String::new() }
            );
            let (oh, ow) = hw(out);
            let pixels = Count::new(oh) * ow * cin;
            let macs = pixels * kh * kw + pixels * f;
            let flops = macs * 2u64 + bias(c.use_bias, n) + act_flops(c.activation, n);
            (window_formula(input, out, c.kernel, c.strides, c.padding), (params, zero, formula), macs, flops)
        }
        LayerKind::MaxPool2d(p) | LayerKind::AvgPool2d(p) => {
            let window = Count::from(p.pool.0) * p.pool.1;
            let flops = if matches!(kind, LayerKind::MaxPool2d(_)) { n * (window - 1u64) } else { n * window };
            (window_formula(input, out, p.pool, p.strides, p.padding), none(), zero, flops)
        }
        LayerKind::GlobalAvgPool2d => {
            let (h, w) = hw(input);
            (format!("mean over {h}×{w} per channel → {cin}"), none(), zero, n_in)
        }
        LayerKind::BatchNorm(b) => {
            let learned = Count::new(b.scale as u64 + b.center as u64) * cin;
            let both = b.scale && b.center;
            let formula = format!(
                "{}{cin} (γ{}) + 2·{cin} moving mean/variance (not trained)",
                if both { "2·" } else { "" },
                if both { ", β" } else { "" }
            );
            ("same as input".into(), (learned, Count::new(cin) * 2u64, formula), zero, n_in * 2u64)
        }
        LayerKind::Dense(d) => {
            let units = Count::from(d.units);
            let formula = if d.use_bias { format!("({cin} + 1)·{}", d.units) } else { format!("{cin}·{}", d.units) };
            let macs = Count::new(cin) * units;
            let flops = macs * 2u64 + bias(d.use_bias, n) + act_flops(d.activation, n);
            (format!("{} units", d.units), (macs + bias(d.use_bias, units), zero, formula), macs, flops)
        }
        LayerKind::Flatten => {
            let shape = match input {
                Shape::Map { h, w, c } => format!("{h}·{w}·{c} = {}", out.elements()),
                Shape::Flat(n) => format!("{n}"),
            };
            (shape, none(), zero, zero)
        }
        LayerKind::Activation { activation } => ("same as input".into(), none(), zero, act_flops(*activation, n_in)),
        LayerKind::Dropout { .. } => ("same as input".into(), none(), zero, zero),
        LayerKind::Lrn(l) => {
            let per = (Count::from(l.depth_radius) * 2u64 + 1u64) * 2u64 + 3u64;
            ("same as input".into(), none(), zero, per * n_in)
        }
        LayerKind::UpSampling2d(u) => {
            let (h, w) = hw(input);
            let (sh, sw) = u.size;
            let (oh, ow) = hw(out);
            let shape = format!("{h}·{sh} × {w}·{sw} = {oh}×{ow}");
            // Bilinear: 4 products and 3 sums per output value; nearest only copies.
            let flops = match u.interpolation {
                Interpolation::Nearest => zero,
                Interpolation::Bilinear => n * 7u64,
            };
            (shape, none(), zero, flops)
        }
        LayerKind::SqueezeExcite(se) => {
            let hid = (cin / se.ratio as u64).max(1);
            let params = Count::new(cin) * hid * 2u64 + hid + cin;
            let macs = Count::new(cin) * hid * 2u64;
            let formula = format!("({cin} + 1)·{hid} + ({hid} + 1)·{cin}  (squeeze {cin}→{hid}, excite {hid}→{cin})");
            let flops = n_in + macs * 2u64 + (Count::new(hid) + cin) * 2u64 + n_in;
            ("same as input, channels rescaled".into(), (params, zero, formula), macs, flops)
        }
        // Blocks are walked by Walk::residual and Walk::concat, row by row.
        LayerKind::Residual(_) | LayerKind::Concat { .. } => (String::new(), none(), zero, zero),
    }
}

fn hw(s: Shape) -> (u64, u64) {
    match s {
        Shape::Map { h, w, .. } => (h, w),
        Shape::Flat(_) => (1, 1),
    }
}
