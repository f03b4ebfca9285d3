//! A model's f16 activations on the recorder: which buffers hold f16, the mask of a
//! dispatch's f16 bindings (which picks its kernel's rewrite, `gpu/halves.rs`), staged
//! copies of them for reads, and dispatch names for the profile that show them.

use super::Gpu;
use crate::backend::gpu::halves::half_bytes;

impl Gpu {
    /// A buffer for `len` activations: f16 when this model keeps f16 activations (2 bytes a
    /// value, rounded up to WebGPU's 4), else f32.
    pub(super) fn activation_buffer(&self, len: usize) -> wgpu::Buffer {
        if !self.f16 {
            return self.buffer(len);
        }
        let buf = self.sized(half_bytes(len.max(1)));
        self.halves.borrow_mut().insert(buf.clone());
        buf
    }

    /// Whether this model keeps its activations as f16.
    pub fn f16_activations(&self) -> bool {
        self.f16
    }

    /// Whether `buf` holds f16.
    pub(super) fn is_half(&self, buf: &wgpu::Buffer) -> bool {
        self.f16 && self.halves.borrow().contains(buf)
    }

    /// A snapshot of `buf` just staged: remembered as f16 when `buf` is (`read_snapshot`).
    pub(super) fn staged_from(&self, buf: &wgpu::Buffer, staging: wgpu::Buffer) -> wgpu::Buffer {
        if self.is_half(buf) {
            self.halves.borrow_mut().insert(staging.clone());
        }
        staging
    }

    /// Whether the snapshot `staging` holds f16 (it is forgotten: a snapshot is read once).
    pub(super) fn take_staged(&self, staging: &wgpu::Buffer) -> bool {
        self.f16 && self.halves.borrow_mut().remove(staging)
    }

    /// The mask of the bindings whose buffers hold f16 (0 for a model of f32 activations).
    pub(super) fn halves_mask(&self, bindings: &[(u32, &wgpu::Buffer)]) -> u32 {
        if !self.f16 {
            return 0;
        }
        let halves = self.halves.borrow();
        bindings.iter().filter(|(_, b)| halves.contains(*b)).fold(0, |m, (n, _)| m | 1 << n)
    }

    /// A dispatch's name in the profile: file/entry, a GEMM's mode (`mode`: the first byte of
    /// its parameters), and which of its bindings hold f16 ("… f16 @1,4").
    pub(super) fn kernel_name(&self, file: &str, entry: &str, mode: u8, bindings: &[(u32, &wgpu::Buffer)]) -> String {
        let name = match file {
            "gemm" | "gemm_reg" | "gemm_lane" | "gemm_lane4" => format!("{file}/{entry} mode {mode}"),
            f => format!("{f}/{entry}"),
        };
        let mask = self.halves_mask(bindings);
        if mask == 0 {
            return name;
        }
        let at: Vec<String> = (0..32).filter(|b| mask & (1 << b) != 0).map(|b| b.to_string()).collect();
        format!("{name} f16 @{}", at.join(","))
    }
}
