//! The native ConvPlay CLI. Later issues add summary, train, eval, bench, quantize, import.

use clap::{Parser, Subcommand};
use convplay::{BackendChoice, Engine};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "convplay", version, about = "ConvPlay: a CNN playground (native command line)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show which backend and adapter the engine picks, and the device limits.
    Info {
        /// auto, gpu or cpu.
        #[arg(long, default_value = "auto")]
        backend: String,
    },
    /// Run the smoke kernel (out = a*x + y) on the engine and check it against the CPU.
    Smoke {
        #[arg(long, default_value = "auto")]
        backend: String,
        /// Number of values.
        #[arg(long, default_value_t = 1 << 20)]
        n: usize,
    },
    /// Shapes, parameters, FLOPs and memory of a model spec (a JSON file or a preset name).
    Summary {
        /// A spec file (JSON) or a preset: seed-001, seed-004, lenet-5, mlp, course-3conv.
        spec: String,
        /// Batch size for the training-memory estimate.
        #[arg(long, default_value_t = 128)]
        batch: usize,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
        /// Check whether training fits in this many MB (10^6 bytes) and suggest fixes.
        #[arg(long)]
        budget_mb: Option<f64>,
    },
    /// Train a preset or spec on MNIST and report loss, accuracy and speed per epoch.
    Train {
        /// A preset name or a spec file.
        #[arg(long, default_value = "seed-001")]
        spec: String,
        #[arg(long, default_value = "auto")]
        backend: String,
        /// Epochs (default: the spec's "training" recipe, else 1).
        #[arg(long)]
        epochs: Option<usize>,
        /// Batch size (default: the recipe's, else 64).
        #[arg(long)]
        batch: Option<usize>,
        /// Learning rate, the peak rate for one-cycle (default: the recipe's, else 0.001).
        #[arg(long)]
        lr: Option<f32>,
        /// adam, adamw or sgd (momentum 0.9, Nesterov) (default: the recipe's, else adam).
        #[arg(long)]
        optimizer: Option<String>,
        /// constant, step (×0.5 every epoch), cosine or onecycle (default: the recipe's, else constant).
        #[arg(long)]
        schedule: Option<String>,
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
        #[arg(long, default_value = "www/public/data/mnist")]
        data: PathBuf,
        /// Write the trained model to this file (ConvPlay safetensors, f32, with its spec).
        #[arg(long)]
        save: Option<PathBuf>,
    },
    /// Re-store a ConvPlay weights file as int8 (per-output-channel kernels), f16 or f32;
    /// report each tensor's largest error and the MNIST test accuracy before and after.
    Quantize {
        /// The weights file to read.
        input: PathBuf,
        /// Kernels as int8 with an f32 scale per output channel (vectors stay f32).
        #[arg(long, conflicts_with_all = ["f16", "f32"])]
        int8: bool,
        /// Every tensor as f16.
        #[arg(long, conflicts_with = "f32")]
        f16: bool,
        /// Every tensor as f32.
        #[arg(long)]
        f32: bool,
        /// Where to write the new file.
        #[arg(short, long)]
        output: PathBuf,
        /// MNIST folder for the accuracy check (models with a 28×28×1 input and 10 classes).
        #[arg(long, default_value = "www/public/data/mnist")]
        data: PathBuf,
        /// Test images for the accuracy check (0: all 10,000).
        #[arg(long, default_value_t = 0)]
        test_limit: usize,
    },
    /// Import EfficientNet-Lite0 from its PyTorch checkpoint into a ConvPlay weights file.
    ImportEfficientnet {
        /// The legacy-format .pth checkpoint (efficientnet-lite0-57934424.pth).
        checkpoint: PathBuf,
        #[arg(short, long)]
        output: PathBuf,
        /// Store kernels as int8 (per output channel) instead of f32.
        #[arg(long)]
        int8: bool,
    },
    /// Classify photos with a ConvPlay weights file (an ImageNet model such as EfficientNet-Lite0).
    Classify {
        weights: PathBuf,
        /// PNG or JPEG files.
        #[arg(required = true)]
        images: Vec<PathBuf>,
        #[arg(long, default_value_t = 5)]
        top: usize,
        #[arg(long, default_value = "cpu")]
        backend: String,
    },
    /// The transfer-learning experiment on Fashion-MNIST: 100 training images per class, and
    /// three classifiers tested on 1,000 held-out images: a new head on EfficientNet-Lite0's
    /// frozen features, the same head on raw pixels, and seed-001 trained from scratch.
    TransferExperiment {
        /// The EfficientNet-Lite0 weights (ConvPlay file).
        #[arg(long, default_value = "www/public/models/efficientnet-lite0-int8.safetensors")]
        weights: PathBuf,
        /// Folder with the Fashion-MNIST IDX files.
        #[arg(long, default_value = "../shared/data/fashion-mnist")]
        data: PathBuf,
        #[arg(long, default_value_t = 100)]
        per_class: usize,
        #[arg(long, default_value_t = 1000)]
        test: usize,
        #[arg(long, default_value_t = 1)]
        seed: u32,
    },
    /// Kernel GFLOP/s and training img/s (seed-004, batch 128) on the CPU and GPU backends.
    Bench {
        /// Training steps to time per backend.
        #[arg(long, default_value_t = 5)]
        steps: usize,
        /// Skip the GPU.
        #[arg(long)]
        cpu_only: bool,
    },
    /// Read the four MNIST IDX files in a folder and print what they hold.
    Mnist {
        /// Folder holding train-images-idx3-ubyte.gz and the three others.
        #[arg(default_value = "www/public/data/mnist")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn engine(backend: &str) -> convplay::Result<Engine> {
    pollster::block_on(Engine::new(backend.parse::<BackendChoice>()?))
}

