//! The trainer every training path uses (the page and the JS API through the wasm layer, the
//! CLI natively): a model on either backend with its optimizer, learning-rate schedule and step
//! count, the training and evaluation data, the shuffled order of the current epoch and the
//! cursor in it, and what is saved with the weights (class names, input preprocessing).

use super::data::{Data, Labelled};
use super::settings::Settings;
use super::{evaluate, shuffled, Instances};
use crate::backend::cpu::augment::Augment;
use crate::backend::Engine;
use crate::error::{Error, Result};
use crate::model::{AnyModel, Inside};
use crate::optim::{Optimizer, Schedule};
use crate::spec::ModelSpec;
use crate::weights::{Extra, Storage};
use crate::with_model;

pub struct Trainer {
    pub(super) model: AnyModel,
    pub(super) optimizer: Optimizer,
    pub(super) schedule: Schedule,
    /// Batches trained under `schedule`, and how many it spans.
    pub(super) step: usize,
    pub(super) total_steps: usize,
    pub(super) train: Labelled,
    eval: Labelled,
    /// The current epoch's order of the training instances, and how far it has got.
    pub(super) order: Vec<usize>,
    pub(super) cursor: usize,
    /// Instances trained since the metrics were last taken.
    trained_instances: usize,
    predictions: Vec<u8>,
    labels: Option<Vec<String>>,
    /// The input preprocessing saved with the weights (MNIST's scaling unless a file said otherwise).
    preprocessing: serde_json::Value,
}

/// What a model trained on u8 pixels expects: MNIST's scaling.
pub fn mnist_preprocessing() -> serde_json::Value {
    serde_json::json!({"scale": 1.0 / 255.0, "note": "u8 pixels scaled to [0, 1]; MNIST digits are white on black"})
}

/// A parameter's values with its name and shape.
pub struct Tensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

impl Trainer {
    /// A model of `spec` on `engine`'s backend for batches of up to `batch`, weights from `seed`;
    /// Adam at a constant 0.001 until told otherwise, classes named "0", "1", ….
    pub fn new(engine: &Engine, spec: &ModelSpec, batch: usize, seed: u32) -> Result<Trainer> {
        Ok(Trainer::with_model(AnyModel::new(engine, spec, batch, seed)?))
    }

    /// A trainer around a model already built.
    pub fn with_model(model: AnyModel) -> Trainer {
        let classes = with_model!(&model, m => m.classes);
        Trainer {
            model,
            optimizer: Optimizer::adam(),
            schedule: Schedule::Constant { lr: 0.001 },
            step: 0,
            total_steps: 1,
            train: Labelled::empty(),
            eval: Labelled::empty(),
            order: vec![],
            cursor: 0,
            trained_instances: 0,
            predictions: vec![],
            labels: Some((0..classes).map(|d| d.to_string()).collect()),
            preprocessing: mnist_preprocessing(),
        }
    }

    /// A trainer whose model, weights, class names and preprocessing come from a ConvPlay
    /// weights file (safetensors).
    pub fn from_weights(engine: &Engine, bytes: &[u8], batch: usize) -> Result<Trainer> {
        let file = crate::weights::read(bytes)?;
        let mut t = Trainer::new(engine, &file.spec, batch, 1)?;
        with_model!(&t.model, m => crate::weights::load_into(m, &file))?;
        t.labels = file.extra.labels;
        if let Some(p) = file.extra.preprocessing {
            t.preprocessing = p;
        }
        Ok(t)
    }

    pub fn model(&self) -> &AnyModel {
        &self.model
    }

    pub fn model_mut(&mut self) -> &mut AnyModel {
        &mut self.model
    }

    pub fn spec(&self) -> &ModelSpec {
        with_model!(&self.model, m => &m.spec)
    }

    /// Values per input instance.
    pub fn input_size(&self) -> usize {
        self.spec().input.buffer_len()
    }

    /// The evaluation labels held (`positions` per instance), what `last_predictions` lines up with.
    pub fn eval_labels(&self) -> &[u8] {
        self.eval.all_labels()
    }

