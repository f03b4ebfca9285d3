//! The one file that speaks wasm-bindgen. Everything here is a thin wrapper over
//! the core; every fallible export returns `Result<_, JsError>` so JavaScript
//! gets an `Error` with the core's message, never a wasm `unreachable`.
//!
//! On wasm32 a panic aborts the instance, so nothing here may panic: the lints below forbid
//! `unwrap`, `expect`, `panic!`, unchecked indexing and lossy casts (docs/reliability.md).
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_truncation,
    clippy::unreachable,
    clippy::todo,
    clippy::unimplemented
)]

use crate::backend::{BackendChoice, Engine as CoreEngine};
use crate::data::idx;
use crate::model::AnyModel;
use crate::train::{Data, Trainer as CoreTrainer};
use wasm_bindgen::prelude::*;

mod segment;

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

/// A byte count from JS (a number): NaN and negatives are 0, values past `u64::MAX` saturate.
fn whole_bytes(v: f64) -> u64 {
    if v.is_nan() || v <= 0.0 {
        0
    } else {
        // In range by the checks above (and `as` saturates at u64::MAX): no truncation to fear.
        #[allow(clippy::cast_possible_truncation)]
        let n = v as u64;
        n
    }
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
        let model = AnyModel::new(&self.inner, &spec, batch, 1).map_err(js_err)?;
        Ok(crate::with_model!(&model, m => m.allocated_bytes()) as f64)
    }

    /// Where a training step of a spec at `batch` spends its time on this engine's GPU: `steps`
    /// ordinary steps timed, then one dispatch by dispatch (kernel, layer, workgroups, ms).
    pub async fn profile(&self, spec_json: &str, batch: usize, steps: usize) -> Result<JsValue, JsError> {
        let spec = crate::spec::parse(spec_json).map_err(js_err)?;
        to_js(&self.inner.profile(&spec, batch, steps).await.map_err(js_err)?)
    }

    /// The GEMM kernel of this engine's GPU products and how it was chosen ("reg (timed at
    /// start-up: …)"); with `kernel` ("tiled", "reg" or "lane") it forces that one first, so
    /// that a benchmark can compare them on one device.
    pub fn gemm(&self, kernel: Option<String>) -> Result<String, JsError> {
        let CoreEngine::Gpu(ctx) = &self.inner else {
            return Err(JsError::new(
                "this engine runs on the CPU, which has no GPU GEMM kernel to choose; create it with backend \"webgpu\"",
            ));
        };
        if let Some(k) = kernel {
            ctx.set_gemm_kernel(crate::backend::gpu::gemm_choice::GemmKernel::parse(&k).map_err(js_err)?);
        }
        Ok(ctx.gemm_report())
    }

    /// How models built on this engine from now on keep their activations: "f32", or "f16" on a
    /// GPU with `shader-f16` (half the memory for activations; arithmetic stays f32). With
    /// `precision` it sets that first; a CPU engine, or a GPU without shader-f16, refuses "f16".
    pub fn activations(&self, precision: Option<String>) -> Result<String, JsError> {
        if let Some(p) = precision {
            let f16 = crate::backend::gpu::parse_activations(&p).map_err(js_err)?;
            self.inner.set_f16_activations(f16).map_err(js_err)?;
        }
        Ok(if self.inner.f16_activations() { "f16" } else { "f32" }.into())
    }

    /// Training images per second of a spec at `batch` on this engine (synthetic data).
    #[wasm_bindgen(js_name = measureTraining)]
    pub async fn measure_training(&self, spec_json: &str, batch: usize, steps: usize) -> Result<f64, JsError> {
        let spec = crate::spec::parse(spec_json).map_err(js_err)?;
        self.inner.measure_training(&spec, batch, steps).await.map_err(js_err)
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

/// A ConvPlay weights file made fully convolutional for `height`×`width` inputs (its dense
/// layers as convolutions, `crate::fcn`): a new weights file, f32.
#[wasm_bindgen(js_name = fullyConvolutional)]
pub fn fully_convolutional(weights: &[u8], height: usize, width: usize) -> Result<Vec<u8>, JsError> {
    crate::fcn::convert_weights(weights, height, width).map_err(js_err)
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
    let limits = (max_buffer > 0.0 && max_binding > 0.0).then_some((whole_bytes(max_buffer), whole_bytes(max_binding)));
    let check = crate::fit::check_text(spec_json, batch, whole_bytes(budget_bytes), limits).map_err(js_err)?;
    to_js(&check)
}

/// Trains a model on data held in wasm memory: the page (or its worker) hands over the
/// images once, then asks for batches to be run and for metrics now and then.
// A wrapper of the core `train::Trainer` that converts types and errors.
#[wasm_bindgen]
pub struct Trainer {
    inner: CoreTrainer,
}

#[wasm_bindgen]
impl Trainer {
    /// A model of `spec_json` on `engine`'s backend for batches of up to `batch`, weights from `seed`.
    #[wasm_bindgen(constructor)]
    pub fn new(engine: &Engine, spec_json: &str, batch: usize, seed: u32) -> Result<Trainer, JsError> {
        let spec = crate::spec::parse(spec_json).map_err(js_err)?;
        let inner = CoreTrainer::new(&engine.inner, &spec, batch, seed).map_err(js_err)?;
        Ok(Trainer { inner })
    }

    /// A trainer whose model and weights come from a ConvPlay weights file (safetensors).
    #[wasm_bindgen(js_name = fromWeights)]
    pub fn from_weights(engine: &Engine, bytes: &[u8], batch: usize) -> Result<Trainer, JsError> {
        let inner = CoreTrainer::from_weights(&engine.inner, bytes, batch).map_err(js_err)?;
        Ok(Trainer { inner })
    }

    /// How the model keeps its activations: "f16" (a GPU model built with f16 activations) or "f32".
    #[wasm_bindgen(getter)]
    pub fn activations(&self) -> String {
        let f16 = matches!(self.inner.model(), AnyModel::Gpu(m) if m.be.f16_activations());
        if f16 { "f16" } else { "f32" }.into()
    }

    /// The model's parameters and spec as a ConvPlay weights file (safetensors, f32).
    pub async fn save(&self) -> Result<Vec<u8>, JsError> {
        self.save_as("f32").await
    }

    /// The weights file with kernels stored as "f32", "f16" or "int8" (per output channel).
    #[wasm_bindgen(js_name = saveAs)]
    pub async fn save_as(&self, storage: &str) -> Result<Vec<u8>, JsError> {
        let storage = crate::weights::Storage::named(storage).map_err(js_err)?;
        self.inner.save_as(storage).await.map_err(js_err)
    }

    /// Copies every parameter `other` has under the same name and shape (the rest keep
    /// their values); returns how many were copied. Differing shapes are an error.
    #[wasm_bindgen(js_name = copyWeightsFrom)]
    pub async fn copy_weights_from(&mut self, other: &Trainer) -> Result<usize, JsError> {
        self.inner.copy_weights_from(&other.inner).await.map_err(js_err)
    }

    /// Names the classes (saved with the weights): one non-empty name per class.
    #[wasm_bindgen(js_name = setLabels)]
    pub fn set_labels(&mut self, labels: Vec<String>) -> Result<(), JsError> {
        self.inner.set_labels(labels).map_err(js_err)
    }

    /// Sets the input preprocessing saved with the weights (a JSON object, as `preprocessingJson`).
    #[wasm_bindgen(js_name = setPreprocessing)]
    pub fn set_preprocessing(&mut self, json: &str) -> Result<(), JsError> {
        self.inner.set_preprocessing_json(json).map_err(js_err)
    }

    /// The names of the top-level layers, in order (what `features` takes).
    #[wasm_bindgen(js_name = layerNames)]
    pub fn layer_names(&self) -> Vec<String> {
        self.inner.layer_names()
    }

    /// Inference on n inputs (n × input values, at most the batch) and the outputs of the
    /// named top-level layers from that one pass: one Float32Array (n × layer output) per name.
    pub async fn features(&mut self, x: Vec<f32>, layers: Vec<String>) -> Result<js_sys::Array, JsError> {
        let outs = self.inner.features(&x, &layers).await.map_err(js_err)?;
        let arr = js_sys::Array::new();
        for o in outs {
            arr.push(&js_sys::Float32Array::from(o.as_slice()));
        }
        Ok(arr)
    }

    /// The model's spec (JSON text).
    #[wasm_bindgen(getter, js_name = specJson)]
    pub fn spec_json(&self) -> String {
        self.inner.spec().source.to_string()
    }

    /// "adam", "adamw" or "sgd" (momentum 0.9, Nesterov); `weight_decay` L2 (AdamW: decoupled).
    /// Without a weight decay: the optimizer's default (`optim::Optimizer::named`: AdamW 0.004).
    #[wasm_bindgen(js_name = setOptimizer)]
    pub fn set_optimizer(&mut self, kind: &str, weight_decay: Option<f32>) -> Result<(), JsError> {
        self.inner.set_optimizer(kind, weight_decay).map_err(js_err)
    }

    /// The weight decay of the optimizer in use (what `setOptimizer` resolved).
    #[wasm_bindgen(getter, js_name = weightDecay)]
    pub fn weight_decay(&self) -> f32 {
        self.inner.optimizer().weight_decay()
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
        self.inner.set_schedule(kind, lr, total_steps, steps_per_epoch).map_err(js_err)
    }

    /// The learning rate of the next batch, from the schedule.
    #[wasm_bindgen(getter)]
    pub fn lr(&self) -> f32 {
        self.inner.lr()
    }

    /// Training images (u8, scaled to [0, 1] per batch) and labels.
    #[wasm_bindgen(js_name = setTrainData)]
    pub fn set_train_data(&mut self, pixels: Vec<u8>, labels: Vec<u8>) -> Result<(), JsError> {
        self.inner.set_train_data(Data::U8(pixels), labels).map_err(js_err)
    }

    /// Training inputs as f32 values used as they are (e.g. features from another model).
    #[wasm_bindgen(js_name = setTrainValues)]
    pub fn set_train_values(&mut self, values: Vec<f32>, labels: Vec<u8>) -> Result<(), JsError> {
        self.inner.set_train_data(Data::F32(values), labels).map_err(js_err)
    }

    /// Held-out images for `evaluate` (validation or test).
    #[wasm_bindgen(js_name = setEvalData)]
    pub fn set_eval_data(&mut self, pixels: Vec<u8>, labels: Vec<u8>) -> Result<(), JsError> {
        self.inner.set_eval_data(Data::U8(pixels), labels).map_err(js_err)
    }

    /// Held-out inputs as f32 values used as they are.
    #[wasm_bindgen(js_name = setEvalValues)]
    pub fn set_eval_values(&mut self, values: Vec<f32>, labels: Vec<u8>) -> Result<(), JsError> {
        self.inner.set_eval_data(Data::F32(values), labels).map_err(js_err)
    }

    /// Shuffles the training data with `seed`; returns the number of batches in the epoch.
    #[wasm_bindgen(js_name = startEpoch)]
    pub fn start_epoch(&mut self, seed: u32) -> Result<usize, JsError> {
        self.inner.start_epoch(seed).map_err(js_err)
    }

    /// Runs up to `count` batches of the current epoch, each at its rate from the schedule
    /// (`setSchedule`); returns how many batches of the epoch are done. Nothing is read back
    /// from the GPU.
    #[wasm_bindgen(js_name = trainBatches)]
    pub fn train_batches(&mut self, count: usize) -> Result<usize, JsError> {
        self.inner.train_batches(count).map_err(js_err)
    }

    /// [mean loss, accuracy, instances] over the batches since the last call (a readback).
    #[wasm_bindgen(js_name = takeMetrics)]
    pub async fn take_metrics(&mut self) -> Result<Vec<f32>, JsError> {
        let (loss, acc, n) = self.inner.take_metrics().await.map_err(js_err)?;
        Ok(vec![loss, acc, n as f32])
    }

    /// [mean loss, accuracy, instances, batches of the epoch done]: the report of the batches
    /// trained since the last one, after recording `count` more. On a GPU those run while the
    /// report comes back (`takeMetrics` waits for the device to finish instead).
    #[wasm_bindgen(js_name = trainAndReport)]
    pub async fn train_and_report(&mut self, count: usize) -> Result<Vec<f32>, JsError> {
        let (loss, acc, n, done) = self.inner.train_and_report(count).await.map_err(js_err)?;
        Ok(vec![loss, acc, n as f32, done as f32])
    }

    /// Accuracy on the evaluation data (inference mode: BN running statistics, no dropout).
    pub async fn evaluate(&mut self) -> Result<f32, JsError> {
        self.inner.evaluate().await.map_err(js_err)
    }

    /// The predicted class of every evaluation image, from the last `evaluate`.
    #[wasm_bindgen(js_name = lastPredictions)]
    pub fn last_predictions(&self) -> Vec<u8> {
        self.inner.last_predictions().to_vec()
    }

    /// Class probabilities for images given as f32 in [0, 1] (n × input values).
    pub async fn predict(&mut self, x: Vec<f32>) -> Result<Vec<f32>, JsError> {
        self.inner.predict(&x).await.map_err(js_err)
    }

    /// Random affine augmentation of the training batches on the device: shift up to
    /// ±`shift` pixels, rotation up to ±`rotate_deg` degrees, scale within 1 ± `scale`
    /// (all 0: off). Evaluation and prediction are never augmented.
    #[wasm_bindgen(js_name = setAugment)]
    pub fn set_augment(&mut self, shift: f32, rotate_deg: f32, scale: f32) -> Result<(), JsError> {
        let a = crate::backend::cpu::augment::Augment { shift, rotate_deg, scale };
        self.inner.set_augment(a).map_err(js_err)
    }

    /// What the network does with one input (f32 values in the input's shape):
    /// `{ layers: [{ name, type, shape, values }], probabilities, top, saliency, filters }`,
    /// where the last layer's values are logits, `saliency` is the gradient of the top
    /// class's logit with respect to each input value, and `filters` is the first conv
    /// layer's kernel `{ name, shape: [kh, kw, cIn, cOut], values }` (null without one).
    pub async fn inspect(&mut self, x: Vec<f32>) -> Result<JsValue, JsError> {
        #[derive(serde::Serialize)]
        struct Layer {
            name: String,
            #[serde(rename = "type")]
            type_name: &'static str,
            shape: Vec<u64>,
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
        let inside = self.inner.inspect(&x).await.map_err(js_err)?;
        let filters = self.inner.first_kernel().await.map_err(js_err)?;
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
            filters: filters.map(|t| Filters { name: t.name, shape: t.shape, values: t.values }),
        })
    }

    /// The input preprocessing from the weights file (JSON): e.g. `{"mean": [..], "std": [..], "size": [224, 224]}`.
    #[wasm_bindgen(getter, js_name = preprocessingJson)]
    pub fn preprocessing_json(&self) -> String {
        self.inner.preprocessing().to_string()
    }

    /// The class names: from the weights file, else "0", "1", ….
    pub fn labels(&self) -> Vec<String> {
        self.inner.labels()
    }

    #[wasm_bindgen(getter)]
    pub fn classes(&self) -> usize {
        self.inner.classes()
    }

    /// Output positions per instance, each with its class distribution and label: h·w for a
    /// model ending in a map [h, w, classes], 1 for a classifier.
    #[wasm_bindgen(getter)]
    pub fn positions(&self) -> usize {
        self.inner.positions()
    }

    #[wasm_bindgen(getter, js_name = paramCount)]
    pub fn param_count(&self) -> usize {
        self.inner.param_count()
    }

    // Data-parallel training across workers (core: train::shard; page: www/src/api/replicas.ts).

    /// Values in the flat gradient that `shardGradients` returns (the trainable parameters).
    #[wasm_bindgen(getter, js_name = gradientLength)]
    pub fn gradient_length(&self) -> usize {
        self.inner.gradient_len()
    }

    /// The next batch of the epoch for a sharded step, `{ indices, seed }`: positions in the
    /// training data (empty when the epoch is done) and the step's seed; moves the cursor past it.
    #[wasm_bindgen(js_name = nextBatch)]
    pub fn next_batch(&mut self) -> Result<JsValue, JsError> {
        #[derive(serde::Serialize)]
        struct Next {
            indices: Vec<u32>,
            seed: u32,
        }
        let (idx, seed) = self.inner.next_batch().map_err(js_err)?;
        let indices = idx.into_iter().map(u32::try_from).collect::<Result<Vec<u32>, _>>();
        let indices = indices.map_err(|_| JsError::new("a training set past 2^32 instances cannot be sharded"))?;
        to_js(&Next { indices, seed })
    }

    /// Batches of the current epoch done (those `nextBatch` handed out count).
    #[wasm_bindgen(getter, js_name = batchesDone)]
    pub fn batches_done(&self) -> usize {
        self.inner.batches_done()
    }

    /// Gradients of shard `shard` of a step seeded `seed`, on the training instances at
    /// `indices`: `{ grads: Float32Array, lossSum, correct, instances }`; nothing is stepped.
    #[wasm_bindgen(js_name = shardGradients)]
    pub async fn shard_gradients(&mut self, indices: Vec<u32>, seed: u32, shard: u32) -> Result<JsValue, JsError> {
        let idx: Vec<usize> = indices.into_iter().map(|i| i as usize).collect();
        let seed = crate::train::shard_seed(seed, shard as usize);
        let g = self.inner.shard_gradients(&idx, seed).await.map_err(js_err)?;
        let out = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&out, &JsValue::from_str(k), v).map(|_| ());
        set("grads", &js_sys::Float32Array::from(g.grads.as_slice()).into())
            .and_then(|_| set("lossSum", &JsValue::from_f64(g.loss_sum.into())))
            .and_then(|_| set("correct", &JsValue::from_f64(g.correct.into())))
            .and_then(|_| set("instances", &JsValue::from_f64(g.instances as f64)))
            .map_err(|_| JsError::new("could not build the shard's result object"))?;
        Ok(out.into())
    }

    /// One optimizer step on the shards' gradients (one after another in `grads`), summed in
    /// shard order weighted by `instances` (how many each covered).
    #[wasm_bindgen(js_name = applyGradients)]
    pub fn apply_gradients(&mut self, grads: Vec<f32>, instances: Vec<u32>) -> Result<(), JsError> {
        let counts: Vec<usize> = instances.into_iter().map(|n| n as usize).collect();
        self.inner.apply_gradients(&grads, &counts).map_err(js_err)
    }

    /// Every parameter's values, flat (BN's moving statistics too): what `setWeights` takes.
    pub async fn weights(&self) -> Result<Vec<f32>, JsError> {
        self.inner.weights().await.map_err(js_err)
    }

    /// Sets every parameter from another replica's `weights()`.
    #[wasm_bindgen(js_name = setWeights)]
    pub fn set_weights(&mut self, weights: Vec<f32>) -> Result<(), JsError> {
        self.inner.set_weights(&weights).map_err(js_err)
    }
}

