//! Fuzzing in `cargo test`: one target per parser, each a seeded mutation loop (no cargo-fuzz:
//! it needs a nightly compiler). Every input must give `Ok` or `Err` — never a panic — within a
//! bounded time. Seeds are valid inputs from the repository (presets, a small weights file,
//! truncated MNIST files, small photos, a crafted checkpoint) and the reproducers of issue 13's
//! findings; a small mutator stacks bit flips, byte inserts and deletes, splices between
//! seeds, interesting integers and, for specs, JSON-aware edits.
//!
//! In `npm test` each target runs a fixed number of inputs: about 4.7 million in all, a minute
//! on 2 cores (the test profile builds with opt-level 2, so this is near release speed). A longer run, not part of CI (docs/reliability.md):
//!
//! ```text
//! CONVPLAY_FUZZ_SECONDS=600 cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! runs each target for that many seconds instead; `CONVPLAY_FUZZ_SEED` changes the seed. An
//! input that panics is written to `target/fuzz-findings/` and named in the failure.

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// xorshift64*: deterministic, seeded.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Integers that find edge cases: zero, one, sign and width boundaries, powers of two.
const INTERESTING: [u64; 16] = [
    0,
    1,
    2,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff,
    0xffff,
    0x1_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x7fff_ffff_ffff_ffff,
    u64::MAX,
];

/// One byte-level mutation of `v` (seeds for splicing from `pool`).
fn mutate_bytes(v: &mut Vec<u8>, pool: &[Vec<u8>], rng: &mut Rng) {
    let len = v.len();
    match rng.below(9) {
        0 if len > 0 => {
            let i = rng.below(len);
            v[i] ^= 1 << rng.below(8);
        }
        1 if len > 0 => {
            let i = rng.below(len);
            v[i] = rng.next() as u8;
        }
        2 => {
            let at = rng.below(len + 1);
            let n = 1 + rng.below(8);
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            v.splice(at..at, bytes);
        }
        3 if len > 0 => {
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(64));
            v.drain(at..at + n);
        }
        4 if len > 0 => {
            // An interesting integer, 1, 2, 4 or 8 bytes wide, either byte order.
            let width = [1, 2, 4, 8][rng.below(4)];
            let at = rng.below(len);
            let value = INTERESTING[rng.below(INTERESTING.len())];
            let bytes = if rng.chance(50) { value.to_le_bytes() } else { value.to_be_bytes() };
            let bytes = if bytes[..8 - width].iter().all(|&b| b == 0) || rng.chance(50) {
                if width == 8 {
                    bytes.to_vec()
                } else if bytes == value.to_be_bytes() {
                    bytes[8 - width..].to_vec()
                } else {
                    bytes[..width].to_vec()
                }
            } else {
                bytes[..width].to_vec()
            };
            for (k, b) in bytes.into_iter().enumerate() {
                if at + k < len {
                    v[at + k] = b;
                }
            }
        }
        5 if !pool.is_empty() => {
            // Splice: a piece of another seed over or into this one.
            let other = &pool[rng.below(pool.len())];
            if !other.is_empty() {
                let from = rng.below(other.len());
                let n = 1 + rng.below((other.len() - from).min(256));
                let at = rng.below(len + 1);
                if rng.chance(50) {
                    v.splice(at..at, other[from..from + n].iter().copied());
                } else {
                    let end = (at + n).min(len);
                    v.splice(at..end, other[from..from + n].iter().copied());
                }
            }
        }
        6 if len > 0 => {
            // Repeat a chunk (nesting, repeated records).
            let at = rng.below(len);
            let n = 1 + rng.below((len - at).min(32));
            let chunk = v[at..at + n].to_vec();
            for _ in 0..1 + rng.below(16) {
                v.splice(at..at, chunk.iter().copied());
            }
        }
        7 if len > 0 => v.truncate(rng.below(len)),
        _ if len > 0 => {
            // Arithmetic on a byte.
            let i = rng.below(len);
            v[i] = v[i].wrapping_add((rng.below(35) as u8).wrapping_sub(17));
        }
        _ => v.push(rng.next() as u8),
    }
}

