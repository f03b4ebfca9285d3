//! The spec's optional "training" object: the recipe it recommends.

use super::parse::Cx;
use super::words::{closest, describe};
use super::Recipe;
use serde_json::Value;

impl Cx {
    /// The optional "training" object: recommended epochs, batch, optimizer, lr, weight decay, schedule, augment.
    pub(super) fn recipe(&mut self, v: &Value) -> Option<Recipe> {
        let Value::Object(map) = v else {
            self.errors.push(format!(
                "spec.training must be an object like {{\"batch\": 32, \"lr\": 0.003, \"schedule\": \"onecycle\"}}, got {}",
                describe(v)
            ));
            return None;
        };
        const FIELDS: [&str; 7] = ["epochs", "batch", "optimizer", "lr", "weight_decay", "schedule", "augment"];
        let before = self.errors.len();
        let count = |me: &mut Self, key: &str| -> Option<usize> {
            let v = map.get(key)?;
            match v.as_u64().filter(|&n| (1..=100_000).contains(&n)) {
                Some(n) => Some(n as usize),
                None => {
                    me.errors.push(format!("spec.training.{key} must be a whole number ≥ 1, got {}", describe(v)));
                    None
                }
            }
        };
        let choice = |me: &mut Self, key: &str, allowed: &[&str]| -> Option<String> {
            let v = map.get(key)?;
            match v.as_str().filter(|s| allowed.contains(s)) {
                Some(s) => Some(s.to_string()),
                None => {
                    me.errors.push(format!(
                        "spec.training.{key} must be one of {}, got {}",
                        allowed.join(", "),
                        describe(v)
                    ));
                    None
                }
            }
        };
        let epochs = count(self, "epochs");
        let batch = count(self, "batch");
        let optimizer = choice(self, "optimizer", &["adam", "adamw", "sgd"]);
        let schedule = choice(self, "schedule", &["constant", "step", "cosine", "onecycle"]);
        let lr = map.get("lr").and_then(|v| match v.as_f64().filter(|f| *f > 0.0 && *f < 10.0) {
            Some(f) => Some(f as f32),
            None => {
                self.errors.push(format!(
                    "spec.training.lr must be a positive number below 10, e.g. 0.001, got {}",
                    describe(v)
                ));
                None
            }
        });
        let weight_decay = map.get("weight_decay").and_then(|v| match v.as_f64().filter(|f| (0.0..1.0).contains(f)) {
            Some(f) => Some(f as f32),
            None => {
                self.errors.push(format!(
                    "spec.training.weight_decay must be a number from 0 up to (not including) 1, e.g. 0.004, got {}",
                    describe(v)
                ));
                None
            }
        });
        let augment = map.get("augment").and_then(|v| {
            match serde_json::from_value::<crate::backend::cpu::augment::Augment>(v.clone()) {
                Ok(a) => Some(a),
                Err(e) => {
                    self.errors.push(format!(
                        "spec.training.augment must be {{\"shift\": pixels, \"rotate_deg\": degrees, \"scale\": fraction}}: {e}"
                    ));
                    None
                }
            }
        });
        for key in map.keys() {
            if !FIELDS.contains(&key.as_str()) {
                let hint = closest(key, &FIELDS).map(|c| format!("did you mean \"{c}\"? ")).unwrap_or_default();
                self.errors
                    .push(format!("spec.training: unknown field \"{key}\": {hint}it may have {}", FIELDS.join(", ")));
            }
        }
        (self.errors.len() == before).then_some(Recipe {
            epochs,
            batch,
            optimizer,
            lr,
            weight_decay,
            schedule,
            augment,
        })
    }
}