    pub fn classes(&self) -> usize {
        with_model!(&self.model, m => m.classes)
    }

    /// Output positions per instance, each with its own label: h·w for a model ending in a
    /// map, 1 for a classifier of whole instances.
    pub fn positions(&self) -> usize {
        with_model!(&self.model, m => m.positions)
    }

    pub fn param_count(&self) -> usize {
        with_model!(&self.model, m => m.param_count())
    }

    /// The largest batch the model was built for (the batch training runs at).
    pub fn max_batch(&self) -> usize {
        with_model!(&self.model, m => m.max_batch)
    }

    /// The model's parameters, spec, class names and preprocessing as a ConvPlay weights file.
    pub async fn save_as(&self, storage: Storage) -> Result<Vec<u8>> {
        let extra = Extra { labels: self.labels.clone(), preprocessing: Some(self.preprocessing.clone()) };
        with_model!(&self.model, m => crate::weights::save_as(m, &extra, storage).await)
    }

    /// Copies every parameter `other` has under the same name and shape (the rest keep their
    /// values); returns how many were copied. Differing shapes are an error.
    pub async fn copy_weights_from(&mut self, other: &Trainer) -> Result<usize> {
        self.model.copy_params_from(&other.model).await
    }

    /// The class names: those set or read from a weights file, else "0", "1", ….
    pub fn labels(&self) -> Vec<String> {
        self.labels.clone().unwrap_or_else(|| (0..self.classes()).map(|d| d.to_string()).collect())
    }

    /// Names the classes (saved with the weights): one non-empty name per class.
    pub fn set_labels(&mut self, labels: Vec<String>) -> Result<()> {
        let classes = self.classes();
        if labels.len() != classes {
            return Err(Error::Invalid(format!(
                "{} class names for a model with {classes} classes; give one name per class",
                labels.len()
            )));
        }
        if let Some(i) = labels.iter().position(|l| l.trim().is_empty()) {
            return Err(Error::Invalid(format!("class {i} has an empty name; give every class a name")));
        }
        self.labels = Some(labels);
        Ok(())
    }

    pub fn preprocessing(&self) -> &serde_json::Value {
        &self.preprocessing
    }

    /// Sets the input preprocessing saved with the weights from JSON text (an object).
    pub fn set_preprocessing_json(&mut self, json: &str) -> Result<()> {
        match serde_json::from_str::<serde_json::Value>(json) {
            Ok(v @ serde_json::Value::Object(_)) => {
                self.preprocessing = v;
                Ok(())
            }
            Ok(_) => Err(Error::Invalid(
                "preprocessing must be a JSON object such as {\"mean\": [127, 127, 127], \"std\": [128, 128, 128]}"
                    .into(),
            )),
            Err(e) => Err(Error::Invalid(format!("preprocessing is not valid JSON: {e}"))),
        }
    }

    pub fn optimizer(&self) -> &Optimizer {
        &self.optimizer
    }

    /// The optimizer a name stands for ([`Optimizer::named`]): "adam", "adamw" or "sgd", with
    /// `weight_decay` or, without one, the optimizer's default (AdamW 0.004).
    pub fn set_optimizer(&mut self, kind: &str, weight_decay: Option<f32>) -> Result<()> {
        self.optimizer = Optimizer::named(kind, weight_decay)?;
        Ok(())
    }

    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// The learning-rate schedule a name stands for ([`Schedule::named`]) over the next
    /// `total_steps` batches; restarts the step count.
    pub fn set_schedule(&mut self, kind: &str, lr: f32, total_steps: usize, steps_per_epoch: usize) -> Result<()> {
        self.schedule = Schedule::named(kind, lr, steps_per_epoch)?;
        self.total_steps = total_steps.max(1);
        self.step = 0;
        Ok(())
    }

    /// The learning rate of the next batch, from the schedule.
    pub fn lr(&self) -> f32 {
        self.schedule.lr(self.step, self.total_steps)
    }

