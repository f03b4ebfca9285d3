//! Data-parallel training across replicas of one model (the page's workers, each with a wasm
//! instance of its own): the leader's [`Trainer`] takes the next batch of its epoch and splits
//! it into fixed shards; each replica, holding the same weights and training data, computes the
//! gradients of its shard ([`Trainer::shard_gradients`]); the leader sums them in shard order,
//! weighted by shard size, and takes one optimizer step ([`Trainer::apply_gradients`]), then
//! hands its weights to the replicas for the next step. Batch norm normalises each shard by its
//! own statistics, and the moving statistics are the leader's (shard 0's). For a given seed and
//! number of shards the result is the same on every run; one shard is the single step.

use super::trainer::Trainer;
use super::Instances;
use crate::backend::cpu::rng::pcg_hash;
use crate::backend::ops::Backend as _;
use crate::error::{Error, Result};
use crate::with_model;

/// What one shard's step computed: the gradients of every trainable parameter (in the model's
/// order, flat), the loss summed over its instances and how many it classified right.
#[derive(Debug)]
pub struct ShardGradients {
    pub grads: Vec<f32>,
    pub loss_sum: f32,
    pub correct: f32,
    pub instances: usize,
}

/// Shard `s` of `n` instances split `shards` ways: the range of positions it takes. Sizes
/// differ by at most one; a shard may be empty when `n < shards`.
pub fn shard_range(n: usize, shards: usize, s: usize) -> std::ops::Range<usize> {
    let shards = shards.max(1);
    let at = |k: usize| n.saturating_mul(k) / shards;
    at(s.min(shards))..at(s.saturating_add(1).min(shards))
}

/// The dropout and augmentation seed of shard `s` of a step seeded `step_seed`: the step's
/// own for shard 0 (so one shard draws what the single step draws), a hash of both for the rest.
pub fn shard_seed(step_seed: u32, s: usize) -> u32 {
    match u32::try_from(s) {
        Ok(0) => step_seed,
        Ok(k) => pcg_hash(step_seed ^ pcg_hash(k)),
        Err(_) => pcg_hash(step_seed ^ u32::MAX),
    }
}

impl Trainer {
    /// Values in the flat gradient: the trainable parameters' lengths summed.
    pub fn gradient_len(&self) -> usize {
        with_model!(&self.model, m => m.params.iter().filter(|p| p.learns()).map(|p| p.len).sum())
    }

    /// Values of every parameter (trainable or not: BN's moving statistics too), flat.
    pub fn weights_len(&self) -> usize {
        self.param_count()
    }

    /// The next batch of the current epoch, as positions in the training data, and its step's
    /// seed; moves the epoch's cursor past it. Empty when the epoch is done.
    pub fn next_batch(&mut self) -> Result<(Vec<usize>, u32)> {
        if self.order.is_empty() {
            return Err(Error::Invalid("no epoch started: call startEpoch first".into()));
        }
        let end = self.cursor.saturating_add(self.max_batch()).min(self.order.len());
        let idx = self.order.get(self.cursor..end).unwrap_or_default().to_vec();
        self.cursor = end;
        let seed = with_model!(&self.model, m => m.step_seed());
        Ok((idx, seed))
    }

    /// Batches of the current epoch done (a batch taken by `next_batch` counts as done).
    pub fn batches_done(&self) -> usize {
        self.cursor.div_ceil(self.max_batch())
    }

    /// Forward, loss and backward on the training instances at positions `idx` (at most the
    /// model's batch), dropout and augmentation drawn from `seed` ([`shard_seed`]); nothing is
    /// stepped. Reads back the gradients and the loss and accuracy sums (with any not yet taken).
    pub async fn shard_gradients(&mut self, idx: &[usize], seed: u32) -> Result<ShardGradients> {
        if idx.is_empty() {
            return Err(Error::Invalid("an empty shard: give at least one training instance".into()));
        }
        let (x, y) = self.train.batch(idx)?;
        with_model!(&mut self.model, m => {
            m.compute_gradients_seeded(&x, &y, seed)?;
            let (loss_sum, correct) = m.take_metrics(1).await?;
            let mut grads = Vec::new();
            for p in m.params.iter().filter(|p| p.learns()) {
                if let Some((g, _, _)) = &p.grad {
                    grads.extend(m.be.read(g, p.len).await?);
                }
            }
            Ok(ShardGradients { grads, loss_sum, correct, instances: idx.len() })
        })
    }

    /// One optimizer step, at the schedule's rate, on the shards' gradients summed in the order
    /// given, each weighted by its share of the instances: `grads` is the shards' flat
    /// gradients one after another, `instances` how many instances each covered.
    pub fn apply_gradients(&mut self, grads: &[f32], instances: &[usize]) -> Result<()> {
        let len = self.gradient_len();
        let total: usize = instances.iter().sum();
        if instances.is_empty() || total == 0 || grads.len() != len.saturating_mul(instances.len()) {
            return Err(Error::Invalid(format!(
                "{} gradient values for {} shards covering {total} instances; each shard gives {len} values and at least one shard covers an instance",
                grads.len(),
                instances.len()
            )));
        }
        let mut sum = vec![0.0f32; len];
        for (g, &n) in grads.chunks(len.max(1)).zip(instances) {
            let w = n as f32 / total as f32;
            for (s, v) in sum.iter_mut().zip(g) {
                *s += w * v;
            }
        }
        let step = self.optimizer.step(self.schedule.lr(self.step, self.total_steps));
        self.step += 1;
        with_model!(&mut self.model, m => {
            let mut at = 0usize;
            for p in m.params.iter().filter(|p| p.learns()) {
                if let (Some((g, _, _)), Some(values)) = (&p.grad, sum.get(at..at.saturating_add(p.len))) {
                    m.be.write(g, values);
                }
                at = at.saturating_add(p.len);
            }
            m.apply_gradients(step);
        });
        Ok(())
    }

    /// Every parameter's values (BN's moving statistics too), flat in the model's order.
    pub async fn weights(&self) -> Result<Vec<f32>> {
        let params = with_model!(&self.model, m => m.read_params().await)?;
        Ok(params.into_iter().flat_map(|(_, v)| v).collect())
    }

    /// Sets every parameter from `weights` as `weights` returns them (from a replica of the same spec).
    pub fn set_weights(&mut self, weights: &[f32]) -> Result<()> {
        let len = self.weights_len();
        if weights.len() != len {
            return Err(Error::Invalid(format!(
                "{} weight values for a model of {len}; pass the weights of a model of the same spec",
                weights.len()
            )));
        }
        with_model!(&mut self.model, m => {
            let mut at = 0usize;
            for p in &m.params {
                if let Some(values) = weights.get(at..at.saturating_add(p.len)) {
                    m.be.write(&p.value, values);
                }
                at = at.saturating_add(p.len);
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_cover_the_batch_in_order() {
        for (n, k) in [(64, 2), (65, 2), (7, 3), (1, 4), (0, 2)] {
            let ranges: Vec<_> = (0..k).map(|s| shard_range(n, k, s)).collect();
            assert_eq!(ranges.first().unwrap().start, 0);
            assert_eq!(ranges.last().unwrap().end, n);
            for w in ranges.windows(2) {
                assert_eq!(w[0].end, w[1].start);
            }
            assert!(ranges.iter().all(|r| r.len() <= n.div_ceil(k)));
        }
        assert_eq!(shard_seed(42, 0), 42);
        assert_ne!(shard_seed(42, 1), shard_seed(42, 2));
    }
}
