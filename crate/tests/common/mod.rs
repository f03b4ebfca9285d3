//! Shared helpers for the native integration tests.
#![allow(dead_code)]

pub mod crafted;
pub mod gradcheck;
pub mod ops;
pub mod peak;
pub mod pickle;

use convplay::backend::gpu::GpuContext;
use std::path::PathBuf;

/// The repository root (the crate lives in `crate/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// GPU tests must not skip silently: when CI is set, when CONVPLAY_REQUIRE_GPU is
/// set, or when Mesa's lavapipe driver is installed, a missing adapter fails.
pub fn gpu_required() -> bool {
    std::env::var_os("CI").is_some()
        || std::env::var_os("CONVPLAY_REQUIRE_GPU").is_some()
        || std::path::Path::new("/usr/share/vulkan/icd.d/lvp_icd.x86_64.json").exists()
        || std::path::Path::new("/usr/share/vulkan/icd.d/lvp_icd.aarch64.json").exists()
}

/// A GPU context, or None where no GPU is required (then the test says "skipped" on the
/// terminal: written to stderr directly, past the test harness's capture, which would
/// hide it for a test that passes). Any GPU error that no error scope catches fails the
/// test: the context's handler panics instead of logging.
pub fn gpu() -> Option<GpuContext> {
    match pollster::block_on(GpuContext::new()) {
        Ok(ctx) => {
            ctx.device.on_uncaptured_error(std::sync::Arc::new(|e| {
                if std::thread::panicking() {
                    eprintln!("a GPU error while the test was failing already: {e}");
                } else {
                    panic!("GPU error outside any error scope: {e}");
                }
            }));
            Some(ctx)
        }
        Err(e) if !gpu_required() => {
            use std::io::Write;
            let test = std::thread::current().name().unwrap_or("a GPU test").to_string();
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: no GPU adapter ({e}); set CONVPLAY_REQUIRE_GPU=1 to make this a failure"
            );
            None
        }
        Err(e) => panic!("a GPU adapter is required here (CI, CONVPLAY_REQUIRE_GPU or lavapipe installed) but: {e}"),
    }
}

/// Deterministic pseudo-random f32 in [-1, 1) (xorshift), for test inputs.
pub fn random_vec(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}

/// The first `count` images and labels of MNIST's `split` ("train" or "t10k"), from the files
/// the page ships.
pub fn mnist(split: &str, count: usize) -> (Vec<u8>, Vec<u8>) {
    use convplay::data::idx::{read_file, read_images, read_labels};
    let dir = repo_root().join("www/public/data/mnist");
    let im = read_images(&read_file(&dir.join(format!("{split}-images-idx3-ubyte.gz"))).unwrap()).unwrap();
    let lb = read_labels(&read_file(&dir.join(format!("{split}-labels-idx1-ubyte.gz"))).unwrap()).unwrap();
    (im.pixels[..count * 784].to_vec(), lb.labels[..count].to_vec())
}

/// Adam at learning rate `lr` with Keras's defaults.
pub fn adam(lr: f32) -> convplay::backend::ops::OptimStep {
    convplay::backend::ops::OptimStep::Adam {
        lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-7,
        t: 0,
        weight_decay: 0.0,
        decoupled: false,
    }
}
