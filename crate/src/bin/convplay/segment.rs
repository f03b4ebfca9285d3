//! `convplay segment`: semantic segmentation on synthetic MNIST scenes. A spec that ends in a
//! per-position softmax over 11 classes (digits 0–9 and the background; the preset
//! `segment-mini`) is trained by the core trainer on scenes made from the MNIST training set —
//! fresh ones every epoch — and evaluated on held-out scenes made from the test set with a fixed
//! seed: loss, pixel accuracy and mean IoU per epoch, per-class IoU at the end.

use convplay::data::scenes::{self, SceneConfig, Scenes};
use convplay::spec::{ModelSpec, Shape};
use convplay::train::{Data, Trainer};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// A preset name or a spec file; its input is the scene canvas (h × h × 1).
    #[arg(long, default_value = "segment-mini")]
    spec: String,
    #[arg(long, default_value = "auto")]
    backend: String,
    #[command(flatten)]
    recipe: super::recipe::RecipeFlags,
    /// Training scenes per epoch, made anew each epoch from the MNIST training set.
    #[arg(long, default_value_t = 4000)]
    scenes: usize,
    /// Held-out scenes, made once from the MNIST test set with a fixed seed.
    #[arg(long, default_value_t = 500)]
    eval_scenes: usize,
    /// Digits per scene, MIN,MAX (default 2,4).
    #[arg(long, default_value = "2,4")]
    digits: String,
    #[arg(long, default_value_t = 1)]
    seed: u32,
    #[arg(long, default_value = "www/public/data/mnist")]
    data: PathBuf,
    #[command(flatten)]
    pub threads: super::Threads,
    /// Write the trained model to this file (ConvPlay safetensors; see --storage).
    #[arg(long)]
    save: Option<PathBuf>,
    /// f32, f16 or int8 for --save.
    #[arg(long, default_value = "f32")]
    storage: String,
}

/// The scene canvas of a segmentation spec: a square single-channel input of at least 28.
pub fn canvas(spec: &ModelSpec) -> convplay::Result<usize> {
    match spec.input {
        Shape::Map { h, w, c: 1 } if h == w && h >= 28 => Ok(h as usize),
        other => Err(convplay::Error::Invalid(format!(
            "{}: the input is {other}, but scenes are square single-channel canvases of at least 28×28 (e.g. [56, 56, 1])",
            spec.name
        ))),
    }
}

pub fn run(a: Args) -> convplay::Result<()> {
    let spec = super::load_spec(&a.spec)?;
    let size = canvas(&spec)?;
    let (min_digits, max_digits) = match a.digits.split_once(',').map(|(l, h)| (l.trim().parse(), h.trim().parse())) {
        Some((Ok(l), Ok(h))) => (l, h),
        _ => return Err(convplay::Error::Invalid(format!("--digits {:?}: give MIN,MAX, e.g. 2,4", a.digits))),
    };
    let settings = a.recipe.settings(&spec, None)?;
    let storage = convplay::weights::Storage::named(&a.storage)?;
    let engine = super::engine(&a.backend)?;
    let info = engine.info();
    let mut t = Trainer::new(&engine, &spec, settings.batch, a.seed)?;
    if t.classes() != scenes::CLASSES || t.positions() != size * size {
        return Err(convplay::Error::Invalid(format!(
            "{}: the model predicts {} classes at {} positions, but a scene needs {} classes (digits 0–9 and the background) at each of its {size}×{size} pixels; end the model in a {size}×{size}×11 map with a softmax (see the preset segment-mini)",
            spec.name,
            t.classes(),
            t.positions(),
            scenes::CLASSES
        )));
    }
    let config = SceneConfig { size, min_digits, max_digits, ..SceneConfig::default() };
    config.validate()?;
    let (train_im, train_lb) = convplay::data::idx::read_split(&a.data, "train")?;
    let (test_im, test_lb) = convplay::data::idx::read_split(&a.data, "t10k")?;
    let eval = scenes::generate(&test_im.pixels, &test_lb.labels, a.eval_scenes, scenes::EVAL_SEED, &config)?;
    let train_scenes = |epoch: usize| -> convplay::Result<Scenes> {
        let seed = a.seed.wrapping_mul(1_000_003).wrapping_add(epoch as u32);
        scenes::generate(&train_im.pixels, &train_lb.labels, a.scenes, seed, &config)
    };
    let first = train_scenes(1)?;
    t.set_train_data(Data::U8(first.pixels), first.labels)?;
    t.set_eval_data(Data::U8(eval.pixels), eval.labels)?;
    t.set_labels(class_names())?;
    t.apply(&settings)?;
    println!(
        "segmenting with {} ({} params) on {} ({}), {} CPU threads, batch {}, {:?}, {:?}, {size}×{size} scenes of {min_digits}–{max_digits} digits: {} per epoch (MNIST train), {} held out (MNIST test, seed {})",
        spec.name,
        t.param_count(),
        info.api,
        info.adapter,
        rayon::current_num_threads(),
        settings.batch,
        t.optimizer(),
        t.schedule(),
        a.scenes,
        a.eval_scenes,
        scenes::EVAL_SEED,
    );
    let started = std::time::Instant::now();
    for epoch in 1..=settings.epochs {
        if epoch > 1 {
            let s = train_scenes(epoch)?;
            t.set_train_data(Data::U8(s.pixels), s.labels)?;
        }
        let t0 = std::time::Instant::now();
        let batches = t.start_epoch(a.seed.wrapping_add(epoch as u32))?;
        t.train_batches(batches)?;
        let (loss, accuracy, n) = pollster::block_on(t.take_metrics())?;
        let per_sec = n as f64 / t0.elapsed().as_secs_f64().max(1e-9);
        pollster::block_on(t.evaluate())?;
        let iou = t.last_iou()?;
        println!(
            "epoch {epoch}: loss {loss:.4}, train pixel accuracy {:.2}%, held-out pixel accuracy {:.2}%, mean IoU {:.4}, {per_sec:.0} scenes/s",
            100.0 * accuracy,
            100.0 * iou.pixel_accuracy,
            iou.mean
        );
    }
    let iou = t.last_iou()?;
    let names = class_names();
    let per: Vec<String> = (iou.per_class.iter().zip(&names))
        .map(|(v, n)| format!("{n} {}", v.map_or("–".to_string(), |v| format!("{v:.3}"))))
        .collect();
    println!("per-class IoU: {}", per.join(", "));
    println!(
        "held-out mean IoU {:.4}, pixel accuracy {:.2}% over {} scenes, after {:.0} s",
        iou.mean,
        100.0 * iou.pixel_accuracy,
        a.eval_scenes,
        started.elapsed().as_secs_f64()
    );
    if let Some(path) = &a.save {
        let bytes = pollster::block_on(t.save_as(storage))?;
        super::write_bytes(path, &bytes)?;
        println!("saved {} ({} bytes)", path.display(), bytes.len());
    }
    Ok(())
}

/// The classes' names as saved with the weights: the digits, then "background".
pub fn class_names() -> Vec<String> {
    (0..10).map(|d| d.to_string()).chain(["background".to_string()]).collect()
}
