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
            CoreEngine::Cpu { .. } => crate::model::Model::new(crate::backend::cpu::backend::Cpu::new(), &spec, batch, 1).map_err(js_err)?.allocated_bytes(),
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
pub fn fit_check(spec_json: &str, batch: usize, budget_bytes: f64, max_buffer: f64, max_binding: f64) -> Result<JsValue, JsError> {
    let value: serde_json::Value = serde_json::from_str(spec_json).map_err(|e| JsError::new(&format!("the spec is not valid JSON: {e}")))?;
    let limits = (max_buffer > 0.0 && max_binding > 0.0).then_some((max_buffer as u64, max_binding as u64));
    let check = crate::fit::check(&value, batch, budget_bytes.max(0.0) as u64, limits).map_err(js_err)?;
    to_js(&check)
}
