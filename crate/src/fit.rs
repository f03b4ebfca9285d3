//! "Will it fit?": the training estimate against a memory budget and the device's
//! per-buffer limits, and — when it does not fit — the usual fixes, each computed on
//! this very model: a smaller batch, f16 activations, stride 2 in the first conv,
//! half the feature maps, one conv layer fewer.
//!
//! The check is linear in the model's size: the spec is parsed once, and each fix edits
//! the parsed spec, checks it by the shape rule and summarises it once — a bounded number
//! of times ([`REMOVAL_CANDIDATES`] conv layers are tried for "one conv layer fewer").

use crate::error::{Error, Result};
use crate::spec::{check_length, parse_value, sequence_output, LayerKind, ModelSpec};
use crate::summary::{summarize, Bytes, Summary};
use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Fix {
    /// What to change, in words.
    pub change: String,
    /// The engine's training estimate (Adam) after the change.
    pub estimate: Bytes,
    pub fits: bool,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FitCheck {
    pub batch: usize,
    pub budget: Bytes,
    /// What the engine allocates to train with Adam (summary.training.engine_adam).
    pub estimate: Bytes,
    /// The largest single buffer: the biggest layer output × batch.
    pub largest_buffer: Bytes,
    pub largest_buffer_layer: String,
    pub max_buffer_size: Option<u64>,
    pub max_storage_binding: Option<u64>,
    pub fits_budget: bool,
    pub fits_limits: bool,
    pub fixes: Vec<Fix>,
}

fn largest(s: &Summary, batch: usize) -> (u64, String) {
    // The first of equally large outputs: the layer that creates the size.
    s.rows.iter().fold((0, String::new()), |best, r| {
        let b = r.output_bytes.saturating_mul(batch as u64);
        if b > best.0 {
            (b, r.name.clone())
        } else {
            best
        }
    })
}

/// How many conv layers "one conv layer fewer" tries: those with the largest output (× batch,
/// plus parameters and their Adam state); all of them in a model with no more.
pub const REMOVAL_CANDIDATES: usize = 4;

/// [`check`] of a spec's JSON text, refused past [`crate::spec::MAX_SPEC_BYTES`] before it is read.
pub fn check_text(spec_json: &str, batch: usize, budget: u64, limits: Option<(u64, u64)>) -> Result<FitCheck> {
    check_length(spec_json)?;
    let value: Value = serde_json::from_str(spec_json).map_err(|e| {
        Error::Spec(vec![format!(
            "the spec is not valid JSON: {e} (check for a missing comma, quote or bracket there)"
        )])
    })?;
    check(&value, batch, budget, limits)
}

/// Checks a spec (its JSON value) at `batch` against `budget` bytes
/// and, when known, the device's max buffer size and max storage binding.
pub fn check(spec_json: &Value, batch: usize, budget: u64, limits: Option<(u64, u64)>) -> Result<FitCheck> {
    if batch == 0 {
        return Err(Error::Invalid("batch size 0: use a batch of at least 1".into()));
    }
    let spec = parse_value(spec_json)?;
    let s = summarize(&spec, batch);
    let est = s.training.engine_adam.bytes;
    let (big, big_layer) = largest(&s, batch);
    let limit = limits.map(|(a, b)| a.min(b));
    let fits_limits = limit.is_none_or(|l| big <= l);
    let fits = |bytes: u64, buffer: u64| bytes <= budget && limit.is_none_or(|l| buffer <= l);
    let mut fixes = Vec::new();
    if !(est <= budget && fits_limits) {
        fixes = suggest(&spec, &s, batch, &fits);
    }
    Ok(FitCheck {
        batch,
        budget: Bytes::new(budget),
        estimate: Bytes::new(est),
        largest_buffer: Bytes::new(big),
        largest_buffer_layer: big_layer,
        max_buffer_size: limits.map(|l| l.0),
        max_storage_binding: limits.map(|l| l.1),
        fits_budget: est <= budget,
        fits_limits,
        fixes,
    })
}

fn suggest(spec: &ModelSpec, s: &Summary, batch: usize, fits: &dyn Fn(u64, u64) -> bool) -> Vec<Fix> {
    let mut fixes = Vec::new();
    // 1. Smaller batch: the estimate is linear in the batch (at most 64 halvings).
    let at = |b: usize| summarize(spec, b);
    let mut b = batch;
    while b > 1 {
        b /= 2;
        let sb = at(b);
        if fits(sb.training.engine_adam.bytes, largest(&sb, b).0) {
            break;
        }
    }
    let sb = at(b.max(1));
    fixes.push(Fix {
        change: format!("batch {b} instead of {batch}"),
        estimate: sb.training.engine_adam.clone(),
        fits: fits(sb.training.engine_adam.bytes, largest(&sb, b.max(1)).0),
    });
    // 2. f16 activations (what the engine does on a GPU with shader-f16: parameters, gradients,
    // activation gradients and optimiser state stay f32, so the largest buffer, an activation
    // gradient as large as the largest output, keeps its size).
    let f16 = s.training.engine_adam_f16.bytes;
    fixes.push(Fix {
        change: "f16 activations".into(),
        estimate: Bytes::new(f16),
        fits: fits(f16, largest(s, batch).0),
    });
    // The structural fixes edit a copy of the parsed spec (its top-level layers), check it by
    // the shape rule and summarise it: each once.
    let base = ModelSpec { source: Value::Null, ..spec.clone() };
    let edit = |f: &dyn Fn(&mut ModelSpec) -> Option<String>| -> Option<Fix> {
        let mut spec2 = base.clone();
        let change = f(&mut spec2)?;
        sequence_output(&spec2.layers, spec2.input).ok()?;
        let s2 = summarize(&spec2, batch);
        let e = s2.training.engine_adam.clone();
        let ok = fits(e.bytes, largest(&s2, batch).0);
        Some(Fix { change, estimate: e, fits: ok })
    };
    let conv_idx: Vec<usize> = spec
        .layers
        .iter()
        .enumerate()
        .filter(|(_, l)| matches!(l.kind, LayerKind::Conv2d(_)))
        .map(|(i, _)| i)
        .collect();
    // 3. Twice the stride in the first conv layer.
    if let Some(&first) = conv_idx.first() {
        if let LayerKind::Conv2d(c) = &spec.layers[first].kind {
            let (sh, sw) = (2 * c.strides.0, 2 * c.strides.1);
            let name = spec.layers[first].name.clone();
            let what = if sh == sw { format!("{sh}") } else { format!("{sh}×{sw}") };
            if let Some(fx) = edit(&|m: &mut ModelSpec| {
                let LayerKind::Conv2d(c) = &mut m.layers[first].kind else { return None };
                c.strides = (sh, sw);
                Some(format!("stride {what} in {name} (the first conv)"))
            }) {
                fixes.push(fx);
            }
        }
    }
    // 4. Half the feature maps in every conv layer.
    if !conv_idx.is_empty() {
        if let Some(fx) = edit(&|m: &mut ModelSpec| {
            for &i in &conv_idx {
                if let LayerKind::Conv2d(c) = &mut m.layers[i].kind {
                    c.filters = (c.filters / 2).max(1);
                }
            }
            Some("half the feature maps in every conv layer".into())
        }) {
            fixes.push(fx);
        }
    }
    // 5. One conv layer fewer: of the largest few, the one whose removal saves most and
    // still validates.
    let rows: std::collections::HashMap<&str, &crate::summary::Row> =
        s.rows.iter().filter(|r| r.depth == 0).map(|r| (r.name.as_str(), r)).collect();
    let weight = |i: &usize| {
        let r = rows.get(spec.layers[*i].name.as_str());
        r.map_or(0, |r| r.output_bytes.saturating_mul(batch as u64).saturating_add(r.trainable.saturating_mul(16)))
    };
    let mut candidates = conv_idx.clone();
    // Largest first; of equals, the earlier layer.
    candidates.sort_by_key(|i| (std::cmp::Reverse(weight(i)), *i));
    candidates.truncate(REMOVAL_CANDIDATES);
    candidates.sort_unstable();
    let mut best: Option<Fix> = None;
    for i in candidates {
        let name = spec.layers[i].name.clone();
        if let Some(fx) = edit(&|m: &mut ModelSpec| {
            m.layers.remove(i);
            Some(format!("remove {name}"))
        }) {
            if best.as_ref().is_none_or(|b| fx.estimate.bytes < b.estimate.bytes) {
                best = Some(fx);
            }
        }
    }
    fixes.extend(best);
    fixes
}
