//! Dense → convolution: the fully convolutional equivalent of a trained classifier.
//!
//! A `flatten` followed by a `dense` of `units` over an h×w×c map computes, for each unit, a
//! weighted sum over the whole h×w×c window: exactly a "valid" h×w convolution with `units`
//! filters, evaluated at the one position where the window fits. Flattening is channel-last
//! (index `(y·w + x)·c + ch`) and a dense kernel is [in, out], so the kernel [h·w·c, units]
//! read as HWIO [h, w, c, units] is that convolution's kernel, value for value: nothing moves.
//! Later dense layers see a vector of n values, the channels of a 1×1 map: they become 1×1
//! convolutions ([n, units] → [1, 1, n, units]). The softmax then runs over the channels at
//! each position. On the original input size the converted net computes the same numbers;
//! on a larger input it slides the classifier over the input in one forward pass, one class
//! distribution per window position, at the stride of the layers before the flatten.

use crate::error::{Error, Result};
use crate::spec::{Activation, Layer, LayerKind, ModelSpec, Shape};
use serde_json::{json, Value};
use std::collections::HashMap;

/// A weights file's tensors by name: shape and values.
pub type Tensors = HashMap<String, (Vec<usize>, Vec<f32>)>;

/// The converted spec (JSON, ready for `spec::parse`) and its tensors, in the original order.
pub struct Converted {
    pub spec: Value,
    pub tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
}

fn refuse(what: String) -> Error {
    Error::Invalid(format!("cannot make this model fully convolutional: {what}"))
}

/// Layers that look at the whole input at once, so that no sliding window stands for them.
fn global_inside(layers: &[Layer]) -> Option<&Layer> {
    layers.iter().find_map(|l| match &l.kind {
        LayerKind::GlobalAvgPool2d | LayerKind::SqueezeExcite(_) => Some(l),
        LayerKind::Residual(r) => global_inside(&r.layers),
        LayerKind::Concat { branches } => branches.iter().find_map(|b| global_inside(b)),
        _ => None,
    })
}

