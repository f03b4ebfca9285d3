//! The core trainer (`train::Trainer`), the one training path of the page, the JS API and the
//! CLI: its epoch loop against `train_epoch`, the schedule's steps, the data checks, weights
//! files, and the optimizer by name — AdamW decays (by the recipe's weight decay, else Keras's
//! 0.004), which the CLI's hard-coded 1e-4 and the page's Adam-for-AdamW both got wrong.

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::model::Model;
use convplay::optim::Optimizer;
use convplay::spec::{parse, Recipe};
use convplay::train::{train_epoch, Data, FloatDataset, Settings, Trainer};
use convplay::{with_model, Engine};

const TINY: &str = r#"{"name": "tiny", "input": [3, 3, 1], "layers": [
    {"type": "conv2d", "name": "conv", "filters": 2, "kernel_size": 2, "activation": "relu"},
    {"type": "flatten"},
    {"type": "dense", "name": "out", "units": 3, "activation": "softmax"}
]}"#;

fn cpu() -> Engine {
    Engine::Cpu { fallback_reason: None }
}

/// 24 instances of 9 values in [0, 1) and labels 0..3, from a fixed recipe.
fn data() -> (Vec<f32>, Vec<u8>) {
    let x = (0..24 * 9).map(|i| ((i * 37 + 11) % 101) as f32 / 101.0).collect();
    let y = (0..24).map(|i| (i % 3) as u8).collect();
    (x, y)
}

fn params(t: &Trainer) -> Vec<(String, Vec<f32>)> {
    with_model!(t.model(), m => pollster::block_on(m.read_params())).unwrap()
}

/// A tiny model trained for two epochs of 3 batches with `kind` (and `weight_decay`) at 0.01.
fn trained(kind: &str, weight_decay: Option<f32>) -> Vec<(String, Vec<f32>)> {
    let mut t = Trainer::new(&cpu(), &parse(TINY).unwrap(), 8, 7).unwrap();
    let (x, y) = data();
    t.set_train_data(Data::F32(x), y).unwrap();
    t.set_optimizer(kind, weight_decay).unwrap();
    t.set_schedule("constant", 0.01, 6, 3).unwrap();
    for epoch in 0..2 {
        let n = t.start_epoch(epoch).unwrap();
        assert_eq!(t.train_batches(n).unwrap(), 3);
    }
    params(&t)
}

fn max_diff(a: &[(String, Vec<f32>)], b: &[(String, Vec<f32>)]) -> f32 {
    assert_eq!(a.len(), b.len(), "parameter counts");
    a.iter()
        .zip(b)
        .flat_map(|((name, u), (_, v))| {
            assert_eq!(u.len(), v.len(), "{name} lengths");
            u.iter().zip(v).map(|(p, q)| (p - q).abs())
        })
        .fold(0.0, f32::max)
}

#[test]
fn adamw_decays_the_weights_adam_does_not() {
    let adam = trained("adam", None);
    let adamw = trained("adamw", None);
    let adamw_0 = trained("adamw", Some(0.0));
    // Without decay AdamW is Adam, to the bit; with Keras's 0.004 every weight is pulled in.
    assert_eq!(adamw_0, adam);
    let d = max_diff(&adam, &adamw);
    assert!(d > 1e-6, "AdamW trained like Adam (largest difference {d})");
    // Decoupled decay shrinks the kernels: summed over the run, about lr · wd · |w| per step.
    let norm = |p: &[(String, Vec<f32>)]| p.iter().flat_map(|(_, v)| v.iter().map(|x| x * x)).sum::<f32>();
    assert!(norm(&adamw) < norm(&adam), "{} !< {}", norm(&adamw), norm(&adam));
}

