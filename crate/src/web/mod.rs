//! The one file that speaks wasm-bindgen. Everything here is a thin wrapper over
//! the core; every fallible export returns `Result<_, JsError>` so JavaScript
//! gets an `Error` with the core's message, never a wasm `unreachable`.

use crate::backend::{BackendChoice, Engine as CoreEngine};
use crate::data::idx;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn js_err(e: crate::Error) -> JsError {
    JsError::new(&e.message())
}

fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsError> {
    let ser = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&ser).map_err(|e| JsError::new(&e.to_string()))
}

/// The engine: one backend (WebGPU or CPU) chosen at creation.
#[wasm_bindgen]
pub struct Engine {
    inner: CoreEngine,
}

#[wasm_bindgen]
impl Engine {
    /// `backend`: "auto" (WebGPU, else CPU with a reason), "webgpu" or "cpu".
    pub async fn create(backend: String) -> Result<Engine, JsError> {
        let choice: BackendChoice = backend.parse().map_err(js_err)?;
        let inner = CoreEngine::new(choice).await.map_err(js_err)?;
        Ok(Engine { inner })
    }

    /// `{ kind, api, adapter, deviceType, driver, fallbackReason, limits }`.
    pub fn info(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.info())
    }

    /// Builds the model of a spec for `batch` on this engine's backend, as training would,
    /// and returns the bytes it allocated (then frees them).
    #[wasm_bindgen(js_name = measureAllocation)]
    pub fn measure_allocation(&self, spec_json: &str, batch: usize) -> Result<f64, JsError> {
        let spec = crate::spec::parse(spec_json).map_err(js_err)?;
        let bytes = match &self.inner {
            CoreEngine::Gpu(ctx) => {
                let gpu = crate::backend::gpu::backend::Gpu::new(ctx.clone());
                crate::model::Model::new(gpu, &spec, batch, 1).map_err(js_err)?.allocated_bytes()
            }
            CoreEngine::Cpu { .. } => {
                crate::model::Model::new(crate::backend::cpu::backend::Cpu::new(), &spec, batch, 1)
                    .map_err(js_err)?
                    .allocated_bytes()
            }
        };
        Ok(bytes as f64)
    }

    /// The smoke kernel: out[i] = a * x[i] + y[i], computed on the engine's backend.
    pub async fn saxpy(&self, a: f32, x: Vec<f32>, y: Vec<f32>) -> Result<Vec<f32>, JsError> {
        self.inner.saxpy(a, &x, &y).await.map_err(js_err)
    }
}

/// An IDX images file decoded: `count` images of `rows × cols` u8 pixels.
#[wasm_bindgen]
pub struct IdxImages {
    inner: idx::IdxImages,
}

#[wasm_bindgen]
impl IdxImages {
    #[wasm_bindgen(getter)]
    pub fn count(&self) -> usize {
        self.inner.count
    }
    #[wasm_bindgen(getter)]
    pub fn rows(&self) -> usize {
        self.inner.rows
    }
    #[wasm_bindgen(getter)]
    pub fn cols(&self) -> usize {
        self.inner.cols
    }
    /// Pixels of image `index` (rows × cols bytes, 0 = background).
    pub fn image(&self, index: usize) -> Result<Vec<u8>, JsError> {
        if index >= self.inner.count {
            return Err(JsError::new(&format!(
                "image index {index} is out of range: the file holds {} images (0..{})",
                self.inner.count, self.inner.count
            )));
        }
        Ok(self.inner.image(index).to_vec())
    }
}

/// Decodes an IDX images file (raw bytes, or gzipped).
#[wasm_bindgen(js_name = readIdxImages)]
pub fn read_idx_images(bytes: &[u8]) -> Result<IdxImages, JsError> {
    idx::read_images(bytes).map(|inner| IdxImages { inner }).map_err(js_err)
}