fn run(cli: Cli) -> convplay::Result<()> {
    match cli.command {
        Command::Info { backend } => {
            let info = engine(&backend)?.info();
            println!("{}", serde_json::to_string_pretty(&info).expect("info serialises"));
        }
        Command::Smoke { backend, n } => {
            let engine = engine(&backend)?;
            let info = engine.info();
            let x: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 * 0.001).collect();
            let y: Vec<f32> = (0..n).map(|i| 1.0 - (i % 7) as f32).collect();
            let t = std::time::Instant::now();
            let got = pollster::block_on(engine.saxpy(2.5, &x, &y))?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let want = convplay::backend::cpu::saxpy(2.5, &x, &y);
            let max_err = got.iter().zip(&want).map(|(g, w)| (g - w).abs() / w.abs().max(1.0)).fold(0.0f32, f32::max);
            println!(
                "smoke kernel on {} ({}): {n} values in {ms:.2} ms, max relative |engine - cpu| = {max_err:e}",
                info.api, info.adapter
            );
            if max_err > 2.5e-7 {
                return Err(convplay::Error::Gpu(format!("smoke kernel disagrees with the CPU by {max_err}")));
            }
        }
        Command::Summary { spec, batch, json, budget_mb } => {
            if batch == 0 {
                return Err(convplay::Error::Invalid("--batch 0: use a batch of at least 1".into()));
            }
            let summary = convplay::summary::summarize(&load_spec(&spec)?, batch);
            if json {
                println!("{}", serde_json::to_string_pretty(&summary).expect("summary serialises"));
            } else {
                print!("{}", summary.to_text());
            }
            if let Some(mb) = budget_mb {
                if !(mb > 0.0) {
                    return Err(convplay::Error::Invalid(format!("--budget-mb {mb}: give a positive size in MB")));
                }
                let value: serde_json::Value =
                    serde_json::from_str(&spec_text(&spec)?).map_err(|e| convplay::Error::Invalid(e.to_string()))?;
                let c = convplay::fit::check(&value, batch, (mb * 1e6) as u64, None)?;
                println!(
                    "\nWill it fit in {mb} MB? {} (the engine needs {:.1} MB to train with Adam at batch {batch})",
                    if c.fits_budget { "yes" } else { "no" },
                    c.estimate.mb
                );
                for f in &c.fixes {
                    println!(
                        "  {:<48} → {:>10.1} MB  {}",
                        f.change,
                        f.estimate.mb,
                        if f.fits { "fits" } else { "still too big" }
                    );
                }
            }
        }
        Command::Train {
            spec,
            backend,
            epochs,
            batch,
            lr,
            optimizer,
            schedule,
            augment,
            train_limit,
            test_limit,
            seed,
            data,
            save,
        } => {
            let spec = load_spec(&spec)?;
            let recipe = spec.training.clone().unwrap_or_default();
            let epochs = epochs.or(recipe.epochs).unwrap_or(1);
            let batch = batch.or(recipe.batch).unwrap_or(64);
            let lr = lr.or(recipe.lr).unwrap_or(1e-3);
            let optimizer = optimizer.or(recipe.optimizer).unwrap_or_else(|| "adam".into());
            let schedule = schedule.or(recipe.schedule).unwrap_or_else(|| "constant".into());
            let augment = match augment.as_deref() {
                None => recipe.augment.unwrap_or_default(),
                Some("off") => Default::default(),
                Some(text) => parse_augment(text)?,
            };
            if epochs == 0 || batch == 0 {
                return Err(convplay::Error::Invalid("--epochs and --batch must be at least 1".into()));
            }
            if !(lr > 0.0 && lr.is_finite()) {
                return Err(convplay::Error::Invalid(format!("--lr {lr}: give a positive learning rate, e.g. 0.001")));
            }
            let opt = match optimizer.as_str() {
                "adam" => convplay::optim::Optimizer::adam(),
                "adamw" => {
                    convplay::optim::Optimizer::AdamW { beta1: 0.9, beta2: 0.999, eps: 1e-7, weight_decay: 1e-4 }
                }
                "sgd" => convplay::optim::Optimizer::Sgd { momentum: 0.9, nesterov: true, weight_decay: 0.0 },
                other => {
                    return Err(convplay::Error::Invalid(format!(
                        "unknown optimizer {other:?}: use adam, adamw or sgd"
                    )))
                }
            };
            let schedule = match schedule.as_str() {
                "constant" => Sched::Constant { lr },
                "step" => Sched::Step { lr, every: 0, gamma: 0.5 },
                "cosine" => Sched::Cosine { lr, min_lr: 0.0 },
                "onecycle" => Sched::OneCycle { max_lr: lr, warmup: 0.3 },
                other => {
                    return Err(convplay::Error::Invalid(format!(
                        "unknown schedule {other:?}: use constant, step, cosine or onecycle"
                    )))
                }
            };
            let plan = Plan { epochs, batch, optimizer: opt, schedule, augment, save };
            let engine = engine(&backend)?;
            let info = engine.info();
            match engine {
                Engine::Gpu(ctx) => train(
                    convplay::backend::gpu::backend::Gpu::new(ctx),
                    &spec,
                    &info,
                    &plan,
                    (train_limit, test_limit),
                    seed,
                    &data,
                )?,
                Engine::Cpu { .. } => train(
                    convplay::backend::cpu::backend::Cpu::new(),
                    &spec,
                    &info,
                    &plan,
                    (train_limit, test_limit),
                    seed,
                    &data,
                )?,
            }
        }
        Command::Bench { steps, cpu_only } => bench(steps, cpu_only)?,
        Command::TransferExperiment { weights, data, per_class, test, seed } => {
            transfer_experiment(&weights, &data, per_class, test, seed)?
        }
        Command::ImportEfficientnet { checkpoint, output, int8 } => {
            use convplay::import::efficientnet::{import_lite0, lite0_spec, preprocessing};
            let sd = convplay::weights::torch::read_state_dict(&read_bytes(&checkpoint)?)?;
            let imported = import_lite0(&sd)?;
            let labels: Vec<String> =
                serde_json::from_str(include_str!("../../../www/public/models/imagenet-labels.json"))
                    .expect("the label list is JSON");
            let extra = convplay::weights::Extra { labels: Some(labels), preprocessing: Some(preprocessing()) };
            let storage = if int8 { convplay::weights::Storage::Int8 } else { convplay::weights::Storage::F32 };
            // Check against the model the spec builds: every parameter placed, nothing left over.
            let spec = convplay::spec::parse(&lite0_spec().to_string())?;
            let bytes = convplay::weights::encode(&spec.source, &extra, &imported.tensors, storage)?;
            let file = convplay::weights::read(&bytes)?;
            let model = convplay::model::Model::new(convplay::backend::cpu::backend::Cpu::new(), &file.spec, 1, 1)?;
            convplay::weights::load_into(&model, &file)?;
            std::fs::write(&output, &bytes)
                .map_err(|e| convplay::Error::Io(format!("cannot write {}: {e}", output.display())))?;
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
        }
        Command::Classify { weights, images, top, backend } => {
            let file = convplay::weights::read(&read_bytes(&weights)?)?;
            let engine = engine(&backend)?;
            match engine {
                Engine::Gpu(ctx) => classify(convplay::backend::gpu::backend::Gpu::new(ctx), &file, &images, top)?,
                Engine::Cpu { .. } => classify(convplay::backend::cpu::backend::Cpu::new(), &file, &images, top)?,
            }
        }
        Command::Quantize { input, int8, f16, f32, output, data, test_limit } => {
            use convplay::weights::Storage;
            let storage = match (int8, f16, f32) {
                (true, _, _) => Storage::Int8,
                (_, true, _) => Storage::F16,
                (_, _, true) => Storage::F32,
                _ => {
                    return Err(convplay::Error::Invalid("say how to store the values: --int8, --f16 or --f32".into()))
                }
            };
            quantize(&input, storage, &output, &data, test_limit)?;
        }
        Command::Mnist { dir } => {
            use convplay::data::idx::{read_file, read_images, read_labels};
            for (images, labels) in [
                ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
            ] {
                let im = read_images(&read_file(&dir.join(images))?)?;
                let lb = read_labels(&read_file(&dir.join(labels))?)?;
                let mut counts = [0usize; 10];
                lb.labels.iter().for_each(|&l| counts[(l as usize).min(9)] += 1);
                println!(
                    "{images}: {} images of {}×{}; labels per class {counts:?}; first label {}",
                    im.count, im.rows, im.cols, lb.labels[0]
                );
            }
        }
    }
    Ok(())
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
        let img = image::open(path)
            .map_err(|e| convplay::Error::Data(format!("cannot read the image {}: {e}", path.display())))?
            .to_rgb8();
        let (iw, ih) = img.dimensions();
        let crop = centre_crop(img.as_raw(), iw as usize, ih as usize, h, 0.875)?;
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