#[test]
fn the_recipe_weight_decay_reaches_the_optimizer() {
    let with = |training: &str| {
        let spec = parse(&TINY.replacen("\"input\"", &format!("\"training\": {training}, \"input\""), 1)).unwrap();
        spec.training
    };
    // The recipe's weight decay, unless the caller gives one; AdamW's default without either.
    let recipe = with(r#"{"optimizer": "adamw", "weight_decay": 0.01, "lr": 0.002, "epochs": 3}"#);
    let s = Settings::resolve(&Recipe::default(), recipe.as_ref());
    assert_eq!(s.optimizer().unwrap(), Optimizer::named("adamw", Some(0.01)).unwrap());
    assert_eq!((s.epochs, s.batch, s.lr, s.schedule.as_str()), (3, 64, 0.002, "constant"));
    let given = Recipe { weight_decay: Some(0.05), ..Default::default() };
    assert_eq!(Settings::resolve(&given, recipe.as_ref()).optimizer().unwrap().weight_decay(), 0.05);
    let plain = with(r#"{"optimizer": "adamw"}"#);
    assert_eq!(Settings::resolve(&Recipe::default(), plain.as_ref()).optimizer().unwrap().weight_decay(), 0.004);
    let given = Recipe { optimizer: Some("adam".into()), ..Default::default() };
    assert_eq!(Settings::resolve(&given, plain.as_ref()).optimizer().unwrap(), Optimizer::adam());

    // Applied to a trainer: the optimizer, and a schedule over the settings' epochs.
    let mut t = Trainer::new(&cpu(), &parse(TINY).unwrap(), 8, 1).unwrap();
    let (x, y) = data();
    t.set_train_data(Data::F32(x), y).unwrap();
    let s = Settings { schedule: "step".into(), ..Settings::resolve(&Recipe::default(), recipe.as_ref()) };
    t.apply(&s).unwrap();
    assert_eq!(t.optimizer().weight_decay(), 0.01);
    let n = t.start_epoch(1).unwrap();
    assert_eq!(n, 3);
    t.train_batches(n).unwrap();
    assert_eq!(t.lr(), 0.001, "the step schedule halves the rate every epoch of 3 batches");
    let bad = Settings { optimizer: "rmsprop".into(), ..s.clone() };
    assert_eq!(
        bad.validate().unwrap_err().message(),
        "unknown optimizer \"rmsprop\": use \"adam\", \"adamw\" or \"sgd\""
    );
    assert!(Settings { weight_decay: Some(1.5), ..s }.validate().is_err());
}

#[test]
fn batches_in_chunks_train_as_one_epoch_of_train_epoch() {
    let spec = parse(TINY).unwrap();
    let (x, y) = data();
    let mut t = Trainer::new(&cpu(), &spec, 8, 3).unwrap();
    t.set_train_data(Data::F32(x.clone()), y.clone()).unwrap();
    t.set_optimizer("sgd", None).unwrap();
    t.set_schedule("constant", 0.05, 3, 3).unwrap();
    assert_eq!(t.start_epoch(9).unwrap(), 3);
    assert_eq!(t.train_batches(1).unwrap(), 1);
    assert_eq!(t.train_batches(5).unwrap(), 3, "an epoch ends at its last batch");
    assert_eq!(t.train_batches(1).unwrap(), 3);
    let (_, _, n) = pollster::block_on(t.take_metrics()).unwrap();
    assert_eq!(n, 24);

    let mut m = Model::new(Cpu::new(), &spec, 8, 3).unwrap();
    let sgd = Optimizer::named("sgd", None).unwrap();
    let set = FloatDataset { values: &x, labels: &y, per: 9 };
    pollster::block_on(train_epoch(&mut m, &set, |_| sgd.step(0.05), 9)).unwrap();
    assert_eq!(params(&t), pollster::block_on(m.read_params()).unwrap());
}

#[test]
fn data_checks_and_call_order_are_errors_that_say_what_to_do() {
    let mut t = Trainer::new(&cpu(), &parse(TINY).unwrap(), 8, 1).unwrap();
    assert_eq!(t.start_epoch(1).unwrap_err().message(), "no training data: call setTrainData first");
    assert_eq!(t.train_batches(1).unwrap_err().message(), "no epoch started: call startEpoch first");
    assert_eq!(pollster::block_on(t.evaluate()).unwrap_err().message(), "no evaluation data: call setEvalData first");
    assert_eq!(
        t.set_train_data(Data::U8(vec![0; 10]), vec![1]).unwrap_err().message(),
        "training data: 10 values for 1 labels, but the model takes 9 values per instance; pass inputs and labels that belong together"
    );
    assert_eq!(
        t.set_eval_data(Data::U8(vec![0; 9]), vec![3]).unwrap_err().message(),
        "evaluation data: label 3 is out of range for 3 classes"
    );
    assert!(t.set_optimizer("rmsprop", None).is_err());
    assert!(t.set_schedule("linear", 0.1, 10, 5).is_err());
    assert!(t.set_labels(vec!["a".into(), " ".into(), "c".into()]).is_err());
    assert!(t.set_preprocessing_json("[1]").is_err());
}

#[test]
fn weights_files_carry_labels_and_preprocessing_and_evaluation_matches() {
    let engine = cpu();
    let mut t = Trainer::new(&engine, &parse(TINY).unwrap(), 8, 5).unwrap();
    assert_eq!(t.labels(), ["0", "1", "2"]);
    t.set_labels(vec!["a".into(), "b".into(), "c".into()]).unwrap();
    t.set_preprocessing_json(r#"{"scale": 0.5}"#).unwrap();
    let (x, y) = data();
    let pixels: Vec<u8> = x.iter().map(|v| (v * 255.0) as u8).collect();
    t.set_train_data(Data::U8(pixels.clone()), y.clone()).unwrap();
    t.set_eval_data(Data::U8(pixels), y).unwrap();
    let n = t.start_epoch(2).unwrap();
    t.train_batches(n).unwrap();
    let acc = pollster::block_on(t.evaluate()).unwrap();
    let bytes = pollster::block_on(t.save_as(convplay::weights::Storage::named("f32").unwrap())).unwrap();
    let mut back = Trainer::from_weights(&engine, &bytes, 4).unwrap();
    assert_eq!(back.labels(), ["a", "b", "c"]);
    assert_eq!(back.preprocessing()["scale"], 0.5);
    assert_eq!(params(&back), params(&t));
    let (x, y) = data();
    back.set_eval_data(Data::U8(x.iter().map(|v| (v * 255.0) as u8).collect()), y).unwrap();
    assert_eq!(pollster::block_on(back.evaluate()).unwrap(), acc);
    assert_eq!(back.last_predictions(), t.last_predictions());
    assert_eq!(
        convplay::weights::Storage::named("f8").unwrap_err().message(),
        "unknown weights format \"f8\": use \"f32\", \"f16\" or \"int8\""
    );
    // Copying weights into a fresh trainer of the same spec copies every parameter.
    let mut fresh = Trainer::new(&engine, &parse(TINY).unwrap(), 8, 99).unwrap();
    assert_eq!(pollster::block_on(fresh.copy_weights_from(&t)).unwrap(), 4);
    assert_eq!(params(&fresh), params(&t));
}

/// `train_and_report` reports the batches before it and trains the ones it is given, on each
/// backend: the same figures and weights as `train_batches` then `take_metrics`, one chunk later.
#[test]
fn a_report_that_trains_ahead_gives_the_same_figures_and_weights() {
    let mut engines = vec![cpu()];
    if let Some(ctx) = common::gpu() {
        engines.push(Engine::Gpu(std::rc::Rc::new(ctx)));
    }
    let spec = parse(TINY).unwrap();
    let (x, y) = data();
    let fresh = |engine: &Engine| {
        let mut t = Trainer::new(engine, &spec, 8, 4).unwrap();
        t.set_train_data(Data::F32(x.clone()), y.clone()).unwrap();
        t.set_schedule("constant", 0.05, 3, 3).unwrap();
        assert_eq!(t.start_epoch(2).unwrap(), 3);
        t
    };
    for engine in &engines {
        let name = if matches!(engine, Engine::Gpu(_)) { "gpu" } else { "cpu" };
        // One chunk of 1 batch, then 2: reported after each, the device drained each time.
        let mut plain = fresh(engine);
        plain.train_batches(1).unwrap();
        let first = pollster::block_on(plain.take_metrics()).unwrap();
        plain.train_batches(2).unwrap();
        let second = pollster::block_on(plain.take_metrics()).unwrap();
        // The same chunks, each report taken after the next chunk is recorded.
        let mut ahead = fresh(engine);
        assert_eq!(ahead.train_batches(1).unwrap(), 1);
        let (loss, acc, n, done) = pollster::block_on(ahead.train_and_report(2)).unwrap();
        assert_eq!((loss, acc, n, done), (first.0, first.1, 8, 3), "{name}: the first chunk's report");
        let (loss, acc, n, done) = pollster::block_on(ahead.train_and_report(2)).unwrap();
        assert_eq!((n, done), (16, 3), "{name}: the epoch had no batch left to train");
        assert!((loss - second.0).abs() < 1e-6 && (acc - second.1).abs() < 1e-6, "{name}: {loss} {acc} vs {second:?}");
        assert_eq!(params(&ahead), params(&plain), "{name}: the same weights");
        assert!(first.0 > 0.0 && second.2 == 16, "{first:?} {second:?}");
    }
}