    /// Random affine augmentation of the training batches (all ranges 0: off).
    pub fn set_augment(&mut self, a: Augment) -> Result<()> {
        with_model!(&mut self.model, m => m.set_augment(a))
    }

    pub fn augment(&self) -> Augment {
        with_model!(&self.model, m => m.augment())
    }

    /// Optimizer, augmentation and schedule from `settings`, the schedule spanning its epochs
    /// over the training data now held (so set the training data first).
    pub fn apply(&mut self, settings: &Settings) -> Result<()> {
        self.optimizer = settings.optimizer()?;
        self.set_augment(settings.augment)?;
        let per_epoch = self.train.len().div_ceil(self.max_batch());
        self.set_schedule(&settings.schedule, settings.lr, settings.epochs * per_epoch, per_epoch)
    }

    /// Training instances and labels; the next epoch must be started anew.
    pub fn set_train_data(&mut self, data: Data, labels: Vec<u8>) -> Result<()> {
        self.train =
            Labelled::per_position(data, labels, self.input_size(), self.positions(), self.classes(), "training")?;
        self.order.clear();
        self.cursor = 0;
        Ok(())
    }

    /// Held-out instances and labels for `evaluate` (validation or test).
    pub fn set_eval_data(&mut self, data: Data, labels: Vec<u8>) -> Result<()> {
        self.eval =
            Labelled::per_position(data, labels, self.input_size(), self.positions(), self.classes(), "evaluation")?;
        Ok(())
    }

    /// Training instances held.
    pub fn train_len(&self) -> usize {
        self.train.len()
    }

    /// Evaluation instances held.
    pub fn eval_len(&self) -> usize {
        self.eval.len()
    }

    /// Shuffles the training data with `seed`; returns the number of batches in the epoch.
    pub fn start_epoch(&mut self, seed: u32) -> Result<usize> {
        if self.train.is_empty() {
            return Err(Error::Invalid("no training data: call setTrainData first".into()));
        }
        self.order = shuffled(self.train.len(), seed);
        self.cursor = 0;
        Ok(self.order.len().div_ceil(self.max_batch()))
    }

    /// Runs up to `count` batches of the current epoch, each at its rate from the schedule;
    /// returns how many batches of the epoch are done. Nothing is read back from the device.
    pub fn train_batches(&mut self, count: usize) -> Result<usize> {
        if self.order.is_empty() {
            return Err(Error::Invalid("no epoch started: call startEpoch first".into()));
        }
        let batch = self.max_batch();
        for _ in 0..count {
            if self.cursor >= self.order.len() {
                break;
            }
            let step = self.optimizer.step(self.schedule.lr(self.step, self.total_steps));
            self.step += 1;
            let end = self.cursor.saturating_add(batch).min(self.order.len());
            let idx = self.order.get(self.cursor..end).unwrap_or_default();
            let (x, y) = self.train.batch(idx)?;
            with_model!(&mut self.model, m => m.train_step(&x, &y, step))?;
            self.cursor += idx.len();
            self.trained_instances += idx.len();
        }
        Ok(self.cursor.div_ceil(batch))
    }

    /// (mean loss, accuracy, instances) over the batches trained since the last call (a readback).
    pub async fn take_metrics(&mut self) -> Result<(f32, f32, usize)> {
        let n = std::mem::take(&mut self.trained_instances);
        let (loss, acc) = with_model!(&mut self.model, m => m.take_metrics(n).await)?;
        Ok((loss, acc, n))
    }

