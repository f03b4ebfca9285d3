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
        assert_eq!(a.len(), b.len(), "{name}: probability counts");
        let diff = a.iter().zip(&b).fold(0f32, |d, (p, q)| d.max((p - q).abs()));
        assert!(diff < 0.1, "{name}: probabilities differ by up to {diff}");
        // The logits (the last layer before its softmax), for the record.
        let logits = |m: &mut Model<Cpu>| {
            m.set_input(&x).unwrap();
            let last = m.body.nodes.len() - 1;
            pollster::block_on(m.features(1, last)).unwrap()
        };
        let (la, lb) = (logits(&mut models[0]), logits(&mut models[1]));
        assert_eq!(la.len(), lb.len(), "{name}: logit counts");
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

// ---- Crafted checkpoints: bombs and false size claims, each a clear error in bounded time and memory.

#[global_allocator]
static COUNTING: common::peak::Counting = common::peak::Counting;

use common::pickle::Pickle;

/// A tensor entry: (name, storage key, offset, size, stride).
type Entry<'a> = (&'a str, &'a str, i64, &'a [u64], &'a [u64]);

/// The state dict's pickle: an OrderedDict of tensors rebuilt by `_rebuild_tensor_v2`.
fn state_dict(entries: &[Entry]) -> Vec<u8> {
    let mut p = Pickle::new().ordered_dict().op(b"(");
    for &(name, key, offset, size, stride) in entries {
        p = p.tensor_entry(name, key, 1, offset, size, stride);
    }
    p.op(b"u").stop()
}

/// A legacy checkpoint around `object`: magic number, protocol, system info, the object, the
/// storage keys, then each storage as its claimed element count and its f32 values.
fn legacy(object: &[u8], storages: &[(&str, u64, &[f32])]) -> Vec<u8> {
    let magic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    let mut out = Pickle::new().op(&[0x8a, 10]).op(&magic).stop();
    out.extend(Pickle::new().int(1001).stop());
    out.extend(Pickle::new().op(b"}").stop());
    out.extend_from_slice(object);
    let keys = storages.iter().fold(Pickle::new().op(b"]("), |p, (key, _, _)| p.str(key)).op(b"e").stop();
    out.extend(keys);
    for &(_, count, values) in storages {
        out.extend(count.to_le_bytes());
        out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    }
    out
}

/// Reads `bytes`, which must fail with a message containing `expected`, within `millis` and `bytes_at_most`.
fn refused(bytes: &[u8], expected: &str, millis: u128, bytes_at_most: usize) -> String {
    let (result, peak, took) = common::peak::measure(|| read_state_dict(bytes));
    let e = result.err().unwrap_or_else(|| panic!("a checkpoint that should say `{expected}` was read"));
    let message = e.message();
    assert!(message.starts_with("not a readable PyTorch checkpoint: "), "{message}");
    assert!(message.contains(expected), "`{message}` should say `{expected}`");
    assert!(took.as_millis() < millis, "{expected}: took {took:?}");
    assert!(peak <= bytes_at_most, "{expected}: held {peak} bytes at once");
    message
}

#[test]
fn a_crafted_checkpoint_is_read_with_its_views() {
    let storage: Vec<f32> = (0..6).map(|v| v as f32).collect();
    let bytes = legacy(
        &state_dict(&[
            ("plain", "0", 0, &[2, 1, 3], &[3, 99, 1]),
            ("transposed", "0", 0, &[3, 2], &[1, 3]),
            ("tail", "0", 4, &[2], &[1]),
            ("empty", "0", 0, &[0, 5], &[5, 1]),
        ]),
        &[("0", 6, &storage)],
    );
    let sd = read_state_dict(&bytes).unwrap();
    let got: Vec<(&str, &[usize], &[f32])> =
        sd.tensors.iter().map(|(n, t)| (n.as_str(), t.shape.as_slice(), t.values.as_slice())).collect();
    assert_eq!(
        got,
        vec![
            ("plain", &[2usize, 1, 3][..], &[0.0f32, 1.0, 2.0, 3.0, 4.0, 5.0][..]),
            ("transposed", &[3, 2][..], &[0.0, 3.0, 1.0, 4.0, 2.0, 5.0][..]),
            ("tail", &[2][..], &[4.0, 5.0][..]),
            ("empty", &[0, 5][..], &[][..]),
        ]
    );
}

#[test]
fn a_memo_bomb_is_refused_quickly_in_little_memory() {
    // A pair of the memoised value, memoised again, 64 times: 2^64 leaves if gets were deep copies.
    let mut p = Pickle::new().ordered_dict().str("bomb").op(b")q\x00");
    for _ in 0..64 {
        p = p.op(b"h\x00\x86q\x00"); // the top and a get of it, paired, memoised
    }
    let bytes = legacy(&p.op(b"s").stop(), &[]);
    assert!(bytes.len() < 400, "{} bytes", bytes.len());
    refused(&bytes, "bomb is not a tensor", 1000, 1 << 20);
    // A list that holds itself (a cycle), kept as a value: no walk follows it.
    let cycle = Pickle::new().ordered_dict().str("cycle").op(b"]q\x00h\x00a").op(b"s").stop();
    refused(&legacy(&cycle, &[]), "cycle is not a tensor", 1000, 1 << 20);
}