/// Trains `spec` on (x, y) and returns its accuracy on (tx, ty).
fn fit_and_test(
    spec: &str,
    (x, y): (&[u8], &[u8]),
    (tx, ty): (&[u8], &[u8]),
    per: usize,
    epochs: usize,
    lr: f32,
    seed: u32,
) -> convplay::Result<f32> {
    use convplay::train::{evaluate, train_epoch, Dataset};
    let spec = convplay::spec::parse(spec)?;
    let mut m = convplay::model::Model::new(convplay::backend::cpu::backend::Cpu::new(), &spec, 32, seed)?;
    let train = Dataset { pixels: x, labels: y, per };
    let opt = convplay::optim::Optimizer::adam();
    for e in 0..epochs {
        pollster::block_on(train_epoch(&mut m, &train, |_| opt.step(lr), seed + e as u32))?;
    }
    Ok(pollster::block_on(evaluate(&mut m, &Dataset { pixels: tx, labels: ty, per }))?.0)
}

fn transfer_experiment(
    weights: &std::path::Path,
    data: &std::path::Path,
    per_class: usize,
    test: usize,
    seed: u32,
) -> convplay::Result<()> {
    use convplay::data::idx::{read_file, read_images, read_labels};
    use convplay::data::photo::{centre_crop, norm_from, normalise};
    let load = |split: &str| -> convplay::Result<(Vec<u8>, Vec<u8>)> {
        let im = read_images(&read_file(&data.join(format!("{split}-images-idx3-ubyte.gz")))?)?;
        let lb = read_labels(&read_file(&data.join(format!("{split}-labels-idx1-ubyte.gz")))?)?;
        Ok((im.pixels, lb.labels))
    };
    let (tx, ty) = load("train")?;
    let (vx, vy) = load("t10k")?;
    // The first `per_class` training images of each class (a seeded shuffle picks them).
    let order = convplay::train::shuffled(ty.len(), seed);
    let mut counts = [0usize; 10];
    let mut pick = vec![];
    for i in order {
        let c = ty[i] as usize;
        if counts[c] < per_class {
            counts[c] += 1;
            pick.push(i);
        }
    }
    let sx: Vec<u8> = pick.iter().flat_map(|&i| tx[i * 784..(i + 1) * 784].iter().copied()).collect();
    let sy: Vec<u8> = pick.iter().map(|&i| ty[i]).collect();
    let n_test = test.min(vy.len());
    let (vx, vy) = (&vx[..n_test * 784], &vy[..n_test]);
    println!("Fashion-MNIST: {} training images ({per_class} per class), {n_test} test images", sy.len());

    // 1. Frozen EfficientNet-Lite0 features (the pooled 1280-d vector) + a new dense head.
    let file = convplay::weights::read(&read_bytes(weights)?)?;
    let (mean, std) = norm_from(file.extra.preprocessing.as_ref());
    let mut base = convplay::model::Model::new(convplay::backend::cpu::backend::Cpu::new(), &file.spec, 16, 1)?;
    convplay::weights::load_into(&base, &file)?;
    let pool = base
        .body
        .nodes
        .iter()
        .position(|n| n.type_name == "global_avg_pool2d")
        .ok_or_else(|| convplay::Error::Invalid("the base has no global average pooling".into()))?;
    // The input of conv_head (7×7×320) is kept too, for fine-tuning from there.
    let cut = base.node_index("conv_head")? - 1;
    let t = std::time::Instant::now();
    let mut features = |pixels: &[u8]| -> convplay::Result<(Vec<f32>, Vec<f32>)> {
        let (mut pooled, mut cuts) = (Vec::new(), Vec::new());
        for chunk in pixels.chunks(16 * 784) {
            let mut x = Vec::with_capacity(chunk.len() / 784 * 224 * 224 * 3);
            for img in chunk.chunks(784) {
                let rgb: Vec<u8> = img.iter().flat_map(|&v| [v, v, v]).collect();
                x.extend(normalise(&centre_crop(&rgb, 28, 28, 224, 1.0)?, mean, std));
            }
            base.set_input(&x)?;
            let mut outs = pollster::block_on(base.features_at(chunk.len() / 784, &[pool, cut]))?;
            cuts.extend(outs.pop().unwrap_or_default());
            pooled.extend(outs.pop().unwrap_or_default());
        }
        Ok((pooled, cuts))
    };
    let ((fx, cx), (fvx, cvx)) = (features(&sx)?, features(vx)?);
    let secs = t.elapsed().as_secs_f64();
    println!(
        "features of {} images in {secs:.0} s ({:.0} ms per image)",
        sy.len() + n_test,
        1e3 * secs / (sy.len() + n_test) as f64
    );
    // The features are f32 (a byte Dataset would round them), so the head's loop is written out.
    let head = r#"{"name": "head", "input": [1280], "layers": [{"type": "dense", "name": "new_classes", "units": 10, "activation": "softmax"}]}"#;
    let (acc_transfer, head_model) = {
        use convplay::train::shuffled;
        let spec = convplay::spec::parse(head)?;
        let mut m = convplay::model::Model::new(convplay::backend::cpu::backend::Cpu::new(), &spec, 32, seed)?;
        let opt = convplay::optim::Optimizer::adam();
        for e in 0..100u32 {
            let order = shuffled(sy.len(), seed + e);
            for b in order.chunks(32) {
                let x: Vec<f32> = b.iter().flat_map(|&i| fx[i * 1280..(i + 1) * 1280].iter().copied()).collect();
                let y: Vec<u8> = b.iter().map(|&i| sy[i]).collect();
                m.train_step(&x, &y, opt.step(1e-3))?;
            }
        }
        let mut correct = 0;
        for (k, chunk) in fvx.chunks(32 * 1280).enumerate() {
            let n = chunk.len() / 1280;
            m.set_input(chunk)?;
            let p = pollster::block_on(m.predict(n))?;
            for i in 0..n {
                let top = (0..10).max_by(|&a, &b| p[i * 10 + a].total_cmp(&p[i * 10 + b])).unwrap_or(0);
                correct += (top as u8 == vy[k * 32 + i]) as usize;
            }
        }
        (correct as f32 / n_test as f32, m)
    };
    println!("frozen EfficientNet-Lite0 + dense head (100 epochs): {:.1}% test accuracy", 100.0 * acc_transfer);
    // 1b. Fine-tuning: conv_head (409,600 weights) trains with the head at a tenth of the
    // learning rate, from the cached 7×7×320 inputs; its batch norm stays in inference mode.
    {
        use convplay::train::{evaluate, FloatDataset};
        let mut layers: Vec<serde_json::Value> = vec![];
        let mut on = false;
        for l in file.spec.source["layers"].as_array().into_iter().flatten() {
            on |= l["name"] == "conv_head";
            if !on {
                continue;
            }
            let mut l = l.clone();
            if l["type"] == "batch_norm" {
                l["trainable"] = serde_json::Value::Bool(false);
            }
            let is_pool = l["type"] == "global_avg_pool2d";
            layers.push(l);
            if is_pool {
                break;
            }
        }
        layers.push(serde_json::json!({"type": "dense", "name": "new_classes", "units": 10, "activation": "softmax"}));
        let top = convplay::spec::parse(
            &serde_json::json!({"name": "lite0-top", "input": [7, 7, 320], "layers": layers}).to_string(),
        )?;
        let mut m = convplay::model::Model::new(convplay::backend::cpu::backend::Cpu::new(), &top, 32, seed)?;
        pollster::block_on(m.copy_params_from(&base))?;
        pollster::block_on(m.copy_params_from(&head_model))?;
        let per = 7 * 7 * 320;
        let test_set = FloatDataset { values: &cvx, labels: vy, per };
        let before = pollster::block_on(evaluate(&mut m, &test_set))?.0;
        let train_set = FloatDataset { values: &cx, labels: &sy, per };
        let opt = convplay::optim::Optimizer::adam();
        let t = std::time::Instant::now();
        let epochs = 5;
        for e in 0..epochs {
            pollster::block_on(convplay::train::train_epoch(&mut m, &train_set, |_| opt.step(1e-4), seed + 1000 + e))?;
        }
        let after = pollster::block_on(evaluate(&mut m, &test_set))?.0;
        println!(
            "fine-tuned from conv_head ({epochs} epochs at 1e-4, {:.0} s): {:.1}% → {:.1}% test accuracy",
            t.elapsed().as_secs_f64(),
            100.0 * before,
            100.0 * after
        );
    }
    // 2. The same head on raw pixels.
    let raw = r#"{"name": "pixels-head", "input": [784], "layers": [{"type": "dense", "units": 10, "activation": "softmax"}]}"#;
    let acc_raw = fit_and_test(raw, (&sx, &sy), (vx, vy), 784, 100, 1e-3, seed)?;
    println!("the same head on raw pixels (100 epochs): {:.1}% test accuracy", 100.0 * acc_raw);
    // 3. seed-001 from scratch on the same images.
    let cnn = convplay::presets::preset_json("seed-001")?;
    let acc_cnn = fit_and_test(cnn, (&sx, &sy), (vx, vy), 784, 30, 1e-3, seed)?;
    println!("seed-001 from scratch (30 epochs): {:.1}% test accuracy", 100.0 * acc_cnn);
    Ok(())
}

