//! Data augmentation on the device: the affine warp by hand on known maps, the random
//! draws, the GPU kernel against its CPU twin, and a training step that uses it.

mod common;

use convplay::backend::cpu::augment::{affine, transform, warp, Augment};
use convplay::backend::cpu::backend::Cpu;
use convplay::backend::ops::Backend;
use convplay::model::Model;
use convplay::spec::parse;

fn ramp(h: usize, w: usize, c: usize) -> Vec<f32> {
    (0..h * w * c).map(|i| 1.0 + i as f32).collect()
}

#[test]
fn identity_shift_rotation_and_scale_by_hand() {
    let (h, w) = (5, 5);
    let x = ramp(h, w, 1);
    let mut out = vec![0.0; 25];
    warp(h, w, 1, (0.0, 0.0, 0.0, 1.0), &x, &mut out);
    assert_eq!(out, x);
    // Shift right by 1 and down by 2: the top two rows and the left column become 0.
    warp(h, w, 1, (1.0, 2.0, 0.0, 1.0), &x, &mut out);
    for r in 0..h {
        for c in 0..w {
            let want = if r < 2 || c < 1 { 0.0 } else { x[(r - 2) * w + c - 1] };
            assert_eq!(out[r * w + c], want, "({r}, {c})");
        }
    }
    // A quarter turn: out(r, c) = x(cy − (c − cx), cx + (r − cy)).
    warp(h, w, 1, (0.0, 0.0, std::f32::consts::FRAC_PI_2, 1.0), &x, &mut out);
    for r in 0..h {
        for c in 0..w {
            let want = x[(4 - c) * w + r];
            assert!((out[r * w + c] - want).abs() < 1e-4, "({r}, {c}): {} vs {want}", out[r * w + c]);
        }
    }
    // Scale 2 about the centre: the centre stays, the neighbour one pixel right is
    // halfway between the centre and its right neighbour.
    warp(h, w, 1, (0.0, 0.0, 0.0, 2.0), &x, &mut out);
    assert_eq!(out[12], x[12]);
    assert!((out[13] - 0.5 * (x[12] + x[13])).abs() < 1e-6);
    // Channels move together.
    let x3 = ramp(3, 4, 3);
    let mut o3 = vec![0.0; 36];
    warp(3, 4, 3, (1.0, 0.0, 0.0, 1.0), &x3, &mut o3);
    assert_eq!(&o3[3..6], &x3[0..3]);
    assert_eq!(&o3[0..3], &[0.0, 0.0, 0.0]);
}

#[test]
fn draws_are_seeded_per_instance_and_within_range() {
    let a = Augment { shift: 2.0, rotate_deg: 10.0, scale: 0.1 };
    let mut seen = std::collections::HashSet::new();
    for i in 0..200 {
        let (dx, dy, angle, s) = transform(&a, 42, i);
        assert!(dx.abs() <= 2.0 && dy.abs() <= 2.0);
        assert!(angle.abs() <= 10f32.to_radians() + 1e-6);
        assert!((0.9..=1.1).contains(&s));
        assert_eq!(transform(&a, 42, i), (dx, dy, angle, s));
        seen.insert(dx.to_bits());
    }
    assert!(seen.len() > 190, "instances should differ");
    assert_ne!(transform(&a, 42, 0), transform(&a, 43, 0));
    assert_eq!(transform(&Augment::default(), 42, 7), (0.0, 0.0, 0.0, 1.0));
}

#[test]
fn bad_ranges_are_clear_errors() {
    let msg = |a: Augment| a.validate(28, 28).unwrap_err().to_string();
    assert!(msg(Augment { shift: 20.0, ..Default::default() }).contains("use 0 to 14 pixels"));
    assert!(msg(Augment { rotate_deg: -5.0, ..Default::default() }).contains("0 to 180 degrees"));
    assert!(msg(Augment { scale: f32::NAN, ..Default::default() }).contains("scale NaN"));
    let spec = parse(r#"{"input": [6], "layers": [{"type": "dense", "units": 2, "activation": "softmax"}]}"#).unwrap();
    let mut m = Model::new(Cpu::new(), &spec, 2, 1).unwrap();
    let e = m.set_augment(Augment { shift: 1.0, ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("input is 6") || e.contains("image input"), "{e}");
    m.set_augment(Augment::default()).unwrap();
}

#[test]
fn gpu_kernel_matches_cpu_twin() {
    let Some(ctx) = common::gpu() else { return };
    let gpu = convplay::backend::gpu::backend::Gpu::new(std::rc::Rc::new(ctx));
    let a = Augment { shift: 3.0, rotate_deg: 25.0, scale: 0.2 };
    for (n, h, w, c) in [(5, 28, 28, 1), (3, 9, 7, 3), (1, 1, 1, 1)] {
        let x = common::random_vec(n * h * w * c, (n * h) as u64);
        let mut want = vec![0.0; x.len()];
        affine(&a, 9, n, h, w, c, &x, &mut want);
        let (xb, ob) = (gpu.alloc(x.len()), gpu.alloc(x.len()));
        gpu.write(&xb, &x);
        gpu.augment(&a, 9, n, h, w, c, &xb, &ob);
        gpu.flush();
        let got = pollster::block_on(gpu.read(&ob, x.len())).unwrap();
        assert_eq!(got.len(), want.len(), "gpu and cpu output lengths");
        for (i, (g, c)) in got.iter().zip(&want).enumerate() {
            assert!((g - c).abs() < 1e-4, "{n}×{h}×{w}×{c} [{i}]: gpu {g} vs cpu {c}");
        }
        assert_ne!(want, x, "the batch should have changed");
    }
}

#[test]
fn training_steps_use_the_augmented_batch_on_both_backends() {
    let spec = parse(
        r#"{"input": [12, 12, 1], "layers": [
        {"type": "conv2d", "filters": 4, "kernel_size": 3, "activation": "relu"},
        {"type": "flatten"}, {"type": "dense", "units": 3, "activation": "softmax"}]}"#,
    )
    .unwrap();
    let x = common::random_vec(4 * 144, 3).iter().map(|v| v.abs()).collect::<Vec<_>>();
    let y = [0u8, 1, 2, 1];
    let loss = |m: &mut Model<_>| {
        m.compute_gradients(&x, &y).unwrap();
        pollster::block_on(m.take_metrics(4)).unwrap().0
    };
    let mut plain = Model::new(Cpu::new(), &spec, 4, 1).unwrap();
    let mut aug = Model::new(Cpu::new(), &spec, 4, 1).unwrap();
    aug.set_augment(Augment { shift: 2.0, rotate_deg: 15.0, scale: 0.1 }).unwrap();
    let (lp, la) = (loss(&mut plain), loss(&mut aug));
    assert_ne!(lp, la, "augmentation should change what the model sees");
    aug.set_augment(Augment::default()).unwrap();
    assert_eq!(loss(&mut aug), lp, "off again: the plain batch");
    if let Some(ctx) = common::gpu() {
        let mut g = Model::new(convplay::backend::gpu::backend::Gpu::new(std::rc::Rc::new(ctx)), &spec, 4, 1).unwrap();
        g.set_augment(Augment { shift: 2.0, rotate_deg: 15.0, scale: 0.1 }).unwrap();
        g.compute_gradients(&x, &y).unwrap();
        let lg = pollster::block_on(g.take_metrics(4)).unwrap().0;
        assert!((lg - la).abs() < 1e-4, "gpu {lg} vs cpu {la}");
    }
}
