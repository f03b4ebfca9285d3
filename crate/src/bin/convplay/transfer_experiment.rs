//! `convplay transfer-experiment`: transfer learning on Fashion-MNIST (docs/benchmarks.md).
//! 100 training images per class; a new head on EfficientNet-Lite0's frozen features, that
//! head fine-tuned with conv_head, the same head on raw pixels, and seed-001 from scratch,
//! each tested on the same held-out images.

use super::read_bytes;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The EfficientNet-Lite0 weights (ConvPlay file).
    #[arg(long, default_value = "www/public/models/efficientnet-lite0-int8.safetensors")]
    weights: PathBuf,
    /// Folder with the Fashion-MNIST IDX files (shipped in www/public/data/fashion-mnist).
    #[arg(long, default_value = "www/public/data/fashion-mnist")]
    data: PathBuf,
    #[arg(long, default_value_t = 100)]
    per_class: usize,
    #[arg(long, default_value_t = 1000)]
    test: usize,
    #[arg(long, default_value_t = 1)]
    seed: u32,
    #[command(flatten)]
    pub threads: super::Threads,
}

pub fn run(Args { weights, data, per_class, test, seed, .. }: Args) -> convplay::Result<()> {
    transfer_experiment(&weights, &data, per_class, test, seed)
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
    use convplay::data::photo::{centre_crop, norm_from, normalise};
    let load = |split: &str| -> convplay::Result<(Vec<u8>, Vec<u8>)> {
        let (im, lb) = convplay::data::idx::read_split(data, split)?;
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