fn read_bytes(path: &std::path::Path) -> convplay::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| convplay::Error::Io(format!("cannot read {}: {e}", path.display())))
}

fn quantize(
    input: &std::path::Path,
    storage: convplay::weights::Storage,
    output: &std::path::Path,
    data: &std::path::Path,
    test_limit: usize,
) -> convplay::Result<()> {
    use convplay::weights::{encode, load_into, read};
    let before_bytes = read_bytes(input)?;
    let file = read(&before_bytes)?;
    let cpu = convplay::backend::cpu::backend::Cpu::new;
    // Tensors in the model's parameter order.
    let order = convplay::model::Model::new(cpu(), &file.spec, 1, 1)?;
    load_into(&order, &file)?;
    let tensors: Vec<(String, Vec<usize>, Vec<f32>)> =
        order.params.iter().map(|p| (p.name.clone(), p.shape.clone(), file.tensors[&p.name].1.clone())).collect();
    let bytes = encode(&file.spec.source, &file.extra, &tensors, storage)?;
    let after = read(&bytes)?;
    println!(
        "{} ({}, {} bytes) → {} ({}, {} bytes)",
        input.display(),
        file.storage.name(),
        before_bytes.len(),
        output.display(),
        storage.name(),
        bytes.len()
    );
    println!("{:<34} {:>14} {:>12} {:>12} {:>10}", "tensor", "shape", "max |w|", "max error", "relative");
    for (name, shape, v) in &tensors {
        let q = &after.tensors[name].1;
        let peak = v.iter().fold(0f32, |a, x| a.max(x.abs()));
        let err = v.iter().zip(q).fold(0f32, |a, (x, y)| a.max((x - y).abs()));
        println!(
            "{name:<34} {:>14} {peak:>12.5} {err:>12.2e} {:>9.3}%",
            format!("{shape:?}"),
            if peak > 0.0 { 100.0 * err / peak } else { 0.0 }
        );
    }
    std::fs::write(output, &bytes)
        .map_err(|e| convplay::Error::Io(format!("cannot write {}: {e}", output.display())))?;
    let mnist = matches!(file.spec.input, convplay::spec::Shape::Map { h: 28, w: 28, c: 1 }) && order.classes == 10;
    if !mnist || !data.join("t10k-images-idx3-ubyte.gz").exists() {
        println!(
            "(no accuracy check: it runs for 28×28×1 models with 10 classes, with the MNIST files in {})",
            data.display()
        );
        return Ok(());
    }
    use convplay::data::idx::{read_file, read_images, read_labels};
    let im = read_images(&read_file(&data.join("t10k-images-idx3-ubyte.gz"))?)?;
    let lb = read_labels(&read_file(&data.join("t10k-labels-idx1-ubyte.gz"))?)?;
    let n = if test_limit == 0 { im.count } else { test_limit.min(im.count) };
    let test = convplay::train::Dataset { pixels: &im.pixels[..n * 784], labels: &lb.labels[..n], per: 784 };
    let accuracy = |f: &convplay::weights::WeightsFile| -> convplay::Result<(f32, Vec<u8>)> {
        let mut m = convplay::model::Model::new(cpu(), &f.spec, 256, 1)?;
        load_into(&m, f)?;
        pollster::block_on(convplay::train::evaluate(&mut m, &test))
    };
    let (a0, p0) = accuracy(&file)?;
    let (a1, p1) = accuracy(&after)?;
    let changed = p0.iter().zip(&p1).filter(|(a, b)| a != b).count();
    println!(
        "MNIST test accuracy on {n} images: {:.2}% ({}) → {:.2}% ({}); {changed} predictions changed",
        100.0 * a0,
        file.storage.name(),
        100.0 * a1,
        storage.name()
    );
    Ok(())
}

