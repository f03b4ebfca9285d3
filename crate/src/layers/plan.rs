//! What building and training a model allocates, worked out from its spec before anything is
//! allocated: every buffer `build.rs` and `Model::new` create (the same walk, in checked u64
//! arithmetic, so a size that overflows is an error, never a wrapped number), the buffers the
//! first training step adds, the CPU backend's working memory, and every parameter tensor with
//! its shape (what a weights file must hold). `Model::new` compares it with the backend's
//! limits and refuses, with the numbers and the fixes, what would not fit.

use crate::backend::Limits;
use crate::error::{Error, Result};
use crate::spec::{concat_output, residual_output, Layer, LayerKind, ModelSpec, Shape};

/// One buffer: `fixed + per × batch` values of 4 bytes.
#[derive(Clone, Debug)]
pub struct Buffer {
    /// What it holds, e.g. "conv2d_1's output" or "dense_1/kernel".
    pub what: String,
    pub fixed: u64,
    pub per: u64,
}

impl Buffer {
    /// Values at `batch`, or None when that overflows u64.
    pub fn values(&self, batch: u64) -> Option<u64> {
        self.per.checked_mul(batch)?.checked_add(self.fixed)
    }
}

/// A parameter tensor the model holds (and a weights file for it must hold).
#[derive(Clone, Debug)]
pub struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Allocated when the model is built: `Model::allocated_bytes` right after `Model::new`.
    pub built: Vec<Buffer>,
    /// Allocated by the first training step (a batch norm that is the lowest layer to learn
    /// keeps the input gradient nobody reads).
    pub first_step: Vec<Buffer>,
    /// The CPU backend's working memory, op by op (im2col columns, a transposed kernel, an
    /// input gradient nobody reads): the largest set is alive at a time.
    pub cpu_work: Vec<Vec<Buffer>>,
    pub params: Vec<Tensor>,
}

/// The product of `xs`, or an error that names what is too large to count.
pub fn product(xs: &[u64], what: &dyn Fn() -> String) -> Result<u64> {
    xs.iter().try_fold(1u64, |a, &x| a.checked_mul(x)).ok_or_else(|| {
        Error::Invalid(format!("{} is too large for this engine: its size overflows 64-bit arithmetic", what()))
    })
}

fn elements(s: Shape, what: &dyn Fn() -> String) -> Result<u64> {
    let dims: Vec<u64> = s.dims();
    product(&dims, what)
}

fn sum(bufs: &[Buffer], batch: u64) -> Option<u64> {
    bufs.iter().try_fold(0u64, |a, b| a.checked_add(b.values(batch)?))
}

impl Plan {
    /// The plan of a validated spec.
    pub fn of(spec: &ModelSpec) -> Result<Plan> {
        let mut w = Walk { plan: Plan::default(), frozen: false, learns: Vec::new() };
        let what = || format!("the input {}", spec.input);
        let input = elements(spec.input, &what)?;
        let out = w.sequence(&spec.layers, spec.input, true)?;
        let classes = elements(out, &|| format!("the output {out}"))?;
        w.buf("the input batch".into(), 0, input);
        // One label per instance, or per position when the model ends in a map (Model::positions).
        let positions = match out {
            Shape::Map { h, w, .. } => h.saturating_mul(w),
            Shape::Flat(_) => 1,
        };
        w.buf("the labels".into(), 0, positions);
        w.buf("the loss gradient".into(), 0, classes);
        w.buf("the metrics".into(), crate::backend::ops::METRICS_LEN as u64, 0);
        // The batch's values on the host, alive through the step.
        w.plan.cpu_work.iter_mut().for_each(|set| set.push(Buffer { what: "the batch".into(), fixed: 0, per: input }));
        Ok(w.plan)
    }

    /// Bytes `Model::new` allocates at `batch` (None: more than u64 counts).
    pub fn built_bytes(&self, batch: u64) -> Option<u64> {
        sum(&self.built, batch)?.checked_mul(4)
    }

