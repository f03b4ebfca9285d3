//! Training settings as a run resolves them: what the caller gave, else the spec's recipe
//! (its "training" object), else the defaults.

use crate::backend::cpu::augment::Augment;
use crate::error::Result;
use crate::optim::{Optimizer, Schedule};
use crate::spec::Recipe;

/// The settings of one training run, every field decided.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub epochs: usize,
    pub batch: usize,
    /// The learning rate (the peak for one-cycle).
    pub lr: f32,
    /// "adam", "adamw" or "sgd" ([`Optimizer::named`]).
    pub optimizer: String,
    /// `None`: the optimizer's default (AdamW 0.004, none for Adam and SGD).
    pub weight_decay: Option<f32>,
    /// "constant", "step", "cosine" or "onecycle" ([`Schedule::named`]).
    pub schedule: String,
    pub augment: Augment,
}

impl Settings {
    /// Field by field: `given` (the caller's choices, e.g. command-line flags) over `recipe`
    /// (the spec's) over the defaults: 1 epoch, batch 64, Adam at a constant 0.001, no
    /// augmentation.
    pub fn resolve(given: &Recipe, recipe: Option<&Recipe>) -> Settings {
        let none = Recipe::default();
        let r = recipe.unwrap_or(&none);
        Settings {
            epochs: given.epochs.or(r.epochs).unwrap_or(1),
            batch: given.batch.or(r.batch).unwrap_or(64),
            lr: given.lr.or(r.lr).unwrap_or(1e-3),
            optimizer: given.optimizer.clone().or_else(|| r.optimizer.clone()).unwrap_or_else(|| "adam".into()),
            weight_decay: given.weight_decay.or(r.weight_decay),
            schedule: given.schedule.clone().or_else(|| r.schedule.clone()).unwrap_or_else(|| "constant".into()),
            augment: given.augment.or(r.augment).unwrap_or_default(),
        }
    }

    /// The optimizer these settings name, with their weight decay.
    pub fn optimizer(&self) -> Result<Optimizer> {
        Optimizer::named(&self.optimizer, self.weight_decay)
    }

    /// Checks the optimizer and the schedule by name before any data is loaded.
    pub fn validate(&self) -> Result<()> {
        self.optimizer()?;
        Schedule::named(&self.schedule, self.lr, 1)?;
        Ok(())
    }
}