/// Decodes an IDX labels file (raw bytes, or gzipped).
#[wasm_bindgen(js_name = readIdxLabels)]
pub fn read_idx_labels(bytes: &[u8]) -> Result<Vec<u8>, JsError> {
    idx::read_labels(bytes).map(|l| l.labels).map_err(js_err)
}

/// Validates a spec (JSON text) and returns its summary for a training batch of `batch`.
/// A bad spec rejects with every problem, one per line, each with its place and fix.
#[wasm_bindgen]
pub fn summarize(spec_json: &str, batch: usize) -> Result<JsValue, JsError> {
    if batch == 0 {
        return Err(JsError::new("batch size 0: use a batch of at least 1"));
    }
    let spec = crate::spec::parse(spec_json).map_err(js_err)?;
    to_js(&crate::summary::summarize(&spec, batch))
}

/// The JSON text of a preset spec ("seed-001", "seed-004", "lenet-5", "mlp", "course-3conv").
#[wasm_bindgen(js_name = presetSpec)]
pub fn preset_spec(name: &str) -> Result<String, JsError> {
    crate::presets::preset_json(name).map(str::to_string).map_err(js_err)
}

#[wasm_bindgen(js_name = presetNames)]
pub fn preset_names() -> Vec<String> {
    crate::presets::names().into_iter().map(String::from).collect()
}

/// Will training this spec at `batch` fit in `budget_bytes`, and in the device's per-buffer
/// limits (pass 0 for unknown)? With fixes computed on the model when it does not.
#[wasm_bindgen(js_name = fitCheck)]
pub fn fit_check(
    spec_json: &str,
    batch: usize,
    budget_bytes: f64,
    max_buffer: f64,
    max_binding: f64,
) -> Result<JsValue, JsError> {
    let value: serde_json::Value =
        serde_json::from_str(spec_json).map_err(|e| JsError::new(&format!("the spec is not valid JSON: {e}")))?;
    let limits = (max_buffer > 0.0 && max_binding > 0.0).then_some((max_buffer as u64, max_binding as u64));
    let check = crate::fit::check(&value, batch, budget_bytes.max(0.0) as u64, limits).map_err(js_err)?;
    to_js(&check)
}

enum AnyModel {
    Gpu(crate::model::Model<crate::backend::gpu::backend::Gpu>),
    Cpu(crate::model::Model<crate::backend::cpu::backend::Cpu>),
}

macro_rules! with_model {
    ($m:expr, $v:ident => $body:expr) => {
        match $m {
            AnyModel::Gpu($v) => $body,
            AnyModel::Cpu($v) => $body,
        }
    };
}

/// Trains a model on data held in wasm memory: the page (or its worker) hands over the
/// images once, then asks for batches to be run and for metrics now and then.
#[wasm_bindgen]
pub struct Trainer {
    model: AnyModel,
    optimizer: crate::optim::Optimizer,
    schedule: crate::optim::Schedule,
    /// Batches trained under `schedule`, and how many it spans.
    step: usize,
    total_steps: usize,
    train: (Data, Vec<u8>),
    eval: (Data, Vec<u8>),
    order: Vec<usize>,
    cursor: usize,
    trained_instances: usize,
    predictions: Vec<u8>,
    labels: Option<Vec<String>>,
    /// The input preprocessing saved with the weights (MNIST's scaling unless a file said otherwise).
    preprocessing: serde_json::Value,
}

/// Instances held for training or evaluation: u8 pixels (scaled by 1/255 per batch) or f32 values.
enum Data {
    U8(Vec<u8>),
    F32(Vec<f32>),
}

impl Data {
    fn len(&self) -> usize {
        match self {
            Data::U8(v) => v.len(),
            Data::F32(v) => v.len(),
        }
    }
    /// Runs `f` on this data with its labels as a data set of `per` values per instance.
    fn with<R>(&self, labels: &[u8], per: usize, f: impl FnOnce(&dyn DynInstances) -> R) -> R {
        match self {
            Data::U8(pixels) => f(&crate::train::Dataset { pixels, labels, per }),
            Data::F32(values) => f(&crate::train::FloatDataset { values, labels, per }),
        }
    }
}

