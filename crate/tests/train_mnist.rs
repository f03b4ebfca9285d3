//! A short real training run: the seed-001 CNN on 2,000 MNIST training images for
//! one epoch must reach more than 90% on 1,000 test images.

mod common;

use common::{adam, mnist};
use convplay::backend::cpu::backend::Cpu;
use convplay::model::Model;
use convplay::presets::preset;
use convplay::train::{evaluate, train_epoch, Dataset};

#[test]
fn seed_001_on_cpu_learns_mnist() {
    let (train_x, train_y) = mnist("train", 2000);
    let (test_x, test_y) = mnist("t10k", 1000);
    let spec = preset("seed-001").unwrap();
    let mut model = Model::new(Cpu::new(), &spec, 16, 1).unwrap();
    assert_eq!(model.param_count(), 121_930);
    let train = Dataset { pixels: &train_x, labels: &train_y, per: 784 };
    let test = Dataset { pixels: &test_x, labels: &test_y, per: 784 };
    let stats = pollster::block_on(train_epoch(&mut model, &train, |_| adam(3e-3), 7)).unwrap();
    let (acc, _) = pollster::block_on(evaluate(&mut model, &test)).unwrap();
    eprintln!(
        "cpu seed-001: train loss {:.3}, train acc {:.3}, test acc {acc:.3}, {:.0} img/s",
        stats.loss, stats.accuracy, stats.images_per_sec
    );
    assert!(acc > 0.90, "test accuracy {acc}");
}

#[test]
fn seed_001_on_gpu_learns_mnist() {
    let Some(ctx) = common::gpu() else { return };
    let gpu = convplay::backend::gpu::backend::Gpu::new(std::rc::Rc::new(ctx));
    let (train_x, train_y) = mnist("train", 2000);
    let (test_x, test_y) = mnist("t10k", 1000);
    let spec = preset("seed-001").unwrap();
    let mut model = Model::new(gpu, &spec, 16, 1).unwrap();
    let train = Dataset { pixels: &train_x, labels: &train_y, per: 784 };
    let test = Dataset { pixels: &test_x, labels: &test_y, per: 784 };
    let stats = pollster::block_on(train_epoch(&mut model, &train, |_| adam(3e-3), 7)).unwrap();
    let (acc, _) = pollster::block_on(evaluate(&mut model, &test)).unwrap();
    eprintln!(
        "gpu seed-001: train loss {:.3}, train acc {:.3}, test acc {acc:.3}, {:.0} img/s",
        stats.loss, stats.accuracy, stats.images_per_sec
    );
    assert!(acc > 0.90, "test accuracy {acc}");
}

#[test]
fn one_step_raises_the_true_class_probability() {
    let (x, y) = mnist("train", 8);
    let spec = preset("seed-004").unwrap();
    let mut model = Model::new(Cpu::new(), &spec, 8, 3).unwrap();
    let xf: Vec<f32> = x.iter().map(|&p| p as f32 / 255.0).collect();
    let prob = |m: &mut Model<Cpu>| {
        m.set_input(&xf).unwrap();
        let p = pollster::block_on(m.predict(8)).unwrap();
        (0..8).map(|i| p[i * 10 + y[i] as usize]).sum::<f32>()
    };
    let before = prob(&mut model);
    // BN in inference mode uses the running stats; one step with a small lr must still help.
    for _ in 0..3 {
        model.train_step(&xf, &y, adam(1e-3)).unwrap();
    }
    let after = prob(&mut model);
    assert!(after > before, "p(true class) summed over the batch: {before} → {after}");
}

#[test]
fn bad_batches_are_errors() {
    let spec = preset("seed-001").unwrap();
    let mut model = Model::new(Cpu::new(), &spec, 4, 1).unwrap();
    let e = model.set_input(&[0.0; 783]).unwrap_err();
    assert_eq!(e.message(), "input has 783 values, which is not a whole number of 28×28×1 instances (784 values each)");
    let e = model.set_input(&vec![0.0; 784 * 5]).unwrap_err();
    assert_eq!(e.message(), "input: batch of 5 instances, but this model was built for 1 to 4 at a time; split the data into smaller batches");
    let e = model.train_step(&[0.0; 784], &[10], adam(1e-3)).unwrap_err();
    assert_eq!(e.message(), "label 10 is out of range for 10 classes (0..9)");
    let e = model.train_step(&[0.0; 784], &[1, 2], adam(1e-3)).unwrap_err();
    assert_eq!(e.message(), "1 inputs but 2 labels; pass one label per input");
    let no_softmax = convplay::spec::parse(
        r#"{"input": [4, 4, 1], "layers": [{"type": "flatten"}, {"type": "dense", "units": 3}]}"#,
    )
    .unwrap();
    let e = Model::new(Cpu::new(), &no_softmax, 4, 1).err().unwrap();
    assert!(e.message().starts_with("the model ends in 3 without a softmax"), "{e}");
}

/// The engine's real allocation for the MNIST presets at batch 128 equals the summary's
/// estimate (activations, parameters, gradients, Adam state, activation gradients,
/// workspace) within 1%: the estimate is what the engine does.
#[test]
fn measured_allocation_matches_the_training_estimate() {
    for name in ["seed-001", "seed-004", "lenet-5", "mlp"] {
        let spec = preset(name).unwrap();
        let model = Model::new(Cpu::new(), &spec, 128, 1).unwrap();
        let est = convplay::summary::summarize(&spec, 128).training;
        let measured = model.allocated_bytes() as f64;
        let want = est.engine_adam.bytes as f64;
        assert!((measured - want).abs() / want < 0.01, "{name}: engine allocated {measured} bytes, estimate {want}");
    }
}
