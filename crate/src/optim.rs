//! Optimisers as the caller configures them, and learning-rate schedules computed
//! on the host for each step (the device kernels take the step's rate).

use crate::backend::ops::OptimStep;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Optimizer {
    /// Keras SGD; `weight_decay` is L2 (added to the gradient).
    Sgd { momentum: f32, nesterov: bool, weight_decay: f32 },
    /// Keras Adam (epsilon 1e-7); `weight_decay` is L2.
    Adam { beta1: f32, beta2: f32, eps: f32, weight_decay: f32 },
    /// AdamW: decoupled weight decay.
    AdamW { beta1: f32, beta2: f32, eps: f32, weight_decay: f32 },
}

impl Optimizer {
    pub fn adam() -> Optimizer {
        Optimizer::Adam { beta1: 0.9, beta2: 0.999, eps: 1e-7, weight_decay: 0.0 }
    }

    /// Keras AdamW's default weight decay (`keras.optimizers.AdamW(weight_decay=0.004)`).
    pub const ADAMW_DEFAULT_DECAY: f32 = 0.004;

    /// The optimizer a name stands for, as every training path (CLI, page, JS API) builds it:
    /// "adam" (Keras defaults), "adamw" (decoupled decay) or "sgd" (momentum 0.9, Nesterov).
    /// `weight_decay` is the recipe's or the caller's; `None` is AdamW's Keras default of
    /// 0.004 and no decay for Adam and SGD.
    pub fn named(kind: &str, weight_decay: Option<f32>) -> Result<Optimizer> {
        if let Some(wd) = weight_decay {
            if !(wd.is_finite() && (0.0..1.0).contains(&wd)) {
                return Err(Error::Invalid(format!(
                    "weight decay {wd} must be a number from 0 up to (not including) 1, e.g. 0.004"
                )));
            }
        }
        let (beta1, beta2, eps) = (0.9, 0.999, 1e-7);
        Ok(match kind {
            "adam" => Optimizer::Adam { beta1, beta2, eps, weight_decay: weight_decay.unwrap_or(0.0) },
            "adamw" => {
                Optimizer::AdamW { beta1, beta2, eps, weight_decay: weight_decay.unwrap_or(Self::ADAMW_DEFAULT_DECAY) }
            }
            "sgd" => Optimizer::Sgd { momentum: 0.9, nesterov: true, weight_decay: weight_decay.unwrap_or(0.0) },
            other => {
                return Err(Error::Invalid(format!("unknown optimizer {other:?}: use \"adam\", \"adamw\" or \"sgd\"")))
            }
        })
    }

    /// The weight decay this optimizer applies.
    pub fn weight_decay(&self) -> f32 {
        match *self {
            Optimizer::Sgd { weight_decay, .. }
            | Optimizer::Adam { weight_decay, .. }
            | Optimizer::AdamW { weight_decay, .. } => weight_decay,
        }
    }

    /// The device step for learning rate `lr` (Adam's t is filled in by the model).
    pub fn step(&self, lr: f32) -> OptimStep {
        match *self {
            Optimizer::Sgd { momentum, nesterov, weight_decay } => {
                OptimStep::Sgd { lr, momentum, nesterov, weight_decay }
            }
            Optimizer::Adam { beta1, beta2, eps, weight_decay } => {
                OptimStep::Adam { lr, beta1, beta2, eps, t: 0, weight_decay, decoupled: false }
            }
            Optimizer::AdamW { beta1, beta2, eps, weight_decay } => {
                OptimStep::Adam { lr, beta1, beta2, eps, t: 0, weight_decay, decoupled: true }
            }
        }
    }
}

/// Learning rate as a function of the step (0-based) over `total` steps of training.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    Constant {
        lr: f32,
    },
    /// lr · gamma^⌊step / every⌋ (Keras ExponentialDecay with staircase).
    Step {
        lr: f32,
        every: usize,
        gamma: f32,
    },
    /// Cosine from lr down to min_lr over the whole run.
    Cosine {
        lr: f32,
        min_lr: f32,
    },
    /// One-cycle: linear warm-up from max_lr/25 to max_lr over `warmup` of the run (a
    /// fraction), then cosine down to max_lr/25e4 (the usual divisors).
    OneCycle {
        max_lr: f32,
        warmup: f32,
    },
}

impl Schedule {
    /// The schedule a name stands for, as the page, the JS API and the CLI use it: "constant";
    /// "step" (halve every epoch of `steps_per_epoch` steps); "cosine" (from `lr` down to 0);
    /// "onecycle" (`lr` is the peak, reached after 30% of the run). Validated.
    pub fn named(kind: &str, lr: f32, steps_per_epoch: usize) -> Result<Schedule> {
        let s = match kind {
            "constant" => Schedule::Constant { lr },
            "step" => Schedule::Step { lr, every: steps_per_epoch.max(1), gamma: 0.5 },
            "cosine" => Schedule::Cosine { lr, min_lr: 0.0 },
            "onecycle" => Schedule::OneCycle { max_lr: lr, warmup: 0.3 },
            other => {
                return Err(Error::Invalid(format!(
                    "unknown learning-rate schedule {other:?}: use \"constant\", \"step\", \"cosine\" or \"onecycle\""
                )))
            }
        };
        s.validate()?;
        Ok(s)
    }