/// Object-safe view of `train::Instances` for `Data::with`.
trait DynInstances {
    fn batch(&self, idx: &[usize]) -> (Vec<f32>, Vec<u8>);
}
impl<T: crate::train::Instances> DynInstances for T {
    fn batch(&self, idx: &[usize]) -> (Vec<f32>, Vec<u8>) {
        crate::train::Instances::batch(self, idx)
    }
}

fn mnist_preprocessing() -> serde_json::Value {
    serde_json::json!({"scale": 1.0 / 255.0, "note": "u8 pixels scaled to [0, 1]; MNIST digits are white on black"})
}

#[wasm_bindgen]
impl Trainer {
    /// A model of `spec_json` on `engine`'s backend for batches of up to `batch`, weights from `seed`.
    #[wasm_bindgen(constructor)]
    pub fn new(engine: &Engine, spec_json: &str, batch: usize, seed: u32) -> Result<Trainer, JsError> {
        let spec = crate::spec::parse(spec_json).map_err(js_err)?;
        let model = match &engine.inner {
            CoreEngine::Gpu(ctx) => AnyModel::Gpu(
                crate::model::Model::new(crate::backend::gpu::backend::Gpu::new(ctx.clone()), &spec, batch, seed)
                    .map_err(js_err)?,
            ),
            CoreEngine::Cpu { .. } => AnyModel::Cpu(
                crate::model::Model::new(crate::backend::cpu::backend::Cpu::new(), &spec, batch, seed)
                    .map_err(js_err)?,
            ),
        };
        Ok(Trainer {
            model,
            optimizer: crate::optim::Optimizer::adam(),
            schedule: crate::optim::Schedule::Constant { lr: 0.001 },
            step: 0,
            total_steps: 1,
            train: (Data::U8(vec![]), vec![]),
            eval: (Data::U8(vec![]), vec![]),
            order: vec![],
            cursor: 0,
            trained_instances: 0,
            predictions: vec![],
            labels: None,
            preprocessing: mnist_preprocessing(),
        })
        .map(|mut t: Trainer| {
            t.labels = Some((0..t.classes()).map(|d| d.to_string()).collect());
            t
        })
    }

    /// A trainer whose model and weights come from a ConvPlay weights file (safetensors).
    #[wasm_bindgen(js_name = fromWeights)]
    pub fn from_weights(engine: &Engine, bytes: &[u8], batch: usize) -> Result<Trainer, JsError> {
        let file = crate::weights::read(bytes).map_err(js_err)?;
        let mut t = Trainer::new(engine, &file.spec.source.to_string(), batch, 1)?;
        with_model!(&t.model, m => crate::weights::load_into(m, &file)).map_err(js_err)?;
        t.labels = file.extra.labels;
        if let Some(p) = file.extra.preprocessing {
            t.preprocessing = p;
        }
        Ok(t)
    }

    /// The model's parameters and spec as a ConvPlay weights file (safetensors, f32).
    pub async fn save(&self) -> Result<Vec<u8>, JsError> {
        self.save_as("f32").await
    }

    /// The weights file with kernels stored as "f32", "f16" or "int8" (per output channel).
    #[wasm_bindgen(js_name = saveAs)]
    pub async fn save_as(&self, storage: &str) -> Result<Vec<u8>, JsError> {
        use crate::weights::Storage;
        let storage = match storage {
            "f32" => Storage::F32,
            "f16" => Storage::F16,
            "int8" => Storage::Int8,
            other => {
                return Err(JsError::new(&format!(
                    "unknown weights format {other:?}: use \"f32\", \"f16\" or \"int8\""
                )))
            }
        };
        let extra =
            crate::weights::Extra { labels: self.labels.clone(), preprocessing: Some(self.preprocessing.clone()) };
        with_model!(&self.model, m => crate::weights::save_as(m, &extra, storage).await).map_err(js_err)
    }