    /// Bytes held while training at `batch`: built, the first step's, and (on the CPU) the
    /// largest working set.
    pub fn training_bytes(&self, batch: u64, cpu: bool) -> Option<u64> {
        let mut total = sum(&self.built, batch)?.checked_add(sum(&self.first_step, batch)?)?;
        if cpu {
            let mut work = 0u64;
            for set in &self.cpu_work {
                work = work.max(sum(set, batch)?);
            }
            total = total.checked_add(work)?;
        }
        total.checked_mul(4)
    }

    /// The largest single buffer at `batch`: (bytes, what).
    pub fn largest(&self, batch: u64, cpu: bool) -> Option<(u64, &str)> {
        let work = self.cpu_work.iter().flatten().filter(|_| cpu);
        let mut best = (0u64, "");
        for b in self.built.iter().chain(&self.first_step).chain(work) {
            let bytes = b.values(batch)?.checked_mul(4)?;
            if bytes > best.0 {
                best = (bytes, b.what.as_str());
            }
        }
        Some(best)
    }
}

struct Walk {
    plan: Plan,
    /// Inside a layer marked `"trainable": false`.
    frozen: bool,
    /// For each parameter in `plan.params`, whether the optimiser updates it.
    learns: Vec<bool>,
}

impl Walk {
    fn buf(&mut self, what: String, fixed: u64, per: u64) {
        self.plan.built.push(Buffer { what, fixed, per });
    }

    /// A parameter: its value and, when trainable, its gradient and two optimiser-state
    /// buffers (as `layers::param`).
    fn param(&mut self, name: String, shape: Vec<usize>, trainable: bool) -> Result<()> {
        let dims: Vec<u64> = shape.iter().map(|&d| d as u64).collect();
        let values = product(&dims, &|| format!("parameter {name} {shape:?}"))?;
        let copies = if trainable { 4 } else { 1 };
        for i in 0..copies {
            let what = match i {
                0 => name.clone(),
                1 => format!("{name}'s gradient"),
                _ => format!("{name}'s optimiser state"),
            };
            self.buf(what, values, 0);
        }
        self.plan.params.push(Tensor { name, shape, values });
        self.learns.push(trainable && !self.frozen);
        Ok(())
    }

    /// A conv (or depthwise) layer's parameters and CPU working memory.
    #[allow(clippy::too_many_arguments)]
    fn conv(
        &mut self,
        name: &str,
        depthwise: bool,
        (h, w, c): (usize, usize, usize),
        (oh, ow, oc): (usize, usize, usize),
        (kh, kw): (usize, usize),
        bias: bool,
    ) -> Result<()> {
        let shape = if depthwise { vec![kh, kw, c] } else { vec![kh, kw, c, oc] };
        self.param(format!("{name}/kernel"), shape, true)?;
        if bias {
            self.param(format!("{name}/bias"), vec![oc], true)?;
        }
        let what = || format!("layer {name}'s working memory");
        let input = product(&[h as u64, w as u64, c as u64], &what)?;
        let mut set = vec![Buffer { what: format!("{name}'s input gradient (unused)"), fixed: 0, per: input }];
        if !depthwise {
            let kl = product(&[kh as u64, kw as u64, c as u64], &what)?;
            let cols = product(&[oh as u64, ow as u64, kl], &what)?;
            let wt = product(&[kl, oc as u64], &what)?;
            set.push(Buffer { what: format!("{name}'s transposed kernel"), fixed: wt, per: 0 });
            set.push(Buffer { what: format!("{name}'s im2col columns"), fixed: cols, per: 0 });
        }
        self.plan.cpu_work.push(set);
        Ok(())
    }

    fn dense(&mut self, name: &str, k: usize, m: usize, bias: bool) -> Result<()> {
        self.param(format!("{name}/kernel"), vec![k, m], true)?;
        if bias {
            self.param(format!("{name}/bias"), vec![m], true)?;
        }
        let set = vec![Buffer { what: format!("{name}'s input gradient (unused)"), fixed: 0, per: k as u64 }];
        self.plan.cpu_work.push(set);
        Ok(())
    }

