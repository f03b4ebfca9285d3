//! The IDX reader on the real MNIST files shipped in www/public/data/mnist,
//! and on corrupted copies of them.

mod common;

use convplay::data::idx::{read_file, read_images, read_labels};
use std::io::Write;

fn mnist(name: &str) -> Vec<u8> {
    read_file(&common::repo_root().join("www/public/data/mnist").join(name)).unwrap()
}

fn counts(labels: &[u8]) -> [usize; 10] {
    let mut c = [0; 10];
    for &l in labels {
        c[l as usize] += 1;
    }
    c
}

#[test]
fn train_set_has_60000_digits_first_label_5() {
    let im = read_images(&mnist("train-images-idx3-ubyte.gz")).unwrap();
    let lb = read_labels(&mnist("train-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!((im.count, im.rows, im.cols), (60_000, 28, 28));
    assert_eq!(im.pixels.len(), 60_000 * 784);
    assert_eq!(lb.labels.len(), 60_000);
    assert_eq!(lb.labels[0], 5);
    assert_eq!(counts(&lb.labels), [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
}

#[test]
fn test_set_has_10000_digits_first_label_7() {
    let im = read_images(&mnist("t10k-images-idx3-ubyte.gz")).unwrap();
    let lb = read_labels(&mnist("t10k-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!((im.count, im.rows, im.cols), (10_000, 28, 28));
    assert_eq!(lb.labels[0], 7);
    assert_eq!(counts(&lb.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    // The first test digit, a 7, has ink in its upper half and a blank border.
    let first = im.image(0);
    assert!(first[..28].iter().all(|&p| p == 0), "top row is background");
    assert!(first.iter().filter(|&&p| p > 128).count() > 50, "it has ink");
}

#[test]
fn cut_gzip_file_is_a_clear_error() {
    let gz = mnist("t10k-labels-idx1-ubyte.gz");
    let e = read_labels(&gz[..gz.len() / 2]).unwrap_err();
    assert!(e.message().starts_with("the gzip stream is damaged"), "{e}");
}

#[test]
fn truncated_raw_file_is_a_clear_error() {
    let raw = convplay::data::gunzip_if_needed(&mnist("t10k-images-idx3-ubyte.gz")).unwrap().into_owned();
    let e = read_images(&raw[..raw.len() - 784]).unwrap_err();
    assert_eq!(
        e.message(),
        "IDX images file is truncated: its header declares 10000×28×28 = 7840000 bytes of data but only 7839216 follow; fetch the file again"
    );
}

#[test]
fn swapped_files_and_flipped_magic_are_errors() {
    let e = read_labels(&mnist("t10k-images-idx3-ubyte.gz")).unwrap_err();
    assert_eq!(
        e.message(),
        "IDX labels file has magic number 0x00000803, expected 0x00000801: this is an images file: pass the labels file here"
    );
    let mut raw = convplay::data::gunzip_if_needed(&mnist("t10k-labels-idx1-ubyte.gz")).unwrap().into_owned();
    raw[2] = 0x0d; // element type f32 instead of u8
    let e = read_labels(&raw).unwrap_err();
    assert!(e.message().contains("this is not an IDX file of unsigned bytes"), "{e}");
    // Re-gzipped bytes read the same as raw ones.
    raw[2] = 0x08;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&raw).unwrap();
    assert_eq!(read_labels(&enc.finish().unwrap()).unwrap().labels.len(), 10_000);
}

#[test]
fn missing_file_names_the_path() {
    let e = read_file(std::path::Path::new("/nonexistent/mnist.gz")).unwrap_err();
    assert!(e.message().starts_with("cannot read /nonexistent/mnist.gz:"), "{e}");
}
