//! EfficientNet-Lite0 from its PyTorch checkpoint (in ../shared/models): every tensor read
//! and placed, the photos in ../shared/data/images classified, the preprocessing that the
//! weights need told apart from a mismatched one, int8 agreeing with f32, and damaged
//! checkpoints as errors.

mod common;

use convplay::backend::cpu::backend::Cpu;
use convplay::data::photo::{centre_crop, normalise};
use convplay::import::efficientnet::{import_lite0, lite0_spec, preprocessing};
use convplay::model::Model;
use convplay::weights::torch::read_state_dict;
use convplay::weights::{encode, load_into, read, Extra, Storage};
use std::path::PathBuf;

fn shared(path: &str) -> PathBuf {
    let p = common::repo_root().join("../shared").join(path);
    assert!(
        p.exists(),
        "{} is missing: the tests read the checkpoint and photos from ../shared beside the checkout",
        p.display()
    );
    p
}

fn checkpoint() -> Vec<u8> {
    std::fs::read(shared("models/efficientnet-lite0-57934424.pth")).unwrap()
}

fn weights(storage: Storage) -> Vec<u8> {
    let imported = import_lite0(&read_state_dict(&checkpoint()).unwrap()).unwrap();
    let spec = convplay::spec::parse(&lite0_spec().to_string()).unwrap();
    encode(&spec.source, &Extra { labels: None, preprocessing: Some(preprocessing()) }, &imported.tensors, storage)
        .unwrap()
}

/// The photo, centre-cropped to 224×224 RGB.
fn photo(name: &str) -> Vec<u8> {
    let img = image::open(shared(&format!("data/images/{name}"))).unwrap().to_rgb8();
    let (w, h) = img.dimensions();
    centre_crop(img.as_raw(), w as usize, h as usize, 224, 0.875).unwrap()
}

fn probabilities(m: &mut Model<Cpu>, x: &[f32]) -> Vec<f32> {
    m.set_input(x).unwrap();
    pollster::block_on(m.predict(1)).unwrap()
}