/// "SHIFT,ROTATE,SCALE" → the augmentation ranges.
fn parse_augment(text: &str) -> convplay::Result<convplay::backend::cpu::augment::Augment> {
    let parts: Vec<f32> =
        text.split(',').map(|p| p.trim().parse::<f32>()).collect::<Result<_, _>>().unwrap_or_default();
    match parts[..] {
        [shift, rotate_deg, scale] => Ok(convplay::backend::cpu::augment::Augment { shift, rotate_deg, scale }),
        _ => Err(convplay::Error::Invalid(format!(
            "--augment {text:?}: give SHIFT,ROTATE,SCALE (pixels, degrees, fraction), e.g. 2,10,0.1, or off"
        ))),
    }
}

fn spec_text(spec: &str) -> convplay::Result<String> {
    Ok(if std::path::Path::new(spec).exists() || spec.ends_with(".json") {
        String::from_utf8_lossy(&convplay::data::idx::read_file(std::path::Path::new(spec))?).into_owned()
    } else {
        convplay::presets::preset_json(spec)?.to_string()
    })
}

fn load_spec(spec: &str) -> convplay::Result<convplay::spec::ModelSpec> {
    convplay::spec::parse(&spec_text(spec)?)
}

use convplay::optim::Schedule as Sched;

struct Plan {
    epochs: usize,
    batch: usize,
    optimizer: convplay::optim::Optimizer,
    /// `Step` with every = 0 means "halve every epoch" (filled in once the data size is known).
    schedule: Sched,
    augment: convplay::backend::cpu::augment::Augment,
    save: Option<PathBuf>,
}

