//! A model may end in a map [h, w, k] with a softmax: a class distribution over the k
//! channels at each position, one label per position (a fully convolutional classifier, a
//! segmentation network). Predict's shape, training on per-pixel labels on both backends,
//! the metrics per position, and the errors for labels that do not fit.

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::gpu::backend::Gpu;
use convplay::backend::ops::Backend;
use convplay::model::Model;
use convplay::optim::Optimizer;
use convplay::spec::parse;
use convplay::train::{Data, Trainer};
use convplay::Engine;

/// 6×6 grey images; a 3×3 conv then a 1×1 conv with a softmax over 3 classes per pixel.
const PIXELS: &str = r#"{"name": "pixels", "input": [6, 6, 1], "layers": [
    {"type": "conv2d", "name": "c1", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "conv2d", "name": "classes", "filters": 3, "kernel_size": 1, "activation": "softmax"}
]}"#;

/// `n` images of 36 values in [0, 1) and each pixel's label: its brightness in thirds.
fn scenes(n: usize, seed: u64) -> (Vec<f32>, Vec<u8>) {
    let x: Vec<f32> = common::random_vec(n * 36, seed).iter().map(|v| (v + 1.0) / 2.0).collect();
    let y = x.iter().map(|&v| ((v * 3.0) as u8).min(2)).collect();
    (x, y)
}

fn trains_per_pixel<B: Backend>(be: B) -> (Vec<f32>, Vec<f32>) {
    let spec = parse(PIXELS).unwrap();
    let mut m = Model::new(be, &spec, 8, 3).unwrap();
    assert_eq!((m.classes, m.positions), (3, 36));
    let (x, y) = scenes(8, 5);
    let opt = Optimizer::adam();
    let mut losses = vec![];
    for _ in 0..4 {
        for _ in 0..30 {
            m.train_step(&x, &y, opt.step(0.02)).unwrap();
        }
        // Metrics per position: the loss of one pixel on average, the fraction of pixels right.
        let (loss, acc) = pollster::block_on(m.take_metrics(30 * 8)).unwrap();
        assert!((0.0..=1.0).contains(&acc), "accuracy {acc} is a fraction of positions");
        losses.push(loss);
    }
    // Before training a pixel's loss is about ln 3 (a sum over 36 positions would be ~40).
    assert!(losses[0] < 2.0, "{losses:?}");
    assert!(losses[3] < 0.5 * losses[0], "the per-pixel loss falls: {losses:?}");
    m.set_input(&x[..2 * 36]).unwrap();
    let probs = pollster::block_on(m.predict(2)).unwrap();
    assert_eq!(probs.len(), 2 * 36 * 3, "n × positions × classes");
    for row in probs.chunks(3) {
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-4, "each position's classes sum to 1: {row:?}");
    }
    let right = probs
        .chunks(3)
        .zip(&y)
        .filter(|(row, &l)| row.iter().enumerate().all(|(j, &p)| j == l as usize || p < row[l as usize]))
        .count();
    assert!(right as f32 > 0.8 * 72.0, "{right} of 72 pixels right after training");
    (losses, probs)
}

#[test]
fn a_conv_net_ending_in_a_map_trains_on_per_pixel_labels_on_cpu() {
    trains_per_pixel(Cpu::new());
}

#[test]
fn a_conv_net_ending_in_a_map_trains_on_per_pixel_labels_on_gpu_as_on_cpu() {
    let Some(ctx) = common::gpu() else { return };
    let (gl, gp) = trains_per_pixel(Gpu::new(std::rc::Rc::new(ctx)));
    let (cl, cp) = trains_per_pixel(Cpu::new());
    for (g, c) in gl.iter().zip(&cl) {
        assert!((g - c).abs() < 1e-2 * c.abs().max(1.0), "losses GPU {gl:?} CPU {cl:?}");
    }
    let worst = gp.iter().zip(&cp).map(|(g, c)| (g - c).abs()).fold(0.0f32, f32::max);
    assert!(worst < 1e-2, "probabilities differ by {worst}");
}

#[test]
fn wrong_label_counts_and_inspect_are_refused_clearly() {
    let spec = parse(PIXELS).unwrap();
    let mut m = Model::new(Cpu::new(), &spec, 4, 3).unwrap();
    let (x, y) = scenes(2, 9);
    let e = m.train_step(&x, &y[..2], Optimizer::adam().step(0.01)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "2 inputs but 2 labels; this model outputs a map of 36 positions (6×6×3), so pass one label per position: 72 labels, instance by instance, row by row"
    );
    let mut bad = y.clone();
    bad[40] = 3;
    let e = m.train_step(&x, &bad, Optimizer::adam().step(0.01)).unwrap_err();
    assert_eq!(e.to_string(), "label 3 is out of range for 3 classes (0..2)");
    let e = pollster::block_on(m.inspect(&x[..36])).unwrap_err();
    assert!(
        e.to_string().starts_with("inspect explains one class decision, but this model outputs a map of 36"),
        "{e}"
    );
    // A classifier's message is unchanged.
    let flat = parse(r#"{"input": [4], "layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}"#).unwrap();
    let mut c = Model::new(Cpu::new(), &flat, 4, 3).unwrap();
    assert_eq!(c.positions, 1);
    let e = c.train_step(&[0.0; 8], &[0, 1, 1], Optimizer::adam().step(0.01)).unwrap_err();
    assert_eq!(e.to_string(), "2 inputs but 3 labels; pass one label per input");
    // A map without a softmax is still no classifier.
    let plain =
        parse(r#"{"input": [4, 4, 1], "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 1}]}"#).unwrap();
    let e = Model::new(Cpu::new(), &plain, 4, 3).err().unwrap().to_string();
    assert!(e.starts_with("the model ends in 4×4×2 without a softmax"), "{e}");
}

#[test]
fn the_trainer_takes_labels_per_position_and_evaluates_per_position() {
    let mut t = Trainer::new(&Engine::Cpu { fallback_reason: None }, &parse(PIXELS).unwrap(), 8, 3).unwrap();
    assert_eq!(t.positions(), 36);
    let (x, y) = scenes(16, 11);
    let e = t.set_train_data(Data::F32(x.clone()), y[..16].to_vec()).err().unwrap();
    assert!(e.to_string().contains("takes one label per position: 576 labels"), "{e}");
    t.set_train_data(Data::F32(x.clone()), y.clone()).unwrap();
    t.set_eval_data(Data::F32(x), y).unwrap();
    t.set_schedule("constant", 0.02, 40, 2).unwrap();
    let before = pollster::block_on(t.evaluate()).unwrap();
    for e in 0..20 {
        assert_eq!(t.start_epoch(e).unwrap(), 2);
        t.train_batches(2).unwrap();
    }
    let (loss, acc, n) = pollster::block_on(t.take_metrics()).unwrap();
    assert_eq!(n, 320);
    assert!(loss < 1.0 && (0.0..=1.0).contains(&acc), "{loss} {acc}");
    let after = pollster::block_on(t.evaluate()).unwrap();
    assert_eq!(t.last_predictions().len(), 16 * 36, "a class per position");
    assert!(after > before && after > 0.8 && after <= 1.0, "pixel accuracy {before} → {after}");
}