fn top(p: &[f32]) -> usize {
    (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap()
}

#[test]
fn every_tensor_is_read_and_placed() {
    let sd = read_state_dict(&checkpoint()).unwrap();
    assert_eq!(sd.tensors.len(), 296);
    assert_eq!(sd.tensors.iter().map(|(_, t)| t.values.len()).sum::<usize>(), 4_694_073);
    assert_eq!(sd.tensors[0].0, "_conv_stem.weight");
    assert_eq!(sd.tensors[0].1.shape, vec![32, 3, 3, 3]);
    let imported = import_lite0(&sd).unwrap();
    assert_eq!(imported.tensors.len(), 247);
    assert_eq!(imported.counters.len(), 49, "one num_batches_tracked per batch norm");
    assert_eq!(imported.values, 4_694_073);
    let find = |n: &str| imported.tensors.iter().find(|t| t.0 == n).unwrap_or_else(|| panic!("{n}"));
    assert_eq!(find("conv_stem/kernel").1, vec![3, 3, 3, 32]);
    assert_eq!(find("blocks.1.depthwise_conv/kernel").1, vec![3, 3, 96]);
    assert_eq!(find("fc/kernel").1, vec![1280, 1000]);
    assert_eq!(find("blocks.15.bn2/moving_variance").1, vec![320]);
    // Transposes: OIHW → HWIO, [out, in] → [in, out].
    let stem = &sd.tensors[0].1.values;
    let (o, i, y, x) = (5, 2, 1, 0);
    assert_eq!(find("conv_stem/kernel").2[((y * 3 + x) * 3 + i) * 32 + o], stem[((o * 3 + i) * 3 + y) * 3 + x]);
    let fc = &sd.tensors.iter().find(|t| t.0 == "_fc.weight").unwrap().1.values;
    assert_eq!(find("fc/kernel").2[7 * 1000 + 3], fc[3 * 1280 + 7]);
    // The spec's model takes exactly these parameters.
    let file = read(&weights(Storage::F32)).unwrap();
    let model = Model::new(Cpu::new(), &file.spec, 1, 1).unwrap();
    load_into(&model, &file).unwrap();
    assert_eq!(model.param_count(), 4_694_024);
}

#[test]
fn photos_are_classified_and_the_preprocessing_matters() {
    let file = read(&weights(Storage::F32)).unwrap();
    let mut m = Model::new(Cpu::new(), &file.spec, 1, 1).unwrap();
    load_into(&m, &file).unwrap();
    let ours = |rgb: &[u8]| normalise(rgb, [127.0; 3], [128.0; 3]);
    // ImageNet's torchvision statistics: a plausible mistake for a PyTorch checkpoint.
    let torchvision = |rgb: &[u8]| {
        normalise(rgb, [0.485 * 255.0, 0.456 * 255.0, 0.406 * 255.0], [0.229 * 255.0, 0.224 * 255.0, 0.225 * 255.0])
    };
    let cat = photo("chelsea.png");
    let coffee = photo("coffee.png");
    let rocket = photo("rocket.jpg");
    let p_cat = probabilities(&mut m, &ours(&cat));
    assert!((281..=285).contains(&top(&p_cat)), "chelsea: top-1 {} should be a cat (281–285)", top(&p_cat));
    let p_coffee = probabilities(&mut m, &ours(&coffee));
    assert_eq!(top(&p_coffee), 967, "coffee: espresso");
    assert!(p_coffee[967] > 0.9, "espresso at {}", p_coffee[967]);
    let p_rocket = probabilities(&mut m, &ours(&rocket));
    assert!(
        [657, 744, 812].contains(&top(&p_rocket)),
        "rocket: top-1 {} should be missile, projectile or space shuttle",
        top(&p_rocket)
    );
    // The wrong statistics lose confidence on the same photos.
    let q_cat = probabilities(&mut m, &torchvision(&cat));
    let q_coffee = probabilities(&mut m, &torchvision(&coffee));
    let cat_mass = |p: &[f32]| p[281..=285].iter().sum::<f32>();
    assert!(
        cat_mass(&p_cat) > cat_mass(&q_cat),
        "cat {} vs {} with torchvision statistics",
        cat_mass(&p_cat),
        cat_mass(&q_cat)
    );
    assert!(p_coffee[967] > q_coffee[967], "espresso {} vs {}", p_coffee[967], q_coffee[967]);
}

#[test]
fn int8_classifies_the_photos_as_f32_does() {
    let mut models = [Storage::F32, Storage::Int8].map(|s| {
        let file = read(&weights(s)).unwrap();
        let m = Model::new(Cpu::new(), &file.spec, 1, 1).unwrap();
        load_into(&m, &file).unwrap();
        m
    });
    for name in ["chelsea.png", "coffee.png", "rocket.jpg"] {
        let x = normalise(&photo(name), [127.0; 3], [128.0; 3]);
        let a = probabilities(&mut models[0], &x);
        let b = probabilities(&mut models[1], &x);
        assert_eq!(top(&a), top(&b), "{name}");
        let diff = a.iter().zip(&b).fold(0f32, |d, (p, q)| d.max((p - q).abs()));
        assert!(diff < 0.1, "{name}: probabilities differ by up to {diff}");
        // The logits (the last layer before its softmax), for the record.
        let logits = |m: &mut Model<Cpu>| {
            m.set_input(&x).unwrap();
            let last = m.body.nodes.len() - 1;
            pollster::block_on(m.features(1, last)).unwrap()
        };
        let (la, lb) = (logits(&mut models[0]), logits(&mut models[1]));
        let ldiff = la.iter().zip(&lb).fold(0f32, |d, (p, q)| d.max((p - q).abs()));
        let range = la.iter().fold(f32::MIN, |a, &b| a.max(b)) - la.iter().fold(f32::MAX, |a, &b| a.min(b));
        println!("{name}: max |logit f32 − logit int8| = {ldiff:.3} (f32 logits span {range:.1})");
        assert!(ldiff < 0.1 * range, "{name}: logits differ by up to {ldiff}");
    }
}

#[test]
fn damaged_checkpoints_are_errors() {
    let bytes = checkpoint();
    for cut in [10, 100, 42_000, 50_000, bytes.len() - 4] {
        let e = read_state_dict(&bytes[..cut]).err().unwrap_or_else(|| panic!("cut at {cut} should fail"));
        assert!(e.message().starts_with("not a readable PyTorch checkpoint: "), "{e}");
    }
    assert!(read_state_dict(b"PK\x03\x04 a zip").err().unwrap().message().contains("magic number"));
    assert!(read_state_dict(&[]).is_err());
}