fn train<B: convplay::backend::ops::Backend>(
    be: B,
    spec: &convplay::spec::ModelSpec,
    info: &convplay::EngineInfo,
    plan: &Plan,
    (train_limit, test_limit): (usize, usize),
    seed: u32,
    data: &std::path::Path,
) -> convplay::Result<()> {
    use convplay::data::idx::{read_file, read_images, read_labels};
    use convplay::train::{evaluate, train_epoch, Dataset};
    let load = |split: &str, limit: usize| -> convplay::Result<(Vec<u8>, Vec<u8>)> {
        let im = read_images(&read_file(&data.join(format!("{split}-images-idx3-ubyte.gz")))?)?;
        let lb = read_labels(&read_file(&data.join(format!("{split}-labels-idx1-ubyte.gz")))?)?;
        let n = if limit == 0 { im.count } else { limit.min(im.count) };
        Ok((im.pixels[..n * 784].to_vec(), lb.labels[..n].to_vec()))
    };
    let (tx, ty) = load("train", train_limit)?;
    let (vx, vy) = load("t10k", test_limit)?;
    let (epochs, batch) = (plan.epochs, plan.batch);
    let mut model = convplay::model::Model::new(be, spec, batch, seed)?;
    model.set_augment(plan.augment)?;
    let per_epoch = ty.len().div_ceil(batch);
    let schedule = match plan.schedule {
        Sched::Step { lr, every: 0, gamma } => Sched::Step { lr, every: per_epoch, gamma },
        s => s,
    };
    schedule.validate()?;
    println!(
        "training {} ({} params) on {} ({}), batch {batch}, {:?}, {:?}, augment {:?}, {} train / {} test images",
        spec.name,
        model.param_count(),
        info.api,
        info.adapter,
        plan.optimizer,
        schedule,
        plan.augment,
        ty.len(),
        vy.len()
    );
    let train = Dataset { pixels: &tx, labels: &ty, per: 784 };
    let test = Dataset { pixels: &vx, labels: &vy, per: 784 };
    let total = epochs * per_epoch;
    for epoch in 1..=epochs {
        let base = (epoch - 1) * per_epoch;
        let step = |b: usize| plan.optimizer.step(schedule.lr(base + b, total));
        let s = pollster::block_on(train_epoch(&mut model, &train, step, seed.wrapping_add(epoch as u32)))?;
        let (acc, _) = pollster::block_on(evaluate(&mut model, &test))?;
        println!(
            "epoch {epoch}: loss {:.4}, train accuracy {:.2}%, test accuracy {:.2}%, {:.0} img/s",
            s.loss,
            100.0 * s.accuracy,
            100.0 * acc,
            s.images_per_sec
        );
    }
    if let Some(path) = &plan.save {
        let extra = convplay::weights::Extra {
            labels: Some((0..model.classes).map(|d| d.to_string()).collect()),
            preprocessing: Some(
                serde_json::json!({"scale": 1.0 / 255.0, "note": "u8 pixels scaled to [0, 1]; MNIST digits are white on black"}),
            ),
        };
        let bytes = pollster::block_on(convplay::weights::save(&model, &extra))?;
        std::fs::write(path, &bytes)
            .map_err(|e| convplay::Error::Io(format!("cannot write {}: {e}", path.display())))?;
        println!("saved {} ({} bytes)", path.display(), bytes.len());
    }
    Ok(())
}

