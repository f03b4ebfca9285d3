//! Fuzzing the page's exports end to end: random models built from every layer type (blocks
//! included), each driven through a random sequence of the calls `web/` exports (data of
//! wrong and right lengths, names that exist and that do not, optimizer and schedule names,
//! NaN and infinite numbers, save → load, copying weights between unrelated models, features,
//! inspect, predict, evaluate…) on the CPU backend, the engine of every browser. Every call
//! must return `Ok` or `Err`: a panic here would be a wasm `unreachable` in the page and a lost
//! model. The library forbids explicit panics by lint (`lib.rs`); this covers what lints cannot
//! (indexing in kernels whose sizes come from a spec the parser accepted).
//!
//! In `npm test` it runs a fixed number of models (`RUNS`, seconds on 2 cores);
//! `CONVPLAY_FUZZ_SECONDS=600 cargo test --release --test fuzz_exports -- --nocapture` runs
//! for that long instead (`CONVPLAY_FUZZ_SEED` changes the seed). A failing case is written to
//! `target/fuzz-findings/` as the spec and the list of calls that led to the panic.

mod common;

use convplay::backend::cpu::augment::Augment;
use convplay::backend::cpu::backend::Cpu;
use convplay::backend::gpu::backend::Gpu;
use convplay::backend::Engine;
use convplay::model::{AnyModel, Model};
use convplay::train::{Data, Trainer};
use convplay::weights::Storage;
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Models per run in CI; each gets up to `CALLS` calls.
const RUNS: usize = 20_000;
const GPU_RUNS: usize = 600;
const CALLS: usize = 14;
/// What one model may allocate: small models train in milliseconds, larger ones are refused.
const BUDGET: u64 = 24 << 20;

struct Rng {
    state: u64,
    /// Hostile specs get odd numbers and names now and then; the others are meant to build.
    hostile: bool,
}

impl Rng {
    fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn odd(&mut self) -> bool {
        self.hostile && self.chance(8)
    }
    /// A size from 1 to `small`; in a hostile spec, now and then not.
    fn size(&mut self, small: usize) -> Value {
        if self.odd() {
            self.pick(&[json!(0), json!(-1), json!(1.5), json!(65536), json!(u32::MAX), json!("3"), json!(null)])
                .clone()
        } else {
            json!(1 + self.below(small))
        }
    }
    /// A float, hostile now and then.
    fn float(&mut self, typical: f32) -> f32 {
        match self.below(12) {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => -typical,
            3 => 0.0,
            4 => 1e30,
            _ => typical * (self.below(1000) as f32 / 500.0),
        }
    }
    /// A spec's number in [0, 1): valid unless hostile.
    fn fraction(&mut self, typical: f64) -> Value {
        if self.odd() {
            self.pick(&[json!(-0.5), json!(1.0), json!(1e300), json!("0.5")]).clone()
        } else {
            json!(typical)
        }
    }
    fn text<'a>(&mut self, valid: &[&'a str], hostile: &'a str) -> &'a str {
        if self.odd() {
            hostile
        } else {
            valid[self.below(valid.len())]
        }
    }
}

fn activation(rng: &mut Rng) -> &'static str {
    rng.text(&["relu", "tanh", "sigmoid", "linear", "relu6", "leaky_relu"], "bogus")
}

/// A layer that takes and gives a height×width×channels map (blocks nest up to depth 2).
fn spatial(rng: &mut Rng, depth: usize) -> Value {
    let act = activation(rng);
    let padding = rng.text(&["same", "valid"], "wrong");
    match rng.below(if depth > 1 { 13 } else { 15 }) {
        0 | 1 => json!({"type": "conv2d", "filters": rng.size(6), "kernel_size": rng.size(3), "strides": rng.size(2),
            "padding": padding, "activation": act}),
        2 => json!({"type": "separable_conv2d", "filters": rng.size(5), "kernel_size": rng.size(3), "padding": padding,
            "activation": act}),
        3 => {
            json!({"type": "depthwise_conv2d", "kernel_size": rng.size(3), "strides": rng.size(2), "padding": padding})
        }
        4 => json!({"type": *rng.pick(&["max_pool2d", "avg_pool2d"]), "pool_size": rng.size(3), "strides": rng.size(2),
            "padding": padding}),
        5 => json!({"type": "batch_norm", "momentum": rng.fraction(0.9), "epsilon": rng.fraction(1e-3)}),
        6 => json!({"type": "dropout", "rate": rng.fraction(0.25)}),
        7 => json!({"type": "activation", "activation": act}),
        8 => json!({"type": "leaky_relu", "alpha": rng.fraction(0.2)}),
        9 => json!({"type": "lrn", "depth_radius": rng.size(3)}),
        10 => json!({"type": "squeeze_excite", "ratio": if rng.odd() { json!(64) } else { json!(1) }}),
        11 => json!({"type": "up_sampling2d", "size": rng.size(2),
            "interpolation": rng.text(&["nearest", "bilinear"], "bicubic")}),
        12 => json!({"type": "conv2d_transpose", "filters": rng.size(4), "kernel_size": rng.size(3),
            "strides": rng.size(2), "padding": padding, "activation": act, "use_bias": rng.chance(70)}),
        13 => json!({"type": "residual", "projection": rng.chance(50), "activation": act,
            "layers": (0..1 + rng.below(2)).map(|_| spatial(rng, depth + 1)).collect::<Vec<_>>()}),
        _ => json!({"type": "concat", "branches": (0..2 + rng.below(2))
            .map(|_| (0..rng.below(3)).map(|_| spatial(rng, depth + 1)).collect::<Vec<_>>()).collect::<Vec<_>>()}),
    }
}

