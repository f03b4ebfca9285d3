//! ConvPlay's weights files: safetensors, self-describing.
//!
//! Tensors are named by the model's parameters (`conv2d_1/kernel`, `batch_norm_1/moving_mean`, …)
//! in Keras layouts (HWIO kernels, [in, out] dense weights). `__metadata__` holds:
//! - `format`: "convplay", `format_version`: "1";
//! - `spec`: the model spec (JSON), so the file alone rebuilds the model;
//! - optional `labels` (JSON list of class names) and `preprocessing` (JSON object).
//!
//! This module writes f32 and reads f32; loading checks every name, dtype and shape against
//! the model and reports each mismatch by name. A truncated or corrupt file is an error.

use crate::backend::ops::Backend;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::spec::ModelSpec;
use safetensors::{tensor::TensorView, Dtype, SafeTensors};
use std::collections::HashMap;

pub const FORMAT: &str = "convplay";
pub const FORMAT_VERSION: &str = "1";

/// Extra metadata a file may carry.
#[derive(Clone, Debug, Default)]
pub struct Extra {
    pub labels: Option<Vec<String>>,
    pub preprocessing: Option<serde_json::Value>,
}

/// A weights file read into memory.
pub struct WeightsFile {
    pub spec: ModelSpec,
    pub extra: Extra,
    /// name → (shape, values)
    pub tensors: HashMap<String, (Vec<usize>, Vec<f32>)>,
}

/// Serialises the model's parameters (read back from the device) with its spec.
pub async fn save<B: Backend>(model: &Model<B>, extra: &Extra) -> Result<Vec<u8>> {
    let values = model.read_params().await?;
    let bytes: Vec<(String, Vec<usize>, Vec<u8>)> = model
        .params
        .iter()
        .zip(values)
        .map(|(p, (name, v))| (name, p.shape.clone(), v.iter().flat_map(|x| x.to_le_bytes()).collect()))
        .collect();
    let views = bytes
        .iter()
        .map(|(name, shape, data)| {
            TensorView::new(Dtype::F32, shape.clone(), data).map(|v| (name.clone(), v)).map_err(|e| Error::Data(format!("tensor {name}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut meta = HashMap::new();
    meta.insert("format".to_string(), FORMAT.to_string());
    meta.insert("format_version".to_string(), FORMAT_VERSION.to_string());
    meta.insert("spec".to_string(), model.spec.source.to_string());
    if let Some(l) = &extra.labels {
        meta.insert("labels".to_string(), serde_json::to_string(l).unwrap_or_default());
    }
    if let Some(p) = &extra.preprocessing {
        meta.insert("preprocessing".to_string(), p.to_string());
    }
    safetensors::serialize(views, Some(meta)).map_err(|e| Error::Data(format!("writing the weights file failed: {e}")))
}

/// Reads a weights file: header, metadata (with the spec, validated) and every tensor as f32.
pub fn read(bytes: &[u8]) -> Result<WeightsFile> {
    let st = SafeTensors::deserialize(bytes).map_err(|e| {
        Error::Data(format!(
            "this is not a readable safetensors file ({e}); it may be truncated or not a weights file: save or download it again"
        ))
    })?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| Error::Data(format!("the safetensors header is damaged: {e}")))?;
    let meta = header.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(Error::Data(
            "this safetensors file has no ConvPlay metadata (format \"convplay\" and a model spec); \
             save weights with ConvPlay, or import them with the importer for their source"
                .into(),
        ));
    }
    if let Some(v) = meta.get("format_version").filter(|v| v.as_str() != FORMAT_VERSION) {
        return Err(Error::Data(format!("weights format version {v} is newer than this ConvPlay reads ({FORMAT_VERSION}); update ConvPlay")));
    }
    let spec_text = meta.get("spec").ok_or_else(|| Error::Data("the weights file's metadata has no \"spec\": it cannot rebuild its model".into()))?;
    let spec = crate::spec::parse(spec_text).map_err(|e| Error::Data(format!("the model spec inside the weights file is invalid:\n{}", e.message())))?;
    let labels = match meta.get("labels") {
        Some(t) => Some(serde_json::from_str::<Vec<String>>(t).map_err(|e| Error::Data(format!("the \"labels\" metadata is not a list of names: {e}")))?),
        None => None,
    };
    let preprocessing = match meta.get("preprocessing") {
        Some(t) => Some(serde_json::from_str(t).map_err(|e| Error::Data(format!("the \"preprocessing\" metadata is not JSON: {e}")))?),
        None => None,
    };
    let mut tensors = HashMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != Dtype::F32 {
            return Err(Error::Data(format!("tensor {name} is {:?}; this reader takes f32", view.dtype())));
        }
        let values = view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        tensors.insert(name, (view.shape().to_vec(), values));
    }
    Ok(WeightsFile { spec, extra: Extra { labels, preprocessing }, tensors })
}

/// Writes the file's tensors into the model's parameters, after checking that every
/// parameter is there with the right shape and that the file has nothing else.
pub fn load_into<B: Backend>(model: &Model<B>, file: &WeightsFile) -> Result<()> {
    let mut problems = Vec::new();
    for p in &model.params {
        match file.tensors.get(&p.name) {
            None => problems.push(format!("{}: missing from the file (shape {:?} expected)", p.name, p.shape)),
            Some((shape, _)) if *shape != p.shape => problems.push(format!("{}: shape {:?} in the file, {:?} in the model", p.name, shape, p.shape)),
            Some(_) => {}
        }
    }
    let mut extra: Vec<&String> = file.tensors.keys().filter(|k| !model.params.iter().any(|p| &p.name == *k)).collect();
    extra.sort();
    for k in extra {
        problems.push(format!("{k}: in the file but not in the model"));
    }
    if !problems.is_empty() {
        return Err(Error::Data(format!("the weights do not match the model:\n{}", problems.join("\n"))));
    }
    for p in &model.params {
        let (_, values) = &file.tensors[&p.name];
        model.be.write(&p.value, values);
    }
    Ok(())
}
