//! The training flags `convplay train` and `convplay segment` share: each overrides the spec's
//! "training" recipe, which overrides the defaults (`train::Settings::resolve`).

use convplay::backend::cpu::augment::Augment;
use convplay::spec::{ModelSpec, Recipe};
use convplay::train::Settings;

#[derive(clap::Args)]
pub struct RecipeFlags {
    /// Epochs (default: the spec's "training" recipe, else 1).
    #[arg(long)]
    epochs: Option<usize>,
    /// Batch size (default: the recipe's, else 64).
    #[arg(long)]
    batch: Option<usize>,
    /// Learning rate, the peak rate for one-cycle (default: the recipe's, else 0.001).
    #[arg(long)]
    lr: Option<f32>,
    /// adam, adamw or sgd (momentum 0.9, Nesterov) (default: the recipe's, else adam).
    #[arg(long)]
    optimizer: Option<String>,
    /// Weight decay: decoupled for adamw, L2 for adam and sgd (default: the recipe's, else
    /// 0.004 for adamw and none for adam and sgd).
    #[arg(long)]
    weight_decay: Option<f32>,
    /// constant, step (×0.5 every epoch), cosine or onecycle (default: the recipe's, else constant).
    #[arg(long)]
    schedule: Option<String>,
}

impl RecipeFlags {
    /// The run's settings: these flags (and `augment`, where the command has that flag) over
    /// the spec's recipe over the defaults, checked before any data is loaded.
    pub fn settings(&self, spec: &ModelSpec, augment: Option<Augment>) -> convplay::Result<Settings> {
        let given = Recipe {
            epochs: self.epochs,
            batch: self.batch,
            lr: self.lr,
            optimizer: self.optimizer.clone(),
            weight_decay: self.weight_decay,
            schedule: self.schedule.clone(),
            augment,
        };
        let settings = Settings::resolve(&given, spec.training.as_ref());
        if settings.epochs == 0 || settings.batch == 0 {
            return Err(convplay::Error::Invalid("--epochs and --batch must be at least 1".into()));
        }
        let lr = settings.lr;
        if !(lr > 0.0 && lr.is_finite()) {
            return Err(convplay::Error::Invalid(format!("--lr {lr}: give a positive learning rate, e.g. 0.001")));
        }
        settings.validate()?;
        Ok(settings)
    }
}
