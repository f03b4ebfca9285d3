//! conv2d_transpose (Keras Conv2DTranspose) on the CPU: Keras's output sizes, the summary,
//! hand-computed values, an independent scatter oracle, the fast path against the reference,
//! finite-difference gradient checks in f64, and a model that trains through it.

mod common;

use common::gradcheck::{check, rand64};

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::cpu::conv;
use convplay::backend::geom::Window;
use convplay::backend::ops::Backend;
use convplay::spec::{deconv_out, parse, Padding, Shape};
use convplay::summary::summarize;

/// The adjoint window of a transposed conv from input (h, w, c) to `filters` channels.
fn window(
    n: usize,
    (h, w, c): (usize, usize, usize),
    f: usize,
    k: (usize, usize),
    s: (usize, usize),
    p: Padding,
) -> Window {
    let oh = deconv_out(h as u64, k.0, s.0, p).unwrap() as usize;
    let ow = deconv_out(w as u64, k.1, s.1, p).unwrap() as usize;
    let g = Window::new("t", n, (oh, ow, f), c, k, s, p).unwrap();
    assert_eq!((g.oh as usize, g.ow as usize), (h, w), "the adjoint conv maps the output back onto the input");
    g
}

/// The definition, written independently: each input value scatters x · w[ky, kx, f, c] to
/// output (oy·sh + ky − pt, ox·sw + kx − pl), dropped outside; then the bias.
fn scatter(g: &Window, x: &[f64], w: &[f64], b: &[f64]) -> Vec<f64> {
    let (h, wd, f, c) = (g.h as i64, g.w as i64, g.c as usize, g.oc as usize);
    let mut out = vec![0.0; g.input_len()];
    for n in 0..g.n as usize {
        for oy in 0..g.oh as i64 {
            for ox in 0..g.ow as i64 {
                for ky in 0..g.kh as i64 {
                    for kx in 0..g.kw as i64 {
                        let (y, xx) =
                            (oy * g.sh as i64 + ky - g.pad_top as i64, ox * g.sw as i64 + kx - g.pad_left as i64);
                        if y < 0 || xx < 0 || y >= h || xx >= wd {
                            continue;
                        }
                        for ci in 0..c {
                            let v = x[((n * g.oh as usize + oy as usize) * g.ow as usize + ox as usize) * c + ci];
                            for fi in 0..f {
                                let o = ((n * h as usize + y as usize) * wd as usize + xx as usize) * f + fi;
                                out[o] += v * w[((ky as usize * g.kw as usize + kx as usize) * f + fi) * c + ci];
                            }
                        }
                    }
                }
            }
        }
    }
    out.iter().enumerate().map(|(i, v)| v + b[i % f]).collect()
}

fn cases() -> Vec<Window> {
    vec![
        window(1, (2, 3, 1), 1, (3, 3), (2, 2), Padding::Valid),
        window(2, (3, 3, 2), 3, (3, 3), (2, 2), Padding::Same),
        window(1, (4, 2, 3), 2, (2, 3), (1, 2), Padding::Valid),
        window(2, (3, 4, 2), 4, (1, 1), (2, 3), Padding::Valid),
        window(1, (5, 5, 3), 2, (4, 4), (2, 2), Padding::Same),
        window(2, (2, 2, 5), 3, (3, 3), (1, 1), Padding::Same),
        window(1, (3, 2, 2), 2, (5, 2), (3, 1), Padding::Same),
    ]
}

