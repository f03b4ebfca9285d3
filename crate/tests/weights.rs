//! Weights files: save → load round trip is bit-exact for f32, the file rebuilds its model,
//! and damaged or mismatched files are errors that name the problem.

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::ops::{Backend, OptimStep};
use convplay::model::Model;
use convplay::presets::preset;
use convplay::weights::{load_into, read, save, Extra};

fn trained() -> (Model<Cpu>, Vec<f32>) {
    let spec = preset("seed-004").unwrap();
    let mut m = Model::new(Cpu::new(), &spec, 8, 3).unwrap();
    let x = common::random_vec(8 * 784, 1).iter().map(|v| v.abs()).collect::<Vec<_>>();
    let y = [0u8, 1, 2, 3, 4, 5, 6, 7];
    for _ in 0..3 {
        m.train_step(&x, &y, OptimStep::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7, t: 0, weight_decay: 0.0, decoupled: false }).unwrap();
    }
    (m, x)
}

fn predict<B: Backend>(m: &mut Model<B>, x: &[f32]) -> Vec<f32> {
    let n = m.set_input(x).unwrap();
    pollster::block_on(m.predict(n)).unwrap()
}

#[test]
fn round_trip_is_bit_exact_and_self_describing() {
    let (mut m, x) = trained();
    let extra = Extra { labels: Some((0..10).map(|d| d.to_string()).collect()), preprocessing: Some(serde_json::json!({"scale": 1.0 / 255.0})) };
    let bytes = pollster::block_on(save(&m, &extra)).unwrap();
    let file = read(&bytes).unwrap();
    assert_eq!(file.spec.name, "seed-004");
    assert_eq!(file.extra.labels.as_ref().unwrap()[7], "7");
    let mut m2 = Model::new(Cpu::new(), &file.spec, 8, 99).unwrap();
    load_into(&m2, &file).unwrap();
    let (a, b) = (pollster::block_on(m.read_params()).unwrap(), pollster::block_on(m2.read_params()).unwrap());
    assert_eq!(a.len(), b.len());
    for ((na, va), (nb, vb)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        assert!(va.iter().zip(vb).all(|(p, q)| p.to_bits() == q.to_bits()), "{na} differs");
    }
    assert_eq!(predict(&mut m, &x), predict(&mut m2, &x));
    // BN moving statistics travel too (they moved during training).
    assert!(file.tensors["batch_norm_1/moving_mean"].1.iter().any(|v| *v != 0.0));
}

#[test]
fn loads_on_the_gpu_and_predicts_the_same() {
    let Some(ctx) = common::gpu() else { return };
    let (mut m, x) = trained();
    let file = read(&pollster::block_on(save(&m, &Extra::default())).unwrap()).unwrap();
    let mut g = Model::new(convplay::backend::gpu::backend::Gpu::new(std::rc::Rc::new(ctx)), &file.spec, 8, 5).unwrap();
    load_into(&g, &file).unwrap();
    for (p, q) in predict(&mut m, &x).iter().zip(predict(&mut g, &x)) {
        assert!((p - q).abs() < 1e-4, "cpu {p} vs gpu {q}");
    }
}

#[test]
fn damaged_and_mismatched_files_are_errors() {
    let (m, _) = trained();
    let bytes = pollster::block_on(save(&m, &Extra::default())).unwrap();
    let e = read(&bytes[..bytes.len() - 100]).err().unwrap();
    assert!(e.message().starts_with("this is not a readable safetensors file ("), "{e}");
    assert!(e.message().ends_with("it may be truncated or not a weights file: save or download it again"), "{e}");
    assert!(read(b"not a file").is_err());
    assert!(read(&[]).is_err());
    // A model of another shape: each mismatch by name.
    let other = convplay::spec::parse(
        r#"{"input": [28, 28, 1], "layers": [{"type": "conv2d", "filters": 16, "kernel_size": 3, "activation": "relu"},
            {"type": "flatten"}, {"type": "dense", "units": 10, "activation": "softmax"}]}"#,
    )
    .unwrap();
    let small = Model::new(Cpu::new(), &other, 1, 1).unwrap();
    let e = load_into(&small, &read(&bytes).unwrap()).unwrap_err();
    let msg = e.message();
    assert!(msg.starts_with("the weights do not match the model:\n"), "{msg}");
    assert!(msg.contains("conv2d_1/kernel: shape [3, 3, 1, 32] in the file, [3, 3, 1, 16] in the model"), "{msg}");
    assert!(msg.contains("dense_1/kernel: shape [3200, 128] in the file, [10816, 10] in the model"), "{msg}");
    assert!(msg.contains("batch_norm_1/gamma: in the file but not in the model"), "{msg}");
    // A safetensors file without ConvPlay's metadata.
    let data = [0u8; 8];
    let view = safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![2], &data).unwrap();
    let plain = safetensors::serialize([("w", view)], None).unwrap();
    assert!(read(&plain).err().unwrap().message().starts_with("this safetensors file has no ConvPlay metadata"));
}