    /// As `Builder::sequence`: each layer, its output × batch, two gradient buffers of the
    /// largest output. At the top level, a batch norm that is the lowest layer to learn keeps
    /// an input gradient from the first step on.
    fn sequence(&mut self, layers: &[Layer], input: Shape, top: bool) -> Result<Shape> {
        let mut shape = input;
        let mut largest = 0u64;
        let mut lowest_found = false;
        for layer in layers {
            let first = self.learns.len();
            let outer = self.frozen;
            self.frozen |= !layer.trainable;
            let built = self.layer(layer, shape);
            self.frozen = outer;
            let out = built?;
            let learns = self.learns[first..].iter().any(|&l| l);
            let n = elements(out, &|| format!("layer {}'s output {out}", layer.name))?;
            self.buf(format!("{}'s output", layer.name), 0, n);
            largest = largest.max(n);
            if top && learns && !lowest_found {
                lowest_found = true;
                if let LayerKind::BatchNorm(_) = layer.kind {
                    let what = format!("{}'s input gradient (unused)", layer.name);
                    self.plan.first_step.push(Buffer { what, fixed: 0, per: n });
                }
            }
            shape = out;
        }
        let (fixed, per) = if layers.len() > 1 { (0, largest) } else { (1, 0) };
        self.buf("a gradient buffer".into(), fixed, per);
        self.buf("a gradient buffer".into(), fixed, per);
        Ok(shape)
    }