/// A layer on a flat vector.
fn flat(rng: &mut Rng) -> Value {
    match rng.below(4) {
        0 => json!({"type": "dense", "units": rng.size(12), "activation": activation(rng)}),
        1 => json!({"type": "batch_norm"}),
        2 => json!({"type": "dropout", "rate": rng.fraction(0.5)}),
        _ => json!({"type": "relu"}),
    }
}

/// A random spec: spatial layers, a flatten or global pooling, flat layers and a softmax
/// over 2–10 classes; one in five is hostile (odd numbers, unknown names, layers out of order).
fn spec(rng: &mut Rng) -> String {
    rng.hostile = rng.chance(20);
    let flat_input = rng.chance(12);
    let input = if flat_input { json!([rng.size(40)]) } else { json!([rng.size(12), rng.size(12), rng.size(3)]) };
    let mut layers: Vec<Value> = Vec::new();
    if !flat_input {
        layers.extend((0..rng.below(5)).map(|_| spatial(rng, 0)));
        layers.push(json!({"type": *rng.pick(&["flatten", "flatten", "global_avg_pool2d"])}));
    }
    layers.extend((0..rng.below(3)).map(|_| flat(rng)));
    layers.push(json!({"type": "dense", "units": 2 + rng.below(9), "activation": "softmax"}));
    if rng.odd() {
        let at = rng.below(layers.len());
        layers.insert(at, json!({"type": *rng.pick(&["conv3d", "upsampling3d", ""]), "filters": 2}));
    }
    if rng.odd() {
        let (a, b) = (rng.below(layers.len()), rng.below(layers.len()));
        layers.swap(a, b);
    }
    if rng.odd() {
        let names = ["a", "a", "dense_1", "conv2d_1"];
        for l in layers.iter_mut() {
            l["name"] = json!(*rng.pick(&names));
        }
    }
    json!({"input": input, "layers": layers}).to_string()
}

/// Input values for `n` instances of `len` values, or a wrong length now and then.
fn values(rng: &mut Rng, len: usize, n: usize) -> Vec<f32> {
    let count = match rng.below(10) {
        0 => 0,
        1 => len * n + 1,
        2 => len.saturating_sub(1),
        _ => len * n,
    };
    (0..count).map(|i| if rng.chance(2) { f32::NAN } else { (i % 7) as f32 / 7.0 }).collect()
}

fn pixels(rng: &mut Rng, len: usize, n: usize) -> Vec<u8> {
    let count = if rng.chance(10) { len * n + rng.below(3) } else { len * n };
    (0..count).map(|i| (i * 37 % 256) as u8).collect()
}

fn labels(rng: &mut Rng, n: usize, classes: usize) -> Vec<u8> {
    let count = if rng.chance(10) { n + 1 } else { n };
    (0..count).map(|i| if rng.chance(3) { 200 } else { (i % classes.max(1)) as u8 }).collect()
}

