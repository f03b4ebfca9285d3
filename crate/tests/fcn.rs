//! Dense → convolution (`convplay::fcn`): the converted net computes the original's numbers on
//! the original input, slides it over a wider one (each column of the output grid is the
//! original model on the window at that position), and refuses what has no sliding equivalent.

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::gpu::backend::Gpu;
use convplay::backend::ops::Backend;
use convplay::fcn::{convert, convert_weights, Tensors};
use convplay::model::Model;
use convplay::spec::{parse, ModelSpec};
use convplay::summary::summarize;
use convplay::weights;
use std::rc::Rc;

fn shipped() -> Vec<u8> {
    std::fs::read(common::repo_root().join("www/public/models/mnist-seed-001.safetensors")).unwrap()
}

/// The first `n` MNIST test digits as f32 in [0, 1].
fn digits(n: usize) -> Vec<f32> {
    let gz = std::fs::read(common::repo_root().join("www/public/data/mnist/t10k-images-idx3-ubyte.gz")).unwrap();
    let images = convplay::data::idx::read_images(&gz).unwrap();
    images.pixels[..n * 784].iter().map(|&p| p as f32 / 255.0).collect()
}

fn model_of<B: Backend>(be: B, file: &weights::WeightsFile, batch: usize) -> Model<B> {
    let m = Model::new(be, &file.spec, batch, 1).unwrap();
    weights::load_into(&m, file).unwrap();
    m
}

fn predict<B: Backend>(m: &mut Model<B>, x: &[f32]) -> Vec<f32> {
    let n = m.set_input(x).unwrap();
    pollster::block_on(m.predict(n)).unwrap()
}

fn worst(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// The shipped model and its conversion agree on 28×28 digits; on 28×112 the output is a
/// 1×22 grid (stride 4: two 2×2 poolings), each cell the original model on its window.
fn shipped_model_converts<B: Backend>(be: impl Fn() -> B) {
    let file = weights::read(&shipped()).unwrap();
    let x = digits(6);
    let mut original = model_of(be(), &file, 6);
    let want = predict(&mut original, &x);
    let same = weights::read(&convert_weights(&shipped(), 28, 28).unwrap()).unwrap();
    let mut fcn = model_of(be(), &same, 6);
    assert_eq!((fcn.classes, fcn.positions), (10, 1));
    let got = predict(&mut fcn, &x);
    assert!(worst(&want, &got) < 1e-5, "28×28: probabilities differ by {}", worst(&want, &got));

    // Two digits side by side with blank space around them on a 28×112 canvas.
    let mut canvas = vec![0.0f32; 28 * 112];
    for (d, at) in [(0usize, 8usize), (1, 64)] {
        for y in 0..28 {
            for xx in 0..28 {
                canvas[y * 112 + at + xx] = x[d * 784 + y * 28 + xx];
            }
        }
    }
    let wide = weights::read(&convert_weights(&shipped(), 28, 112).unwrap()).unwrap();
    let summary = summarize(&wide.spec, 1);
    assert_eq!(summary.rows.last().unwrap().output.to_string(), "1×22×10");
    let mut fcn = model_of(be(), &wide, 1);
    assert_eq!((fcn.classes, fcn.positions), (10, 22));
    let grid = predict(&mut fcn, &canvas);
    assert_eq!(grid.len(), 22 * 10);
    for j in 0..22 {
        let window: Vec<f32> = (0..28).flat_map(|y| canvas[y * 112 + 4 * j..y * 112 + 4 * j + 28].to_vec()).collect();
        let one = predict(&mut original, &window);
        let cell = &grid[j * 10..(j + 1) * 10];
        assert!(worst(&one[..10], cell) < 1e-5, "cell {j}: {:?} vs {:?}", &one[..10], cell);
    }
    // The windows that hold a digit exactly classify it as the original does.
    let top = |p: &[f32]| p.iter().enumerate().fold(0, |b, (i, &v)| if v > p[b] { i } else { b });
    assert_eq!(top(&grid[2 * 10..3 * 10]), top(&want[..10]));
    assert_eq!(top(&grid[16 * 10..17 * 10]), top(&want[10..20]));
}

#[test]
fn the_shipped_model_converted_equals_the_original_and_slides_on_cpu() {
    shipped_model_converts(Cpu::new);
}

#[test]
fn the_shipped_model_converted_equals_the_original_and_slides_on_gpu() {
    let Some(ctx) = common::gpu() else { return };
    let ctx = Rc::new(ctx);
    shipped_model_converts(|| Gpu::new(ctx.clone()));
}

fn tensors_of<B: Backend>(m: &Model<B>) -> Tensors {
    let values = pollster::block_on(m.read_params()).unwrap();
    m.params.iter().zip(values).map(|(p, (n, v))| (n, (p.shape.clone(), v))).collect()
}

/// A dense net on the image itself (flatten first), with dropout, batch norm and an
/// activation layer between its dense layers: converted, it gives the same probabilities.
#[test]
fn a_dense_net_on_the_image_with_dropout_and_batch_norm_converts() {
    let spec = parse(
        r#"{"name": "mlp", "input": [6, 5, 2], "layers": [
        {"type": "flatten"}, {"type": "dropout", "rate": 0.3},
        {"type": "dense", "units": 7, "activation": "tanh"},
        {"type": "batch_norm"}, {"type": "relu"}, {"type": "dropout", "rate": 0.5},
        {"type": "dense", "name": "out", "units": 4, "activation": "softmax"}]}"#,
    )
    .unwrap();
    let mut m = Model::new(Cpu::new(), &spec, 3, 9).unwrap();
    // Move batch norm's statistics and weights off their start by a few steps.
    let x = common::random_vec(3 * 60, 4);
    for _ in 0..5 {
        m.train_step(&x, &[0, 1, 3], convplay::optim::Optimizer::adam().step(0.05)).unwrap();
    }
    let want = predict(&mut m, &x);
    let c = convert(&spec, &tensors_of(&m), 6, 5).unwrap();
    let kinds: Vec<&str> = c.spec["layers"].as_array().unwrap().iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["dropout", "conv2d", "batch_norm", "relu", "dropout", "conv2d"]);
    assert_eq!(c.spec["layers"][1]["kernel_size"], serde_json::json!([6, 5]));
    assert_eq!(c.spec["layers"][5]["kernel_size"], serde_json::json!([1, 1]));
    let spec2: ModelSpec = parse(&c.spec.to_string()).unwrap();
    let fcn = Model::new(Cpu::new(), &spec2, 3, 1).unwrap();
    for (name, shape, values) in &c.tensors {
        let p = fcn.params.iter().find(|p| &p.name == name).unwrap();
        assert_eq!(&p.shape, shape);
        fcn.be.write(&p.value, values);
    }
    let mut fcn = fcn;
    let got = predict(&mut fcn, &x);
    assert!(worst(&want, &got) < 1e-5, "{want:?} vs {got:?}");
    // A wider input gives a grid of (7 − 6 + 1) × (9 − 5 + 1) positions.
    let wide = convert(&spec, &tensors_of(&m), 7, 9).unwrap();
    let s = summarize(&parse(&wide.spec.to_string()).unwrap(), 1);
    assert_eq!(s.rows.last().unwrap().output.to_string(), "2×5×4");
}

