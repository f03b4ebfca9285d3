//! The CPU backend's fast paths (packed GEMM, convolutions, dense, pooling) against the
//! reference loops on odd shapes, and threaded runs against single-threaded ones: the same
//! bits, kernel by kernel and for whole training steps.

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::cpu::gemm::{gemm, View};
use convplay::backend::cpu::{act, conv, dense, fast, fast_ops, norm, pool, threads};
use convplay::backend::geom::Window;
use convplay::backend::ops::OptimStep;
use convplay::model::Model;
use convplay::spec::Activation;
use convplay::spec::Padding;

fn close(what: &str, got: &[f32], want: &[f32]) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (p, q)) in got.iter().zip(want).enumerate() {
        assert!((p - q).abs() <= 1e-4 * q.abs().max(1.0), "{what}[{i}]: fast {p} vs reference {q}");
    }
}

/// A matrix [rows, cols] stored either row-major or as the transpose of a row-major [cols, rows].
fn view(data: &[f32], rows: usize, cols: usize, transposed: bool) -> View<'_> {
    if transposed {
        View::transposed(data, rows)
    } else {
        View::rows(data, cols)
    }
}

#[test]
fn gemm_matches_naive_on_odd_shapes() {
    // Shapes around the micro-tile (6×32 natively), the row block (96) and the depth block (256).
    for (t, &(m, n, k)) in
        [(1, 1, 1), (7, 5, 3), (13, 17, 300), (97, 33, 257), (6, 16, 256), (200, 19, 600)].iter().enumerate()
    {
        let a = common::random_vec(m * k, 1 + t as u64);
        let b = common::random_vec(k * n, 11 + t as u64);
        let c0 = common::random_vec(m * n, 21 + t as u64);
        for (ta, tb, acc) in [(false, false, false), (true, false, true), (false, true, true), (true, true, false)] {
            let (av, bv) = (view(&a, m, k, ta), view(&b, k, n, tb));
            let at = |i: usize, p: usize| if ta { a[p * m + i] } else { a[i * k + p] };
            let bt = |p: usize, j: usize| if tb { b[j * k + p] } else { b[p * n + j] };
            let mut want = vec![0.0f32; m * n];
            for i in 0..m {
                for j in 0..n {
                    let s0 = if acc { c0[i * n + j] as f64 } else { 0.0 };
                    want[i * n + j] = (0..k).fold(s0, |s, p| s + at(i, p) as f64 * bt(p, j) as f64) as f32;
                }
            }
            let mut got = c0.clone();
            gemm(m, n, k, av, bv, &mut got, acc);
            close(&format!("gemm {m}×{n}×{k} ta {ta} tb {tb} acc {acc}"), &got, &want);
        }
    }
}

fn conv_shapes() -> Vec<Window> {
    let w = |n, hwc, oc, k, s, p| Window::new("t", n, hwc, oc, (k, k), (s, s), p).unwrap();
    vec![
        w(5, (9, 7, 1), 33, 3, 1, Padding::Valid), // one channel: the direct loop; 5 images (parts of 4)
        w(3, (8, 8, 1), 5, 3, 2, Padding::Same),
        w(2, (13, 11, 40), 19, 3, 1, Padding::Same), // depth 360 (two depth blocks), 143 rows
        w(9, (7, 6, 3), 70, 5, 2, Padding::Same),
        w(6, (5, 7, 12), 24, 1, 1, Padding::Valid),    // pointwise: no im2col
        w(1, (12, 12, 17), 130, 3, 1, Padding::Valid), // one image: rows shared among threads
    ]
}

fn conv_case(g: &Window, t: u64) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
    let kl = (g.kh * g.kw * g.c * g.oc) as usize;
    let x = common::random_vec(g.input_len(), 100 + t);
    let w = common::random_vec(kl, 200 + t);
    let b = common::random_vec(g.oc as usize, 300 + t);
    let d = common::random_vec(g.output_len(), 400 + t);
    (x, w, b, d)
}

