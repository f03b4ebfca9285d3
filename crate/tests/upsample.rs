//! The up-sampling layers on the CPU: the spec's fields and errors, the shape rule and the
//! summary, hand-computed values (nearest; bilinear with TensorFlow 2's half-pixel centres),
//! finite-difference gradient checks in f64, and a model that trains through them.

mod common;

use common::gradcheck::{check, rand64};

use convplay::backend::cpu::upsample;
use convplay::backend::geom::Upsample;
use convplay::spec::{parse, Shape};
use convplay::summary::summarize;

fn spec_error(json: &str) -> String {
    parse(json).unwrap_err().message().to_string()
}

fn forward(g: &Upsample, x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; g.output_len()];
    upsample::upsample_forward(g, x, &mut out);
    out
}

#[test]
fn fields_defaults_and_errors() {
    let s = parse(r#"{"input": [5, 7, 3], "layers": [{"type": "UpSampling2D"}]}"#).unwrap();
    let rows = summarize(&s, 1).rows;
    assert_eq!(rows[0].output, Shape::Map { h: 10, w: 14, c: 3 });
    assert_eq!(rows[0].shape_formula, "5·2 × 7·2 = 10×14");
    assert_eq!((rows[0].trainable, rows[0].macs, rows[0].flops), (0, 0, 0));
    let s = parse(
        r#"{"input": [5, 7, 3], "layers": [{"type": "up_sampling2d", "size": [3, 1], "interpolation": "bilinear"}]}"#,
    )
    .unwrap();
    let rows = summarize(&s, 1).rows;
    assert_eq!(rows[0].output, Shape::Map { h: 15, w: 7, c: 3 });
    // Bilinear: 4 products and 3 sums per output value.
    assert_eq!(rows[0].flops, 7 * 15 * 7 * 3);
    assert_eq!(rows[0].output_bytes, 4 * 15 * 7 * 3);
    for (json, want) in [
        (
            r#"{"input": [4, 4, 1], "layers": [{"type": "up_sampling2d", "interpolation": "bicubic"}]}"#,
            "layers[0] (up_sampling2d): \"interpolation\" \"bicubic\" is not supported; use \"nearest\" (the default) or \"bilinear\"",
        ),
        (
            r#"{"input": [4, 4, 1], "layers": [{"type": "up_sampling2d", "interpolation": 2}]}"#,
            "layers[0] (up_sampling2d): \"interpolation\" must be \"nearest\" or \"bilinear\", got 2",
        ),
        (
            r#"{"input": [4, 4, 1], "layers": [{"type": "up_sampling2d", "size": 0}]}"#,
            "layers[0] (up_sampling2d): \"size\" must be a whole number ≥ 1 or [height, width] of them, got 0",
        ),
        (
            r#"{"input": [4, 4, 1], "layers": [{"type": "up_sampling2d", "sise": 2}]}"#,
            "layers[0] (up_sampling2d): unknown field \"sise\": did you mean \"size\"? its fields are \"size\", \"interpolation\"",
        ),
        (
            r#"{"input": [16], "layers": [{"type": "up_sampling2d"}]}"#,
            "layers[0] (up_sampling2d): up-sampling needs a height×width×channels input but gets a flat vector of 16; move it before the flatten (or dense) layer",
        ),
    ] {
        assert_eq!(spec_error(json), want, "{json}");
    }
    // Past what can be counted exactly: the shape rule's error, not a wrapped size.
    let e = spec_error(r#"{"input": [65536, 65536, 4096], "layers": [{"type": "up_sampling2d", "size": 65536}]}"#);
    assert!(e.starts_with("layers[0] (up_sampling2d): the output 4294967296×4294967296×4096 has more than"), "{e}");
}

#[test]
fn nearest_repeats_each_pixel_into_a_block() {
    let g = Upsample::new(1, (2, 2, 1), (2, 3), false).unwrap();
    let out = forward(&g, &[1.0, 2.0, 3.0, 4.0]);
    let row = |a: f64, b: f64| [a, a, a, b, b, b];
    let want: Vec<f64> = [row(1.0, 2.0), row(1.0, 2.0), row(3.0, 4.0), row(3.0, 4.0)].concat();
    assert_eq!(out, want);
    // Backward sums each block.
    let mut dx = vec![9.0; 4];
    let dout: Vec<f64> = (0..24).map(f64::from).collect();
    upsample::upsample_backward(&g, &dout, &mut dx);
    assert_eq!(dx, [0.0 + 1.0 + 2.0 + 6.0 + 7.0 + 8.0, 3.0 + 4.0 + 5.0 + 9.0 + 10.0 + 11.0, 96.0, 114.0]);
}

#[test]
fn bilinear_uses_half_pixel_centres_as_tensorflow_2() {
    // tf.image.resize([[0, 4], [8, 12]], (4, 4), "bilinear"): source t = (o + ½) / 2 − ½ =
    // −¼, ¼, ¾, 1¼, clamped at the borders; weights ¾/¼ inside.
    let g = Upsample::new(1, (2, 2, 1), (2, 2), true).unwrap();
    let out = forward(&g, &[0.0, 4.0, 8.0, 12.0]);
    assert_eq!(out, [0.0, 1.0, 3.0, 4.0, 2.0, 3.0, 5.0, 6.0, 6.0, 7.0, 9.0, 10.0, 8.0, 9.0, 11.0, 12.0]);
    // Factor 3 on [0, 3]: t = −⅓, 0, ⅓, ⅔, 1, 1⅓ → 0, 0, 1, 2, 3, 3.
    let g = Upsample::new(1, (1, 2, 1), (1, 3), true).unwrap();
    let out = forward(&g, &[0.0, 3.0]);
    let want = [0.0, 0.0, 1.0, 2.0, 3.0, 3.0];
    assert!(out.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12), "{out:?}");
    // Two channels are interpolated independently; a one-pixel input stays constant.
    let g = Upsample::new(1, (1, 1, 2), (2, 2), true).unwrap();
    assert_eq!(forward(&g, &[5.0, -1.0]), [5.0, -1.0, 5.0, -1.0, 5.0, -1.0, 5.0, -1.0]);
}

#[test]
fn upsampling_gradients_match_finite_differences() {
    for (t, &(n, h, w, c, sh, sw)) in
        [(1, 3, 4, 1, 2, 2), (2, 2, 3, 3, 3, 2), (1, 1, 5, 2, 1, 3), (2, 4, 1, 1, 4, 1), (1, 5, 5, 2, 2, 3)]
            .iter()
            .enumerate()
    {
        for bilinear in [false, true] {
            let g = Upsample::new(n, (h, w, c), (sh, sw), bilinear).unwrap();
            let x = rand64(g.input_len(), 10 + t as u64);
            let r = rand64(g.output_len(), 20 + t as u64);
            let mut dx = vec![0.0; x.len()];
            upsample::upsample_backward(&g, &r, &mut dx);
            check(&format!("upsample {g:?}"), &x, &dx, &|x| forward(&g, x), &r);
        }
    }
}

#[test]
fn geometry_errors_are_values() {
    let e = Upsample::new(0, (2, 2, 1), (2, 2), false).unwrap_err().to_string();
    assert!(e.contains("zero-sized dimension"), "{e}");
    let e = Upsample::new(128, (1024, 1024, 8), (2, 2), true).unwrap_err().to_string();
    assert!(e.contains("over 2^32 elements"), "{e}");
}

/// A model with both interpolations learns a fixed batch on the CPU: the loss falls.
#[test]
fn a_model_with_upsampling_trains() {
    use convplay::backend::cpu::backend::Cpu;
    use convplay::model::Model;
    let spec = parse(
        r#"{"input": [6, 6, 2], "layers": [
        {"type": "max_pool2d"},
        {"type": "up_sampling2d"},
        {"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"},
        {"type": "up_sampling2d", "size": [2, 1], "interpolation": "bilinear"},
        {"type": "flatten"},
        {"type": "dense", "units": 3, "activation": "softmax"}]}"#,
    )
    .unwrap();
    let mut m = Model::new(Cpu::new(), &spec, 8, 7).unwrap();
    let x = common::random_vec(8 * 72, 3);
    let labels: Vec<u8> = (0..8).map(|i| (i % 3) as u8).collect();
    let losses = common::gradcheck::adam_losses(&mut m, &x, &labels, 40);
    assert!(losses[39] < 0.5 * losses[0], "loss {} → {}", losses[0], losses[39]);
}

/// Keras code in and out: UpSampling2D with its size and interpolation, read back the same.
#[test]
fn keras_code_round_trip() {
    let spec = parse(
        r#"{"input": [7, 7, 2], "layers": [
        {"type": "up_sampling2d"},
        {"type": "up_sampling2d", "size": [3, 2], "interpolation": "bilinear"},
        {"type": "flatten"}, {"type": "dense", "units": 10, "activation": "softmax"}]}"#,
    )
    .unwrap();
    let code = convplay::keras::from_spec(&spec).unwrap();
    assert!(code.contains("layers.UpSampling2D()"), "{code}");
    assert!(code.contains("layers.UpSampling2D(size=(3, 2), interpolation=\"bilinear\")"), "{code}");
    let back = convplay::keras::to_spec(&code).unwrap().spec;
    assert_eq!(back.layers, spec.layers);
    let text = "model = keras.Sequential([keras.Input(shape=(4, 4, 1)), layers.UpSampling2D(2, interpolation='area')])";
    let e = convplay::keras::to_spec(text).unwrap_err().to_string();
    assert!(e.contains("\"interpolation\" \"area\" is not supported"), "{e}");
}