#[test]
fn what_cannot_be_converted_is_refused_with_the_reason() {
    let refused = |json: &str, h: usize, w: usize| {
        let spec = parse(json).unwrap();
        let m = Model::new(Cpu::new(), &spec, 1, 1).unwrap();
        convert(&spec, &tensors_of(&m), h, w).err().unwrap().to_string()
    };
    let e = refused(
        r#"{"input": [8, 8, 1], "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3},
        {"type": "global_avg_pool2d"}, {"type": "dense", "units": 3, "activation": "softmax"}]}"#,
        8,
        16,
    );
    assert!(e.starts_with("cannot make this model fully convolutional: layer \"global_avg_pool2d_1\" (global_avg_pool2d) averages over the whole map"), "{e}");
    let e = refused(r#"{"input": [16], "layers": [{"type": "dense", "units": 3, "activation": "softmax"}]}"#, 4, 4);
    assert!(e.contains("its input is a flat vector of 16 values"), "{e}");
    let e = refused(
        r#"{"input": [4, 4, 1], "layers": [{"type": "flatten"}, {"type": "batch_norm"},
        {"type": "dense", "units": 3, "activation": "softmax"}]}"#,
        4,
        4,
    );
    assert!(e.contains("stands between a flatten and the dense layer that reads it"), "{e}");
    let e = refused(
        r#"{"input": [4, 4, 1], "layers": [{"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"}]}"#,
        3,
        8,
    );
    assert!(e.contains("at least as large as the model's own 4×4, got 3×8"), "{e}");
    let e = refused(
        r#"{"input": [4, 4, 3], "layers": [{"type": "squeeze_excite", "ratio": 1}, {"type": "flatten"},
        {"type": "dense", "units": 3, "activation": "softmax"}]}"#,
        4,
        8,
    );
    assert!(e.contains("(squeeze_excite) averages over the whole map"), "{e}");
}