/// Forward, then backward with and without the data gradient: (out, dx, dw, db, dw without dx).
fn fast_conv(g: &Window, x: &[f32], w: &[f32], b: &[f32], d: &[f32]) -> [Vec<f32>; 5] {
    let mut o = vec![0.0f32; g.output_len()];
    fast::conv2d_forward(g, x, w, Some(b), &mut o);
    let (mut dx, mut dw, mut db) = (vec![7.0f32; x.len()], vec![0.0f32; w.len()], vec![0.0f32; b.len()]);
    fast::conv2d_backward(g, x, w, d, &mut dx, &mut dw, Some(&mut db));
    let mut dw2 = vec![0.0f32; w.len()];
    fast::conv2d_backward_opt(g, x, w, d, None, &mut dw2, None);
    [o, dx, dw, db, dw2]
}

#[test]
fn fast_conv_matches_reference_on_odd_shapes() {
    for (t, g) in conv_shapes().iter().enumerate() {
        let (x, w, b, d) = conv_case(g, t as u64);
        let mut o = vec![0.0f32; g.output_len()];
        conv::conv2d_forward(g, &x, &w, Some(&b), &mut o);
        let (mut dx, mut dw, mut db) = (vec![0.0f32; x.len()], vec![0.0f32; w.len()], vec![0.0f32; b.len()]);
        conv::conv2d_backward(g, &x, &w, &d, &mut dx, &mut dw, Some(&mut db));
        let [fo, fdx, fdw, fdb, fdw2] = fast_conv(g, &x, &w, &b, &d);
        if g.c == 1 {
            // The direct loop sums in the reference's order, without fusing: the same bits.
            assert_eq!(fo, o, "direct forward {g:?}");
        }
        close(&format!("out {g:?}"), &fo, &o);
        close(&format!("dx {g:?}"), &fdx, &dx);
        close(&format!("dw {g:?}"), &fdw, &dw);
        close(&format!("db {g:?}"), &fdb, &db);
        assert_eq!(fdw2, fdw, "dw without dx {g:?}");
    }
}

#[test]
fn fast_dense_and_pool_match_reference() {
    for (t, &(n, k, m)) in [(1, 1, 1), (5, 300, 7), (37, 3200, 19), (130, 64, 10)].iter().enumerate() {
        let x = common::random_vec(n * k, 500 + t as u64);
        let w = common::random_vec(k * m, 510 + t as u64);
        let b = common::random_vec(m, 520 + t as u64);
        let d = common::random_vec(n * m, 530 + t as u64);
        let (mut o1, mut o2) = (vec![0.0f32; n * m], vec![0.0f32; n * m]);
        dense::dense_forward(n, k, m, &x, &w, Some(&b), &mut o1);
        fast_ops::dense_forward(n, k, m, &x, &w, Some(&b), &mut o2);
        close("dense out", &o2, &o1);
        let mut r = (vec![0.0f32; n * k], vec![0.5f32; k * m], vec![0.5f32; m]);
        let mut f = r.clone();
        dense::dense_backward(n, k, m, &x, &w, &d, &mut r.0, &mut r.1, Some(&mut r.2));
        fast_ops::dense_backward(n, k, m, &x, &w, &d, &mut f.0, &mut f.1, Some(&mut f.2));
        close("dense dx", &f.0, &r.0);
        close("dense dw", &f.1, &r.1);
        close("dense db", &f.2, &r.2);
    }
    for (t, g) in [
        Window::new("p", 3, (7, 9, 5), 5, (2, 2), (2, 2), Padding::Same).unwrap(),
        Window::new("p", 2, (6, 6, 3), 3, (3, 3), (2, 2), Padding::Valid).unwrap(),
    ]
    .iter()
    .enumerate()
    {
        let x = common::random_vec(g.input_len(), 600 + t as u64);
        let d = common::random_vec(g.output_len(), 610 + t as u64);
        let (mut o1, mut a1, mut o2, mut a2) = (
            vec![0.0f32; g.output_len()],
            vec![0u32; g.output_len()],
            vec![0.0; g.output_len()],
            vec![0; g.output_len()],
        );
        pool::max_pool_forward(g, &x, &mut o1, &mut a1);
        fast_ops::max_pool_forward(g, &x, &mut o2, &mut a2);
        assert_eq!((&o2, &a2), (&o1, &a1), "max pool {g:?}");
        let (mut dx1, mut dx2) = (vec![0.0f32; x.len()], vec![3.0f32; x.len()]);
        pool::max_pool_backward(&d, &a1, &mut dx1);
        fast_ops::max_pool_backward(g, &d, &a2, &mut dx2);
        assert_eq!(dx2, dx1, "max pool backward {g:?}");
    }
}

