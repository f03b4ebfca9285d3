//! Keras layer classes → spec layers: each class's positional arguments, the keyword
//! arguments that become spec fields, and those read only at their default value.

use super::expr::{Call, Expr, Node};
use super::value;
use serde_json::Value;
use std::collections::HashMap;

struct Class {
    /// Keras's names for it (aliases after the first).
    names: &'static [&'static str],
    /// The spec type.
    ty: &'static str,
    /// Keras's positional order.
    positional: &'static [&'static str],
    /// Keyword arguments read into spec fields (after renaming by [`field_of`]).
    fields: &'static [&'static str],
}

const CONV: &[&str] = &["filters", "kernel_size", "strides", "padding", "activation", "use_bias", "kernel_initializer"];

const CLASSES: &[Class] = &[
    Class {
        names: &["Conv2D", "Convolution2D"],
        ty: "conv2d",
        positional: &["filters", "kernel_size", "strides", "padding"],
        fields: CONV,
    },
    Class {
        names: &["SeparableConv2D", "SeparableConvolution2D"],
        ty: "separable_conv2d",
        positional: &["filters", "kernel_size", "strides", "padding"],
        fields: &[
            "filters",
            "kernel_size",
            "strides",
            "padding",
            "activation",
            "use_bias",
            "depthwise_initializer",
            "pointwise_initializer",
        ],
    },
    Class {
        names: &["DepthwiseConv2D"],
        ty: "depthwise_conv2d",
        positional: &["kernel_size", "strides", "padding", "depth_multiplier"],
        fields: &[
            "kernel_size",
            "strides",
            "padding",
            "depth_multiplier",
            "activation",
            "use_bias",
            "depthwise_initializer",
        ],
    },
    Class {
        names: &["MaxPooling2D", "MaxPool2D"],
        ty: "max_pool2d",
        positional: &["pool_size", "strides", "padding"],
        fields: &["pool_size", "strides", "padding"],
    },
    Class {
        names: &["AveragePooling2D", "AvgPool2D"],
        ty: "avg_pool2d",
        positional: &["pool_size", "strides", "padding"],
        fields: &["pool_size", "strides", "padding"],
    },
    Class {
        names: &["GlobalAveragePooling2D", "GlobalAvgPool2D"],
        ty: "global_avg_pool2d",
        positional: &["data_format"],
        fields: &[],
    },
    Class {
        names: &["BatchNormalization"],
        ty: "batch_norm",
        positional: &["axis", "momentum", "epsilon", "center", "scale"],
        fields: &["momentum", "epsilon", "center", "scale"],
    },
    Class {
        names: &["Dense"],
        ty: "dense",
        positional: &["units", "activation", "use_bias"],
        fields: &["units", "activation", "use_bias", "kernel_initializer"],
    },
    Class { names: &["Flatten"], ty: "flatten", positional: &["data_format"], fields: &[] },
    Class { names: &["Dropout"], ty: "dropout", positional: &["rate", "noise_shape", "seed"], fields: &["rate"] },
    Class { names: &["Activation"], ty: "activation", positional: &["activation"], fields: &["activation"] },
    Class {
        names: &["ReLU"],
        ty: "activation",
        positional: &["max_value", "negative_slope", "threshold"],
        fields: &["max_value"],
    },
    Class {
        names: &["LeakyReLU"],
        ty: "leaky_relu",
        positional: &["negative_slope"],
        fields: &["negative_slope", "alpha"],
    },
    Class { names: &["Softmax"], ty: "softmax", positional: &["axis"], fields: &[] },
    Class {
        names: &["UpSampling2D"],
        ty: "up_sampling2d",
        positional: &["size", "data_format", "interpolation"],
        fields: &["size", "interpolation"],
    },
];

/// The layer classes read, for messages.
pub(super) fn supported() -> String {
    let mut names: Vec<&str> = CLASSES.iter().flat_map(|c| c.names.iter().copied()).collect();
    names.extend(["Input", "InputLayer"]);
    names.join(", ")
}

/// Activations ConvPlay has, by their Keras names.
pub(super) const ACTIVATIONS: &[&str] = &["linear", "relu", "relu6", "leaky_relu", "sigmoid", "tanh", "softmax"];

/// A layer read from a call: the spec layer's fields in order ("type" first) and, when the
/// call gave one, the input shape (`input_shape=` on the first layer).
pub(super) struct Read {
    pub fields: Vec<(String, Value)>,
    pub input: Option<Vec<u64>>,
}