fn bench(steps: usize, cpu_only: bool) -> convplay::Result<()> {
    use convplay::backend::cpu::backend::Cpu;
    use convplay::backend::gpu::backend::Gpu;
    let spec = convplay::presets::preset("seed-004")?;
    let cpu = Cpu::new();
    let cpu_k = pollster::block_on(convplay::bench::kernels(&cpu, 2))?;
    let cpu_t = pollster::block_on(convplay::bench::train_steps(Cpu::new(), &spec, 128, steps))?;
    let gpu = if cpu_only {
        None
    } else {
        let ctx = pollster::block_on(convplay::backend::gpu::GpuContext::new())?;
        let name = format!("{} ({:?})", ctx.adapter_info.name, ctx.adapter_info.backend);
        let ctx = std::rc::Rc::new(ctx);
        let g = Gpu::new(ctx.clone());
        let k = pollster::block_on(convplay::bench::kernels(&g, 10))?;
        let t = pollster::block_on(convplay::bench::train_steps(Gpu::new(ctx), &spec, 128, steps))?;
        Some((name, k, t))
    };
    println!("| kernel | CPU GFLOP/s | GPU GFLOP/s | GPU / CPU |");
    println!("|---|---:|---:|---:|");
    for (i, k) in cpu_k.iter().enumerate() {
        match &gpu {
            Some((_, gk, _)) => println!(
                "| {} | {:.2} | {:.2} | {:.1}× |",
                k.name,
                k.gflops(),
                gk[i].gflops(),
                gk[i].gflops() / k.gflops()
            ),
            None => println!("| {} | {:.2} | – | – |", k.name, k.gflops()),
        }
    }
    println!();
    println!("| training step, seed-004, batch 128 | img/s |");
    println!("|---|---:|");
    println!("| CPU backend (im2col + blocked GEMM for convolutions) | {cpu_t:.1} |");
    if let Some((name, _, t)) = &gpu {
        println!("| GPU backend: {name} | {t:.1} ({:.1}× CPU) |", t / cpu_t);
    }
    Ok(())
}