    /// A layer's buffers, as `Builder::layer`; its output.
    fn layer(&mut self, layer: &Layer, shape: Shape) -> Result<Shape> {
        let unfit = |e| super::build::unfit(layer, e);
        let (h, w, c) = super::build::hw_c(shape);
        let name = layer.name.as_str();
        let out = match &layer.kind {
            LayerKind::Residual(_) | LayerKind::Concat { .. } => shape,
            kind => kind.output(shape).map_err(unfit)?,
        };
        let what = || format!("layer {name}");
        let n_in = elements(shape, &what)?;
        let n_out = elements(out, &what)?;
        let (oh, ow, oc) = super::build::hw_c(out);
        match &layer.kind {
            LayerKind::Conv2d(k) => self.conv(name, false, (h, w, c), (oh, ow, oc), k.kernel, k.use_bias)?,
            LayerKind::DepthwiseConv2d(k) => self.conv(name, true, (h, w, c), (oh, ow, c), k.kernel, k.use_bias)?,
            LayerKind::SeparableConv2d(k) => {
                self.conv(&format!("{name}/depthwise"), true, (h, w, c), (oh, ow, c), k.kernel, false)?;
                self.conv(&format!("{name}/pointwise"), false, (oh, ow, c), (oh, ow, oc), (1, 1), k.use_bias)?;
                let mid = product(&[oh as u64, ow as u64, c as u64], &what)?;
                self.buf(format!("{name}'s depthwise output"), 0, mid);
                self.buf(format!("{name}'s depthwise gradient"), 0, mid);
            }
            LayerKind::Conv2dTranspose(k) => {
                let (kh, kw) = k.kernel;
                self.param(format!("{name}/kernel"), vec![kh, kw, oc, c], true)?;
                if k.use_bias {
                    self.param(format!("{name}/bias"), vec![oc], true)?;
                }
                // The CPU's forward holds one image's columns (the adjoint conv's data gradient);
                // backward its im2col columns and transposed kernel, and an input gradient.
                let kl = product(&[kh as u64, kw as u64, oc as u64], &what)?;
                let cols = product(&[h as u64, w as u64, kl], &what)?;
                let wt = product(&[kl, c as u64], &what)?;
                self.plan.cpu_work.push(vec![
                    Buffer { what: format!("{name}'s input gradient (unused)"), fixed: 0, per: n_in },
                    Buffer { what: format!("{name}'s transposed kernel"), fixed: wt, per: 0 },
                    Buffer { what: format!("{name}'s im2col columns"), fixed: cols, per: 0 },
                ]);
            }
            LayerKind::MaxPool2d(_) => self.buf(format!("{name}'s argmax"), 0, n_out),
            LayerKind::BatchNorm(b) => {
                self.param(format!("{name}/gamma"), vec![c], b.scale)?;
                self.param(format!("{name}/beta"), vec![c], b.center)?;
                self.param(format!("{name}/moving_mean"), vec![c], false)?;
                self.param(format!("{name}/moving_variance"), vec![c], false)?;
                if !(b.scale && b.center) {
                    self.buf(format!("{name}'s unused γ gradient"), c as u64, 0);
                    self.buf(format!("{name}'s unused β gradient"), c as u64, 0);
                }
                self.buf(format!("{name}'s batch statistics"), 2 * c as u64, 0);
            }
            LayerKind::Dense(d) => self.dense(name, n_in as usize, d.units, d.use_bias)?,
            LayerKind::Residual(r) => {
                let inner = self.sequence(&r.layers, shape, false)?;
                let inner = residual_output(shape, inner, r.projection).map_err(unfit)?;
                let n = elements(inner, &what)?;
                if inner != shape {
                    let (ih, iw, ic) = super::build::hw_c(inner);
                    self.conv(&format!("{name}/projection"), false, (h, w, c), (ih, iw, ic), (1, 1), true)?;
                    self.buf(format!("{name}'s projection"), 0, n);
                }
                self.buf(format!("{name}'s shortcut gradient"), 0, n_in);
                return Ok(inner);
            }
            LayerKind::Concat { branches } => {
                let mut shapes = Vec::new();
                for b in branches {
                    let s = self.sequence(b, shape, false)?;
                    self.buf(format!("{name}'s branch gradient"), 0, elements(s, &what)?);
                    shapes.push(s);
                }
                let out = concat_output(&shapes).map_err(unfit)?;
                self.buf(format!("{name}'s branch input gradient"), 0, n_in);
                return Ok(out);
            }
            LayerKind::SqueezeExcite(se) => {
                let hidden = (c / se.ratio.max(1)).max(1);
                self.dense(&format!("{name}/squeeze"), c, hidden, true)?;
                self.dense(&format!("{name}/excite"), hidden, c, true)?;
                let parts = [("pooled values", c), ("hidden values", hidden), ("scales", c)];
                for (part, per) in
                    parts.iter().chain(&[("pooled gradient", c), ("hidden gradient", hidden), ("scale gradient", c)])
                {
                    self.buf(format!("{name}'s {part}"), 0, *per as u64);
                }
                self.buf(format!("{name}'s input gradient"), 0, n_in);
            }
            _ => {}
        }
        Ok(out)
    }
}

/// Bytes as a reader sees them: whole GiB or MiB when exact, else GB, MB or kB to 3 figures.
pub fn bytes_text(b: u64) -> String {
    let three = |v: f64, unit: &str| {
        let digits = if v >= 100.0 {
            0
        } else if v >= 10.0 {
            1
        } else {
            2
        };
        format!("{v:.digits$} {unit}")
    };
    if b >= 1 << 30 && b.is_multiple_of(1 << 30) {
        format!("{} GiB", b >> 30)
    } else if b >= 1 << 20 && b.is_multiple_of(1 << 20) {
        format!("{} MiB", b >> 20)
    } else if b >= 1_000_000_000 {
        three(b as f64 / 1e9, "GB")
    } else if b >= 1_000_000 {
        three(b as f64 / 1e6, "MB")
    } else if b >= 1_000 {
        three(b as f64 / 1e3, "kB")
    } else {
        format!("{b} bytes")
    }
}

