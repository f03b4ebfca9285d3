//! The CPU reference ops: every backward equals central finite differences of its
//! forward, in f64; plus a few hand-computed values.

mod common;

use common::gradcheck::{check, rand64};

use convplay::backend::cpu::{act, conv, dense, loss, misc, norm, pool};
use convplay::backend::geom::Window;
use convplay::spec::{Activation, Padding};

fn geometries() -> Vec<Window> {
    let mut v = vec![];
    for &(n, h, w, c, oc, k, s, p) in &[
        (1, 5, 5, 1, 1, 3, 2, Padding::Same),
        (2, 7, 6, 3, 5, 3, 1, Padding::Valid),
        (2, 6, 7, 2, 3, 3, 2, Padding::Same),
        (1, 8, 5, 5, 2, 5, 1, Padding::Same),
        (3, 4, 4, 3, 4, 1, 1, Padding::Valid),
        (1, 9, 9, 2, 3, 2, 2, Padding::Valid),
    ] {
        v.push(Window::new("test", n, (h, w, c), oc, (k, k), (s, s), p).unwrap());
    }
    v
}

#[test]
fn conv2d_gradients() {
    for (t, g) in geometries().iter().enumerate() {
        let (kl, oc) = ((g.kh * g.kw * g.c * g.oc) as usize, g.oc as usize);
        let x = rand64(g.input_len(), 10 + t as u64);
        let w = rand64(kl, 20 + t as u64);
        let b = rand64(oc, 30 + t as u64);
        let r = rand64(g.output_len(), 40 + t as u64);
        let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; kl], vec![0.0; oc]);
        conv::conv2d_backward(g, &x, &w, &r, &mut dx, &mut dw, Some(&mut db));
        let fwd = |x: &[f64], w: &[f64], b: &[f64]| {
            let mut o = vec![0.0; g.output_len()];
            conv::conv2d_forward(g, x, w, Some(b), &mut o);
            o
        };
        check("conv2d dx", &x, &dx, &|x| fwd(x, &w, &b), &r);
        check("conv2d dw", &w, &dw, &|w| fwd(&x, w, &b), &r);
        check("conv2d db", &b, &db, &|b| fwd(&x, &w, b), &r);
    }
}

#[test]
fn depthwise_gradients() {
    for (t, g0) in geometries().iter().enumerate() {
        let mut g = *g0;
        g.oc = g.c;
        let (kl, c) = ((g.kh * g.kw * g.c) as usize, g.c as usize);
        let x = rand64(g.input_len(), 50 + t as u64);
        let w = rand64(kl, 60 + t as u64);
        let b = rand64(c, 70 + t as u64);
        let r = rand64(g.output_len(), 80 + t as u64);
        let (mut dx, mut dw, mut db) = (vec![0.0; x.len()], vec![0.0; kl], vec![0.0; c]);
        conv::depthwise_backward(&g, &x, &w, &r, &mut dx, &mut dw, Some(&mut db));
        let fwd = |x: &[f64], w: &[f64], b: &[f64]| {
            let mut o = vec![0.0; g.output_len()];
            conv::depthwise_forward(&g, x, w, Some(b), &mut o);
            o
        };
        check("depthwise dx", &x, &dx, &|x| fwd(x, &w, &b), &r);
        check("depthwise dw", &w, &dw, &|w| fwd(&x, w, &b), &r);
        check("depthwise db", &b, &db, &|b| fwd(&x, &w, b), &r);
    }
}

#[test]
fn pooling_gradients() {
    for (t, g0) in geometries().iter().enumerate() {
        let mut g = *g0;
        g.oc = g.c;
        let x = rand64(g.input_len(), 90 + t as u64);
        let r = rand64(g.output_len(), 100 + t as u64);
        let mut out = vec![0.0; g.output_len()];
        let mut arg = vec![0u32; g.output_len()];
        pool::max_pool_forward(&g, &x, &mut out, &mut arg);
        let mut dx = vec![0.0; x.len()];
        pool::max_pool_backward(&r, &arg, &mut dx);
        check(
            "max pool dx",
            &x,
            &dx,
            &|x| {
                let mut o = vec![0.0; g.output_len()];
                let mut a = vec![0u32; g.output_len()];
                pool::max_pool_forward(&g, x, &mut o, &mut a);
                o
            },
            &r,
        );
        pool::avg_pool_backward(&g, &r, &mut dx);
        check(
            "avg pool dx",
            &x,
            &dx,
            &|x| {
                let mut o = vec![0.0; g.output_len()];
                pool::avg_pool_forward(&g, x, &mut o);
                o
            },
            &r,
        );
    }
    let (n, hw, c) = (2, 5, 3);
    let x = rand64(n * hw * c, 7);
    let r = rand64(n * c, 8);
    let mut dx = vec![0.0; x.len()];
    pool::global_avg_pool_backward(n, hw, c, &r, &mut dx);
    check(
        "global avg pool dx",
        &x,
        &dx,
        &|x| {
            let mut o = vec![0.0; n * c];
            pool::global_avg_pool_forward(n, hw, c, x, &mut o);
            o
        },
        &r,
    );
}

