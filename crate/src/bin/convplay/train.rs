//! `convplay train`: a preset or spec trained on MNIST or Fashion-MNIST by the core trainer (`train::Trainer`, the
//! one the page uses), with the settings the flags give, else the spec's recipe, else defaults.

use convplay::backend::cpu::augment::Augment;
use convplay::train::{Data, Trainer};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// A preset name or a spec file.
    #[arg(long, default_value = "seed-001")]
    spec: String,
    #[arg(long, default_value = "auto")]
    backend: String,
    /// How the model keeps its activations: f32, or f16 on a GPU with shader-f16 (half their
    /// memory; arithmetic stays f32). Default: CONVPLAY_ACTIVATIONS, else f32.
    #[arg(long)]
    activations: Option<String>,
    #[command(flatten)]
    recipe: super::recipe::RecipeFlags,
    /// Random affine augmentation as SHIFT,ROTATE,SCALE (pixels, degrees, fraction),
    /// e.g. 2,10,0.1; "off" for none (default: the recipe's, else off).
    #[arg(long)]
    augment: Option<String>,
    /// Use only the first N training images (0: all 60,000).
    #[arg(long, default_value_t = 0)]
    train_limit: usize,
    /// Use only the first N test images (0: all 10,000).
    #[arg(long, default_value_t = 0)]
    test_limit: usize,
    #[arg(long, default_value_t = 1)]
    seed: u32,
    /// The data set: mnist or fashion-mnist (its IDX files in www/public/data/NAME, unless --data
    /// says where; the trained model keeps its class names).
    #[arg(long, default_value = "mnist")]
    dataset: String,
    /// The folder with the data set's four IDX files (default: www/public/data/DATASET).
    #[arg(long)]
    data: Option<PathBuf>,
    #[command(flatten)]
    pub threads: super::Threads,
    /// Write the trained model to this file (ConvPlay safetensors, f32, with its spec).
    #[arg(long)]
    save: Option<PathBuf>,
}

pub fn run(a: Args) -> convplay::Result<()> {
    let spec = super::load_spec(&a.spec)?;
    let augment = match a.augment.as_deref() {
        None => None,
        Some("off") => Some(Augment::default()),
        Some(text) => Some(parse_augment(text)?),
    };
    let settings = a.recipe.settings(&spec, augment)?;
    let set = convplay::data::data_set(&a.dataset)?;
    let folder = a.data.clone().unwrap_or_else(|| set.folder());
    let engine = super::engine(&a.backend)?;
    if let Some(p) = &a.activations {
        engine.set_f16_activations(convplay::backend::gpu::parse_activations(p)?)?;
    }
    let info = engine.info();
    let (tx, ty) = load(&folder, "train", a.train_limit)?;
    let (vx, vy) = load(&folder, "t10k", a.test_limit)?;
    let (n_train, n_test) = (ty.len(), vy.len());
    let mut t = Trainer::new(&engine, &spec, settings.batch, a.seed)?;
    t.set_train_data(Data::U8(tx), ty)?;
    t.set_eval_data(Data::U8(vx), vy)?;
    t.apply(&settings)?;
    if t.classes() == set.classes.len() {
        t.set_labels(set.labels())?;
    }
    println!(
        "training {} ({} params) on {} ({}){}, {} CPU threads, batch {}, {:?}, {:?}, augment {:?}, {}: {n_train} train / {n_test} test images",
        spec.name,
        t.param_count(),
        info.api,
        info.adapter,
        if info.f16_activations { ", f16 activations" } else { "" },
        rayon::current_num_threads(),
        settings.batch,
        t.optimizer(),
        t.schedule(),
        t.augment(),
        set.name,
    );
    for epoch in 1..=settings.epochs {
        let t0 = std::time::Instant::now();
        let batches = t.start_epoch(a.seed.wrapping_add(epoch as u32))?;
        t.train_batches(batches)?;
        let (loss, accuracy, n) = pollster::block_on(t.take_metrics())?;
        let images_per_sec = n as f64 / t0.elapsed().as_secs_f64().max(1e-9);
        let test_accuracy = pollster::block_on(t.evaluate())?;
        println!(
            "epoch {epoch}: loss {loss:.4}, train accuracy {:.2}%, test accuracy {:.2}%, {images_per_sec:.0} img/s",
            100.0 * accuracy,
            100.0 * test_accuracy,
        );
    }
    if let Some(path) = &a.save {
        let bytes = pollster::block_on(t.save_as(convplay::weights::Storage::F32))?;
        super::write_bytes(path, &bytes)?;
        println!("saved {} ({} bytes)", path.display(), bytes.len());
    }
    Ok(())
}

/// The first `limit` images (0: all) of an IDX split ("train" or "t10k") and their labels.
fn load(data: &Path, split: &str, limit: usize) -> convplay::Result<(Vec<u8>, Vec<u8>)> {
    let (im, lb) = convplay::data::idx::read_split(data, split)?;
    let n = if limit == 0 { im.count } else { limit.min(im.count) };
    Ok((im.pixels[..n * 784].to_vec(), lb.labels[..n].to_vec()))
}

/// "SHIFT,ROTATE,SCALE" → the augmentation ranges.
fn parse_augment(text: &str) -> convplay::Result<Augment> {
    let parts: Vec<f32> =
        text.split(',').map(|p| p.trim().parse::<f32>()).collect::<Result<_, _>>().unwrap_or_default();
    match parts[..] {
        [shift, rotate_deg, scale] => Ok(Augment { shift, rotate_deg, scale }),
        _ => Err(convplay::Error::Invalid(format!(
            "--augment {text:?}: give SHIFT,ROTATE,SCALE (pixels, degrees, fraction), e.g. 2,10,0.1, or off"
        ))),
    }
}
