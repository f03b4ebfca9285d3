//! Shared helpers for the native integration tests.
#![allow(dead_code)]

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

/// A GPU context, or None (with a note on stderr) where no GPU is required.
pub fn gpu() -> Option<GpuContext> {
    match pollster::block_on(GpuContext::new()) {
        Ok(ctx) => Some(ctx),
        Err(e) if !gpu_required() => {
            eprintln!("skipping GPU test: {e}");
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