    /// Copies every parameter `other` has under the same name and shape (the rest keep
    /// their values); returns how many were copied. Differing shapes are an error.
    #[wasm_bindgen(js_name = copyWeightsFrom)]
    pub async fn copy_weights_from(&mut self, other: &Trainer) -> Result<usize, JsError> {
        match (&mut self.model, &other.model) {
            (AnyModel::Cpu(a), AnyModel::Cpu(b)) => a.copy_params_from(b).await,
            (AnyModel::Cpu(a), AnyModel::Gpu(b)) => a.copy_params_from(b).await,
            (AnyModel::Gpu(a), AnyModel::Cpu(b)) => a.copy_params_from(b).await,
            (AnyModel::Gpu(a), AnyModel::Gpu(b)) => a.copy_params_from(b).await,
        }
        .map_err(js_err)
    }

    /// Names the classes (saved with the weights): one non-empty name per class.
    #[wasm_bindgen(js_name = setLabels)]
    pub fn set_labels(&mut self, labels: Vec<String>) -> Result<(), JsError> {
        let classes = self.classes();
        if labels.len() != classes {
            return Err(JsError::new(&format!(
                "{} class names for a model with {classes} classes; give one name per class",
                labels.len()
            )));
        }
        if let Some(i) = labels.iter().position(|l| l.trim().is_empty()) {
            return Err(JsError::new(&format!("class {i} has an empty name; give every class a name")));
        }
        self.labels = Some(labels);
        Ok(())
    }

    /// Sets the input preprocessing saved with the weights (a JSON object, as `preprocessingJson`).
    #[wasm_bindgen(js_name = setPreprocessing)]
    pub fn set_preprocessing(&mut self, json: &str) -> Result<(), JsError> {
        match serde_json::from_str::<serde_json::Value>(json) {
            Ok(v @ serde_json::Value::Object(_)) => {
                self.preprocessing = v;
                Ok(())
            }
            Ok(_) => Err(JsError::new(
                "preprocessing must be a JSON object such as {\"mean\": [127, 127, 127], \"std\": [128, 128, 128]}",
            )),
            Err(e) => Err(JsError::new(&format!("preprocessing is not valid JSON: {e}"))),
        }
    }

    /// The names of the top-level layers, in order (what `features` takes).
    #[wasm_bindgen(js_name = layerNames)]
    pub fn layer_names(&self) -> Vec<String> {
        with_model!(&self.model, m => m.body.nodes.iter().map(|n| n.name.clone()).collect())
    }

    /// Inference on n inputs (n × input values, at most the batch) and the outputs of the
    /// named top-level layers from that one pass: one Float32Array (n × layer output) per name.
    pub async fn features(&mut self, x: Vec<f32>, layers: Vec<String>) -> Result<js_sys::Array, JsError> {
        let nodes = layers
            .iter()
            .map(|l| with_model!(&self.model, m => m.node_index(l)))
            .collect::<crate::Result<Vec<_>>>()
            .map_err(js_err)?;
        let n = with_model!(&self.model, m => m.set_input(&x)).map_err(js_err)?;
        let outs = with_model!(&mut self.model, m => m.features_at(n, &nodes).await).map_err(js_err)?;
        let arr = js_sys::Array::new();
        for o in outs {
            arr.push(&js_sys::Float32Array::from(o.as_slice()));
        }
        Ok(arr)
    }

    /// The model's spec (JSON text).
    #[wasm_bindgen(getter, js_name = specJson)]
    pub fn spec_json(&self) -> String {
        with_model!(&self.model, m => m.spec.source.to_string())
    }