/// One call on the trainer, chosen at random; its description goes to `log`.
fn call(rng: &mut Rng, engine: &Engine, t: &mut Trainer, other: &mut Option<Trainer>, log: &mut Vec<String>) {
    let len = t.input_size();
    let classes = t.classes();
    let n = 1 + rng.below(6);
    match rng.below(16) {
        0 => {
            let (x, y) = (pixels(rng, len, n), labels(rng, n, classes));
            log.push(format!("set_train_data(U8 {} values, {} labels)", x.len(), y.len()));
            let _ = t.set_train_data(Data::U8(x), y);
        }
        1 => {
            let (x, y) = (values(rng, len, n), labels(rng, n, classes));
            log.push(format!("set_train_data(F32 {} values, {} labels)", x.len(), y.len()));
            let _ = t.set_train_data(Data::F32(x), y);
        }
        2 => {
            let (x, y) = (pixels(rng, len, n), labels(rng, n, classes));
            log.push(format!("set_eval_data({} values, {} labels)", x.len(), y.len()));
            let _ = t.set_eval_data(Data::U8(x), y);
        }
        3 => {
            let seed = rng.next() as u32;
            log.push(format!("start_epoch({seed})"));
            let _ = t.start_epoch(seed);
        }
        4 | 5 => {
            let count = *rng.pick(&[0, 1, 2, 3, usize::MAX]);
            log.push(format!("train_batches({count})"));
            let _ = t.train_batches(count);
        }
        6 => {
            log.push("take_metrics".into());
            let _ = pollster::block_on(t.take_metrics());
        }
        7 => {
            log.push("evaluate + last_predictions".into());
            let _ = pollster::block_on(t.evaluate());
            let _ = t.last_predictions().len();
        }
        8 => {
            let x = values(rng, len, n);
            log.push(format!("predict({} values)", x.len()));
            let _ = pollster::block_on(t.predict(&x));
        }
        9 => {
            let x = values(rng, len, 1);
            let mut names = t.layer_names();
            if rng.chance(30) || names.is_empty() {
                names.push("no-such-layer".into());
            }
            let pick: Vec<String> = (0..1 + rng.below(3)).map(|_| rng.pick(&names).clone()).collect();
            log.push(format!("features({} values, {pick:?})", x.len()));
            let _ = pollster::block_on(t.features(&x, &pick));
        }
        10 => {
            let x = values(rng, len, 1);
            log.push(format!("inspect({} values) + first_kernel", x.len()));
            let _ = pollster::block_on(t.inspect(&x));
            let _ = pollster::block_on(t.first_kernel());
        }
        11 => {
            let kind = *rng.pick(&["adam", "adamw", "sgd", "rmsprop", ""]);
            let wd = if rng.chance(50) { None } else { Some(rng.float(1e-3)) };
            log.push(format!("set_optimizer({kind:?}, {wd:?})"));
            let _ = t.set_optimizer(kind, wd);
        }
        12 => {
            let kind = *rng.pick(&["constant", "step", "cosine", "onecycle", "warm"]);
            let (lr, total, per) = (rng.float(1e-3), *rng.pick(&[0, 1, 7, usize::MAX]), *rng.pick(&[0, 1, 3]));
            log.push(format!("set_schedule({kind:?}, {lr}, {total}, {per})"));
            let _ = t.set_schedule(kind, lr, total, per);
            let _ = t.lr();
        }
        13 => {
            let a = Augment { shift: rng.float(2.0), rotate_deg: rng.float(10.0), scale: rng.float(0.1) };
            log.push(format!("set_augment({a:?})"));
            let _ = t.set_augment(a);
        }
        14 => {
            let names: Vec<String> = (0..*rng.pick(&[0, classes, classes + 1])).map(|i| format!("c{i}")).collect();
            log.push(format!("set_labels({} names) + set_preprocessing", names.len()));
            let _ = t.set_labels(names);
            let json = *rng.pick(&[r#"{"mean": [0.5], "std": [0.25]}"#, "[1, 2]", "{", r#"{"size": [0, -1]}"#]);
            let _ = t.set_preprocessing_json(json);
        }
        _ => {
            let storage = *rng.pick(&["f32", "f16", "int8", "f8"]);
            log.push(format!("save_as({storage:?}) → from_weights (maybe corrupted) → copy_weights_from"));
            let Ok(storage) = Storage::named(storage) else { return };
            let Ok(mut bytes) = pollster::block_on(t.save_as(storage)) else { return };
            if rng.chance(30) && !bytes.is_empty() {
                let at = rng.below(bytes.len());
                bytes[at] ^= 1 << rng.below(8);
            }
            if let Ok(loaded) = Trainer::from_weights(engine, &bytes, 1 + rng.below(4)) {
                *other = Some(loaded);
            }
            if let Some(o) = other.as_ref() {
                let _ = pollster::block_on(t.copy_weights_from(o));
            }
        }
    }
}

fn trainer(engine: &Engine, spec: &str, batch: usize, seed: u32) -> Option<Trainer> {
    let spec = match convplay::spec::parse(spec) {
        Ok(s) => s,
        Err(e) => {
            if std::env::var("FUZZ_DEBUG").is_ok() {
                eprintln!("REFUSED {}", e.message().lines().next().unwrap_or(""));
            }
            return None;
        }
    };
    let model = match engine {
        Engine::Cpu { .. } => Model::new(Cpu::with_budget(BUDGET), &spec, batch, seed).map(AnyModel::Cpu),
        Engine::Gpu(ctx) => {
            Model::new(Gpu::new(ctx.clone()).with_budget(BUDGET), &spec, batch, seed).map(AnyModel::Gpu)
        }
    };
    let model = match model {
        Ok(m) => m,
        Err(e) => {
            if std::env::var("FUZZ_DEBUG").is_ok() {
                eprintln!("NOT BUILT {}", e.message().lines().next().unwrap_or(""));
            }
            return None;
        }
    };
    Some(Trainer::with_model(model))
}

fn fail(spec: &str, log: &[String], what: &str) -> ! {
    let dir = common::repo_root().join("target/fuzz-findings");
    let _ = std::fs::create_dir_all(&dir);
    let text = format!("spec: {spec}\ncalls:\n{}\n", log.join("\n"));
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    let path = dir.join(format!("exports-{hash:016x}.txt"));
    let _ = std::fs::write(&path, &text);
    panic!("fuzz exports: {what}; saved to {}\n{text}", path.display());
}

#[test]
fn fuzz_exports_on_random_models() {
    run(&Engine::Cpu { fallback_reason: None }, RUNS);
}

/// The same on the GPU backend (lavapipe here): fewer models, as each dispatch costs more.
#[test]
fn fuzz_exports_on_random_models_on_the_gpu() {
    let Some(ctx) = common::gpu() else { return };
    run(&Engine::Gpu(Rc::new(ctx)), GPU_RUNS);
}

fn run(engine: &Engine, runs: usize) {
    let seed: u64 = std::env::var("CONVPLAY_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(13);
    let deadline = std::env::var("CONVPLAY_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(|s| Instant::now() + Duration::from_secs(s));
    let mut rng = Rng { state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1, hostile: false };
    let started = Instant::now();
    let (mut models, mut built, mut calls, mut trained) = (0usize, 0usize, 0usize, 0usize);
    // A model from an earlier round, for copy_weights_from between unrelated models.
    let mut other: Option<Trainer> = None;
    loop {
        let text = spec(&mut rng);
        let batch = if rng.odd() { 0 } else { *rng.pick(&[1, 2, 4]) };
        let mut log = vec![format!("build at batch {batch}")];
        models += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            // What the model lab asks of every spec the learner types.
            let _ = convplay::spec::parse(&text).map(|s| convplay::summary::summarize(&s, batch.max(1)));
            let _ = convplay::fit::check_text(&text, batch, 1 << 30, Some((1 << 28, 1 << 27)));
            trainer(engine, &text, batch, rng.next() as u32)
        }));
        let mut t = match outcome {
            Ok(Some(t)) => t,
            Ok(None) => continue,
            Err(_) => fail(&text, &log, "building panicked"),
        };
        built += 1;
        // Most models get valid data and an epoch first, so later calls run real steps.
        if rng.chance(70) {
            let (len, classes, n) = (t.input_size(), t.classes(), 2 + rng.below(7));
            let (x, y) = (vec![128u8; len * n], (0..n).map(|i| (i % classes.max(1)) as u8).collect::<Vec<_>>());
            log.push(format!("set_train_data + set_eval_data({n} images) + start_epoch"));
            let primed = catch_unwind(AssertUnwindSafe(|| {
                let _ = t.set_train_data(Data::U8(x.clone()), y.clone());
                let _ = t.set_eval_data(Data::U8(x), y);
                let _ = t.start_epoch(7);
            }));
            if primed.is_err() {
                fail(&text, &log, "a call panicked");
            }
        }
        for _ in 0..1 + rng.below(CALLS) {
            calls += 1;
            let before = log.len();
            let outcome = catch_unwind(AssertUnwindSafe(|| call(&mut rng, engine, &mut t, &mut other, &mut log)));
            if outcome.is_err() {
                fail(&text, &log, "a call panicked");
            }
            if log[before..].iter().any(|l| l.starts_with("train_batches")) && t.train_len() > 0 {
                trained += 1;
            }
        }
        if rng.chance(20) {
            other = Some(t);
        }
        let done = match deadline {
            Some(d) => Instant::now() >= d,
            None => models >= runs,
        };
        if done {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "fuzz exports ({}): {models} random specs, {built} built, {calls} calls ({trained} training calls with data), \
         in {secs:.1} s, no panic",
        engine.info().kind
    );
    // The generator must reach the trainer, not only the parser.
    assert!(built * 4 >= models, "only {built} of {models} random specs built a model: the generator has drifted");
}
