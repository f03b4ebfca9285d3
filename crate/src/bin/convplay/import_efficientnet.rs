//! `convplay import-efficientnet`: EfficientNet-Lite0's PyTorch checkpoint into a ConvPlay
//! weights file, checked against the model its spec builds.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The legacy-format .pth checkpoint (efficientnet-lite0-57934424.pth).
    checkpoint: PathBuf,
    #[arg(short, long)]
    output: PathBuf,
    /// Store kernels as int8 (per output channel) instead of f32.
    #[arg(long)]
    int8: bool,
}

pub fn run(Args { checkpoint, output, int8 }: Args) -> convplay::Result<()> {
    use convplay::import::efficientnet::{import_lite0, lite0_spec, preprocessing};
    let sd = convplay::weights::torch::read_state_dict(&super::read_bytes(&checkpoint)?)?;
    let imported = import_lite0(&sd)?;
    let labels: Vec<String> = serde_json::from_str(include_str!("../../../../www/public/models/imagenet-labels.json"))
        .map_err(|e| convplay::Error::Data(format!("the built-in ImageNet label list is not JSON: {e}")))?;
    let extra = convplay::weights::Extra { labels: Some(labels), preprocessing: Some(preprocessing()) };
    let storage = if int8 { convplay::weights::Storage::Int8 } else { convplay::weights::Storage::F32 };
    // Check against the model the spec builds: every parameter placed, nothing left over.
    let spec = convplay::spec::parse(&lite0_spec().to_string())?;
    let bytes = convplay::weights::encode(&spec.source, &extra, &imported.tensors, storage)?;
    let file = convplay::weights::read(&bytes)?;
    let model = convplay::model::Model::new(convplay::backend::cpu::backend::Cpu::new(), &file.spec, 1, 1)?;
    convplay::weights::load_into(&model, &file)?;
    super::write_bytes(&output, &bytes)?;
    println!(
        "read {} tensors ({} values) from {}; mapped {} parameter tensors ({} params) and set aside {} num_batches_tracked counters; wrote {} ({}, {} bytes)",
        sd.tensors.len(),
        imported.values,
        checkpoint.display(),
        imported.tensors.len(),
        model.param_count(),
        imported.counters.len(),
        output.display(),
        storage.name(),
        bytes.len()
    );
    Ok(())
}