#[test]
fn dense_gradients() {
    let (n, k, m) = (3, 7, 5);
    let x = rand64(n * k, 1);
    let w = rand64(k * m, 2);
    let b = rand64(m, 3);
    let r = rand64(n * m, 4);
    let (mut dx, mut dw, mut db) = (vec![0.0; n * k], vec![0.0; k * m], vec![0.0; m]);
    dense::dense_backward(n, k, m, &x, &w, &r, &mut dx, &mut dw, Some(&mut db));
    let fwd = |x: &[f64], w: &[f64], b: &[f64]| {
        let mut o = vec![0.0; n * m];
        dense::dense_forward(n, k, m, x, w, Some(b), &mut o);
        o
    };
    check("dense dx", &x, &dx, &|x| fwd(x, &w, &b), &r);
    check("dense dw", &w, &dw, &|w| fwd(&x, w, &b), &r);
    check("dense db", &b, &db, &|b| fwd(&x, &w, b), &r);
}

#[test]
fn activation_gradients() {
    let c = 6;
    // Keep away from the kinks of relu/relu6 where the derivative jumps.
    let x: Vec<f64> =
        rand64(4 * c, 5).iter().map(|v| v * 8.0).map(|v: f64| if v.abs() < 0.05 { v + 0.1 } else { v }).collect();
    let r = rand64(x.len(), 6);
    for a in [
        Activation::Relu,
        Activation::Relu6,
        Activation::LeakyRelu { alpha: 0.2 },
        Activation::Sigmoid,
        Activation::Tanh,
        Activation::Softmax,
        Activation::Linear,
    ] {
        let f = |x: &[f64]| {
            let mut y = x.to_vec();
            act::activation_forward(a, c, &mut y);
            y
        };
        let y = f(&x);
        let mut d = r.clone();
        act::activation_backward(a, c, &y, &mut d);
        check(a.name(), &x, &d, &f, &r);
    }
}

#[test]
fn batch_norm_gradients() {
    let (m, c) = (10, 3);
    let x = rand64(m * c, 11);
    let gamma = rand64(c, 12);
    let beta = rand64(c, 13);
    let r = rand64(m * c, 14);
    let eps = 1e-3;
    let fwd = |x: &[f64], gamma: &[f64], beta: &[f64]| {
        let (mut rm, mut rv, mut o) = (vec![0.0; c], vec![1.0; c], vec![0.0; m * c]);
        norm::batch_norm_train(c, x, gamma, beta, eps, 0.99, &mut rm, &mut rv, &mut o);
        o
    };
    let (mut rm, mut rv, mut o) = (vec![0.0; c], vec![1.0; c], vec![0.0; m * c]);
    let saved = norm::batch_norm_train(c, &x, &gamma, &beta, eps, 0.99, &mut rm, &mut rv, &mut o);
    let (mut dx, mut dg, mut dbeta) = (vec![0.0; m * c], vec![0.0; c], vec![0.0; c]);
    norm::batch_norm_backward(c, &x, &gamma, &saved, &r, &mut dx, &mut dg, &mut dbeta);
    check("batch norm dx", &x, &dx, &|x| fwd(x, &gamma, &beta), &r);
    check("batch norm dgamma", &gamma, &dg, &|g| fwd(&x, g, &beta), &r);
    check("batch norm dbeta", &beta, &dbeta, &|b| fwd(&x, &gamma, b), &r);
    // Running statistics move 1% of the way to the batch's (Keras momentum 0.99).
    let mean0: f64 = (0..m).map(|i| x[i * c]).sum::<f64>() / m as f64;
    assert!((rm[0] - 0.01 * mean0).abs() < 1e-12);
}

#[test]
fn lrn_gradients() {
    let c = 7;
    let x = rand64(3 * c, 15);
    let r = rand64(3 * c, 16);
    for (radius, bias, alpha, beta) in [(2usize, 2.0, 1e-1, 0.75), (5, 1.0, 1.0, 0.5), (0, 1.0, 0.5, 0.5)] {
        let f = |x: &[f64]| {
            let mut o = vec![0.0; x.len()];
            norm::lrn_forward(c, radius, bias, alpha, beta, x, &mut o);
            o
        };
        let mut dx = vec![0.0; x.len()];
        norm::lrn_backward(c, radius, bias, alpha, beta, &x, &r, &mut dx);
        check("lrn dx", &x, &dx, &f, &r);
    }
}

