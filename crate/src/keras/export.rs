//! A spec written as Keras code: a `keras.Sequential` with the same layers (so the same
//! parameter count), compiled and fitted as the spec's recipe says. For a 28×28×1 (or 784)
//! input the code loads MNIST, so it runs as it is in a notebook.

use crate::error::{Error, Result};
use crate::spec::{Activation, Init, Interpolation, Layer, LayerKind, ModelSpec, Padding, Shape};
use serde_json::Value;

/// Keras code that builds `spec`'s model; an error for the layers Keras's `Sequential`
/// cannot hold (blocks) or that Keras has no layer for (LRN).
pub fn from_spec(spec: &ModelSpec) -> Result<String> {
    let names = explicit_names(spec);
    let mut rows = vec![format!("keras.Input(shape={})", shape(&spec.input))];
    let mut problems = vec![];
    for (i, layer) in spec.layers.iter().enumerate() {
        match layer_code(layer, names.get(i).cloned().flatten()) {
            Ok(code) => rows.push(code),
            Err(e) => problems.push(format!("layers[{i}] ({}): {e}", layer.kind.type_name())),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Spec(problems));
    }
    let params = crate::summary::summarize(spec, 1).params;
    let mnist = matches!(spec.input, Shape::Map { h: 28, w: 28, c: 1 } | Shape::Flat(784));
    let r = spec.training.clone().unwrap_or_default();
    let (epochs, batch) = (r.epochs.unwrap_or(1), r.batch.unwrap_or(64));
    let (optimizer, lr) = (r.optimizer.as_deref().unwrap_or("adam"), r.lr.unwrap_or(1e-3));
    let schedule = r.schedule.as_deref().unwrap_or("constant");

    let mut out = String::new();
    let mut line = |s: &str| {
        out.push_str(s);
        out.push('\n');
    };
    line(&format!(
        "# {}: exported from ConvPlay ({} parameters; model.summary() shows the same).",
        spec.name,
        crate::summary::group(params)
    ));
    line("import math");
    line("");
    line("import keras");
    line("from keras import layers");
    line("");
    line("model = keras.Sequential(");
    line("    [");
    for row in &rows {
        line(&format!("        {row},"));
    }
    line("    ],");
    line(&format!("    name={},", py_str(&spec.name)));
    line(")");
    line("model.summary()");
    line("");
    if mnist {
        let dims = if spec.input == Shape::Flat(784) { "784" } else { "28, 28, 1" };
        line("(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()");
        line(&format!("x_train = x_train.reshape(-1, {dims}).astype(\"float32\") / 255"));
        line(&format!("x_test = x_test.reshape(-1, {dims}).astype(\"float32\") / 255"));
    } else {
        line(&format!(
            "# x_train: your images, shape (n, {}), values scaled to [0, 1]; y_train: their class indices.",
            spec.input.dims().iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        ));
    }
    if spec.training.is_none() {
        line("# The spec has no recipe: ConvPlay's defaults (Adam at 0.001, batch 64, 1 epoch).");
    }
    let rate = match schedule {
        "constant" => num(lr),
        _ => {
            if mnist {
                line(&format!("steps_per_epoch = math.ceil(len(x_train) / {batch})"));
            } else {
                line(&format!("steps_per_epoch = math.ceil(60000 / {batch})  # ceil(training images / batch size)"));
            }
            let total = format!("{epochs} * steps_per_epoch");
            match schedule {
                "cosine" => format!("keras.optimizers.schedules.CosineDecay({}, decay_steps={total})", num(lr)),
                "step" => format!(
                    "keras.optimizers.schedules.ExponentialDecay({}, decay_steps=steps_per_epoch, decay_rate=0.5, staircase=True)",
                    num(lr)
                ),
                // Linear warm-up from lr/25 over 30% of the run, then cosine down to lr/25e4: ConvPlay's one-cycle.
                _ => format!(
                    "keras.optimizers.schedules.CosineDecay({lr} / 25, decay_steps=round(0.7 * {total}), alpha=4e-06, \
                     warmup_target={lr}, warmup_steps=round(0.3 * {total}))",
                    lr = num(lr)
                ),
            }
        }
    };
    let decay = r.weight_decay.map(|d| format!(", weight_decay={}", num(d)));
    let opt = match optimizer {
        "adamw" => format!("keras.optimizers.AdamW(learning_rate={rate}{})", decay.unwrap_or_default()),
        "sgd" => format!("keras.optimizers.SGD(learning_rate={rate}, momentum=0.9, nesterov=True)"),
        _ => format!("keras.optimizers.Adam(learning_rate={rate})"),
    };
    if optimizer != "adamw" {
        if let Some(d) = r.weight_decay {
            line(&format!(
                "# The recipe's weight decay {} is an L2 term in ConvPlay's {optimizer}; Keras's weight_decay= is \
                 decoupled, so it is left out.",
                num(d)
            ));
        }
    }
    if let Some(a) = &r.augment {
        line(&format!(
            "# The recipe augments (shift {} px, rotation {}°, scale {}): in Keras, add layers.RandomTranslation, \
             RandomRotation and RandomZoom before the first layer.",
            a.shift, a.rotate_deg, a.scale
        ));
    }
    line("model.compile(");
    line(&format!("    optimizer={opt},"));
    line("    loss=\"sparse_categorical_crossentropy\",");
    line("    metrics=[\"accuracy\"],");
    line(")");
    let fit = format!("model.fit(x_train, y_train, epochs={epochs}, batch_size={batch})");
    if mnist {
        line(&fit);
        line("model.evaluate(x_test, y_test)");
    } else {
        line(&format!("# {fit}"));
    }
    Ok(out)
}