/// Batch norm's per-channel sums split by channel groups: the reference's bits exactly.
#[test]
fn fast_batch_norm_equals_reference() {
    for (t, &(rows, c)) in [(1, 1), (37, 5), (700, 33), (4608, 64)].iter().enumerate() {
        let x = common::random_vec(rows * c, 700 + t as u64);
        let dy = common::random_vec(rows * c, 710 + t as u64);
        let (gamma, beta) = (common::random_vec(c, 720 + t as u64), common::random_vec(c, 730 + t as u64));
        let run = |fast: bool| {
            let (mut rm, mut rv, mut out) = (vec![0.1f32; c], vec![0.9f32; c], vec![0.0f32; rows * c]);
            let (mut dx, mut dg, mut db) = (vec![0.0f32; rows * c], vec![0.2f32; c], vec![0.3f32; c]);
            let s = if fast {
                let s = fast_ops::batch_norm_train(c, &x, &gamma, &beta, 1e-3, 0.9, &mut rm, &mut rv, &mut out);
                fast_ops::batch_norm_backward(c, &x, &gamma, &s, &dy, &mut dx, &mut dg, &mut db);
                s
            } else {
                let s = norm::batch_norm_train(c, &x, &gamma, &beta, 1e-3, 0.9, &mut rm, &mut rv, &mut out);
                norm::batch_norm_backward(c, &x, &gamma, &s, &dy, &mut dx, &mut dg, &mut db);
                s
            };
            [s.mean, s.inv_std, rm, rv, out, dx, dg, db]
        };
        let (r, f) = (run(false), on(3, || run(true)));
        assert!(r == f, "batch norm over {rows}×{c} differs from the reference");
    }
}

/// Activation gradients in pieces over the threads: the reference's bits (ReLU's zeros keep their sign).
#[test]
fn fast_activation_backward_equals_reference() {
    let y: Vec<f32> = common::random_vec(70_001 * 3, 800).iter().map(|v| v.max(0.0)).collect();
    let dy = common::random_vec(y.len(), 801);
    for a in [Activation::Relu, Activation::Sigmoid, Activation::Softmax] {
        let (mut r, mut f) = (dy.clone(), dy.clone());
        act::activation_backward(a, 3, &y, &mut r);
        on(3, || fast_ops::activation_backward(a, 3, &y, &mut f));
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert!(bits(&r) == bits(&f), "{a:?} backward differs from the reference");
    }
}

/// Runs `f` on a pool of `n` threads.
fn on<R: Send>(n: usize, f: impl FnOnce() -> R + Send) -> R {
    threads::pool(n).unwrap().install(f)
}

#[test]
fn threaded_kernels_equal_one_thread() {
    for (t, g) in conv_shapes().iter().enumerate() {
        let (x, w, b, d) = conv_case(g, 50 + t as u64);
        let one = on(1, || fast_conv(g, &x, &w, &b, &d));
        let three = on(3, || fast_conv(g, &x, &w, &b, &d));
        assert!(one == three, "conv on 1 vs 3 threads differs for {g:?}");
    }
    let (n, k, m) = (130, 3200, 33);
    let (x, w, d) = (common::random_vec(n * k, 1), common::random_vec(k * m, 2), common::random_vec(n * m, 3));
    let run = || {
        let (mut o, mut dx, mut dw) = (vec![0.0f32; n * m], vec![0.0f32; n * k], vec![0.0f32; k * m]);
        fast_ops::dense_forward(n, k, m, &x, &w, None, &mut o);
        fast_ops::dense_backward(n, k, m, &x, &w, &d, &mut dx, &mut dw, None);
        (o, dx, dw)
    };
    assert!(on(1, run) == on(3, run), "dense on 1 vs 3 threads differs");
    let g = Window::new("d", 3, (9, 8, 24), 24, (3, 3), (2, 2), Padding::Same).unwrap();
    let (x, w) = (common::random_vec(g.input_len(), 4), common::random_vec(9 * 24, 5));
    let depthwise = || {
        let mut o = vec![0.0f32; g.output_len()];
        fast::depthwise_forward(&g, &x, &w, None, &mut o);
        o
    };
    assert!(on(1, depthwise) == on(3, depthwise), "depthwise on 1 vs 3 threads differs");
}