#[test]
fn softmax_cross_entropy_gradient_and_values() {
    let k = 4;
    let z = rand64(3 * k, 17);
    let labels = [2u8, 0, 3];
    let mut d = vec![0.0; z.len()];
    loss::softmax_xent(k, &z, &labels, &mut d);
    check(
        "softmax xent",
        &z,
        &d,
        &|z| {
            let mut scratch = vec![0.0; z.len()];
            vec![loss::softmax_xent(k, z, &labels, &mut scratch).0]
        },
        &[1.0],
    );
    // Equal logits: loss ln(k), and the argmax (first of equals) is class 0.
    let (l, correct) = loss::softmax_xent(k, &[0.0f64; 4], &[0], &mut [0.0; 4]);
    assert!((l - (4f64).ln()).abs() < 1e-12);
    assert_eq!(correct, 1);
}

#[test]
fn scale_and_concat_gradients() {
    let (n, hw, c) = (2, 3, 4);
    let x = rand64(n * hw * c, 18);
    let s = rand64(n * c, 19);
    let r = rand64(x.len(), 20);
    let (mut dx, mut ds) = (vec![0.0; x.len()], vec![0.0; s.len()]);
    misc::scale_channels_backward(n, hw, c, &x, &s, &r, &mut dx, &mut ds);
    let f = |x: &[f64], s: &[f64]| {
        let mut o = vec![0.0; x.len()];
        misc::scale_channels(n, hw, c, x, s, &mut o);
        o
    };
    check("scale dx", &x, &dx, &|x| f(x, &s), &r);
    check("scale ds", &s, &ds, &|s| f(&x, s), &r);
    let a = [1.0, 2.0, 3.0, 4.0];
    let b = [9.0, 8.0];
    let mut out = [0.0; 6];
    misc::concat_channels(&[(&a[..], 2), (&b[..], 1)], &mut out);
    assert_eq!(out, [1.0, 2.0, 9.0, 3.0, 4.0, 8.0]);
    let (mut da, mut dbb) = ([0.0; 4], [0.0; 2]);
    misc::concat_backward(&out, &mut [(&mut da[..], 2), (&mut dbb[..], 1)]);
    assert_eq!((da, dbb), (a, b));
}

/// A 3×3 "same" stride-2 conv on a 5×5 input (TensorFlow pads one row/column on each
/// side here): output 3×3. Input 1..25 row-major, kernel all ones, so each output is the
/// sum of its (clipped) window.
#[test]
fn known_values_same_stride_2_on_5x5() {
    let g = Window::new("t", 1, (5, 5, 1), 1, (3, 3), (2, 2), Padding::Same).unwrap();
    assert_eq!((g.oh, g.ow, g.pad_top, g.pad_left), (3, 3, 1, 1));
    let x: Vec<f32> = (1..=25).map(|v| v as f32).collect();
    let mut out = vec![0.0f32; 9];
    conv::conv2d_forward(&g, &x, &[1.0; 9], None, &mut out);
    // top-left: rows 0-1, cols 0-1 → 1+2+6+7 = 16; top-middle: rows 0-1, cols 1-3 → 2+3+4+7+8+9 = 33; centre: rows 1-3, cols 1-3 → 7+8+9+12+13+14+17+18+19 = 117.
    assert_eq!(out, vec![16.0, 33.0, 28.0, 69.0, 117.0, 87.0, 76.0, 123.0, 88.0]);
    // On 6×6 TensorFlow puts the single padding row/column at the bottom/right:
    let g6 = Window::new("t", 1, (6, 6, 1), 1, (3, 3), (2, 2), Padding::Same).unwrap();
    assert_eq!((g6.oh, g6.pad_top, g6.pad_left), (3, 0, 0));
    let x6: Vec<f32> = (1..=36).map(|v| v as f32).collect();
    let mut o6 = vec![0.0f32; 9];
    conv::conv2d_forward(&g6, &x6, &[1.0; 9], None, &mut o6);
    assert_eq!(o6[0], 1.0 + 2.0 + 3.0 + 7.0 + 8.0 + 9.0 + 13.0 + 14.0 + 15.0);
    assert_eq!(o6[8], 29.0 + 30.0 + 35.0 + 36.0);
    // Max and average pooling with "same" ignore the padding.
    let mut mp = vec![0.0f32; 9];
    let mut arg = vec![0u32; 9];
    pool::max_pool_forward(&g, &x, &mut mp, &mut arg);
    assert_eq!(mp, vec![7.0, 9.0, 10.0, 17.0, 19.0, 20.0, 22.0, 24.0, 25.0]);
    let mut ap = vec![0.0f32; 9];
    pool::avg_pool_forward(&g, &x, &mut ap);
    assert_eq!(ap[0], 16.0 / 4.0);
    assert_eq!(ap[4], 117.0 / 9.0);
}

