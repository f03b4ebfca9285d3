//! The `convplay` binary on inconsistent data files: each gets a clear error on stderr and a
//! failing exit status, never a panic (issue 13, finding 10). The files are crafted in a
//! fresh folder per test.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A fresh, empty folder under the target directory's temp area.
/// A fresh folder for one test's files, removed when the test ends (pass or fail).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

fn temp_dir(name: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("convplay-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    TempDir(dir)
}

fn images_file(count: u32, rows: u32, cols: u32) -> Vec<u8> {
    let mut v = 0x0803u32.to_be_bytes().to_vec();
    for d in [count, rows, cols] {
        v.extend_from_slice(&d.to_be_bytes());
    }
    v.extend((0..count * rows * cols).map(|i| (i % 251) as u8));
    v
}

fn labels_file(labels: &[u8]) -> Vec<u8> {
    let mut v = 0x0801u32.to_be_bytes().to_vec();
    v.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    v.extend_from_slice(labels);
    v
}

/// Writes both splits (raw IDX bytes under the `.gz` names: the reader takes either).
fn write_split(dir: &Path, split: &str, images: &[u8], labels: &[u8]) {
    std::fs::write(dir.join(format!("{split}-images-idx3-ubyte.gz")), images).unwrap();
    std::fs::write(dir.join(format!("{split}-labels-idx1-ubyte.gz")), labels).unwrap();
}

/// Runs the binary; returns (success, stdout, stderr).
fn convplay(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_convplay")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

/// The command fails with exactly one line `error: …` that contains `want`, and no panic.
fn fails_with(args: &[&str], want: &str) {
    let (ok, _, err) = convplay(args);
    assert!(!ok, "{args:?} succeeded");
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(err.starts_with("error: ") && err.contains(want), "{args:?}: want {want:?} in {err:?}");
}

fn good_test_split(dir: &Path) {
    write_split(dir, "t10k", &images_file(3, 28, 28), &labels_file(&[1, 2, 3]));
}

#[test]
fn label_count_that_does_not_match_the_image_count() {
    let dir = temp_dir("count");
    write_split(&dir, "train", &images_file(4, 28, 28), &labels_file(&[1, 2, 3]));
    good_test_split(&dir);
    let d = dir.to_str().unwrap();
    let want = "train-images-idx3-ubyte.gz holds 4 images but ";
    fails_with(&["mnist", d], want);
    fails_with(&["mnist", d], "train-labels-idx1-ubyte.gz holds 3 labels: each image needs one label; pass the images and labels of the same split");
    fails_with(&["train", "--backend", "cpu", "--data", d, "--epochs", "1"], want);
}

#[test]
fn an_empty_labels_file() {
    let dir = temp_dir("empty");
    write_split(&dir, "train", &images_file(0, 28, 28), &labels_file(&[]));
    good_test_split(&dir);
    let d = dir.to_str().unwrap();
    let want = "train-labels-idx1-ubyte.gz holds no labels: the file is empty; fetch it again";
    fails_with(&["mnist", d], want);
    fails_with(&["train", "--backend", "cpu", "--data", d], want);
    // A zero-byte file: the reader's own message, with the file's name.
    std::fs::write(dir.join("train-labels-idx1-ubyte.gz"), b"").unwrap();
    fails_with(
        &["mnist", d],
        "train-labels-idx1-ubyte.gz: IDX labels file is 0 bytes long, shorter than the 4-byte magic number",
    );
}

#[test]
fn a_label_of_10() {
    let dir = temp_dir("ten");
    write_split(&dir, "train", &images_file(3, 28, 28), &labels_file(&[1, 10, 3]));
    good_test_split(&dir);
    let d = dir.to_str().unwrap();
    let want = "train-labels-idx1-ubyte.gz: label 10 (of image 1) is not one of the 10 classes 0–9: the file is corrupt or for another data set";
    fails_with(&["mnist", d], want);
    fails_with(&["train", "--backend", "cpu", "--data", d], want);
    write_split(&dir, "train", &images_file(3, 28, 28), &labels_file(&[1, 2, 3]));
    write_split(&dir, "t10k", &images_file(2, 28, 28), &labels_file(&[10, 0]));
    fails_with(&["mnist", d], "t10k-labels-idx1-ubyte.gz: label 10 (of image 0)");
}

#[test]
fn images_of_another_size_and_a_missing_file() {
    let dir = temp_dir("size");
    write_split(&dir, "train", &images_file(2, 32, 32), &labels_file(&[1, 2]));
    good_test_split(&dir);
    let d = dir.to_str().unwrap();
    fails_with(
        &["mnist", d],
        "train-images-idx3-ubyte.gz holds images of 32×32 pixels, but this needs 28×28: pass MNIST-style files",
    );
    std::fs::remove_file(dir.join("t10k-labels-idx1-ubyte.gz")).unwrap();
    write_split(&dir, "train", &images_file(2, 28, 28), &labels_file(&[1, 2]));
    fails_with(&["mnist", d], "cannot read ");
}

#[test]
fn consistent_crafted_files_are_read() {
    let dir = temp_dir("ok");
    write_split(&dir, "train", &images_file(2, 28, 28), &labels_file(&[4, 9]));
    good_test_split(&dir);
    let (ok, out, err) = convplay(&["mnist", dir.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("train-images-idx3-ubyte.gz: 2 images of 28×28; labels per class [0, 0, 0, 0, 1, 0, 0, 0, 0, 1]; first label 4"), "{out}");
}

use common::crafted::png_header;

#[test]
fn photos_too_large_or_not_images_are_clear_errors_in_classify() {
    let dir = temp_dir("photo");
    let weights = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../www/public/models/efficientnet-lite0-int8.safetensors");
    let (huge, junk) = (dir.join("huge.png"), dir.join("junk.png"));
    std::fs::write(&huge, png_header(100_000, 100_000)).unwrap();
    std::fs::write(&junk, b"not an image at all").unwrap();
    let t = std::time::Instant::now();
    fails_with(
        &["classify", weights.to_str().unwrap(), huge.to_str().unwrap()],
        "huge.png: the image is larger than the 50 megapixels (and 16384 pixels a side) this engine decodes: scale it down first",
    );
    fails_with(
        &["classify", weights.to_str().unwrap(), junk.to_str().unwrap()],
        "junk.png: not a PNG or JPEG image (its first bytes are neither): pass a .png or .jpg file",
    );
    assert!(t.elapsed().as_secs() < 60, "took {:?}", t.elapsed());
}

#[test]
fn train_takes_a_data_set_by_name() {
    fails_with(&["train", "--dataset", "cifar"], "unknown data set \"cifar\": the data sets are mnist, fashion-mnist");
    let fashion = concat!(env!("CARGO_MANIFEST_DIR"), "/../www/public/data/fashion-mnist");
    let args = ["train", "--spec", "lenet-5", "--dataset", "fashion-mnist", "--data", fashion, "--backend", "cpu"];
    let limits = ["--train-limit", "128", "--test-limit", "64", "--threads", "1"];
    let (ok, out, err) = convplay(&[&args[..], &limits[..]].concat());
    assert!(ok, "{err}");
    assert!(out.contains("fashion-mnist: 128 train / 64 test images"), "{out}");
    assert!(out.contains("epoch 1: loss "), "{out}");
}

#[test]
fn segment_refuses_a_classifier_and_bad_flags() {
    let mnist = common::repo_root().join("www/public/data/mnist");
    let data = mnist.to_str().unwrap();
    // seed-001 ends in 10 classes per image, not 11 per pixel of a scene.
    fails_with(
        &["segment", "--spec", "seed-001", "--backend", "cpu", "--data", data, "--eval-scenes", "4"],
        "seed-001: the model predicts 10 classes at 1 positions, but a scene needs 11 classes (digits 0–9 and the background) at each of its 28×28 pixels; end the model in a 28×28×11 map with a softmax (see the preset segment-mini)",
    );
    fails_with(&["segment", "--digits", "3", "--data", data], "--digits \"3\": give MIN,MAX, e.g. 2,4");
    fails_with(
        &["segment", "--digits", "0,2", "--data", data],
        "scene settings: digits 0 to 2: use 1 ≤ minDigits ≤ maxDigits ≤ 8",
    );
    // The recipe flags are train's, checked the same way.
    fails_with(&["segment", "--lr=-1", "--data", data], "--lr -1: give a positive learning rate, e.g. 0.001");
    fails_with(&["segment", "--epochs", "0", "--data", data], "--epochs and --batch must be at least 1");
    fails_with(
        &["segment", "--optimizer", "rmsprop", "--data", data],
        "unknown optimizer \"rmsprop\": use \"adam\", \"adamw\" or \"sgd\"",
    );
}

#[test]
fn f16_activations_are_refused_where_they_cannot_be() {
    fails_with(
        &["train", "--backend", "cpu", "--activations", "f16", "--train-limit", "10"],
        "f16 activations are a GPU option (WebGPU's shader-f16), and this engine runs on the CPU",
    );
    fails_with(
        &["train", "--backend", "cpu", "--activations", "bf16"],
        "activations can be \"f32\" or \"f16\", not \"bf16\"",
    );
}
