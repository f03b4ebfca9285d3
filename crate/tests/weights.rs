//! Weights files: save → load round trip is bit-exact for f32, the file rebuilds its model,
//! and damaged or mismatched files are errors that name the problem.

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::ops::Backend;
use convplay::model::Model;
use convplay::presets::preset;
use convplay::weights::{load_into, read, save, Extra};

fn trained() -> (Model<Cpu>, Vec<f32>) {
    let spec = preset("seed-004").unwrap();
    let mut m = Model::new(Cpu::new(), &spec, 8, 3).unwrap();
    let x = common::random_vec(8 * 784, 1).iter().map(|v| v.abs()).collect::<Vec<_>>();
    let y = [0u8, 1, 2, 3, 4, 5, 6, 7];
    for _ in 0..3 {
        m.train_step(&x, &y, common::adam(1e-3)).unwrap();
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
    let extra = Extra {
        labels: Some((0..10).map(|d| d.to_string()).collect()),
        preprocessing: Some(serde_json::json!({"scale": 1.0 / 255.0})),
    };
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
        assert_eq!(va.len(), vb.len(), "{na} lengths");
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
    let (want, got) = (predict(&mut m, &x), predict(&mut g, &x));
    assert_eq!(want.len(), got.len(), "cpu and gpu output lengths");
    for (p, q) in want.iter().zip(got) {
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

#[test]
fn int8_and_f16_files_load_close_to_f32_and_predict_alike() {
    use convplay::weights::{quantize_int8, save_as, Storage};
    let (mut m, x) = trained();
    let f32_file = read(&pollster::block_on(save(&m, &Extra::default())).unwrap()).unwrap();
    let want = predict(&mut m, &x);
    for storage in [Storage::Int8, Storage::F16] {
        let bytes = pollster::block_on(save_as(&m, &Extra::default(), storage)).unwrap();
        let file = read(&bytes).unwrap();
        assert_eq!(file.storage, storage);
        for (name, (shape, v)) in &f32_file.tensors {
            let (s2, q) = &file.tensors[name];
            assert_eq!(shape, s2, "{name}");
            let c = *shape.last().unwrap();
            assert_eq!(v.len(), q.len(), "{name} lengths");
            for (i, (a, b)) in v.iter().zip(q).enumerate() {
                // int8: within half a step of its channel's scale (vectors exact); f16: 11 bits.
                let bound = match storage {
                    Storage::Int8 if shape.len() >= 2 => {
                        let peak = v.iter().skip(i % c).step_by(c).fold(0f32, |p, w| p.max(w.abs()));
                        0.5 * peak / 127.0 + 1e-7
                    }
                    Storage::Int8 => 0.0,
                    _ => a.abs() / 1024.0 + 1e-7,
                };
                assert!((a - b).abs() <= bound, "{name}[{i}] {storage:?}: {a} vs {b}");
            }
        }
        let mut m2 = Model::new(Cpu::new(), &file.spec, 8, 1).unwrap();
        load_into(&m2, &file).unwrap();
        let got = predict(&mut m2, &x);
        assert_eq!(want.len(), got.len(), "{storage:?}: output lengths");
        for (p, q) in want.iter().zip(&got) {
            assert!((p - q).abs() < 0.02, "{storage:?}: {p} vs {q}");
        }
        if storage == Storage::Int8 {
            assert!(
                bytes.len() * 3 < pollster::block_on(save(&m, &Extra::default())).unwrap().len(),
                "int8 should be under a third of f32"
            );
        }
    }
    // The scales are per output channel (the last axis) and symmetric.
    let (q, scale) = quantize_int8(&[2, 2], &[1.0, -0.5, -2.0, 0.25]);
    assert_eq!(scale, vec![2.0 / 127.0, 0.5 / 127.0]);
    assert_eq!(q, vec![64, -127, -127, 64]);
    assert_eq!(quantize_int8(&[1, 3], &[0.0, 0.0, 0.0]), (vec![0, 0, 0], vec![0.0, 0.0, 0.0]));
}

#[test]
fn damaged_int8_files_name_the_tensor() {
    use safetensors::{tensor::TensorView, Dtype};
    let meta = |spec: &str| {
        let mut m = std::collections::HashMap::new();
        m.insert("format".to_string(), "convplay".to_string());
        m.insert("spec".to_string(), spec.to_string());
        m
    };
    let spec =
        r#"{"input": [2], "layers": [{"type": "dense", "units": 3, "activation": "softmax", "use_bias": false}]}"#;
    let q = [1u8; 6];
    let good_scale: Vec<u8> = [0.1f32; 3].iter().flat_map(|v| v.to_le_bytes()).collect();
    let bad_scale: Vec<u8> = [0.1f32; 2].iter().flat_map(|v| v.to_le_bytes()).collect();
    let file = |tensors: Vec<(&str, Dtype, Vec<usize>, &[u8])>| {
        let views: Vec<(String, TensorView)> =
            tensors.iter().map(|(n, d, s, b)| (n.to_string(), TensorView::new(*d, s.clone(), b).unwrap())).collect();
        safetensors::serialize(views, Some(meta(spec))).unwrap()
    };
    let ok = read(&file(vec![
        ("dense_1/kernel", Dtype::I8, vec![2, 3], &q),
        ("dense_1/kernel.scale", Dtype::F32, vec![3], &good_scale),
    ]))
    .unwrap();
    assert!(ok.tensors["dense_1/kernel"].1.iter().all(|v| (v - 0.1).abs() < 1e-7));
    assert_eq!(ok.tensors.len(), 1, "the scale is not a tensor of its own");
    let e = read(&file(vec![("dense_1/kernel", Dtype::I8, vec![2, 3], &q)])).err().unwrap().message();
    assert_eq!(
        e,
        "tensor dense_1/kernel is int8 but the file has no dense_1/kernel.scale (one f32 scale per output channel)"
    );
    let e = read(&file(vec![
        ("dense_1/kernel", Dtype::I8, vec![2, 3], &q),
        ("dense_1/kernel.scale", Dtype::F32, vec![2], &bad_scale),
    ]))
    .err()
    .unwrap()
    .message();
    assert!(e.starts_with("dense_1/kernel.scale has shape [2]; int8 tensor dense_1/kernel [2, 3] needs [3]"), "{e}");
    let e = read(&file(vec![("dense_1/kernel", Dtype::U8, vec![2, 3], &q)])).err().unwrap().message();
    assert!(e.starts_with("tensor dense_1/kernel is U8;"), "{e}");
}
