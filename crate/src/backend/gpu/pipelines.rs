//! The WGSL sources and the per-device cache of shader modules and compute pipelines.
//!
//! The cache lives in the `GpuContext`, so every model (every `Gpu` backend) on one
//! engine shares it: a pipeline is built the first time any of them dispatches its entry
//! point, and never again on that device.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Every shader module by name (`shaders/<name>.wgsl`; "gemm_reg" is gemm_reg.wgsl and
/// gemm_reg_conv.wgsl, the GEMM modules end with gemm_common.wgsl, and they and eltwise with
/// act.wgsl), compiled into the binary.
pub const SHADERS: &[(&str, &str)] = &[
    // The GEMM kernels' modules end with their shared parameters and bindings, and the
    // activation they share with eltwise (WGSL's module-scope declarations may follow their use).
    (
        "gemm",
        concat!(
            include_str!("../../../../shaders/gemm.wgsl"),
            include_str!("../../../../shaders/gemm_common.wgsl"),
            include_str!("../../../../shaders/act.wgsl")
        ),
    ),
    // One module from three files (the convolutions' entry points in the last).
    (
        "gemm_reg",
        concat!(
            include_str!("../../../../shaders/gemm_reg.wgsl"),
            include_str!("../../../../shaders/gemm_reg_conv.wgsl"),
            include_str!("../../../../shaders/gemm_common.wgsl"),
            include_str!("../../../../shaders/act.wgsl")
        ),
    ),
    (
        "gemm_lane",
        concat!(
            include_str!("../../../../shaders/gemm_lane.wgsl"),
            include_str!("../../../../shaders/gemm_common.wgsl"),
            include_str!("../../../../shaders/act.wgsl")
        ),
    ),
    (
        "eltwise",
        concat!(include_str!("../../../../shaders/eltwise.wgsl"), include_str!("../../../../shaders/act.wgsl")),
    ),
    ("pool", include_str!("../../../../shaders/pool.wgsl")),
    ("batchnorm", include_str!("../../../../shaders/batchnorm.wgsl")),
    ("loss", include_str!("../../../../shaders/loss.wgsl")),
    ("optim", include_str!("../../../../shaders/optim.wgsl")),
    ("depthwise", include_str!("../../../../shaders/depthwise.wgsl")),
    ("lrn", include_str!("../../../../shaders/lrn.wgsl")),
    ("augment", include_str!("../../../../shaders/augment.wgsl")),
    ("upsample", include_str!("../../../../shaders/upsample.wgsl")),
    ("smoke", include_str!("../../../../shaders/smoke.wgsl")),
];

/// The lines of gemm_lane.wgsl that read B one value at a time, and what "gemm_lane4" reads
/// instead: four at once, for products whose rows of B are contiguous and 16-byte aligned.
const LANE_B: [(&str, &str); 2] = [
    (
        "@group(0) @binding(2) var<storage, read> b_buf: array<f32>;",
        "@group(0) @binding(2) var<storage, read> b_buf: array<vec4<f32>>;",
    ),
    ("return vec4<f32>(b_buf[i.x], b_buf[i.y], b_buf[i.z], b_buf[i.w]);", "return b_buf[i.x / 4u];"),
];

/// The WGSL source of shader file `name`, if there is one; "gemm_lane4" is gemm_lane.wgsl with
/// B read as vec4s (`LANE_B`).
pub fn shader_source(name: &str) -> Option<&'static str> {
    if name == "gemm_lane4" {
        static LANE4: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let text = LANE4.get_or_init(|| {
            let lane = shader_source("gemm_lane").unwrap_or("");
            LANE_B.iter().fold(lane.to_string(), |s, (one, four)| s.replace(one, four))
        });
        return Some(text.as_str());
    }
    SHADERS.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// Shader modules by (file, f16 mask) and pipelines by (file, f16 mask, entry point), built
/// on first use. The mask names the bindings whose buffers hold f16 (`halves.rs`); 0 is the
/// f32 source as written.
/// (A mutex rather than a `RefCell` keeps the context `Sync` natively; nothing contends.)
#[derive(Default)]
pub(super) struct PipelineCache {
    modules: Mutex<HashMap<(&'static str, u32), wgpu::ShaderModule>>,
    pipelines: Mutex<HashMap<(&'static str, u32, &'static str), wgpu::ComputePipeline>>,
    built: AtomicUsize,
}

impl PipelineCache {
    /// The pipeline for `entry` of shader `file` with the bindings of `halves` holding f16,
    /// built (with its module) when first asked for.
    pub(super) fn get(
        &self,
        device: &wgpu::Device,
        file: &'static str,
        entry: &'static str,
        halves: u32,
    ) -> wgpu::ComputePipeline {
        let mut pipelines = self.pipelines.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = pipelines.get(&(file, halves, entry)) {
            return p.clone();
        }
        let module = self
            .modules
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((file, halves))
            .or_insert_with(|| {
                // Every `KernelParams::FILE` is in `SHADERS` (crate/tests/gpu_params.rs checks);
                // an unknown name would give an empty module and a validation error, not a panic.
                let f32_source = shader_source(file).unwrap_or("");
                let source = if halves == 0 {
                    f32_source.into()
                } else {
                    // A rewrite that fails leaves a module that does not compile: the device's
                    // validation error names it (the tests compile every rewrite).
                    super::halves::halve(f32_source, halves)
                        .unwrap_or_else(|e| format!("// {file} with f16 at {halves:#x}: {e}\nfn broken("))
                        .into()
                };
                device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(file),
                    source: wgpu::ShaderSource::Wgsl(source),
                })
            })
            .clone();
        let p = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(entry),
            layout: None,
            module: &module,
            entry_point: Some(entry),
            compilation_options: Default::default(),
            cache: None,
        });
        self.built.fetch_add(1, Ordering::Relaxed);
        pipelines.insert((file, halves, entry), p.clone());
        p
    }

    /// Forgets every module and pipeline for which `drop(file, entry)` holds (the start-up
    /// GEMM probe's of the kernels it did not choose), and counts only the rest as built.
    pub(super) fn forget(&mut self, drop: impl Fn(&str, &str) -> bool) {
        let pipelines = self.pipelines.get_mut().unwrap_or_else(|e| e.into_inner());
        pipelines.retain(|(f, _, e), _| !drop(f, e));
        self.built.store(pipelines.len(), Ordering::Relaxed);
        let files: std::collections::HashSet<&str> = pipelines.keys().map(|(f, _, _)| *f).collect();
        self.modules.get_mut().unwrap_or_else(|e| e.into_inner()).retain(|(f, _), _| files.contains(f));
    }

    /// How many pipelines have been built on this device so far.
    pub(super) fn built(&self) -> usize {
        self.built.load(Ordering::Relaxed)
    }
}
