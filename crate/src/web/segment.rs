//! The wasm exports for semantic segmentation: synthetic MNIST scenes and IoU. Thin, like the
//! rest of `web/`: the core (`data::scenes`, `train::iou`) does the work.

use super::{js_err, to_js};
use crate::data::scenes::{self, SceneConfig};
use wasm_bindgen::prelude::*;

/// Scenes made by [`generate_scenes`]: `count` canvases of `size × size` u8 pixels and as many
/// label maps (0–9 a digit's ink, 10 the background).
#[wasm_bindgen]
pub struct SceneSet {
    inner: scenes::Scenes,
}

#[wasm_bindgen]
impl SceneSet {
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> usize {
        self.inner.size
    }
    #[wasm_bindgen(getter)]
    pub fn count(&self) -> usize {
        self.inner.count
    }
    /// Every scene's pixels, scene after scene (count × size² bytes).
    #[wasm_bindgen(js_name = takePixels)]
    pub fn take_pixels(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.inner.pixels)
    }
    /// Every scene's label map, scene after scene (count × size² bytes).
    #[wasm_bindgen(js_name = takeLabels)]
    pub fn take_labels(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.inner.labels)
    }
}

/// `count` scenes from 28×28 MNIST `digits` and their `labels`, drawn with `seed`; `config_json`
/// holds any of the [`SceneConfig`] fields in camelCase (`{}`: the defaults, 56×56 with 2–4 digits).
#[wasm_bindgen(js_name = generateScenes)]
pub fn generate_scenes(
    digits: &[u8],
    labels: &[u8],
    count: usize,
    seed: u32,
    config_json: &str,
) -> Result<SceneSet, JsError> {
    let config: SceneConfig = serde_json::from_str(config_json).map_err(|e| {
        JsError::new(&format!("scene settings: {e}; give size, minDigits, maxDigits, minScale, maxScale or maxOverlap"))
    })?;
    scenes::generate(digits, labels, count, seed, &config).map(|inner| SceneSet { inner }).map_err(js_err)
}

/// The seed of the held-out scenes (from the MNIST test set) that the CLI reports mean IoU on.
#[wasm_bindgen(js_name = sceneEvalSeed)]
pub fn scene_eval_seed() -> u32 {
    scenes::EVAL_SEED
}

/// Per-class IoU, mean IoU over the classes present and pixel accuracy of `predicted` label maps
/// against `truth` (`{ perClass, mean, pixelAccuracy, pixels }`).
#[wasm_bindgen(js_name = segmentIou)]
pub fn segment_iou(predicted: &[u8], truth: &[u8], classes: usize) -> Result<JsValue, JsError> {
    to_js(&crate::train::iou::iou(predicted, truth, classes).map_err(js_err)?)
}
