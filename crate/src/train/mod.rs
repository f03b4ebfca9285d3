//! Training over an in-memory data set: u8 images (scaled to [0, 1]) or f32 values
//! (features computed by another model, for instance). [`Trainer`] is the one training path
//! of the page, the JS API and the CLI (epoch order, cursor, optimizer and schedule by name);
//! `train_epoch` and `evaluate` are the loops for a model of a known backend.

// Reached from the page's exports (web/): no panics by construction (docs/reliability.md).
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::unreachable)
)]

mod data;
pub mod ensemble;
pub mod iou;
mod settings;
mod shard;
mod trainer;

pub use data::{Data, Labelled};
pub use iou::{Confusion, Iou};
pub use settings::Settings;
pub use shard::{shard_range, shard_seed, ShardGradients};
pub use trainer::{mnist_preprocessing, Tensor, Trainer};

use crate::backend::cpu::rng::Stream;
use crate::backend::ops::{Backend, OptimStep};
use crate::error::{Error, Result};
use crate::model::Model;

/// Images as stored (u8, `per` values each) with their labels.
pub struct Dataset<'a> {
    pub pixels: &'a [u8],
    pub labels: &'a [u8],
    pub per: usize,
}

/// Instances as f32 values (`per` each) with their labels, used as they are.
pub struct FloatDataset<'a> {
    pub values: &'a [f32],
    pub labels: &'a [u8],
    pub per: usize,
}

/// What the training loops read: labelled instances, gathered into batches of f32.
pub trait Instances {
    fn labels(&self) -> &[u8];
    fn per(&self) -> usize;
    /// Values held in all.
    fn values_len(&self) -> usize;
    /// The instances `idx` as f32 (n × per) and their labels.
    /// An index out of range is an error (the loops index within `len`).
    fn batch(&self, idx: &[usize]) -> Result<(Vec<f32>, Vec<u8>)>;
    fn len(&self) -> usize {
        self.labels().len()
    }
    fn is_empty(&self) -> bool {
        self.labels().is_empty()
    }
    fn check(&self, per: usize) -> Result<()> {
        if self.per() != per || self.values_len() != self.len() * per {
            return Err(Error::Invalid(format!(
                "data set holds {} values for {} labels at {} values each, but the model takes {per} values per instance",
                self.values_len(),
                self.len(),
                self.per()
            )));
        }
        Ok(())
    }
}

impl Instances for Dataset<'_> {
    fn labels(&self) -> &[u8] {
        self.labels
    }
    fn per(&self) -> usize {
        self.per
    }
    fn values_len(&self) -> usize {
        self.pixels.len()
    }
    fn batch(&self, idx: &[usize]) -> Result<(Vec<f32>, Vec<u8>)> {
        let mut x = Vec::with_capacity(idx.len().saturating_mul(self.per));
        for &i in idx {
            x.extend(instance(self.pixels, i, self.per)?.iter().map(|&p| p as f32 * (1.0 / 255.0)));
        }
        Ok((x, labels_of(self.labels, idx)?))
    }
}

impl Instances for FloatDataset<'_> {
    fn labels(&self) -> &[u8] {
        self.labels
    }
    fn per(&self) -> usize {
        self.per
    }
    fn values_len(&self) -> usize {
        self.values.len()
    }
    fn batch(&self, idx: &[usize]) -> Result<(Vec<f32>, Vec<u8>)> {
        let mut x = Vec::with_capacity(idx.len().saturating_mul(self.per));
        for &i in idx {
            x.extend_from_slice(instance(self.values, i, self.per)?);
        }
        Ok((x, labels_of(self.labels, idx)?))
    }
}

fn out_of_range(i: usize) -> Error {
    Error::Invalid(format!("instance {i} is out of range of the data set"))
}

/// Instance `i`'s `per` values.
fn instance<T>(values: &[T], i: usize, per: usize) -> Result<&[T]> {
    let start = i.checked_mul(per).ok_or_else(|| out_of_range(i))?;
    values.get(start..start.saturating_add(per)).ok_or_else(|| out_of_range(i))
}

fn labels_of(labels: &[u8], idx: &[usize]) -> Result<Vec<u8>> {
    idx.iter().map(|&i| labels.get(i).copied().ok_or_else(|| out_of_range(i))).collect()
}

/// The order of one epoch: a seeded Fisher–Yates shuffle.
pub fn shuffled(len: usize, seed: u32) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut s = Stream::new(seed);
    for i in (1..len).rev() {
        let j = ((s.next_f32() * (i + 1) as f32) as usize).min(i);
        order.swap(i, j);
    }
    order
}

#[derive(Clone, Copy, Debug)]
pub struct EpochStats {
    pub loss: f32,
    pub accuracy: f32,
    pub images_per_sec: f64,
}

/// One pass over `data` in shuffled batches of the model's batch size.
pub async fn train_epoch<B: Backend>(
    model: &mut Model<B>,
    data: &impl Instances,
    step: impl Fn(usize) -> OptimStep,
    seed: u32,
) -> Result<EpochStats> {
    data.check(model.spec.input.buffer_len())?;
    let t0 = now();
    let order = shuffled(data.len(), seed);
    model.take_metrics(1).await?;
    for (b, chunk) in order.chunks(model.max_batch).enumerate() {
        let (x, y) = data.batch(chunk)?;
        model.train_step(&x, &y, step(b))?;
    }
    let (loss, accuracy) = model.take_metrics(data.len()).await?;
    Ok(EpochStats { loss, accuracy, images_per_sec: data.len() as f64 / (now() - t0).max(1e-9) })
}

/// Accuracy and the predicted class of every instance (of every position of every instance,
/// for a model ending in a map: the accuracy is then the fraction of positions right).
pub async fn evaluate<B: Backend>(model: &mut Model<B>, data: &impl Instances) -> Result<(f32, Vec<u8>)> {
    data.check(model.spec.input.buffer_len())?;
    let idx: Vec<usize> = (0..data.len()).collect();
    let mut predicted = Vec::with_capacity(data.len());
    let mut correct = 0;
    for chunk in idx.chunks(model.max_batch) {
        let (x, y) = data.batch(chunk)?;
        model.set_input(&x)?;
        let probs = model.predict(chunk.len()).await?;
        for (row, &label) in probs.chunks(model.classes).zip(&y) {
            let arg = row.iter().enumerate().fold((0, f32::MIN), |b, (j, &v)| if v > b.1 { (j, v) } else { b }).0;
            correct += (arg == label as usize) as usize;
            predicted.push(arg as u8);
        }
    }
    Ok((correct as f32 / data.len().saturating_mul(model.positions).max(1) as f32, predicted))
}

#[cfg(not(target_arch = "wasm32"))]
fn now() -> f64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

#[cfg(target_arch = "wasm32")]
fn now() -> f64 {
    js_sys::Date::now() / 1000.0
}