    pub fn validate(&self) -> Result<()> {
        let bad = |what: &str| Err(Error::Invalid(format!("learning-rate schedule: {what}")));
        let ok_lr = |lr: f32| lr.is_finite() && lr > 0.0;
        match *self {
            Schedule::Constant { lr } if !ok_lr(lr) => bad(&format!("learning rate {lr} must be a positive number, e.g. 0.001")),
            Schedule::Step { lr, every, gamma } if !ok_lr(lr) || every == 0 || !(gamma > 0.0 && gamma <= 1.0) => {
                bad(&format!("step schedule needs lr > 0, every ≥ 1 step and 0 < gamma ≤ 1 (got lr {lr}, every {every}, gamma {gamma})"))
            }
            Schedule::Cosine { lr, min_lr } if !(ok_lr(lr) && min_lr >= 0.0 && min_lr <= lr) => {
                bad(&format!("cosine schedule needs lr > 0 and 0 ≤ min_lr ≤ lr (got lr {lr}, min_lr {min_lr})"))
            }
            Schedule::OneCycle { max_lr, warmup } if !(ok_lr(max_lr) && warmup > 0.0 && warmup < 1.0) => {
                bad(&format!("one-cycle schedule needs max_lr > 0 and a warm-up fraction in (0, 1) (got max_lr {max_lr}, warmup {warmup})"))
            }
            _ => Ok(()),
        }
    }

    pub fn lr(&self, step: usize, total: usize) -> f32 {
        let total = total.max(1);
        let frac = (step as f32 / total as f32).clamp(0.0, 1.0);
        let cosine = |from: f32, to: f32, t: f32| to + 0.5 * (from - to) * (1.0 + (std::f32::consts::PI * t).cos());
        match *self {
            Schedule::Constant { lr } => lr,
            Schedule::Step { lr, every, gamma } => lr * gamma.powi((step / every) as i32),
            Schedule::Cosine { lr, min_lr } => cosine(lr, min_lr, frac),
            Schedule::OneCycle { max_lr, warmup } => {
                let start = max_lr / 25.0;
                if frac < warmup {
                    start + (max_lr - start) * frac / warmup
                } else {
                    cosine(max_lr, start / 1e4, (frac - warmup) / (1.0 - warmup))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_at_known_steps() {
        let s = Schedule::Step { lr: 0.1, every: 10, gamma: 0.5 };
        assert_eq!([s.lr(0, 100), s.lr(9, 100), s.lr(10, 100), s.lr(25, 100)], [0.1, 0.1, 0.05, 0.025]);
        let c = Schedule::Cosine { lr: 1.0, min_lr: 0.0 };
        assert!((c.lr(0, 100) - 1.0).abs() < 1e-6);
        assert!((c.lr(50, 100) - 0.5).abs() < 1e-6);
        assert!(c.lr(100, 100).abs() < 1e-6);
        let o = Schedule::OneCycle { max_lr: 0.01, warmup: 0.3 };
        assert!((o.lr(0, 100) - 0.0004).abs() < 1e-7);
        assert!((o.lr(30, 100) - 0.01).abs() < 1e-7);
        assert!(o.lr(15, 100) > 0.004 && o.lr(15, 100) < 0.006);
        assert!(o.lr(100, 100) < 1e-7);
        assert_eq!(Schedule::Constant { lr: 3e-4 }.lr(7, 9), 3e-4);
    }

    #[test]
    fn named_schedules_and_optimizers() {
        let s = Schedule::named("step", 0.1, 10).unwrap();
        assert_eq!([s.lr(9, 100), s.lr(10, 100)], [0.1, 0.05]);
        assert_eq!(Schedule::named("onecycle", 0.01, 5).unwrap(), Schedule::OneCycle { max_lr: 0.01, warmup: 0.3 });
        assert_eq!(
            Schedule::named("linear", 0.1, 5).unwrap_err().message(),
            "unknown learning-rate schedule \"linear\": use \"constant\", \"step\", \"cosine\" or \"onecycle\""
        );
        assert!(Schedule::named("cosine", 0.0, 5).is_err());
        // AdamW decays by Keras's default unless told otherwise; Adam and SGD do not decay.
        assert_eq!(Optimizer::named("adamw", None).unwrap().weight_decay(), 0.004);
        assert_eq!(Optimizer::named("adamw", Some(0.01)).unwrap().weight_decay(), 0.01);
        assert_eq!(Optimizer::named("adam", None).unwrap().weight_decay(), 0.0);
        assert!(matches!(Optimizer::named("sgd", None).unwrap(), Optimizer::Sgd { nesterov: true, .. }));
        assert!(Optimizer::named("adamw", Some(-1.0)).is_err());
        assert!(Optimizer::named("rmsprop", None).is_err());
    }

    #[test]
    fn bad_schedules_are_errors() {
        assert_eq!(
            Schedule::Step { lr: 0.1, every: 0, gamma: 0.5 }.validate().unwrap_err().message(),
            "learning-rate schedule: step schedule needs lr > 0, every ≥ 1 step and 0 < gamma ≤ 1 (got lr 0.1, every 0, gamma 0.5)"
        );
        assert!(Schedule::Constant { lr: -1.0 }.validate().is_err());
        assert!(Schedule::OneCycle { max_lr: 0.1, warmup: 1.0 }.validate().is_err());
        assert!(Schedule::Cosine { lr: 0.1, min_lr: 0.2 }.validate().is_err());
    }
}