/// The spec field a Keras keyword argument fills.
fn field_of(kw: &str) -> &str {
    match kw {
        "depthwise_initializer" | "pointwise_initializer" => "kernel_initializer",
        "negative_slope" => "alpha",
        other => other,
    }
}

/// Whether `v` is the default of an argument ConvPlay reads only at its default, and the default.
fn default_only(kw: &str, v: &Value, ty: &str) -> Option<(bool, &'static str)> {
    let one = |v: &Value| v.as_i64() == Some(1) || *v == serde_json::json!([1, 1]);
    Some(match kw {
        "data_format" => (v.is_null() || v == "channels_last", "\"channels_last\""),
        "dilation_rate" => (one(v), "1"),
        "groups" => (v.as_i64() == Some(1), "1"),
        "bias_initializer" | "beta_initializer" | "moving_mean_initializer" => {
            (v.is_null() || v == "zeros", "\"zeros\"")
        }
        "gamma_initializer" | "moving_variance_initializer" => (v.is_null() || v == "ones", "\"ones\""),
        "axis" if ty == "batch_norm" || ty == "softmax" => (matches!(v.as_i64(), Some(-1) | Some(3)), "-1"),
        "keepdims" => (v == &Value::Bool(false), "False"),
        "noise_shape" => (v.is_null(), "None"),
        "depth_multiplier" if ty == "separable_conv2d" => (one(v), "1"),
        "negative_slope" | "threshold" if ty == "activation" => (v.as_f64() == Some(0.0), "0"),
        "dtype" => (v.is_null() || v == "float32", "\"float32\""),
        k if k.ends_with("_regularizer") || k.ends_with("_constraint") => (v.is_null(), "None"),
        _ => return None,
    })
}

/// Reads one Keras layer call; an input (`keras.Input`, `InputLayer`) has no fields, only
/// its shape. Errors are messages without the line.
pub(super) fn layer(call: &Call, consts: &HashMap<String, Value>) -> Result<Read, String> {
    let name = call.name();
    if matches!(name, "Input" | "InputLayer") {
        return input(call, consts).map(|shape| Read { fields: vec![], input: Some(shape) });
    }
    let Some(class) = CLASSES.iter().find(|c| c.names.contains(&name)) else {
        return Err(format!("{name} is not supported; supported layers are {}", supported()));
    };
    if call.args.len() > class.positional.len() {
        return Err(format!(
            "{name} takes at most {} positional arguments here ({}); name the others",
            class.positional.len(),
            class.positional.join(", ")
        ));
    }
    let mut given: Vec<(&str, &Node)> = class.positional.iter().copied().zip(call.args.iter()).collect();
    for (k, v) in &call.kwargs {
        if given.iter().any(|(g, _)| g == k) {
            return Err(format!("{name} is given {k} twice, by position and by name"));
        }
        given.push((k.as_str(), v));
    }
    let mut fields: Vec<(String, Value)> = vec![("type".into(), Value::from(class.ty))];
    let mut read = Read { fields: vec![], input: None };
    for (kw, node) in given {
        let v = match kw {
            "activation" => activation(node, consts)?,
            _ => value(node, consts).map_err(|e| format!("{name}'s {kw}: {e}"))?,
        };
        match kw {
            "name" => fields.push(("name".into(), v)),
            "trainable" => fields.push(("trainable".into(), v)),
            "input_shape" | "batch_input_shape" | "input_dim" => {
                let mut shape = v;
                if kw == "batch_input_shape" {
                    if let Value::Array(a) = &mut shape {
                        if !a.is_empty() {
                            a.remove(0);
                        }
                    }
                }
                if kw == "input_dim" {
                    shape = Value::Array(vec![shape]);
                }
                read.input = Some(dims(&shape)?);
            }
            "seed" => {}
            _ if class.fields.contains(&kw) => {
                let field = field_of(kw);
                if let Some((_, before)) = fields.iter().find(|(f, _)| f == field) {
                    if *before != v {
                        return Err(format!("{name}'s initializers differ; ConvPlay gives the layer one initializer"));
                    }
                    continue;
                }
                fields.push((field.to_string(), v));
            }
            _ => match default_only(kw, &v, class.ty) {
                Some((true, _)) => {}
                Some((false, default)) => {
                    return Err(format!(
                        "{name}'s {kw}={} is not supported by ConvPlay (only the default, {default})",
                        show(&v)
                    ))
                }
                None => {
                    return Err(format!(
                        "{name} has no argument {kw} that ConvPlay reads; it reads {}",
                        class.fields.iter().chain(["name", "trainable"].iter()).copied().collect::<Vec<_>>().join(", ")
                    ))
                }
            },
        }
    }
    special(name, &mut fields)?;
    read.fields = fields;
    Ok(read)
}

