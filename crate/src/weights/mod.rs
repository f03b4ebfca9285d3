//! ConvPlay's weights files: safetensors, self-describing.
//!
//! Tensors are named by the model's parameters (`conv2d_1/kernel`, `batch_norm_1/moving_mean`, …)
//! in Keras layouts (HWIO kernels, [in, out] dense weights). `__metadata__` holds:
//! - `format`: "convplay", `format_version`: "1";
//! - `spec`: the model spec (JSON), so the file alone rebuilds the model;
//! - optional `labels` (JSON list of class names) and `preprocessing` (JSON object).
//!
//! Storage: f32; f16 (every tensor); or int8, where every tensor of rank ≥ 2 (conv, depthwise
//! and dense kernels) is stored as I8, symmetric per output channel (the last axis), with
//! an F32 tensor `<name>.scale` of one scale per output channel (value = q · scale), and
//! vectors (biases, batch-norm parameters and statistics) stay f32. `__metadata__.storage`
//! says which. Reading gives f32 values in every case; loading checks every name, dtype and
//! shape against the model and reports each mismatch by name. A truncated or corrupt file
//! is an error.

pub mod torch;

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

/// How the values are stored in a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    F32,
    F16,
    /// Kernels as int8 with a scale per output channel; vectors f32.
    Int8,
}

impl Storage {
    /// The storage a name stands for: "f32", "f16" or "int8" (what [`Storage::name`] gives).
    pub fn named(name: &str) -> Result<Storage> {
        match name {
            "f32" => Ok(Storage::F32),
            "f16" => Ok(Storage::F16),
            "int8" => Ok(Storage::Int8),
            other => Err(Error::Invalid(format!("unknown weights format {other:?}: use \"f32\", \"f16\" or \"int8\""))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Storage::F32 => "f32",
            Storage::F16 => "f16",
            Storage::Int8 => "int8",
        }
    }
}

/// A weights file read into memory.
pub struct WeightsFile {
    pub spec: ModelSpec,
    pub extra: Extra,
    /// name → (shape, values), dequantised to f32.
    pub tensors: HashMap<String, (Vec<usize>, Vec<f32>)>,
    /// How the file stored its values.
    pub storage: Storage,
}

/// Int8 symmetric per-output-channel quantisation of a tensor whose last axis is the
/// output channel: returns (q, scale per channel), with value ≈ q · scale.
pub fn quantize_int8(shape: &[usize], values: &[f32]) -> (Vec<i8>, Vec<f32>) {
    let c = *shape.last().unwrap_or(&1).max(&1);
    let mut peak = vec![0f32; c];
    for (i, v) in values.iter().enumerate() {
        peak[i % c] = peak[i % c].max(v.abs());
    }
    let scale: Vec<f32> = peak.iter().map(|p| p / 127.0).collect();
    let q = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let s = scale[i % c];
            if s > 0.0 {
                (v / s).round().clamp(-127.0, 127.0) as i8
            } else {
                0
            }
        })
        .collect();
    (q, scale)
}

/// Serialises the model's parameters (read back from the device) with its spec, as f32.
pub async fn save<B: Backend>(model: &Model<B>, extra: &Extra) -> Result<Vec<u8>> {
    save_as(model, extra, Storage::F32).await
}

/// Serialises the model's parameters with its spec in the given storage.
pub async fn save_as<B: Backend>(model: &Model<B>, extra: &Extra, storage: Storage) -> Result<Vec<u8>> {
    let values = model.read_params().await?;
    let tensors: Vec<(String, Vec<usize>, Vec<f32>)> =
        model.params.iter().zip(values).map(|(p, (name, v))| (name, p.shape.clone(), v)).collect();
    encode(&model.spec.source, extra, &tensors, storage)
}

