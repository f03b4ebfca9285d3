//! The best MNIST recipe (the mnist-best preset) and ensembles by soft voting
//! (`train::ensemble`): the preset builds and its recipe resolves to the settings its
//! description promises; an ensemble's probabilities are the average of its members'
//! (checked against the members run one by one) and its predictions their argmax; the shipped
//! ensemble manifest names files that exist and hold MNIST models.

use convplay::backend::cpu::backend::Cpu;
use convplay::model::Model;
use convplay::train::{ensemble, evaluate, Dataset, Settings};

#[test]
fn mnist_best_builds_and_its_recipe_resolves() {
    let spec = convplay::presets::preset("mnist-best").unwrap();
    assert_eq!(spec.name, "mnist-best");
    let model = Model::new(Cpu::new(), &spec, 2, 1).unwrap();
    assert_eq!((model.classes, model.param_count()), (10, 198_250));
    let s = Settings::resolve(&Default::default(), spec.training.as_ref());
    assert_eq!((s.epochs, s.batch, s.lr), (6, 32, 0.003));
    assert_eq!((s.optimizer.as_str(), s.schedule.as_str()), ("adam", "onecycle"));
    assert_eq!((s.augment.shift, s.augment.rotate_deg, s.augment.scale), (2.0, 10.0, 0.1));
    s.validate().unwrap();
    // The description says what gets it there.
    let description = spec.source["description"].as_str().unwrap();
    for word in ["augment", "one-cycle", "ensemble"] {
        assert!(description.contains(word), "the description names {word}: {description}");
    }
}

/// A small classifier over 6×6×1 inputs, 3 classes.
const TINY: &str = r#"{"name": "tiny", "input": [6, 6, 1], "layers": [
  {"type": "conv2d", "filters": 2, "kernel_size": 3, "activation": "relu"},
  {"type": "flatten"},
  {"type": "dense", "units": 3, "activation": "softmax"}]}"#;

#[test]
fn an_ensemble_averages_its_members_probabilities() {
    let spec = convplay::spec::parse(TINY).unwrap();
    let pixels: Vec<u8> = (0..5 * 36).map(|i| ((i * 37) % 256) as u8).collect();
    let labels = [0u8, 1, 2, 1, 0];
    let data = Dataset { pixels: &pixels, labels: &labels, per: 36 };
    // Two members with different random weights; batch 2 so the data takes three batches.
    let mut members = Vec::new();
    let mut alone = Vec::new();
    for seed in [3, 4] {
        let mut m = Model::new(Cpu::new(), &spec, 2, seed).unwrap();
        let p = pollster::block_on(ensemble::probabilities(&mut m, &data)).unwrap();
        assert_eq!(p.len(), 5 * 3);
        // Instance by instance, through predict, the same values.
        for i in 0..5 {
            let x: Vec<f32> = pixels[i * 36..(i + 1) * 36].iter().map(|&v| v as f32 / 255.0).collect();
            m.set_input(&x).unwrap();
            let one = pollster::block_on(m.predict(1)).unwrap();
            for (a, b) in one.iter().zip(&p[i * 3..i * 3 + 3]) {
                assert!((a - b).abs() < 1e-6, "member {seed}, instance {i}: {one:?} vs {:?}", &p[i * 3..i * 3 + 3]);
            }
        }
        // Alone, its argmax is what evaluate predicts.
        let (acc, predicted) = pollster::block_on(evaluate(&mut m, &data)).unwrap();
        assert_eq!(ensemble::accuracy(&p, 3, &labels).unwrap(), (acc, predicted.clone()));
        alone.push(predicted);
        members.push(p);
    }
    let mean = ensemble::mean(&members).unwrap();
    for (j, v) in mean.iter().enumerate() {
        assert!((v - (members[0][j] + members[1][j]) / 2.0).abs() < 1e-7);
    }
    let (_, predicted) = ensemble::accuracy(&mean, 3, &labels).unwrap();
    for (i, &p) in predicted.iter().enumerate() {
        let row = &mean[i * 3..i * 3 + 3];
        assert!(row.iter().all(|&v| v <= row[p as usize]), "instance {i}: {row:?} → {p}");
    }
    // A member over other instances is refused.
    let short = Dataset { pixels: &pixels[..36], labels: &labels[..1], per: 36 };
    let mut m = Model::new(Cpu::new(), &spec, 2, 5).unwrap();
    members.push(pollster::block_on(ensemble::probabilities(&mut m, &short)).unwrap());
    assert!(ensemble::mean(&members).unwrap_err().to_string().contains("member 3 gave 3"));
}

#[test]
fn the_shipped_ensemble_names_mnist_models_that_score_together() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../www/public");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("models/mnist-best.json")).unwrap()).unwrap();
    let members: Vec<&str> = manifest["members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(members.len() >= 2, "an ensemble: {members:?}");
    let measured = manifest["measured"]["members"].as_array().unwrap();
    assert_eq!(measured.len(), members.len(), "a measured accuracy per member");
    // The first 200 test digits, each model and the ensemble (debug builds are slow).
    let (im, lb) = convplay::data::idx::read_split(&root.join("data/mnist"), "t10k").unwrap();
    let test = Dataset { pixels: &im.pixels[..200 * 784], labels: &lb.labels[..200], per: 784 };
    let mut probs = Vec::new();
    for m in &members {
        let file = convplay::weights::read(&std::fs::read(root.join("models").join(m)).unwrap()).unwrap();
        assert_eq!(file.spec.input, convplay::spec::Shape::Map { h: 28, w: 28, c: 1 }, "{m}");
        let mut model = Model::new(Cpu::new(), &file.spec, 100, 1).unwrap();
        assert_eq!(model.classes, 10, "{m}");
        convplay::weights::load_into(&model, &file).unwrap();
        probs.push(pollster::block_on(ensemble::probabilities(&mut model, &test)).unwrap());
    }
    let (acc, _) = ensemble::accuracy(&ensemble::mean(&probs).unwrap(), 10, test.labels).unwrap();
    assert!(acc >= 0.99, "the ensemble on 200 test digits: {acc}");
}