/// The classes that map onto another spec type by their values: ReLU(max_value=6) is relu6.
fn special(name: &str, fields: &mut Vec<(String, Value)>) -> Result<(), String> {
    if name != "ReLU" {
        return Ok(());
    }
    let act = match fields.iter().position(|(f, _)| f == "max_value") {
        None => "relu",
        Some(i) => {
            let (_, v) = fields.remove(i);
            match v.as_f64() {
                None if v.is_null() => "relu",
                Some(6.0) => "relu6",
                _ => return Err(format!("ReLU's max_value={} is not supported by ConvPlay (None or 6)", show(&v))),
            }
        }
    };
    fields.push(("activation".into(), Value::from(act)));
    Ok(())
}

/// An activation argument: a name as a string, `tf.nn.relu` / `keras.activations.relu`, or None.
fn activation(node: &Node, consts: &HashMap<String, Value>) -> Result<Value, String> {
    let name = match &node.expr {
        Expr::Name(parts) if parts.len() > 1 => parts.last().cloned().unwrap_or_default(),
        Expr::Call(c) => {
            return Err(format!(
                "activation={}(...) is not read; name the activation, e.g. activation=\"relu\"",
                c.callee.join(".")
            ))
        }
        _ => match value(node, consts)? {
            Value::Null => return Ok(Value::Null),
            Value::String(s) => s,
            other => return Err(format!("activation={} must be a name such as \"relu\"", show(&other))),
        },
    };
    let lower = name.to_ascii_lowercase();
    if ACTIVATIONS.contains(&lower.as_str()) {
        Ok(Value::String(lower))
    } else {
        Err(format!(
            "ConvPlay has no {name:?} activation; it has {}",
            ACTIVATIONS.iter().map(|a| format!("\"{a}\"")).collect::<Vec<_>>().join(", ")
        ))
    }
}

/// `keras.Input(shape=...)`, `Input((28, 28, 1))`, `InputLayer(input_shape=...)`.
fn input(call: &Call, consts: &HashMap<String, Value>) -> Result<Vec<u64>, String> {
    let name = call.name();
    let mut shape = None;
    if let Some(first) = call.args.first() {
        shape = Some(value(first, consts)?);
    }
    for (k, v) in &call.kwargs {
        match k.as_str() {
            "shape" | "input_shape" => shape = Some(value(v, consts)?),
            "batch_shape" | "batch_input_shape" => {
                let mut s = value(v, consts)?;
                if let Value::Array(a) = &mut s {
                    if !a.is_empty() {
                        a.remove(0);
                    }
                }
                shape = Some(s);
            }
            "batch_size" | "name" | "dtype" | "sparse" | "ragged" => {}
            other => return Err(format!("{name} has no argument {other} that ConvPlay reads; it reads shape")),
        }
    }
    match shape {
        Some(s) => dims(&s),
        None => Err(format!("{name} needs a shape, e.g. {name}(shape=(28, 28, 1))")),
    }
}

/// An input shape: (h, w, c), (h, w) read as (h, w, 1), or (n,).
pub(super) fn dims(v: &Value) -> Result<Vec<u64>, String> {
    let items: Vec<Value> = match v {
        Value::Array(a) => a.clone(),
        n if n.is_number() => vec![n.clone()],
        other => return Err(format!("the input shape must be a tuple such as (28, 28, 1), got {}", show(other))),
    };
    if items.iter().any(Value::is_null) {
        return Err("the input shape has None in it; ConvPlay's models have a fixed input size: give every size, \
                    e.g. (28, 28, 1)"
            .into());
    }
    let d: Option<Vec<u64>> = items.iter().map(|x| x.as_u64().filter(|n| (1..=1_000_000).contains(n))).collect();
    match d {
        Some(d) if d.len() == 3 || d.len() == 1 => Ok(d),
        Some(d) if d.len() == 2 => Ok(vec![d[0], d[1], 1]),
        _ => Err(format!(
            "the input shape {} must be (height, width, channels), (height, width) or (n,), of whole numbers from 1 \
             to 1,000,000",
            show(v)
        )),
    }
}

/// A value as Python would write it, for messages.
pub(super) fn show(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(a) => format!("({})", a.iter().map(show).collect::<Vec<_>>().join(", ")),
        other => other.to_string(),
    }
}