/// JSON values that find edge cases in a spec.
fn interesting_json(rng: &mut Rng) -> serde_json::Value {
    use serde_json::json;
    match rng.below(16) {
        0 => json!(0),
        1 => json!(-1),
        2 => json!(65536),
        3 => json!(4294967296u64),
        4 => json!(u64::MAX),
        5 => json!(1e308),
        6 => json!(0.5),
        7 => json!(null),
        8 => json!(""),
        9 => json!("conv2d"),
        10 => json!([65536, 65536, 1]),
        11 => json!([]),
        12 => json!({}),
        13 => json!(true),
        14 => json!("dense_1"),
        _ => json!([0, 0, 0]),
    }
}

/// A JSON-aware mutation: a value replaced, an array element duplicated or removed, a key
/// removed, or a layer's name copied to another layer.
fn mutate_json(v: &mut serde_json::Value, rng: &mut Rng) {
    use serde_json::Value;
    // A random path down the tree, as a JSON pointer.
    let mut pointer = String::new();
    let mut at: &Value = v;
    for _ in 0..rng.below(5) {
        let (key, next) = match at {
            Value::Array(a) if !a.is_empty() => {
                let i = rng.below(a.len());
                (i.to_string(), &a[i])
            }
            Value::Object(o) if !o.is_empty() => {
                let (k, next) = o.iter().nth(rng.below(o.len())).unwrap();
                (k.replace('~', "~0").replace('/', "~1"), next)
            }
            _ => break,
        };
        pointer = format!("{pointer}/{key}");
        at = next;
    }
    let Some(node) = v.pointer_mut(&pointer) else { return };
    match node {
        Value::Array(a) if !a.is_empty() && rng.chance(60) => {
            let i = rng.below(a.len());
            if rng.chance(50) {
                let copy = a[i].clone();
                for _ in 0..1 + rng.below(4) {
                    a.insert(i, copy.clone());
                }
            } else {
                a.remove(i);
            }
        }
        Value::Object(o) if !o.is_empty() && rng.chance(50) => {
            let k = o.keys().nth(rng.below(o.len())).unwrap().clone();
            if rng.chance(50) {
                o.remove(&k);
            } else {
                o.insert(k, interesting_json(rng));
            }
        }
        Value::Object(o) if rng.chance(50) => {
            let key =
                ["name", "filters", "kernel_size", "strides", "padding", "units", "activation", "type"][rng.below(8)];
            o.insert(key.into(), interesting_json(rng));
        }
        other => *other = interesting_json(rng),
    }
}

/// A target: its name, its seeds (with the reproducers of the findings), whether its inputs
/// are JSON (specs), its budget in debug builds, and the call.
struct Target {
    name: &'static str,
    seeds: Vec<Vec<u8>>,
    json: bool,
    runs: usize,
    /// The most one input may take (debug build, a loaded machine).
    per_input: Duration,
    call: fn(&[u8]) -> bool,
}