#[test]
fn output_sizes_parameters_and_errors() {
    // Keras: "valid" in·s + max(k − s, 0), "same" in·s.
    for (json, want, params) in [
        (r#"{"filters": 8, "kernel_size": 3, "strides": 2}"#, (15, 15), 3 * 3 * 8 * 3 + 8),
        (r#"{"filters": 8, "kernel_size": 3, "strides": 2, "padding": "same"}"#, (14, 14), 224),
        (r#"{"filters": 4, "kernel_size": 1, "strides": 2, "use_bias": false}"#, (14, 14), 12),
        (r#"{"filters": 2, "kernel_size": [5, 2]}"#, (11, 8), 5 * 2 * 2 * 3 + 2),
    ] {
        let json = format!(
            r#"{{"input": [7, 7, 3], "layers": [{{"type": "Conv2DTranspose", {}}}]}}"#,
            &json[1..json.len() - 1]
        );
        let s = parse(&json).unwrap_or_else(|e| panic!("{json}: {e}"));
        let rows = summarize(&s, 1).rows;
        let Shape::Map { h, w, .. } = rows[0].output else { panic!("{json}: flat") };
        assert_eq!(((h, w), rows[0].trainable), ((want.0, want.1), params as u64), "{json}");
    }
    let s = parse(r#"{"input": [7, 7, 3], "layers": [{"type": "conv2d_transpose", "filters": 8, "kernel_size": 3, "strides": 2, "activation": "relu"}]}"#).unwrap();
    let row = &summarize(&s, 1).rows[0];
    assert_eq!(row.shape_formula, "h: 7·2 + max(3 − 2, 0) = 15; w: 7·2 + max(3 − 2, 0) = 15");
    assert_eq!(row.params_formula, "3·3·8·3 + 8");
    assert_eq!(row.macs, 7 * 7 * 3 * 3 * 3 * 8);
    for (json, want) in [
        (r#"{"input": [4, 4, 1], "layers": [{"type": "conv2d_transpose", "kernel_size": 3}]}"#, "layers[0] (conv2d_transpose): missing \"filters\": add it, e.g. \"filters\": 32"),
        (r#"{"input": [4, 4, 1], "layers": [{"type": "conv2d_transpose", "filters": 2, "kernel_size": 3, "padding": "full"}]}"#, "layers[0] (conv2d_transpose): \"padding\" must be \"valid\" or \"same\", got \"full\""),
        (r#"{"input": [16], "layers": [{"type": "conv2d_transpose", "filters": 2, "kernel_size": 3}]}"#, "layers[0] (conv2d_transpose): transposed convolution needs a height×width×channels input but gets a flat vector of 16; move it before the flatten (or dense) layer"),
    ] {
        assert_eq!(parse(json).unwrap_err().message(), want, "{json}");
    }
    let e = parse(r#"{"input": [65536, 65536, 1], "layers": [{"type": "conv2d_transpose", "filters": 4096, "kernel_size": 3, "strides": 65536}]}"#)
        .unwrap_err()
        .message()
        .to_string();
    assert!(e.contains("has more than 9007199254740991 (2^53 − 1) elements"), "{e}");
}

#[test]
fn hand_computed_values() {
    // One row [1, 2], kernel [1, 10, 100] (1×3, one filter, one channel).
    let (x, w, b) = ([1.0, 2.0], [1.0, 10.0, 100.0], [0.5]);
    let run = |s: usize, p: Padding| {
        let g = window(1, (1, 2, 1), 1, (1, 3), (1, s), p);
        let mut out = vec![0.0; g.input_len()];
        conv::conv2d_transpose_forward(&g, &x, &w, Some(&b), &mut out);
        out
    };
    // Stride 1 "valid": out[i + k] += x[i]·w[k] → [1, 12, 120, 200] (+ 0.5).
    assert_eq!(run(1, Padding::Valid), [1.5, 12.5, 120.5, 200.5]);
    // Stride 2 "valid" (2·2 + 1 = 5): [1, 10, 100 + 2, 20, 200].
    assert_eq!(run(2, Padding::Valid), [1.5, 10.5, 102.5, 20.5, 200.5]);
    // Stride 2 "same" (4): the adjoint conv pads 1 in all, at the end (TensorFlow's rule).
    assert_eq!(run(2, Padding::Same), [1.5, 10.5, 102.5, 20.5]);
    // Stride 1 "same": the adjoint conv pads 1 before, so the output is centred.
    assert_eq!(run(1, Padding::Same), [12.5, 120.5]);
}

#[test]
fn reference_matches_an_independent_scatter() {
    for (t, g) in cases().iter().enumerate() {
        let klen = (g.kh * g.kw * g.c * g.oc) as usize;
        let (x, w, b) =
            (rand64(g.output_len(), t as u64), rand64(klen, 10 + t as u64), rand64(g.c as usize, 20 + t as u64));
        let mut out = vec![0.0; g.input_len()];
        conv::conv2d_transpose_forward(g, &x, &w, Some(&b), &mut out);
        let want = scatter(g, &x, &w, &b);
        assert!(out.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-12), "{g:?}");
    }
}

#[test]
fn gradients_match_finite_differences() {
    for (t, g) in cases().iter().enumerate() {
        let klen = (g.kh * g.kw * g.c * g.oc) as usize;
        let x = rand64(g.output_len(), 30 + t as u64);
        let w = rand64(klen, 40 + t as u64);
        let b = rand64(g.c as usize, 50 + t as u64);
        let r = rand64(g.input_len(), 60 + t as u64);
        let (mut dx, mut dw, mut db) = (vec![9.0; x.len()], vec![0.0; klen], vec![0.0; g.c as usize]);
        conv::conv2d_transpose_backward(g, &x, &w, &r, &mut dx, &mut dw, Some(&mut db));
        let fwd = |x: &[f64], w: &[f64], b: &[f64]| {
            let mut o = vec![0.0; g.input_len()];
            conv::conv2d_transpose_forward(g, x, w, Some(b), &mut o);
            o
        };
        check("conv2d_transpose dx", &x, &dx, &|x| fwd(x, &w, &b), &r);
        check("conv2d_transpose dw", &w, &dw, &|w| fwd(&x, w, &b), &r);
        check("conv2d_transpose db", &b, &db, &|b| fwd(&x, &w, b), &r);
    }
}

/// The CPU backend (im2col + GEMM, images among threads) against the f64 reference.
#[test]
fn cpu_backend_matches_the_reference() {
    let be = Cpu::new();
    for (t, g) in cases().iter().enumerate() {
        let klen = (g.kh * g.kw * g.c * g.oc) as usize;
        let (x, w, b, d) = (
            common::random_vec(g.output_len(), 70 + t as u64),
            common::random_vec(klen, 80 + t as u64),
            common::random_vec(g.c as usize, 90 + t as u64),
            common::random_vec(g.input_len(), 100 + t as u64),
        );
        let up = |v: &[f32]| {
            let buf = be.alloc(v.len());
            be.write(&buf, v);
            buf
        };
        let (xb, wb, bb, db) = (up(&x), up(&w), up(&b), up(&d));
        let (out, dx, dw, dbias) = (be.alloc(g.input_len()), be.alloc(x.len()), be.alloc(klen), be.alloc(b.len()));
        be.conv2d_transpose_forward(g, &xb, &wb, Some(&bb), &out);
        be.conv2d_transpose_backward(g, &xb, &wb, &db, Some(&dx), &dw, Some(&dbias));
        let f64s = |v: &[f32]| v.iter().map(|&v| v as f64).collect::<Vec<_>>();
        let (x, w, b, d) = (f64s(&x), f64s(&w), f64s(&b), f64s(&d));
        let mut want_out = vec![0.0; g.input_len()];
        conv::conv2d_transpose_forward(g, &x, &w, Some(&b), &mut want_out);
        let (mut wdx, mut wdw, mut wdb) = (vec![0.0; x.len()], vec![0.0; klen], vec![0.0; b.len()]);
        conv::conv2d_transpose_backward(g, &x, &w, &d, &mut wdx, &mut wdw, Some(&mut wdb));
        for (what, got, want) in [("out", &out, want_out), ("dx", &dx, wdx), ("dw", &dw, wdw), ("db", &dbias, wdb)] {
            let got = got.borrow();
            for (i, want) in want.iter().enumerate() {
                assert!(
                    (got[i] as f64 - want).abs() <= 1e-4 * want.abs().max(1.0),
                    "{what}[{i}] {g:?}: {} vs {want}",
                    got[i]
                );
            }
        }
    }
}

/// An encoder–decoder (strided conv down, transposed conv up, per-pixel features) learns a
/// fixed batch on the CPU: the loss falls.
#[test]
fn a_model_with_a_transposed_conv_trains() {
    use convplay::model::Model;
    let spec = parse(
        r#"{"input": [8, 8, 1], "layers": [
        {"type": "conv2d", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
        {"type": "conv2d_transpose", "filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
        {"type": "conv2d_transpose", "filters": 2, "kernel_size": 2, "strides": 1, "use_bias": false},
        {"type": "flatten"},
        {"type": "dense", "units": 3, "activation": "softmax"}]}"#,
    )
    .unwrap();
    let mut m = Model::new(Cpu::new(), &spec, 8, 5).unwrap();
    let x = common::random_vec(8 * 64, 4);
    let labels: Vec<u8> = (0..8).map(|i| (i % 3) as u8).collect();
    let losses = common::gradcheck::adam_losses(&mut m, &x, &labels, 40);
    assert!(losses[39] < 0.5 * losses[0], "loss {} → {}", losses[0], losses[39]);
    let kernel = m.params.iter().find(|p| p.name == "conv2d_transpose_1/kernel").unwrap();
    assert_eq!(kernel.shape, [3, 3, 3, 4], "Keras's layout: [kh, kw, filters, in_channels]");
}

/// Keras code in and out: Conv2DTranspose with its arguments, read back the same;
/// output_padding only at Keras's default.
#[test]
fn keras_code_round_trip() {
    let spec = parse(
        r#"{"input": [7, 7, 2], "layers": [
        {"type": "conv2d_transpose", "filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
        {"type": "conv2d_transpose", "filters": 1, "kernel_size": [2, 1], "use_bias": false, "kernel_initializer": "he_uniform"},
        {"type": "flatten"}, {"type": "dense", "units": 10, "activation": "softmax"}]}"#,
    )
    .unwrap();
    let code = convplay::keras::from_spec(&spec).unwrap();
    assert!(code.contains("layers.Conv2DTranspose(4, 3, strides=2, padding=\"same\", activation=\"relu\")"), "{code}");
    let back = convplay::keras::to_spec(&code).unwrap().spec;
    assert_eq!(back.layers, spec.layers);
    let text =
        "model = keras.Sequential([keras.Input(shape=(4, 4, 1)), layers.Conv2DTranspose(2, 3, output_padding=1)])";
    let e = convplay::keras::to_spec(text).unwrap_err().to_string();
    assert!(e.contains("output_padding=1 is not supported by ConvPlay (only the default, None)"), "{e}");
    let text =
        "model = keras.Sequential([keras.Input(shape=(4, 4, 1)), layers.Conv2DTranspose(2, 3, output_padding=None)])";
    assert!(convplay::keras::to_spec(text).is_ok());
}

/// The CPU backend's up-sampling and transposed convolution give the same bits on 1 and 3
/// threads (images are shared among threads; every value is computed by one task).
#[test]
fn threaded_kernels_equal_one_thread() {
    use convplay::backend::geom::Upsample;
    let run = || {
        let be = Cpu::new();
        let up = |v: &[f32]| {
            let buf = be.alloc(v.len());
            be.write(&buf, v);
            buf
        };
        let read = |b: &<Cpu as Backend>::Buf, n: usize| b.borrow()[..n].to_vec();
        let mut outs = vec![];
        let g = window(5, (6, 7, 9), 11, (3, 3), (2, 2), Padding::Same);
        let klen = (g.kh * g.kw * g.c * g.oc) as usize;
        let (x, w, b, d) = (
            up(&common::random_vec(g.output_len(), 1)),
            up(&common::random_vec(klen, 2)),
            up(&common::random_vec(g.c as usize, 3)),
            up(&common::random_vec(g.input_len(), 4)),
        );
        let (out, dx, dw, db) = (be.alloc(g.input_len()), be.alloc(g.output_len()), be.alloc(klen), be.alloc(11));
        be.conv2d_transpose_forward(&g, &x, &w, Some(&b), &out);
        be.conv2d_transpose_backward(&g, &x, &w, &d, Some(&dx), &dw, Some(&db));
        outs.extend([read(&out, g.input_len()), read(&dx, g.output_len()), read(&dw, klen), read(&db, 11)]);
        for bilinear in [false, true] {
            let u = Upsample::new(5, (6, 7, 3), (2, 3), bilinear).unwrap();
            let (ux, ud) = (up(&common::random_vec(u.input_len(), 5)), up(&common::random_vec(u.output_len(), 6)));
            let (uo, udx) = (be.alloc(u.output_len()), be.alloc(u.input_len()));
            be.upsample_forward(&u, &ux, &uo);
            be.upsample_backward(&u, &ud, &udx);
            outs.extend([read(&uo, u.output_len()), read(&udx, u.input_len())]);
        }
        outs.into_iter().map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()).collect::<Vec<_>>()
    };
    let on = |n: usize| convplay::backend::cpu::threads::pool(n).unwrap().install(run);
    assert!(on(1) == on(3), "1 vs 3 threads differ");
}

/// A whole model through the new layers: every parameter's gradient (those below the layers
/// too, reached through their input gradients) against finite differences of the loss, in f32.
#[test]
fn model_gradients_through_the_new_layers_match_finite_differences() {
    use convplay::model::Model;
    let spec = parse(
        r#"{"input": [5, 4, 2], "layers": [
        {"type": "conv2d", "filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "tanh"},
        {"type": "up_sampling2d", "size": [2, 3], "interpolation": "bilinear"},
        {"type": "conv2d_transpose", "filters": 2, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "tanh"},
        {"type": "up_sampling2d"},
        {"type": "conv2d_transpose", "filters": 2, "kernel_size": [1, 2], "strides": [3, 2], "use_bias": false, "activation": "sigmoid"},
        {"type": "conv2d", "filters": 2, "kernel_size": 4, "strides": 4, "activation": "tanh"},
        {"type": "flatten"},
        {"type": "dense", "units": 3, "activation": "softmax"}]}"#,
    )
    .unwrap();
    let mut m = Model::new(Cpu::new(), &spec, 3, 9).unwrap();
    let x: Vec<f32> = common::random_vec(3 * 40, 12);
    let y = [0u8, 2, 1];
    let loss = |m: &mut Model<Cpu>| {
        m.compute_gradients(&x, &y).unwrap();
        pollster::block_on(m.take_metrics(3)).unwrap().0
    };
    loss(&mut m);
    let grads: Vec<Vec<f32>> = m.params.iter().map(|p| p.grad.as_ref().unwrap().0.borrow()[..p.len].to_vec()).collect();
    let mut checked = 0;
    for (pi, grad) in grads.iter().enumerate() {
        let (name, len) = (m.params[pi].name.clone(), m.params[pi].len);
        for j in [0, len / 3, len / 2, len - 1] {
            let h = 1e-2f32;
            let orig = m.params[pi].value.borrow()[j];
            m.params[pi].value.borrow_mut()[j] = orig + h;
            let lp = loss(&mut m);
            m.params[pi].value.borrow_mut()[j] = orig - h;
            let lm = loss(&mut m);
            m.params[pi].value.borrow_mut()[j] = orig;
            let (numeric, analytic) = ((lp - lm) / (2.0 * h), grad[j]);
            assert!(
                (numeric - analytic).abs() <= 0.05 * numeric.abs().max(analytic.abs()) + 2e-4,
                "{name}[{j}]: numeric {numeric} vs analytic {analytic}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 36, "checked {checked} values");
}