#[test]
fn window_errors_are_values() {
    let e = Window::new("conv2d", 1, (3, 3, 1), 4, (5, 5), (1, 1), Padding::Valid).unwrap_err();
    assert_eq!(
        e.message(),
        "conv2d: kernel 5×5 does not fit input 3×3 with padding \"valid\"; use padding \"same\" or a smaller kernel"
    );
    let e = Window::new("conv2d", 0, (3, 3, 1), 4, (1, 1), (1, 1), Padding::Valid).unwrap_err();
    assert!(e.message().starts_with("conv2d: zero-sized dimension in input 0×3×3×1"), "{e}");
}

/// The fast depthwise convolution equals the reference one (the same sums in the same order).
#[test]
fn fast_depthwise_matches_reference() {
    use convplay::backend::cpu::fast;
    for (t, g) in [
        Window::new("t", 2, (9, 8, 16), 16, (3, 3), (1, 1), Padding::Same).unwrap(),
        Window::new("t", 1, (11, 11, 7), 7, (5, 5), (2, 2), Padding::Same).unwrap(),
        Window::new("t", 3, (6, 7, 5), 5, (3, 3), (2, 2), Padding::Valid).unwrap(),
    ]
    .iter()
    .enumerate()
    {
        let c = g.c as usize;
        let x = common::random_vec(g.input_len(), 950 + t as u64);
        let w = common::random_vec((g.kh * g.kw) as usize * c, 960 + t as u64);
        let b = common::random_vec(c, 970 + t as u64);
        for bias in [None, Some(&b[..])] {
            let (mut o1, mut o2) = (vec![0.0f32; g.output_len()], vec![0.0f32; g.output_len()]);
            conv::depthwise_forward(g, &x, &w, bias, &mut o1);
            fast::depthwise_forward(g, &x, &w, bias, &mut o2);
            assert_eq!(o1, o2, "{g:?}");
        }
    }
}

/// The fast path (im2col + blocked GEMM) equals the reference convolution.
#[test]
fn fast_conv_matches_reference() {
    use convplay::backend::cpu::fast;
    let mut gs = geometries();
    gs.push(Window::new("t", 3, (14, 13, 17), 70, (3, 3), (1, 1), Padding::Same).unwrap());
    gs.push(Window::new("t", 2, (11, 11, 9), 130, (5, 5), (2, 2), Padding::Valid).unwrap());
    // 1×1 convolutions (the pointwise shortcut, no im2col), stride 1 and 2.
    gs.push(Window::new("t", 2, (7, 5, 12), 24, (1, 1), (1, 1), Padding::Same).unwrap());
    gs.push(Window::new("t", 3, (6, 6, 8), 5, (1, 1), (1, 1), Padding::Valid).unwrap());
    gs.push(Window::new("t", 2, (7, 7, 8), 6, (1, 1), (2, 2), Padding::Same).unwrap());
    for (t, g) in gs.iter().enumerate() {
        let kl = (g.kh * g.kw * g.c * g.oc) as usize;
        let x = common::random_vec(g.input_len(), 900 + t as u64);
        let w = common::random_vec(kl, 910 + t as u64);
        let b = common::random_vec(g.oc as usize, 920 + t as u64);
        let d = common::random_vec(g.output_len(), 930 + t as u64);
        let (mut o1, mut o2) = (vec![0.0f32; g.output_len()], vec![0.0f32; g.output_len()]);
        conv::conv2d_forward(g, &x, &w, Some(&b), &mut o1);
        fast::conv2d_forward(g, &x, &w, Some(&b), &mut o2);
        let (mut dx1, mut dw1, mut db1) = (vec![0.0f32; x.len()], vec![0.0f32; kl], vec![0.0f32; b.len()]);
        let (mut dx2, mut dw2, mut db2) = (vec![0.0f32; x.len()], vec![0.0f32; kl], vec![0.0f32; b.len()]);
        conv::conv2d_backward(g, &x, &w, &d, &mut dx1, &mut dw1, Some(&mut db1));
        fast::conv2d_backward(g, &x, &w, &d, &mut dx2, &mut dw2, Some(&mut db2));
        for (what, a, r) in [("out", &o2, &o1), ("dx", &dx2, &dx1), ("dw", &dw2, &dw1), ("db", &db2, &db1)] {
            assert_eq!(a.len(), r.len(), "{what} lengths for {g:?}");
            for (i, (p, q)) in a.iter().zip(r.iter()).enumerate() {
                assert!((p - q).abs() <= 1e-4 * q.abs().max(1.0), "{what}[{i}] fast {p} vs reference {q} for {g:?}");
            }
        }
    }
}