/// The names a spec gives its top-level layers itself (the others are numbered by Keras).
fn explicit_names(spec: &ModelSpec) -> Vec<Option<String>> {
    let items = spec.source.get("layers").and_then(Value::as_array).cloned().unwrap_or_default();
    items.iter().map(|l| l.get("name").and_then(Value::as_str).map(str::to_string)).collect()
}

fn layer_code(layer: &Layer, name: Option<String>) -> std::result::Result<String, String> {
    let mut a: Vec<String> = vec![];
    let class = match &layer.kind {
        LayerKind::Conv2d(c) => {
            a.push(c.filters.to_string());
            conv_args(&mut a, c.kernel, c.strides, c.padding, c.activation, c.use_bias);
            init(&mut a, c.init, &["kernel_initializer"]);
            "Conv2D"
        }
        LayerKind::SeparableConv2d(c) => {
            a.push(c.filters.to_string());
            conv_args(&mut a, c.kernel, c.strides, c.padding, c.activation, c.use_bias);
            init(&mut a, c.init, &["depthwise_initializer", "pointwise_initializer"]);
            "SeparableConv2D"
        }
        LayerKind::DepthwiseConv2d(c) => {
            conv_args(&mut a, c.kernel, c.strides, c.padding, c.activation, c.use_bias);
            init(&mut a, c.init, &["depthwise_initializer"]);
            "DepthwiseConv2D"
        }
        LayerKind::MaxPool2d(p) | LayerKind::AvgPool2d(p) => {
            a.push(size(p.pool));
            if p.strides != p.pool {
                a.push(format!("strides={}", size(p.strides)));
            }
            if p.padding == Padding::Same {
                a.push("padding=\"same\"".into());
            }
            if matches!(layer.kind, LayerKind::MaxPool2d(_)) {
                "MaxPooling2D"
            } else {
                "AveragePooling2D"
            }
        }
        LayerKind::GlobalAvgPool2d => "GlobalAveragePooling2D",
        LayerKind::BatchNorm(b) => {
            if b.momentum != 0.99 {
                a.push(format!("momentum={}", num(b.momentum)));
            }
            if b.epsilon != 1e-3 {
                a.push(format!("epsilon={}", num(b.epsilon)));
            }
            if !b.center {
                a.push("center=False".into());
            }
            if !b.scale {
                a.push("scale=False".into());
            }
            "BatchNormalization"
        }
        LayerKind::Dense(d) => {
            a.push(d.units.to_string());
            if d.activation != Activation::Linear {
                a.push(format!("activation=\"{}\"", d.activation.name()));
            }
            if !d.use_bias {
                a.push("use_bias=False".into());
            }
            init(&mut a, d.init, &["kernel_initializer"]);
            "Dense"
        }
        LayerKind::Flatten => "Flatten",
        LayerKind::Activation { activation: Activation::LeakyRelu { alpha } } => {
            a.push(num(*alpha));
            "LeakyReLU"
        }
        LayerKind::Activation { activation } => {
            a.push(format!("\"{}\"", activation.name()));
            "Activation"
        }
        LayerKind::Dropout { rate } => {
            a.push(num(*rate));
            "Dropout"
        }
        LayerKind::UpSampling2d(u) => {
            if u.size != (2, 2) {
                a.push(format!("size={}", size(u.size)));
            }
            if u.interpolation == Interpolation::Bilinear {
                a.push("interpolation=\"bilinear\"".into());
            }
            "UpSampling2D"
        }
        LayerKind::Lrn(_) => {
            return Err("Keras has no local response normalisation layer, so the model cannot be written as Keras \
                        code; remove the layer to export it"
                .into())
        }
        LayerKind::Residual(_) | LayerKind::Concat { .. } | LayerKind::SqueezeExcite(_) => {
            return Err("a block needs Keras's functional API, and ConvPlay exports Sequential models only; \
                        remove the block to export the model"
                .into())
        }
    };
    if let Some(n) = name {
        a.push(format!("name={}", py_str(&n)));
    }
    if !layer.trainable {
        a.push("trainable=False".into());
    }
    Ok(format!("layers.{class}({})", a.join(", ")))
}

fn conv_args(
    a: &mut Vec<String>,
    kernel: (usize, usize),
    strides: (usize, usize),
    padding: Padding,
    act: Activation,
    bias: bool,
) {
    a.push(size(kernel));
    if strides != (1, 1) {
        a.push(format!("strides={}", size(strides)));
    }
    if padding == Padding::Same {
        a.push("padding=\"same\"".into());
    }
    if act != Activation::Linear {
        a.push(format!("activation=\"{}\"", act.name()));
    }
    if !bias {
        a.push("use_bias=False".into());
    }
}

fn init(a: &mut Vec<String>, init: Init, keys: &[&str]) {
    if init == Init::HeUniform {
        a.extend(keys.iter().map(|k| format!("{k}=\"he_uniform\"")));
    }
}

fn size((h, w): (usize, usize)) -> String {
    if h == w {
        h.to_string()
    } else {
        format!("({h}, {w})")
    }
}

fn shape(s: &Shape) -> String {
    match *s {
        Shape::Map { h, w, c } => format!("({h}, {w}, {c})"),
        Shape::Flat(n) => format!("({n},)"),
    }
}

/// A float as Python writes it: the shortest text that reads back as the same f32.
fn num(x: f32) -> String {
    let s = format!("{x}");
    if s.contains('.') || s.contains('e') || s.contains("inf") || s.contains("NaN") {
        s
    } else {
        format!("{s}.0")
    }
}

/// A Python string literal (JSON's escapes are Python's).
fn py_str(s: &str) -> String {
    Value::from(s).to_string()
}