    /// "adam", "adamw" or "sgd" (momentum 0.9, Nesterov); `weight_decay` L2 (AdamW: decoupled).
    /// Without a weight decay: the optimizer's default (`optim::Optimizer::named`: AdamW 0.004).
    #[wasm_bindgen(js_name = setOptimizer)]
    pub fn set_optimizer(&mut self, kind: &str, weight_decay: Option<f32>) -> Result<(), JsError> {
        self.optimizer = crate::optim::Optimizer::named(kind, weight_decay).map_err(js_err)?;
        Ok(())
    }

    /// The weight decay of the optimizer in use (what `setOptimizer` resolved).
    #[wasm_bindgen(getter, js_name = weightDecay)]
    pub fn weight_decay(&self) -> f32 {
        self.optimizer.weight_decay()
    }

    /// The learning-rate schedule for the next `total_steps` batches (`optim::Schedule::named`:
    /// "constant", "step" halving every epoch of `steps_per_epoch`, "cosine", "onecycle" peaking
    /// at `lr`); restarts the step count. `trainBatches` takes each batch's rate from it.
    #[wasm_bindgen(js_name = setSchedule)]
    pub fn set_schedule(
        &mut self,
        kind: &str,
        lr: f32,
        total_steps: usize,
        steps_per_epoch: usize,
    ) -> Result<(), JsError> {
        self.schedule = crate::optim::Schedule::named(kind, lr, steps_per_epoch).map_err(js_err)?;
        self.total_steps = total_steps.max(1);
        self.step = 0;
        Ok(())
    }

    /// The learning rate of the next batch, from the schedule.
    #[wasm_bindgen(getter)]
    pub fn lr(&self) -> f32 {
        self.schedule.lr(self.step, self.total_steps)
    }

    fn check_data(&self, values: usize, labels: &[u8], what: &str) -> Result<(), JsError> {
        let per = with_model!(&self.model, m => m.spec.input.elements());
        let classes = with_model!(&self.model, m => m.classes);
        if labels.is_empty() || values != labels.len() * per {
            return Err(JsError::new(&format!(
                "{what} data: {values} values for {} labels, but the model takes {per} values per instance; pass inputs and labels that belong together",
                labels.len()
            )));
        }
        if let Some(&bad) = labels.iter().find(|&&l| l as usize >= classes) {
            return Err(JsError::new(&format!("{what} data: label {bad} is out of range for {classes} classes")));
        }
        Ok(())
    }

    /// Training images (u8, scaled to [0, 1] per batch) and labels.
    #[wasm_bindgen(js_name = setTrainData)]
    pub fn set_train_data(&mut self, pixels: Vec<u8>, labels: Vec<u8>) -> Result<(), JsError> {
        self.set_train(Data::U8(pixels), labels)
    }

    /// Training inputs as f32 values used as they are (e.g. features from another model).
    #[wasm_bindgen(js_name = setTrainValues)]
    pub fn set_train_values(&mut self, values: Vec<f32>, labels: Vec<u8>) -> Result<(), JsError> {
        self.set_train(Data::F32(values), labels)
    }

    fn set_train(&mut self, data: Data, labels: Vec<u8>) -> Result<(), JsError> {
        self.check_data(data.len(), &labels, "training")?;
        self.train = (data, labels);
        self.order.clear();
        self.cursor = 0;
        Ok(())
    }

    /// Held-out images for `evaluate` (validation or test).
    #[wasm_bindgen(js_name = setEvalData)]
    pub fn set_eval_data(&mut self, pixels: Vec<u8>, labels: Vec<u8>) -> Result<(), JsError> {
        self.check_data(pixels.len(), &labels, "evaluation")?;
        self.eval = (Data::U8(pixels), labels);
        Ok(())
    }

    /// Held-out inputs as f32 values used as they are.
    #[wasm_bindgen(js_name = setEvalValues)]
    pub fn set_eval_values(&mut self, values: Vec<f32>, labels: Vec<u8>) -> Result<(), JsError> {
        self.check_data(values.len(), &labels, "evaluation")?;
        self.eval = (Data::F32(values), labels);
        Ok(())
    }