fn budget() -> Option<Duration> {
    std::env::var("CONVPLAY_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).map(Duration::from_secs)
}

/// Runs `t`: seeds first, then mutants until its budget is spent; panics (the test fails) with
/// the first input that panicked or took too long, saved under target/fuzz-findings/.
fn run(t: Target) {
    let seed: u64 = std::env::var("CONVPLAY_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(13);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ t.name.len() as u64 | 1);
    let deadline = budget().map(|d| Instant::now() + d);
    let started = Instant::now();
    // Inputs that parsed: later mutants start from them too (a step deeper each time).
    let mut accepted: Vec<Vec<u8>> = Vec::new();
    let (mut execs, mut oks, mut slowest) = (0usize, 0usize, Duration::ZERO);
    let mut i = 0usize;
    loop {
        let input = if i < t.seeds.len() {
            t.seeds[i].clone()
        } else {
            let from_accepted = !accepted.is_empty() && rng.chance(30);
            let mut v = if from_accepted {
                accepted[rng.below(accepted.len())].clone()
            } else {
                t.seeds[rng.below(t.seeds.len())].clone()
            };
            for _ in 0..1 + rng.below(4) {
                if t.json && rng.chance(60) {
                    if let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&v) {
                        mutate_json(&mut value, &mut rng);
                        v = serde_json::to_vec(&value).unwrap();
                        continue;
                    }
                }
                mutate_bytes(&mut v, &t.seeds, &mut rng);
            }
            v
        };
        i += 1;
        let t0 = Instant::now();
        let outcome = catch_unwind(AssertUnwindSafe(|| (t.call)(&input)));
        let took = t0.elapsed();
        execs += 1;
        slowest = slowest.max(took);
        if took > t.per_input {
            fail(t.name, &input, &format!("took {took:?}, more than {:?}", t.per_input));
        }
        match outcome {
            Ok(true) => {
                oks += 1;
                if accepted.len() < 256 {
                    accepted.push(input);
                } else {
                    let k = rng.below(256);
                    accepted[k] = input;
                }
            }
            Ok(false) => {}
            Err(_) => fail(t.name, &input, "panicked"),
        }
        let done = match deadline {
            Some(d) => Instant::now() >= d && i >= t.seeds.len(),
            None => i >= t.seeds.len() + t.runs,
        };
        if done {
            break;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "fuzz {}: {execs} inputs ({} seeds), {oks} accepted, in {secs:.1} s ({:.0}/s), slowest {slowest:?}, no panic",
        t.name,
        t.seeds.len(),
        execs as f64 / secs.max(1e-9)
    );
}

fn fail(target: &str, input: &[u8], what: &str) -> ! {
    let dir = common::repo_root().join("target/fuzz-findings");
    let _ = std::fs::create_dir_all(&dir);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    let path = dir.join(format!("{target}-{hash:016x}.bin"));
    let _ = std::fs::write(&path, input);
    let head: String = input.iter().take(64).map(|b| format!("{b:02x}")).collect();
    panic!("fuzz {target}: an input {what}; saved to {} ({} bytes, starting {head})", path.display(), input.len());
}

fn repo_file(path: &str) -> Vec<u8> {
    std::fs::read(common::repo_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    convplay::data::gunzip_if_needed(bytes).unwrap().into_owned()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

// ---------------------------------------------------------------- specs

fn preset_seeds() -> Vec<Vec<u8>> {
    let dir = common::repo_root().join("www/public/presets");
    let mut names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    names.sort();
    names
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

#[test]
fn fuzz_spec_parse() {
    let mut seeds = preset_seeds();
    // Finding 1: duplicate names, explicit and automatic. Finding 3: sizes past 32 bits.
    seeds.push(br#"{"name":"dup","input":[28,28,1],"layers":[{"type":"conv2d","filters":4,"kernel_size":3,"name":"a"},{"type":"conv2d","filters":4,"kernel_size":3,"name":"a"},{"type":"flatten"},{"type":"dense","units":10}]}"#.to_vec());
    seeds.push(br#"{"name":"auto","input":[28,28,1],"layers":[{"type":"flatten","name":"dense_1"},{"type":"dense","units":10}]}"#.to_vec());
    seeds.push(
        br#"{"name":"huge","input":[65536,65536,1],"layers":[{"type":"flatten"},{"type":"dense","units":10}]}"#
            .to_vec(),
    );
    seeds.push(
        br#"{"name":"wide","input":[1,1,20000],"layers":[{"type":"flatten"},{"type":"dense","units":20000}]}"#.to_vec(),
    );
    run(Target {
        name: "spec",
        seeds,
        json: true,
        runs: 200_000,
        per_input: Duration::from_secs(2),
        call: |b| convplay::spec::parse(&String::from_utf8_lossy(b)).is_ok(),
    });
}

// ---------------------------------------------------------------- weights files

/// A small ConvPlay weights file (a 4×4×1 input, one 3×3 conv of 2 filters, dense 3) in each storage.
fn small_weights() -> Vec<Vec<u8>> {
    let spec = convplay::spec::parse(
        r#"{"name":"small","input":[4,4,1],"layers":[{"type":"conv2d","filters":2,"kernel_size":3},{"type":"flatten"},{"type":"dense","units":3,"activation":"softmax"}]}"#,
    )
    .unwrap();
    let model = convplay::model::Model::new(convplay::backend::cpu::backend::Cpu::new(), &spec, 1, 1).unwrap();
    let extra =
        convplay::weights::Extra { labels: Some(vec!["a".into(), "b".into(), "c".into()]), preprocessing: None };
    use convplay::weights::Storage;
    [Storage::F32, Storage::F16, Storage::Int8]
        .into_iter()
        .map(|s| pollster::block_on(convplay::weights::save_as(&model, &extra, s)).unwrap())
        .collect()
}

#[test]
fn fuzz_weights_read() {
    let mut seeds = small_weights();
    // The EfficientNet file's first 4 KB (its header and the start of its data) and a 264-byte
    // file with a spec and no tensors (finding 4).
    seeds.push(repo_file("www/public/models/efficientnet-lite0-int8.safetensors")[..4096].to_vec());
    let header = br#"{"__metadata__":{"convplay_spec":"{\"name\":\"big\",\"input\":[28,28,1],\"layers\":[{\"type\":\"flatten\"},{\"type\":\"dense\",\"units\":1000000}]}"}}"#;
    let mut empty = (header.len() as u64).to_le_bytes().to_vec();
    empty.extend_from_slice(header);
    seeds.push(empty);
    run(Target {
        name: "weights",
        seeds,
        json: false,
        runs: 1_000_000,
        per_input: Duration::from_secs(2),
        call: |b| convplay::weights::read(b).is_ok(),
    });
}

// ---------------------------------------------------------------- PyTorch checkpoints

use common::pickle::Pickle;

/// A legacy (non-zip) checkpoint of tensors (name, offset, size, stride) on one storage of `values`.
fn checkpoint(tensors: &[(&str, i64, &[u64], &[u64])], values: &[f32]) -> Vec<u8> {
    let mut p = Pickle::new().ordered_dict().op(b"(");
    for &(name, offset, size, stride) in tensors {
        p = p.tensor_entry(name, "0", values.len() as i64, offset, size, stride);
    }
    let object = p.op(b"u").stop();
    let magic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    let mut out = Pickle::new().op(&[0x8a, 10]).op(&magic).stop();
    out.extend(Pickle::new().int(1001).stop());
    out.extend(Pickle::new().op(b"}").stop());
    out.extend(object);
    out.extend(Pickle::new().op(b"](").str("0").op(b"e").stop());
    out.extend((values.len() as u64).to_le_bytes());
    out.extend(values.iter().flat_map(|v| v.to_le_bytes()));
    out
}

#[test]
fn fuzz_torch_read_state_dict() {
    let values: Vec<f32> = (0..12).map(|v| v as f32).collect();
    let mut seeds = vec![
        checkpoint(&[("w", 0, &[3, 4], &[4, 1]), ("t", 0, &[4, 3], &[1, 4]), ("b", 8, &[4], &[1])], &values),
        checkpoint(&[("scalar", 5, &[], &[])], &values),
    ];
    // Finding 7: a memo bomb (a pair of the memoised value, memoised again), deep nesting, stride 0.
    let mut bomb = Pickle::new().ordered_dict().str("bomb").op(b")q\x00");
    for _ in 0..64 {
        bomb = bomb.op(b"h\x00\x86q\x00");
    }
    let magic = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
    let mut with_bomb = Pickle::new().op(&[0x8a, 10]).op(&magic).stop();
    with_bomb.extend(Pickle::new().int(1001).stop());
    with_bomb.extend(Pickle::new().op(b"}").stop());
    with_bomb.extend(bomb.op(b"s").stop());
    with_bomb.extend(Pickle::new().op(b"](").op(b"e").stop());
    seeds.push(with_bomb);
    seeds.push(checkpoint(&[("w", 0, &[65536, 32768], &[0, 0])], &[1.0]));
    seeds.push([&[0x80, 2][..], &[b']'; 300][..]].concat());
    run(Target {
        name: "torch",
        seeds,
        json: false,
        runs: 1_000_000,
        per_input: Duration::from_secs(2),
        call: |b| convplay::weights::torch::read_state_dict(b).is_ok(),
    });
}

// ---------------------------------------------------------------- IDX files

#[test]
fn fuzz_idx() {
    use convplay::data::idx::{read_images, read_labelled, read_labels};
    let images = gunzip(&repo_file("www/public/data/mnist/t10k-images-idx3-ubyte.gz"));
    let labels = gunzip(&repo_file("www/public/data/mnist/t10k-labels-idx1-ubyte.gz"));
    // The headers with 3 images and 20 labels (counts rewritten), raw and gzipped.
    let mut im = images[..16 + 3 * 784].to_vec();
    im[4..8].copy_from_slice(&3u32.to_be_bytes());
    let mut lb = labels[..8 + 20].to_vec();
    lb[4..8].copy_from_slice(&20u32.to_be_bytes());
    let mut three = lb[..8 + 3].to_vec();
    three[4..8].copy_from_slice(&3u32.to_be_bytes());
    // Finding 10: counts that disagree, no labels, a label of 10 (as a pair: images ‖ labels).
    let pair = |i: &[u8], l: &[u8]| [&(i.len() as u32).to_le_bytes()[..], i, l].concat();
    let mut ten = three.clone();
    ten[9] = 10;
    let no_labels = [&lb[..4], &0u32.to_be_bytes()[..]].concat();
    let seeds = vec![
        im.clone(),
        lb.clone(),
        gzip(&im),
        gzip(&lb),
        pair(&im, &three),
        pair(&im, &lb),
        pair(&im, &ten),
        pair(&im, &no_labels),
        pair(&gzip(&im), &gzip(&three)),
    ];
    run(Target {
        name: "idx",
        seeds,
        json: false,
        runs: 400_000,
        per_input: Duration::from_secs(2),
        call: |b| {
            let mut ok = read_images(b).is_ok() | read_labels(b).is_ok();
            // As a pair: the images file's length, then the images, then the labels.
            if b.len() >= 4 {
                let n = (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize).min(b.len() - 4);
                let (i, l) = b[4..].split_at(n);
                ok |= read_labelled(i, l, (28, 28), 10, ("images", "labels")).is_ok();
            }
            ok
        },
    });
}

// ---------------------------------------------------------------- photos

/// Small PNG and JPEG files encoded here (the sample photos take seconds each in a debug build).
fn small_photos() -> Vec<Vec<u8>> {
    let img = image::RgbImage::from_fn(24, 16, |x, y| image::Rgb([(x * 10) as u8, (y * 15) as u8, 128]));
    let mut out = vec![];
    for format in [image::ImageFormat::Png, image::ImageFormat::Jpeg] {
        let mut bytes = std::io::Cursor::new(Vec::new());
        img.write_to(&mut bytes, format).unwrap();
        out.push(bytes.into_inner());
    }
    let grey = image::GrayImage::from_fn(9, 7, |x, y| image::Luma([(x * y) as u8]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    grey.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    out.push(bytes.into_inner());
    out
}

use common::crafted::png_header;

#[test]
fn fuzz_photo_decode() {
    let mut seeds = small_photos();
    // Finding 9: a PNG header claiming 100,000×100,000; the first 2 KB of the sample JPEG.
    seeds.push(png_header(100_000, 100_000));
    seeds.push(repo_file("www/public/samples/rocket.jpg")[..2048].to_vec());
    run(Target {
        name: "photo",
        seeds,
        json: false,
        runs: 80_000,
        per_input: Duration::from_secs(5),
        call: |b| match convplay::data::photo::decode(b) {
            Ok((rgb, w, h)) => convplay::data::photo::centre_crop(&rgb, w, h, 8, 0.875).is_ok(),
            Err(_) => false,
        },
    });
}

// ---------------------------------------------------------------- digit preprocessing

#[test]
fn fuzz_digit_preprocess() {
    // Inputs: width, height, then the ink (shorter or longer than w × h is an error to give).
    let digit = gunzip(&repo_file("www/public/data/mnist/t10k-images-idx3-ubyte.gz"))[16..16 + 784].to_vec();
    let seeds = vec![
        [&[28, 28][..], &digit].concat(),
        [&[1, 1][..], &[255][..]].concat(),
        [&[40, 3][..], &[200; 120][..]].concat(),
        [&[5, 5][..], &[0; 25][..]].concat(),
    ];
    run(Target {
        name: "digit",
        seeds,
        json: false,
        runs: 1_000_000,
        per_input: Duration::from_secs(2),
        call: |b| {
            if b.len() < 2 {
                return false;
            }
            let (w, h) = (b[0] as usize, b[1] as usize);
            let ok = convplay::data::preprocess::mnist_digit(&b[2..], w, h).is_ok();
            // The photo crop on the same bytes as an RGB image, and huge claimed sizes.
            let _ = convplay::data::photo::centre_crop(&b[2..], w, h / 3 + 1, 1 + b[1] as usize % 9, 0.5);
            let _ = convplay::data::preprocess::mnist_digit(&b[2..], usize::MAX / 2 + w, 3);
            ok
        },
    });
}

// ---------------------------------------------------------------- Keras code

#[test]
fn fuzz_keras_import() {
    // The course's three notebooks, every preset written as Keras code, and the odd corners:
    // prompts, continuation lines, constants, triple quotes, unclosed brackets and strings.
    let mut seeds: Vec<Vec<u8>> = ["seed-001.py", "seed-004.py", "tutorial-cnn.py"]
        .iter()
        .map(|n| repo_file(&format!("crate/tests/keras-notebooks/{n}")))
        .collect();
    for name in convplay::presets::names() {
        let spec = convplay::presets::preset(name).unwrap();
        // The zoo's blocks and LRN have no Sequential Keras code; every other preset does.
        if let Ok(code) = convplay::keras::from_spec(&spec) {
            seeds.push(code.into_bytes());
        }
    }
    seeds.push(b"n = 2 * (3 + 4) // 1\nm = keras.Sequential([keras.Input((n, n)), layers.Flatten(), \\\n layers.Dense(n)])\n\"\"\"doc\n\"\"\"\n>>> m.add(layers.Dense(10, activation=None))".to_vec());
    seeds.push(b"model = Sequential([Dense(10, input_shape=(4,)), 'x\nmodel.add((((".to_vec());
    run(Target {
        name: "keras",
        seeds,
        json: false,
        runs: 6_000,
        per_input: Duration::from_secs(2),
        // Whatever is read writes back as Keras code that reads to the same layers.
        call: |b| match convplay::keras::to_spec(&String::from_utf8_lossy(b)) {
            Ok(got) => {
                let code = convplay::keras::from_spec(&got.spec).expect("an imported spec exports");
                let back = convplay::keras::to_spec(&code).expect("exported code reads back");
                assert_eq!(back.spec.layers, got.spec.layers, "{code}");
                true
            }
            Err(_) => false,
        },
    });
}
