//! The spec's optional "results" object: what the spec scored when trained by its recipe,
//! keyed by data set (`"mnist"`, `"fashion-mnist"`), so the page can show a preset's results
//! without training it (the architecture zoo, docs/course.md).

use super::parse::Cx;
use super::words::{closest, describe};
use super::StoredResult;
use serde_json::Value;
use std::collections::BTreeMap;

const FIELDS: [&str; 8] =
    ["epochs", "train_images", "test_images", "test_accuracy", "img_per_s", "threads", "machine", "seed"];

impl Cx {
    /// `"results": {"mnist": {"epochs": 2, "test_accuracy": 0.991, …}, …}`.
    pub(super) fn results(&mut self, v: &Value) -> Option<BTreeMap<String, StoredResult>> {
        let Value::Object(map) = v else {
            self.errors.push(format!(
                "spec.results must be an object keyed by data set, like {{\"mnist\": {{\"epochs\": 2, \"test_accuracy\": 0.99}}}}, got {}",
                describe(v)
            ));
            return None;
        };
        let before = self.errors.len();
        let mut out = BTreeMap::new();
        for (set, entry) in map {
            if crate::data::data_set(set).is_err() {
                let names = crate::data::sets::names();
                let hint = closest(set, &names).map(|c| format!("did you mean \"{c}\"? ")).unwrap_or_default();
                self.errors.push(format!(
                    "spec.results: unknown data set \"{set}\": {hint}the data sets are {}",
                    names.join(", ")
                ));
                continue;
            }
            if let Some(r) = self.result(&format!("spec.results.{set}"), entry) {
                out.insert(set.clone(), r);
            }
        }
        (self.errors.len() == before).then_some(out)
    }

    fn result(&mut self, place: &str, v: &Value) -> Option<StoredResult> {
        let Value::Object(map) = v else {
            self.errors.push(format!(
                "{place} must be an object like {{\"epochs\": 2, \"test_accuracy\": 0.99}}, got {}",
                describe(v)
            ));
            return None;
        };
        let before = self.errors.len();
        // A whole number from `min` up to u32::MAX.
        let whole = |me: &mut Self, key: &str, required: bool, min: u64| -> Option<u32> {
            match map.get(key) {
                None if required => {
                    me.errors.push(format!("{place}: missing \"{key}\": say how many epochs the result was trained"));
                    None
                }
                None => None,
                Some(v) => match v.as_u64().filter(|&n| n >= min).and_then(|n| u32::try_from(n).ok()) {
                    Some(n) => Some(n),
                    None => {
                        me.errors.push(format!("{place}.{key} must be a whole number ≥ {min}, got {}", describe(v)));
                        None
                    }
                },
            }
        };
        let count = |me: &mut Self, key: &str, required: bool| whole(me, key, required, 1).map(|n| n as usize);
        let epochs = count(self, "epochs", true);
        let threads = count(self, "threads", false);
        let seed = whole(self, "seed", false, 0);
        let train_images = count(self, "train_images", false);
        let test_images = count(self, "test_images", false);
        let test_accuracy = match map.get("test_accuracy") {
            None => {
                self.errors
                    .push(format!("{place}: missing \"test_accuracy\": the fraction of test images right, e.g. 0.991"));
                None
            }
            Some(v) => v.as_f64().filter(|f| (0.0..=1.0).contains(f)).or_else(|| {
                self.errors.push(format!(
                    "{place}.test_accuracy must be a fraction from 0 to 1, e.g. 0.991, got {}",
                    describe(v)
                ));
                None
            }),
        };
        let img_per_s = map.get("img_per_s").and_then(|v| {
            v.as_f64().filter(|f| *f > 0.0 && f.is_finite()).or_else(|| {
                self.errors.push(format!("{place}.img_per_s must be a positive number, got {}", describe(v)));
                None
            })
        });
        let machine = map.get("machine").and_then(|v| {
            v.as_str().map(str::to_string).or_else(|| {
                self.errors.push(format!("{place}.machine must be a string naming the machine, got {}", describe(v)));
                None
            })
        });
        for key in map.keys() {
            if !FIELDS.contains(&key.as_str()) {
                let hint = closest(key, &FIELDS).map(|c| format!("did you mean \"{c}\"? ")).unwrap_or_default();
                self.errors.push(format!("{place}: unknown field \"{key}\": {hint}it may have {}", FIELDS.join(", ")));
            }
        }
        if self.errors.len() != before {
            return None;
        }
        Some(StoredResult {
            epochs: epochs?,
            train_images,
            test_images,
            test_accuracy: test_accuracy?,
            img_per_s,
            threads,
            machine,
            seed,
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::spec::parse;

    const LAYERS: &str = r#""input": [4], "layers": [{"type": "dense", "units": 2, "activation": "softmax"}]"#;

    #[test]
    fn results_are_read_and_kept_per_data_set() {
        let json = format!(
            r#"{{{LAYERS}, "results": {{"mnist": {{"epochs": 2, "train_images": 10000, "test_images": 10000, "test_accuracy": 0.99, "img_per_s": 812.5, "threads": 2, "machine": "m", "seed": 1}},
              "fashion-mnist": {{"epochs": 1, "test_accuracy": 0.9}}}}}}"#
        );
        let spec = parse(&json).unwrap();
        let mnist = &spec.results["mnist"];
        assert_eq!((mnist.epochs, mnist.test_accuracy, mnist.threads), (2, 0.99, Some(2)));
        assert_eq!((mnist.img_per_s, mnist.machine.as_deref(), mnist.seed), (Some(812.5), Some("m"), Some(1)));
        assert_eq!((mnist.train_images, mnist.test_images), (Some(10_000), Some(10_000)));
        assert_eq!((spec.results["fashion-mnist"].epochs, spec.results["fashion-mnist"].train_images), (1, None));
        assert_eq!(spec.source["results"]["fashion-mnist"]["test_accuracy"], 0.9);
    }

    #[test]
    fn bad_results_get_placed_errors() {
        let json = format!(
            r#"{{{LAYERS}, "results": {{"fashion": {{"epochs": 1, "test_accuracy": 0.9}},
              "mnist": {{"test_accuracy": 99.1, "epoch": 2}}}}}}"#
        );
        let err = parse(&json).unwrap_err().to_string();
        for want in [
            "spec.results: unknown data set \"fashion\": did you mean \"fashion-mnist\"?",
            "spec.results.mnist: missing \"epochs\"",
            "spec.results.mnist.test_accuracy must be a fraction from 0 to 1, e.g. 0.991, got 99.1",
            "spec.results.mnist: unknown field \"epoch\": did you mean \"epochs\"?",
        ] {
            assert!(err.contains(want), "{want:?} missing from:\n{err}");
        }
        let err = parse(&format!(r#"{{{LAYERS}, "results": [1]}}"#)).unwrap_err().to_string();
        assert!(err.contains("spec.results must be an object keyed by data set"), "{err}");
    }
}
