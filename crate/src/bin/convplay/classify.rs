//! `convplay classify`: photos through a ConvPlay weights file (an ImageNet model).

use convplay::Engine;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    weights: PathBuf,
    /// PNG or JPEG files.
    #[arg(required = true)]
    images: Vec<PathBuf>,
    #[arg(long, default_value_t = 5)]
    top: usize,
    #[arg(long, default_value = "cpu")]
    backend: String,
}

pub fn run(Args { weights, images, top, backend }: Args) -> convplay::Result<()> {
    let file = convplay::weights::read(&super::read_bytes(&weights)?)?;
    match super::engine(&backend)? {
        Engine::Gpu(ctx) => classify(convplay::backend::gpu::backend::Gpu::new(ctx), &file, &images, top),
        Engine::Cpu { .. } => classify(convplay::backend::cpu::backend::Cpu::new(), &file, &images, top),
    }
}

fn classify<B: convplay::backend::ops::Backend>(
    be: B,
    file: &convplay::weights::WeightsFile,
    images: &[PathBuf],
    top: usize,
) -> convplay::Result<()> {
    use convplay::data::photo::{centre_crop, norm_from, normalise};
    let convplay::spec::Shape::Map { h, w, c: 3 } = file.spec.input else {
        return Err(convplay::Error::Invalid(format!(
            "{} takes {}, not an RGB image",
            file.spec.name, file.spec.input
        )));
    };
    if h != w {
        return Err(convplay::Error::Invalid(format!(
            "{} takes {h}×{w}; classify handles square inputs",
            file.spec.name
        )));
    }
    let mut model = convplay::model::Model::new(be, &file.spec, 1, 1)?;
    convplay::weights::load_into(&model, file)?;
    let (mean, std) = norm_from(file.extra.preprocessing.as_ref());
    for path in images {
        let (rgb, iw, ih) = convplay::data::photo::decode(&super::read_bytes(path)?)
            .map_err(|e| convplay::Error::Data(format!("{}: {}", path.display(), e.message())))?;
        let crop = centre_crop(&rgb, iw, ih, h as usize, 0.875)?; // h ≤ 10^6 (the input rule)
        let x = normalise(&crop, mean, std);
        let t = std::time::Instant::now();
        model.set_input(&x)?;
        let probs = pollster::block_on(model.predict(1))?;
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let mut order: Vec<usize> = (0..probs.len()).collect();
        order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
        let label =
            |i: usize| file.extra.labels.as_ref().and_then(|l| l.get(i).cloned()).unwrap_or_else(|| i.to_string());
        println!("{} ({iw}×{ih}, {ms:.0} ms):", path.display());
        for &i in order.iter().take(top) {
            println!("  {:>6.2}%  {} ({i})", 100.0 * probs[i], label(i));
        }
    }
    Ok(())
}