/// A few Adam steps of a preset on the CPU backend; returns every parameter afterwards.
fn train(preset: &str, batch: usize) -> Vec<(String, Vec<f32>)> {
    let spec = convplay::presets::preset(preset).unwrap();
    let mut model = Model::new(Cpu::new(), &spec, batch, 7).unwrap();
    let x: Vec<f32> = common::random_vec(batch * 784, 9).iter().map(|v| v.abs()).collect();
    let y: Vec<u8> = (0..batch).map(|i| (i * 7 % 10) as u8).collect();
    for t in 1..=3 {
        let step =
            OptimStep::Adam { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7, t, weight_decay: 0.0, decoupled: false };
        model.train_step(&x, &y, step).unwrap();
    }
    pollster::block_on(model.read_params()).unwrap()
}

#[test]
fn threaded_training_steps_equal_one_thread() {
    for (preset, batch) in [("seed-001", 10), ("seed-004", 9)] {
        let one = on(1, || train(preset, batch));
        let two = on(2, || train(preset, batch));
        assert_eq!(one.len(), two.len());
        for ((name, a), (_, b)) in one.iter().zip(&two) {
            assert!(a == b, "{preset}: {name} differs between 1 and 2 threads");
        }
        let untrained = convplay::presets::preset(preset).unwrap();
        let fresh = pollster::block_on(Model::new(Cpu::new(), &untrained, batch, 7).unwrap().read_params()).unwrap();
        assert!(fresh.iter().zip(&one).any(|((_, a), (_, b))| a != b), "{preset}: the steps changed nothing");
    }
}

/// `--threads`: 0 is refused with a clear line before any work; 2 trains and says so.
#[test]
fn cli_threads_flag() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_convplay"))
            .current_dir(common::repo_root())
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    for cmd in [&["train", "--backend", "cpu"][..], &["bench", "--cpu-only"], &["transfer-experiment"]] {
        let (ok, _, err) = run(&[cmd, &["--threads", "0"]].concat());
        assert!(!ok && err.starts_with("error: --threads 0: give at least 1"), "{cmd:?}: {err}");
        assert!(!err.contains("panicked"), "{cmd:?}: {err}");
    }
    let (ok, out, err) = run(&[
        "train",
        "--backend",
        "cpu",
        "--threads",
        "2",
        "--train-limit",
        "64",
        "--test-limit",
        "10",
        "--epochs",
        "1",
    ]);
    assert!(ok, "{err}");
    assert!(out.contains(", 2 CPU threads,") && out.contains("epoch 1: loss"), "{out}");
}

/// LRN's fast path (powers once per channel, none through `powf` for β = 0.75, 0.5, 1) equals
/// the reference to rounding, for odd channel counts, radii wider than the channels, and
/// any thread count.
#[test]
fn fast_lrn_matches_reference() {
    for (t, &(rows, c, r, beta)) in
        [(1, 1, 2, 0.75f32), (7, 5, 2, 0.75), (33, 17, 3, 0.5), (50, 3, 5, 1.0), (129, 64, 2, 0.6)].iter().enumerate()
    {
        let x = common::random_vec(rows * c, 900 + t as u64);
        let dy = common::random_vec(rows * c, 910 + t as u64);
        let (bias, alpha) = (1.0f32, 0.5f32);
        let (mut o1, mut o2) = (vec![0.0; rows * c], vec![0.0; rows * c]);
        norm::lrn_forward(c, r, bias, alpha, beta, &x, &mut o1);
        on(3, || fast_ops::lrn_forward(c, r, bias, alpha, beta, &x, &mut o2));
        close(&format!("lrn forward {rows}×{c} r{r} β{beta}"), &o2, &o1);
        let (mut d1, mut d2) = (vec![0.0; rows * c], vec![0.0; rows * c]);
        norm::lrn_backward(c, r, bias, alpha, beta, &x, &dy, &mut d1);
        on(3, || fast_ops::lrn_backward(c, r, bias, alpha, beta, &x, &dy, &mut d2));
        close(&format!("lrn backward {rows}×{c} r{r} β{beta}"), &d2, &d1);
        let mut single = vec![0.0; rows * c];
        on(1, || fast_ops::lrn_backward(c, r, bias, alpha, beta, &x, &dy, &mut single));
        assert!(single == d2, "LRN's fast path gives other bits on 1 thread than on 3");
    }
}