    /// Reports the batches trained since the last report and trains `count` more before
    /// waiting for it: (mean loss, accuracy, instances) of the earlier batches, and the batches
    /// of the epoch now done. On a GPU the new batches run while the report comes back, so
    /// the device does not run dry at each report as it does with `take_metrics`.
    pub async fn train_and_report(&mut self, count: usize) -> Result<(f32, f32, usize, usize)> {
        let n = std::mem::take(&mut self.trained_instances);
        let aside = match &mut self.model {
            AnyModel::Gpu(m) => Aside::Gpu(m.set_metrics_aside()),
            AnyModel::Cpu(m) => Aside::Cpu(m.set_metrics_aside()),
        };
        let done = self.train_batches(count)?;
        let (loss, acc) = match (&self.model, aside) {
            (AnyModel::Gpu(m), Aside::Gpu(s)) => m.read_metrics(s, n).await?,
            (AnyModel::Cpu(m), Aside::Cpu(s)) => m.read_metrics(s, n).await?,
            _ => return Err(Error::Invalid("the model changed backend between two reports".into())),
        };
        Ok((loss, acc, n, done))
    }

    /// Accuracy on the evaluation data (inference mode: BN running statistics, no dropout);
    /// keeps every instance's predicted class for `last_predictions`.
    pub async fn evaluate(&mut self) -> Result<f32> {
        if self.eval.is_empty() {
            return Err(Error::Invalid("no evaluation data: call setEvalData first".into()));
        }
        let (acc, predicted) = with_model!(&mut self.model, m => evaluate(m, &self.eval).await)?;
        self.predictions = predicted;
        Ok(acc)
    }

    /// The predicted class of every evaluation instance, from the last `evaluate`.
    pub fn last_predictions(&self) -> &[u8] {
        &self.predictions
    }

    /// Mean IoU, per-class IoU and pixel accuracy of the last `evaluate` (its predictions
    /// against the evaluation labels: label maps for a segmentation model).
    pub fn last_iou(&self) -> Result<super::Iou> {
        if self.predictions.is_empty() {
            return Err(Error::Invalid("no predictions yet: call evaluate first".into()));
        }
        super::iou::iou(&self.predictions, self.eval.all_labels(), self.classes())
    }

    /// Class probabilities for n inputs (n × input values, at most the batch).
    pub async fn predict(&mut self, x: &[f32]) -> Result<Vec<f32>> {
        let n = with_model!(&self.model, m => m.set_input(x))?;
        with_model!(&mut self.model, m => m.predict(n).await)
    }

    /// The names of the top-level layers, in order (what `features` takes).
    pub fn layer_names(&self) -> Vec<String> {
        with_model!(&self.model, m => m.body.nodes.iter().map(|n| n.name.clone()).collect())
    }

    /// Inference on n inputs and the outputs of the named top-level layers from that one pass
    /// (n × layer output values per name).
    pub async fn features(&mut self, x: &[f32], layers: &[String]) -> Result<Vec<Vec<f32>>> {
        let nodes =
            layers.iter().map(|l| with_model!(&self.model, m => m.node_index(l))).collect::<Result<Vec<_>>>()?;
        let n = with_model!(&self.model, m => m.set_input(x))?;
        with_model!(&mut self.model, m => m.features_at(n, &nodes).await)
    }

    /// What the network does with one input ([`crate::model::Model::inspect`]).
    pub async fn inspect(&mut self, x: &[f32]) -> Result<Inside> {
        with_model!(&mut self.model, m => m.inspect(x).await)
    }

    /// The first convolution kernel ([kh, kw, cIn, cOut]) read back, if the model has one.
    pub async fn first_kernel(&self) -> Result<Option<Tensor>> {
        use crate::backend::ops::Backend as _;
        with_model!(&self.model, m => match m.params.iter().find(|p| p.shape.len() == 4) {
            Some(p) => {
                m.be.flush();
                let values = m.be.read(&p.value, p.len).await?;
                Ok(Some(Tensor { name: p.name.clone(), shape: p.shape.clone(), values }))
            }
            None => Ok(None),
        })
    }
}

/// Metrics set aside on a model's backend (`Trainer::train_and_report`).
enum Aside {
    Gpu(<crate::backend::gpu::backend::Gpu as crate::backend::ops::Backend>::Snapshot),
    Cpu(<crate::backend::cpu::backend::Cpu as crate::backend::ops::Backend>::Snapshot),
}
