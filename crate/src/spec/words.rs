//! Words for messages: how a JSON value is described, the layer type names (Keras's
//! spellings too), and "did you mean" by edit distance.

use serde_json::Value;

pub(super) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("{s:?}"),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// Edit distance, for "did you mean" on misspelt keys and types.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + (ca != cb) as usize).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

pub(super) fn closest<'a>(word: &str, options: &[&'a str]) -> Option<&'a str> {
    options
        .iter()
        .map(|o| {
            let w = word.to_lowercase();
            let d = if o.starts_with(&w) || w.starts_with(o) { 1 } else { distance(&w, o) };
            (d, *o)
        })
        .filter(|(d, o)| *d <= 2.max(o.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, o)| o)
}

pub(super) const TYPES: &[&str] = &[
    "conv2d",
    "depthwise_conv2d",
    "separable_conv2d",
    "max_pool2d",
    "avg_pool2d",
    "global_avg_pool2d",
    "batch_norm",
    "dense",
    "flatten",
    "activation",
    "relu",
    "leaky_relu",
    "softmax",
    "dropout",
    "lrn",
    "up_sampling2d",
    "residual",
    "concat",
    "squeeze_excite",
];

/// The canonical type for a name; Keras class names and a few common spellings are accepted.
pub(super) fn canonical_type(name: &str) -> Option<&'static str> {
    let n: String = name.chars().filter(|c| *c != '_' && *c != '-').collect::<String>().to_ascii_lowercase();
    Some(match n.as_str() {
        "conv2d" | "convolution2d" => "conv2d",
        "depthwiseconv2d" => "depthwise_conv2d",
        "separableconv2d" => "separable_conv2d",
        "maxpool2d" | "maxpooling2d" | "maxpool" => "max_pool2d",
        "avgpool2d" | "averagepooling2d" | "avgpooling2d" | "averagepool2d" => "avg_pool2d",
        "globalavgpool2d" | "globalaveragepooling2d" | "globalavgpooling2d" => "global_avg_pool2d",
        "batchnorm" | "batchnormalization" | "bn" => "batch_norm",
        "dense" | "linear" | "fullyconnected" => "dense",
        "flatten" => "flatten",
        "activation" => "activation",
        "relu" => "relu",
        "leakyrelu" => "leaky_relu",
        "softmax" => "softmax",
        "dropout" => "dropout",
        "lrn" | "localresponsenormalization" => "lrn",
        "upsampling2d" | "upsample2d" | "upsample" => "up_sampling2d",
        "residual" | "add" => "residual",
        "concat" | "concatenate" | "parallel" | "inception" => "concat",
        "squeezeexcite" | "squeezeexcitation" | "se" => "squeeze_excite",
        _ => return None,
    })
}