#[test]
fn deep_nesting_is_refused_not_a_stack_overflow() {
    let mut object = Pickle::new().ordered_dict().str("deep").op(b")");
    object.0.extend(std::iter::repeat_n(0x85u8, 1_000_000)); // TUPLE1, a million times
    let bytes = legacy(&object.op(b"s").stop(), &[]);
    let message = refused(&bytes, "nest more than 100 levels deep", 2000, 64 << 20);
    assert!(message.contains("not a state dict"), "{message}");
    // Lists nested by APPEND count too.
    let mut lists = Pickle::new().op(b"]");
    for _ in 0..200 {
        lists = lists.op(b"]");
    }
    for _ in 0..200 {
        lists = lists.op(b"a");
    }
    refused(&legacy(&lists.stop(), &[]), "nest more than 100 levels deep", 1000, 1 << 20);
}

#[test]
fn size_claims_are_checked_against_the_bytes_in_the_file() {
    let one = [1.0f32];
    let four = [1.0f32, 2.0, 3.0, 4.0];
    let mb = 1 << 20;
    // Stride 0: 2^31 values (8 GiB of f32) from a storage of one value.
    let stride0 = legacy(&state_dict(&[("w", "0", 0, &[65536, 32768], &[0, 0])]), &[("0", 1, &one)]);
    refused(&stride0, "w claims 2147483648 values (size [65536, 32768]) but its storage 0 holds 1", 1000, mb);
    // A size whose product overflows u64.
    let huge = legacy(&state_dict(&[("w", "0", 0, &[1 << 32, 1 << 32, 1 << 32], &[0, 0, 0])]), &[("0", 1, &one)]);
    refused(
        &huge,
        "w's size [4294967296, 4294967296, 4294967296] multiplies to more values than this engine can address",
        1000,
        mb,
    );
    // A storage that claims more values than the file holds.
    let storage = legacy(&state_dict(&[("w", "0", 0, &[1], &[1])]), &[("0", 1 << 62, &one)]);
    refused(&storage, "storage 0 claims 4611686018427387904 values of 4 bytes, but only 4 bytes are left", 1000, mb);
    // Past the end of the storage, by offset or by stride.
    let past = legacy(&state_dict(&[("w", "0", 3, &[2], &[1])]), &[("0", 4, &four)]);
    refused(&past, "w (offset 3, size [2], stride [1]) reaches past the end of its storage 0 of 4 values", 1000, mb);
    let strided = legacy(&state_dict(&[("w", "0", 0, &[2, 2], &[1 << 62, 1])]), &[("0", 4, &four)]);
    refused(
        &strided,
        "w (offset 0, size [2, 2], stride [4611686018427387904, 1]) reaches past the end of its storage 0 of 4 values",
        1000,
        mb,
    );
    let negative = legacy(&state_dict(&[("w", "0", -1, &[2], &[1])]), &[("0", 4, &four)]);
    refused(&negative, "a negative storage offset -1", 1000, mb);
    let ranks = legacy(&state_dict(&[("w", "0", 0, &[2, 2], &[1])]), &[("0", 4, &four)]);
    refused(&ranks, "w has 2 sizes but 1 strides", 1000, mb);
    // Each tensor fits its storage, but 10,000 of them repeat it: 40,000 values from 16 bytes.
    let names: Vec<String> = (0..10_000).map(|i| format!("t{i}")).collect();
    let entries: Vec<Entry> = names.iter().map(|n| (n.as_str(), "0", 0, &[4u64][..], &[1u64][..])).collect();
    let shared = legacy(&state_dict(&entries), &[("0", 4, &four)]);
    // Its pickle's objects (kept to the end, as Python's memo may name any) take a small
    // multiple of its bytes, never more.
    let at_most = 32 * shared.len();
    refused(
        &shared,
        "the tensors up to t4 hold 20 values in all, more than the file's 16 bytes of storage",
        2000,
        at_most,
    );
}

#[test]
fn import_checks_each_shape_against_its_values() {
    use convplay::weights::torch::{StateDict, TorchTensor};
    let dict = |shape: Vec<usize>, values: Vec<f32>| StateDict {
        tensors: vec![(
            "_conv_stem.weight".to_string(),
            TorchTensor { shape, values, storage_type: "FloatStorage".into() },
        )],
    };
    let message = |sd: &StateDict| import_lite0(sd).err().expect("an error").message();
    // A product that overflows: the transposes would index by it.
    let m = message(&dict(vec![1 << 32, 1 << 32, 1 << 32, 1], vec![]));
    assert_eq!(
        m,
        "checkpoint tensor _conv_stem.weight has shape [4294967296, 4294967296, 4294967296, 1], which holds more values than this engine can count, but it has 0 values; the checkpoint is damaged"
    );
    let m = message(&dict(vec![2, 3, 3, 3], vec![0.0; 4]));
    assert!(m.contains("has shape [2, 3, 3, 3], which holds 54 values, but it has 4 values"), "{m}");
    // An empty tensor with one huge dimension moves nothing and loops over nothing.
    let (result, _, took) = common::peak::measure(|| import_lite0(&dict(vec![1 << 40, 0, 1, 1], vec![])));
    let imported = result.unwrap();
    assert_eq!(imported.tensors[0].1, vec![1, 1, 0, 1 << 40]);
    assert!(took.as_millis() < 1000, "took {took:?}");
    // Through the reader: a checkpoint whose conv claims 2^64 values never reaches the import.
    let bytes = legacy(&state_dict(&[("_conv_stem.weight", "0", 0, &[1 << 16; 4], &[0; 4])]), &[("0", 1, &[1.0])]);
    refused(&bytes, "_conv_stem.weight's size [65536, 65536, 65536, 65536] multiplies to more values", 1000, 1 << 20);
}