/// Writes a weights file from named tensors (in order), a spec (its JSON) and metadata.
pub fn encode(
    spec: &serde_json::Value,
    extra: &Extra,
    tensors: &[(String, Vec<usize>, Vec<f32>)],
    storage: Storage,
) -> Result<Vec<u8>> {
    let mut bytes: Vec<(String, Dtype, Vec<usize>, Vec<u8>)> = Vec::new();
    for (name, shape, v) in tensors {
        match storage {
            Storage::Int8 if shape.len() >= 2 => {
                let (q, scale) = quantize_int8(shape, v);
                bytes.push((name.clone(), Dtype::I8, shape.clone(), q.iter().map(|&b| b as u8).collect()));
                bytes.push((
                    format!("{name}.scale"),
                    Dtype::F32,
                    vec![scale.len()],
                    scale.iter().flat_map(|x| x.to_le_bytes()).collect(),
                ));
            }
            Storage::F16 => {
                bytes.push((
                    name.clone(),
                    Dtype::F16,
                    shape.clone(),
                    v.iter().flat_map(|&x| half::f16::from_f32(x).to_le_bytes()).collect(),
                ));
            }
            _ => {
                bytes.push((name.clone(), Dtype::F32, shape.clone(), v.iter().flat_map(|x| x.to_le_bytes()).collect()))
            }
        }
    }
    // The serialiser keys tensors by name: a second one of a name must be an error, never a
    // panic (spec::parse makes layer names unique, so only a hand-built model gets here).
    let mut seen = std::collections::HashSet::new();
    if let Some((name, ..)) = bytes.iter().find(|(name, ..)| !seen.insert(name.as_str())) {
        return Err(Error::Data(format!(
            "cannot write the weights file: two tensors are named \"{name}\"; give each layer its own name"
        )));
    }
    let views = bytes
        .iter()
        .map(|(name, dtype, shape, data)| {
            TensorView::new(*dtype, shape.clone(), data)
                .map(|v| (name.clone(), v))
                .map_err(|e| Error::Data(format!("tensor {name}: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut meta = HashMap::new();
    meta.insert("format".to_string(), FORMAT.to_string());
    meta.insert("format_version".to_string(), FORMAT_VERSION.to_string());
    meta.insert("storage".to_string(), storage.name().to_string());
    meta.insert("spec".to_string(), spec.to_string());
    if let Some(l) = &extra.labels {
        meta.insert("labels".to_string(), serde_json::to_string(l).unwrap_or_default());
    }
    if let Some(p) = &extra.preprocessing {
        meta.insert("preprocessing".to_string(), p.to_string());
    }
    safetensors::serialize(views, Some(meta)).map_err(|e| Error::Data(format!("writing the weights file failed: {e}")))
}

/// A tensor as the header describes it: dtype name, shape, data offsets.
type HeaderTensor = (String, Vec<u64>, (u64, u64));

/// The safetensors header (8 bytes of length, then JSON) as it is, without checking the data:
/// the metadata and each tensor's description. None when it does not parse.
fn raw_header(bytes: &[u8]) -> Option<(HashMap<String, String>, HashMap<String, HeaderTensor>)> {
    let len = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?);
    let end = 8usize.checked_add(usize::try_from(len).ok()?)?;
    let json: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(bytes.get(8..end)?).ok()?;
    let mut meta = HashMap::new();
    let mut tensors = HashMap::new();
    for (name, v) in json {
        if name == "__metadata__" {
            meta = serde_json::from_value(v).ok()?;
            continue;
        }
        let dtype = v.get("dtype")?.as_str()?.to_string();
        let shape = v.get("shape")?.as_array()?.iter().map(|d| d.as_u64()).collect::<Option<Vec<u64>>>()?;
        let off = v.get("data_offsets")?.as_array()?;
        let (a, b) = (off.first()?.as_u64()?, off.get(1)?.as_u64()?);
        tensors.insert(name, (dtype, shape, (a, b)));
    }
    Some((meta, tensors))
}

/// Checks, before anything is decoded or built, that the file holds every tensor its own
/// spec's model needs, with the shape the model gives it and as many bytes as that shape
/// takes in its dtype.
fn check_against_spec(spec: &ModelSpec, tensors: &HashMap<String, HeaderTensor>) -> Result<()> {
    let plan = crate::layers::plan::Plan::of(spec)
        .map_err(|e| Error::Data(format!("the model spec inside the weights file cannot be built: {}", e.message())))?;
    let mut problems = Vec::new();
    for p in &plan.params {
        let want: Vec<u64> = p.shape.iter().map(|&d| d as u64).collect();
        match tensors.get(&p.name) {
            None => problems.push(format!("{}: missing from the file (shape {:?} expected)", p.name, p.shape)),
            Some((_, shape, _)) if *shape != want => {
                problems.push(format!("{}: shape {:?} in the file, {:?} in its spec's model", p.name, shape, p.shape))
            }
            Some((dtype, _, (a, b))) => {
                let size = match dtype.as_str() {
                    "F64" | "I64" | "U64" => 8,
                    "F32" | "I32" | "U32" => 4,
                    "F16" | "BF16" | "I16" | "U16" => 2,
                    "I8" | "U8" | "BOOL" => 1,
                    _ => continue, // named when the values are read
                };
                let held = b.saturating_sub(*a);
                let need = p.values.checked_mul(size);
                if need != Some(held) {
                    problems.push(format!(
                        "{}: its shape {:?} takes {} bytes of {dtype}, but the file holds {held} for it",
                        p.name,
                        p.shape,
                        need.map_or("more than 64-bit arithmetic counts".into(), |n| n.to_string())
                    ));
                }
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let more = problems.len().saturating_sub(10);
    problems.truncate(10);
    if more > 0 {
        problems.push(format!("… and {more} more"));
    }
    Err(Error::Data(format!(
        "the weights file does not hold the tensors its own model spec needs ({} parameter tensors), so it is damaged \
         or was not saved by ConvPlay; save or download it again:\n{}",
        plan.params.len(),
        problems.join("\n")
    )))
}

/// Reads a weights file: header, metadata (with the spec, validated), a check of the tensors
/// against the spec's model, and every tensor as f32.
pub fn read(bytes: &[u8]) -> Result<WeightsFile> {
    if let Some((meta, tensors)) = raw_header(bytes) {
        let version = meta.get("format_version").map_or(FORMAT_VERSION, String::as_str);
        if meta.get("format").map(String::as_str) == Some(FORMAT) && version == FORMAT_VERSION {
            if let Some(spec) = meta.get("spec").and_then(|t| crate::spec::parse(t).ok()) {
                check_against_spec(&spec, &tensors)?;
            }
        }
    }
    let st = SafeTensors::deserialize(bytes).map_err(|e| {
        Error::Data(format!(
            "this is not a readable safetensors file ({e}); it may be truncated or not a weights file: save or download it again"
        ))
    })?;
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| Error::Data(format!("the safetensors header is damaged: {e}")))?;
    let meta = header.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(Error::Data(
            "this safetensors file has no ConvPlay metadata (format \"convplay\" and a model spec); \
             save weights with ConvPlay, or import them with the importer for their source"
                .into(),
        ));
    }
    if let Some(v) = meta.get("format_version").filter(|v| v.as_str() != FORMAT_VERSION) {
        return Err(Error::Data(format!(
            "weights format version {v} is newer than this ConvPlay reads ({FORMAT_VERSION}); update ConvPlay"
        )));
    }
    let spec_text = meta.get("spec").ok_or_else(|| {
        Error::Data("the weights file's metadata has no \"spec\": it cannot rebuild its model".into())
    })?;
    let spec = crate::spec::parse(spec_text)
        .map_err(|e| Error::Data(format!("the model spec inside the weights file is invalid:\n{}", e.message())))?;
    let labels = match meta.get("labels") {
        Some(t) => Some(
            serde_json::from_str::<Vec<String>>(t)
                .map_err(|e| Error::Data(format!("the \"labels\" metadata is not a list of names: {e}")))?,
        ),
        None => None,
    };
    let preprocessing = match meta.get("preprocessing") {
        Some(t) => Some(
            serde_json::from_str(t)
                .map_err(|e| Error::Data(format!("the \"preprocessing\" metadata is not JSON: {e}")))?,
        ),
        None => None,
    };
    let all: HashMap<String, TensorView> = st.tensors().into_iter().collect();
    let f32s = |name: &str, view: &TensorView| -> Result<Vec<f32>> {
        match view.dtype() {
            Dtype::F32 => {
                Ok(view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
            }
            Dtype::F16 => {
                Ok(view.data().chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect())
            }
            other => Err(Error::Data(format!(
                "tensor {name} is {other:?}; ConvPlay files hold f32, f16, or int8 with a {name}.scale tensor"
            ))),
        }
    };
    let mut tensors = HashMap::new();
    let mut kinds = std::collections::BTreeSet::new();
    for (name, view) in &all {
        if name.ends_with(".scale") && all.get(name.trim_end_matches(".scale")).is_some_and(|v| v.dtype() == Dtype::I8)
        {
            continue; // read with its int8 tensor
        }
        kinds.insert(view.dtype());
        let values = if view.dtype() == Dtype::I8 {
            let scale_name = format!("{name}.scale");
            let scale = all.get(&scale_name).ok_or_else(|| {
                Error::Data(format!(
                    "tensor {name} is int8 but the file has no {scale_name} (one f32 scale per output channel)"
                ))
            })?;
            let c = view.shape().last().copied().unwrap_or(1).max(1);
            if scale.shape() != [c] {
                return Err(Error::Data(format!(
                    "{scale_name} has shape {:?}; int8 tensor {name} {:?} needs [{c}], one scale per output channel",
                    scale.shape(),
                    view.shape()
                )));
            }
            let scale = f32s(&scale_name, scale)?;
            view.data().iter().enumerate().map(|(i, &q)| q as i8 as f32 * scale[i % c]).collect()
        } else {
            f32s(name, view)?
        };
        tensors.insert(name.clone(), (view.shape().to_vec(), values));
    }
    let storage = if kinds.contains(&Dtype::I8) {
        Storage::Int8
    } else if kinds.contains(&Dtype::F16) {
        Storage::F16
    } else {
        Storage::F32
    };
    Ok(WeightsFile { spec, extra: Extra { labels, preprocessing }, tensors, storage })
}

/// Writes the file's tensors into the model's parameters, after checking that every
/// parameter is there with the right shape and that the file has nothing else.
pub fn load_into<B: Backend>(model: &Model<B>, file: &WeightsFile) -> Result<()> {
    let mut problems = Vec::new();
    for p in &model.params {
        match file.tensors.get(&p.name) {
            None => problems.push(format!("{}: missing from the file (shape {:?} expected)", p.name, p.shape)),
            Some((shape, _)) if *shape != p.shape => {
                problems.push(format!("{}: shape {:?} in the file, {:?} in the model", p.name, shape, p.shape))
            }
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