/// 200000 → "200,000".
pub fn count_text(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

impl Plan {
    /// Whether training at `batch` fits `limits`: (training bytes, largest buffer bytes and
    /// what it is), or None when it does not (or does not even count).
    fn fits(&self, batch: u64, limits: &Limits, cpu: bool) -> bool {
        match (self.training_bytes(batch, cpu), self.largest(batch, cpu)) {
            (Some(t), Some((big, _))) => t <= limits.budget && big <= limits.max_buffer,
            _ => false,
        }
    }

    /// The largest batch below `batch` that fits, if any (the plan grows with the batch).
    pub fn largest_batch(&self, batch: u64, limits: &Limits, cpu: bool) -> Option<u64> {
        if !self.fits(1, limits, cpu) {
            return None;
        }
        let (mut lo, mut hi) = (1u64, batch);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.fits(mid, limits, cpu) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(lo)
    }

    /// " (X of buffers, as the summary estimates, and Y of the CPU's working memory)" when
    /// the total `t` at `batch` holds working memory, else nothing.
    fn parts(&self, batch: u64, t: u64) -> String {
        let buffers = sum(&self.built, batch)
            .and_then(|a| a.checked_add(sum(&self.first_step, batch)?))
            .and_then(|a| a.checked_mul(4));
        match buffers {
            Some(buffers) if buffers < t => format!(
                " ({} of buffers, as the summary estimates, and {} of the CPU's working memory)",
                bytes_text(buffers),
                bytes_text(t - buffers)
            ),
            _ => String::new(),
        }
    }

    /// Refuses, with the numbers and the fixes, a model whose training at `batch` would not fit
    /// `limits`. `cpu`: the CPU backend's working memory counts too.
    pub fn check(&self, spec: &ModelSpec, batch: usize, limits: &Limits, cpu: bool) -> Result<()> {
        let b = batch as u64;
        if self.fits(b, limits, cpu) {
            return Ok(());
        }
        let model = if spec.name.is_empty() { "this model".to_string() } else { spec.name.clone() };
        let head = format!("training {model} at batch {}", count_text(b));
        let mut problem = match (self.training_bytes(b, cpu), self.largest(b, cpu)) {
            (Some(t), Some((big, what))) if t > limits.budget => format!(
                "{head} needs {}{} but this engine can allocate at most {} ({}); the largest part is {what} ({})",
                bytes_text(t),
                self.parts(b, t),
                bytes_text(limits.budget),
                limits.budget_source,
                bytes_text(big)
            ),
            (Some(_), Some((big, what))) => format!(
                "{head} needs a buffer of {} for {what}, but {} allows at most {} per buffer",
                bytes_text(big),
                limits.max_buffer_source,
                bytes_text(limits.max_buffer)
            ),
            _ => format!("{head} needs more memory than 64-bit arithmetic counts"),
        };
        let mut fixes = Vec::new();
        match self.largest_batch(b, limits, cpu) {
            Some(fit) => {
                let need = self.training_bytes(fit, cpu).unwrap_or(0);
                fixes.push(format!("batch ≤ {} (needs {})", count_text(fit), bytes_text(need)));
            }
            None => {
                let one = self.training_bytes(1, cpu).map_or("more than 64-bit arithmetic counts".into(), bytes_text);
                problem.push_str(&format!("; even batch 1 needs {one}"));
                if let Some(p) = self.params.iter().max_by_key(|p| p.values) {
                    fixes.push(format!(
                        "a smaller model: its largest parameter, {}, holds {} values ({} with its gradient and optimiser state)",
                        p.name,
                        count_text(p.values),
                        bytes_text(p.values.saturating_mul(16))
                    ));
                }
            }
        }
        // The will-it-fit fixes that change the model, computed on it (the summary's estimates).
        let limit = Some((limits.max_buffer, limits.max_buffer));
        let counted = self.training_bytes(b, cpu).is_some();
        if let Some(check) =
            counted.then(|| crate::fit::check(&spec.source, batch, limits.budget, limit).ok()).flatten()
        {
            let structural = check
                .fixes
                .iter()
                .filter(|f| f.fits && !f.change.starts_with("batch ") && !f.change.starts_with("f16"));
            fixes.extend(structural.map(|f| format!("{} (about {})", f.change, bytes_text(f.estimate.bytes))));
        }
        if !fixes.is_empty() {
            problem.push_str(&format!("; try {}", fixes.join(", or ")));
        }
        Err(Error::Invalid(problem))
    }
}