    /// Shuffles the training data with `seed`; returns the number of batches in the epoch.
    #[wasm_bindgen(js_name = startEpoch)]
    pub fn start_epoch(&mut self, seed: u32) -> Result<usize, JsError> {
        if self.train.1.is_empty() {
            return Err(JsError::new("no training data: call setTrainData first"));
        }
        self.order = crate::train::shuffled(self.train.1.len(), seed);
        self.cursor = 0;
        let batch = with_model!(&self.model, m => m.max_batch);
        Ok(self.order.len().div_ceil(batch))
    }

    /// Runs up to `count` batches of the current epoch, each at its rate from the schedule
    /// (`setSchedule`); returns how many batches of the epoch are done. Nothing is read back
    /// from the GPU.
    #[wasm_bindgen(js_name = trainBatches)]
    pub fn train_batches(&mut self, count: usize) -> Result<usize, JsError> {
        if self.order.is_empty() {
            return Err(JsError::new("no epoch started: call startEpoch first"));
        }
        let batch = with_model!(&self.model, m => m.max_batch);
        let per = with_model!(&self.model, m => m.spec.input.elements());
        for _ in 0..count {
            if self.cursor >= self.order.len() {
                break;
            }
            let step = self.optimizer.step(self.schedule.lr(self.step, self.total_steps));
            self.step += 1;
            let idx = &self.order[self.cursor..(self.cursor + batch).min(self.order.len())];
            let (x, y) = self.train.0.with(&self.train.1, per, |d| d.batch(idx));
            with_model!(&mut self.model, m => m.train_step(&x, &y, step)).map_err(js_err)?;
            self.cursor += idx.len();
            self.trained_instances += idx.len();
        }
        Ok(self.cursor.div_ceil(batch))
    }

    /// [mean loss, accuracy, instances] over the batches since the last call (a readback).
    #[wasm_bindgen(js_name = takeMetrics)]
    pub async fn take_metrics(&mut self) -> Result<Vec<f32>, JsError> {
        let n = std::mem::take(&mut self.trained_instances);
        let (loss, acc) = with_model!(&mut self.model, m => m.take_metrics(n).await).map_err(js_err)?;
        Ok(vec![loss, acc, n as f32])
    }

    /// Accuracy on the evaluation data (inference mode: BN running statistics, no dropout).
    pub async fn evaluate(&mut self) -> Result<f32, JsError> {
        if self.eval.1.is_empty() {
            return Err(JsError::new("no evaluation data: call setEvalData first"));
        }
        let per = with_model!(&self.model, m => m.spec.input.elements());
        let (acc, predicted) = match &self.eval.0 {
            Data::U8(pixels) => {
                let data = crate::train::Dataset { pixels, labels: &self.eval.1, per };
                with_model!(&mut self.model, m => crate::train::evaluate(m, &data).await)
            }
            Data::F32(values) => {
                let data = crate::train::FloatDataset { values, labels: &self.eval.1, per };
                with_model!(&mut self.model, m => crate::train::evaluate(m, &data).await)
            }
        }
        .map_err(js_err)?;
        self.predictions = predicted;
        Ok(acc)
    }

    /// The predicted class of every evaluation image, from the last `evaluate`.
    #[wasm_bindgen(js_name = lastPredictions)]
    pub fn last_predictions(&self) -> Vec<u8> {
        self.predictions.clone()
    }

    /// Class probabilities for images given as f32 in [0, 1] (n × input values).
    pub async fn predict(&mut self, x: Vec<f32>) -> Result<Vec<f32>, JsError> {
        let n = with_model!(&self.model, m => m.set_input(&x)).map_err(js_err)?;
        with_model!(&mut self.model, m => m.predict(n).await).map_err(js_err)
    }