/// The fully convolutional version of `spec` for inputs of `height`×`width` (at least the
/// spec's own input size), with `tensors` (the trained weights) rearranged for it.
pub fn convert(spec: &ModelSpec, tensors: &Tensors, height: usize, width: usize) -> Result<Converted> {
    let Shape::Map { h: h0, w: w0, c: c0 } = spec.input else {
        return Err(refuse(format!(
            "its input is a flat vector of {} values, with no height and width to slide over; give the model an image input [h, w, c] (a \"flatten\" first, then the dense layers)",
            spec.input.buffer_len()
        )));
    };
    if (height as u64) < h0 || (width as u64) < w0 {
        return Err(Error::Invalid(format!(
            "the fully convolutional net needs an input at least as large as the model's own {}×{}, got {height}×{width}; give a larger height and width",
            h0, w0
        )));
    }
    if let Some(l) = global_inside(&spec.layers) {
        return Err(refuse(format!(
            "layer \"{}\" ({}) averages over the whole map, so on a wider input it would mix every window instead of sliding one; only convolutions, pooling windows, batch norm, activations, dropout, LRN, residual and concat blocks, flatten and dense layers convert",
            l.name,
            l.kind.type_name()
        )));
    }
    let source = spec.source.get("layers").and_then(Value::as_array);
    let Some(source) = source.filter(|s| s.len() == spec.layers.len()) else {
        return Err(Error::Invalid(
            "the model's spec JSON is missing (a spec built in code, not parsed); parse it with spec::parse first"
                .into(),
        ));
    };
    // Each top-level layer's output on the original input, by the one shape rule.
    let summary = crate::summary::summarize(spec, 1);
    let outputs: Vec<Shape> = summary.rows.iter().filter(|r| r.depth == 0).map(|r| r.output).collect();
    if outputs.len() != spec.layers.len() {
        return Err(Error::Invalid(
            "the spec's summary does not list every top-level layer; validate the spec first".into(),
        ));
    }
    let mut layers: Vec<Value> = Vec::with_capacity(source.len());
    // Dense kernels as convolution kernels, by tensor name.
    let mut reshaped: HashMap<String, Vec<usize>> = HashMap::new();
    let mut shape = spec.input;
    // The map a flatten turned into a vector, until the dense layer that reads it.
    let mut flattened: Option<(u64, u64, u64)> = None;
    let mut dense_seen = false;
    for ((layer, raw), &next) in spec.layers.iter().zip(source).zip(&outputs) {
        let placed = |why: &str| refuse(format!("layer \"{}\" ({}) {why}", layer.name, layer.kind.type_name()));
        match &layer.kind {
            LayerKind::Flatten => {
                if let Shape::Map { h, w, c } = shape {
                    flattened = Some((h, w, c));
                }
                shape = next;
                continue;
            }
            LayerKind::Dense(d) => {
                let (kh, kw, cin) = flattened.take().unwrap_or((1, 1, shape.buffer_len() as u64));
                let (kh, kw, cin) = (kh as usize, kw as usize, cin as usize);
                // [kh·kw·cin, units] row-major is [kh, kw, cin, units] row-major: the same values.
                reshaped.insert(format!("{}/kernel", layer.name), vec![kh, kw, cin, d.units]);
                let mut conv = raw.as_object().cloned().unwrap_or_default();
                conv.remove("units");
                conv.insert("type".into(), json!("conv2d"));
                conv.insert("name".into(), json!(layer.name));
                conv.insert("filters".into(), json!(d.units));
                conv.insert("kernel_size".into(), json!([kh, kw]));
                conv.insert("strides".into(), json!(1));
                conv.insert("padding".into(), json!("valid"));
                layers.push(Value::Object(conv));
                dense_seen = true;
                shape = next;
                continue;
            }
            LayerKind::Dropout { .. } => {}
            LayerKind::Activation { activation } if flattened.is_some() && *activation == Activation::Softmax => {
                return Err(placed(
                    "takes a softmax over the flattened map, which is no per-position softmax; put it after a dense layer",
                ));
            }
            LayerKind::Activation { .. } => {}
            _ if flattened.is_some() => {
                return Err(placed(
                    "stands between a flatten and the dense layer that reads it; only dropout and activations may",
                ));
            }
            LayerKind::BatchNorm(_) | LayerKind::Lrn(_) if dense_seen => {}
            _ if dense_seen || matches!(shape, Shape::Flat(_)) => {
                return Err(placed(
                    "works on a flat vector where only dense layers, batch norm, LRN, dropout and activations convert",
                ));
            }
            _ => {}
        }
        layers.push(raw.clone());
        shape = next;
    }
    if flattened.is_some() {
        return Err(refuse("it ends in a flatten with no dense layer after it".into()));
    }
    let mut doc = spec.source.as_object().cloned().unwrap_or_default();
    doc.remove("input_shape");
    doc.remove("training");
    doc.insert("name".into(), json!(format!("{}-fcn", spec.name)));
    doc.insert("input".into(), json!([height, width, c0]));
    doc.insert("layers".into(), Value::Array(layers));
    doc.insert(
        "description".into(),
        json!(format!(
            "{} made fully convolutional for {height}×{width} inputs: its dense layers as convolutions, one class distribution per {h0}×{w0} window position.",
            spec.name
        )),
    );
    let doc = Value::Object(doc);
    let converted = crate::spec::parse_value(&doc).map_err(|e| {
        refuse(format!("the converted spec does not build on a {height}×{width} input: {}", e.message()))
    })?;
    // Every parameter the converted model has, from the trained tensor of the same name.
    let plan = crate::layers::plan::Plan::of(&converted)?;
    let mut out = Vec::with_capacity(plan.params.len());
    for p in &plan.params {
        let (shape, values) = tensors
            .get(&p.name)
            .ok_or_else(|| Error::Data(format!("the weights have no tensor {}, which the model needs", p.name)))?;
        let shape = reshaped.get(&p.name).unwrap_or(shape);
        if *shape != p.shape || values.len() != p.shape.iter().product::<usize>() {
            return Err(Error::Data(format!(
                "tensor {} is {:?} with {} values, but the converted model needs {:?}",
                p.name,
                shape,
                values.len(),
                p.shape
            )));
        }
        out.push((p.name.clone(), p.shape.clone(), values.clone()));
    }
    Ok(Converted { spec: doc, tensors: out })
}

/// [`convert`] on a ConvPlay weights file: the converted model as a new weights file (f32,
/// with the class names and preprocessing of the original).
pub fn convert_weights(bytes: &[u8], height: usize, width: usize) -> Result<Vec<u8>> {
    let file = crate::weights::read(bytes)?;
    let c = convert(&file.spec, &file.tensors, height, width)?;
    crate::weights::encode(&c.spec, &file.extra, &c.tensors, crate::weights::Storage::F32)
}
