//! Semantic segmentation end to end on the CPU: scenes made from the real MNIST test digits
//! (deterministic per seed, every ink pixel labelled with a digit that is in the scene's
//! sources), the preset segment-mini trained on them through the core trainer with one label
//! per pixel, and its IoU read from the trainer's last evaluation.

mod common;

use convplay::data::idx::read_split;
use convplay::data::scenes::{self, SceneConfig, BACKGROUND, CLASSES, EVAL_SEED, INK_THRESHOLD};
use convplay::train::{Data, Trainer};
use convplay::Engine;

fn test_digits() -> (Vec<u8>, Vec<u8>) {
    let (im, lb) = read_split(&common::repo_root().join("www/public/data/mnist"), "t10k").unwrap();
    (im.pixels[..2000 * 784].to_vec(), lb.labels[..2000].to_vec())
}

#[test]
fn scenes_from_mnist_are_seeded_and_labelled_by_ink() {
    let (px, lb) = test_digits();
    let c = SceneConfig::default();
    let a = scenes::generate(&px, &lb, 50, EVAL_SEED, &c).unwrap();
    assert_eq!(a, scenes::generate(&px, &lb, 50, EVAL_SEED, &c).unwrap());
    assert_ne!(a.pixels, scenes::generate(&px, &lb, 50, EVAL_SEED + 1, &c).unwrap().pixels);
    let mut digits_seen = [0usize; 10];
    for s in 0..50 {
        let (p, l) = a.scene(s).unwrap();
        for (&v, &k) in p.iter().zip(l) {
            assert_eq!(k != BACKGROUND, v >= INK_THRESHOLD);
            if k != BACKGROUND {
                digits_seen[k as usize] += 1;
            }
        }
        // 2 to 4 digits were asked for: some ink, and at most 4 distinct digits.
        let distinct = (0..10u8).filter(|d| l.contains(d)).count();
        assert!((1..=4).contains(&distinct), "scene {s}: {distinct} digits");
    }
    assert!(digits_seen.iter().all(|&n| n > 0), "every digit appears in 50 scenes: {digits_seen:?}");
    // Ink is a minority of the canvas, as in MNIST itself.
    let ink = a.labels.iter().filter(|&&k| k != BACKGROUND).count() as f32 / a.labels.len() as f32;
    assert!((0.03..0.4).contains(&ink), "ink fraction {ink}");
}

#[test]
fn segment_mini_learns_background_and_reports_iou() {
    let (px, lb) = test_digits();
    let spec = convplay::presets::preset("segment-mini").unwrap();
    let engine = pollster::block_on(Engine::new("cpu".parse().unwrap())).unwrap();
    let mut t = Trainer::new(&engine, &spec, 16, 1).unwrap();
    assert_eq!((t.classes(), t.positions()), (CLASSES, 56 * 56));
    let c = SceneConfig::default();
    let train = scenes::generate(&px[..1000 * 784], &lb[..1000], 64, 3, &c).unwrap();
    let eval = scenes::generate(&px[1000 * 784..], &lb[1000..], 16, EVAL_SEED, &c).unwrap();
    t.set_train_data(Data::U8(train.pixels), train.labels).unwrap();
    t.set_eval_data(Data::U8(eval.pixels), eval.labels.clone()).unwrap();
    assert!(t.last_iou().unwrap_err().message().contains("call evaluate first"));
    t.set_schedule("constant", 0.003, 1, 1).unwrap();
    for epoch in 0..3 {
        let n = t.start_epoch(epoch).unwrap();
        t.train_batches(n).unwrap();
    }
    let acc = pollster::block_on(t.evaluate()).unwrap();
    let iou = t.last_iou().unwrap();
    assert_eq!(t.eval_labels(), &eval.labels[..]);
    assert_eq!(t.last_predictions().len(), 16 * 56 * 56);
    assert_eq!(iou.per_class.len(), CLASSES);
    assert!((iou.pixel_accuracy - acc).abs() < 1e-5, "{} vs {acc}", iou.pixel_accuracy);
    // After a few steps the background at least is found (most pixels are background).
    assert!(iou.per_class[BACKGROUND as usize].unwrap() > 0.7, "{iou:?}");
    assert!((0.0..=1.0).contains(&iou.mean));
}