    /// Random affine augmentation of the training batches on the device: shift up to
    /// ±`shift` pixels, rotation up to ±`rotate_deg` degrees, scale within 1 ± `scale`
    /// (all 0: off). Evaluation and prediction are never augmented.
    #[wasm_bindgen(js_name = setAugment)]
    pub fn set_augment(&mut self, shift: f32, rotate_deg: f32, scale: f32) -> Result<(), JsError> {
        let a = crate::backend::cpu::augment::Augment { shift, rotate_deg, scale };
        with_model!(&mut self.model, m => m.set_augment(a)).map_err(js_err)
    }

    /// What the network does with one input (f32 values in the input's shape):
    /// `{ layers: [{ name, type, shape, values }], probabilities, top, saliency, filters }`,
    /// where the last layer's values are logits, `saliency` is the gradient of the top
    /// class's logit with respect to each input value, and `filters` is the first conv
    /// layer's kernel `{ name, shape: [kh, kw, cIn, cOut], values }` (null without one).
    pub async fn inspect(&mut self, x: Vec<f32>) -> Result<JsValue, JsError> {
        use crate::backend::ops::Backend as _;
        #[derive(serde::Serialize)]
        struct Layer {
            name: String,
            #[serde(rename = "type")]
            type_name: &'static str,
            shape: Vec<usize>,
            values: Vec<f32>,
        }
        #[derive(serde::Serialize)]
        struct Filters {
            name: String,
            shape: Vec<usize>,
            values: Vec<f32>,
        }
        #[derive(serde::Serialize)]
        struct Out {
            layers: Vec<Layer>,
            probabilities: Vec<f32>,
            top: usize,
            saliency: Vec<f32>,
            filters: Option<Filters>,
        }
        let inside = with_model!(&mut self.model, m => m.inspect(&x).await).map_err(js_err)?;
        let filters = with_model!(&self.model, m => {
            match m.params.iter().find(|p| p.shape.len() == 4) {
                Some(p) => {
                    m.be.flush();
                    Some(Filters { name: p.name.clone(), shape: p.shape.clone(), values: m.be.read(&p.value, p.len).await.map_err(js_err)? })
                }
                None => None,
            }
        });
        let shape = |s: crate::spec::Shape| match s {
            crate::spec::Shape::Map { h, w, c } => vec![h, w, c],
            crate::spec::Shape::Flat(n) => vec![n],
        };
        to_js(&Out {
            layers: inside
                .layers
                .into_iter()
                .map(|l| Layer { name: l.name, type_name: l.type_name, shape: shape(l.shape), values: l.values })
                .collect(),
            probabilities: inside.probabilities,
            top: inside.top,
            saliency: inside.saliency,
            filters,
        })
    }

    /// The input preprocessing from the weights file (JSON): e.g. `{"mean": [..], "std": [..], "size": [224, 224]}`.
    #[wasm_bindgen(getter, js_name = preprocessingJson)]
    pub fn preprocessing_json(&self) -> String {
        self.preprocessing.to_string()
    }

    /// The class names: from the weights file, else "0", "1", ….
    pub fn labels(&self) -> Vec<String> {
        self.labels.clone().unwrap_or_else(|| (0..self.classes()).map(|d| d.to_string()).collect())
    }

    #[wasm_bindgen(getter)]
    pub fn classes(&self) -> usize {
        with_model!(&self.model, m => m.classes)
    }

    #[wasm_bindgen(getter, js_name = paramCount)]
    pub fn param_count(&self) -> usize {
        with_model!(&self.model, m => m.param_count())
    }
}

/// MNIST-style preprocessing of a drawing: `ink` is `w × h` intensities (0 = background);
/// returns 28×28 u8, white on black, cropped, scaled to fit 20×20 and centred by mass.
#[wasm_bindgen(js_name = preprocessDigit)]
pub fn preprocess_digit(ink: &[u8], w: usize, h: usize) -> Result<Vec<u8>, JsError> {
    crate::data::preprocess::mnist_digit(ink, w, h).map_err(js_err)
}