/// MNIST-style preprocessing of a drawing: `ink` is `w × h` intensities (0 = background);
/// returns 28×28 u8, white on black, cropped, scaled to fit 20×20 and centred by mass.
#[wasm_bindgen(js_name = preprocessDigit)]
pub fn preprocess_digit(ink: &[u8], w: usize, h: usize) -> Result<Vec<u8>, JsError> {
    crate::data::preprocess::mnist_digit(ink, w, h).map_err(js_err)
}

// ---------------------------------------------------------------- Keras code in and out (crate/src/keras/)

/// What `kerasToSpec` returns: the spec as JSON text (one layer per line) and the lines not read.
#[derive(serde::Serialize)]
struct KerasImport<'a> {
    spec: &'a str,
    ignored: &'a [crate::keras::Ignored],
}

/// Reads a Keras Sequential model from Python code (a notebook cell or a .py file); rejects
/// with every problem placed at its line ("line 7: Conv3D is not supported; …").
#[wasm_bindgen(js_name = kerasToSpec)]
pub fn keras_to_spec(text: &str) -> Result<JsValue, JsError> {
    let imported = crate::keras::to_spec(text).map_err(js_err)?;
    to_js(&KerasImport { spec: &imported.json, ignored: &imported.ignored })
}

/// Keras code that builds the model of a spec (JSON text), compiled and fitted as its recipe says.
#[wasm_bindgen(js_name = kerasFromSpec)]
pub fn keras_from_spec(spec_json: &str) -> Result<String, JsError> {
    crate::keras::from_spec(&crate::spec::parse(spec_json).map_err(js_err)?).map_err(js_err)
}
