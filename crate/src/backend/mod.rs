//! Backends: `gpu` (wgpu compute) and `cpu` (plain Rust, the reference and the fallback).
//!
//! `Engine` is what the CLI and the page hold: it picks a backend at start-up,
//! falls back to the CPU when no GPU can be had (and says why), and reports
//! which backend and adapter it runs on.

pub mod cpu;
pub mod geom;
pub mod gpu;
pub mod ops;

use crate::error::{Error, Result};
use serde::Serialize;

/// What the caller asks for. `Auto` tries the GPU and falls back to the CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    Auto,
    Gpu,
    Cpu,
}

impl std::str::FromStr for BackendChoice {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" | "" => Ok(BackendChoice::Auto),
            "gpu" | "webgpu" => Ok(BackendChoice::Gpu),
            "cpu" => Ok(BackendChoice::Cpu),
            other => Err(Error::Invalid(format!(
                "unknown backend {other:?}: use \"auto\", \"webgpu\" (or \"gpu\") or \"cpu\""
            ))),
        }
    }
}

/// Limits of the GPU device that decide what fits (bytes unless named otherwise).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LimitsReport {
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
    pub max_compute_workgroup_storage_size: u32,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroups_per_dimension: u32,
}

/// What a model on a backend may allocate: all its buffers together (`budget`) and any one
/// of them (`max_buffer`), in bytes, each with where the figure comes from. `Model::new`
/// checks its plan against them before it allocates anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    pub budget: u64,
    /// E.g. "wasm32's 4 GiB address space", "this machine's memory", "the budget set for this engine".
    pub budget_source: String,
    pub max_buffer: u64,
    /// E.g. "this device's maxStorageBufferBindingSize".
    pub max_buffer_source: String,
}

impl Limits {
    /// A wasm32 module: 4 GiB of memory in all, arrays of at most isize::MAX (2 GiB − 1) bytes.
    pub fn wasm32() -> Limits {
        Limits {
            budget: 4 << 30,
            budget_source: "wasm32's 4 GiB address space".into(),
            max_buffer: (1 << 31) - 1,
            max_buffer_source: "wasm32's largest array (2 GiB)".into(),
        }
    }

    /// This platform's: wasm32's on wasm32; natively the machine's memory (when the system
    /// says it) and arrays of at most isize::MAX bytes.
    pub fn platform() -> Limits {
        if cfg!(target_arch = "wasm32") {
            return Limits::wasm32();
        }
        let (budget, budget_source) = match machine_memory() {
            Some(m) => (m, "this machine's memory".to_string()),
            None => (u64::MAX, "no budget (the machine's memory is unknown)".to_string()),
        };
        Limits { budget, budget_source, max_buffer: isize::MAX as u64, max_buffer_source: "the largest array".into() }
    }

    /// The same limits with a budget of `bytes` for all the model's buffers together.
    pub fn with_budget(self, bytes: u64) -> Limits {
        Limits { budget: bytes, budget_source: "the budget set for this engine".into(), ..self }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::platform()
    }
}

/// Total memory, from /proc/meminfo where there is one.
fn machine_memory() -> Option<u64> {
    if cfg!(target_arch = "wasm32") {
        return None;
    }
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// What the page and the CLI show about the running engine.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EngineInfo {
    /// "gpu" or "cpu".
    pub kind: &'static str,
    /// The graphics API: "webgpu", "vulkan", "metal", "dx12", or "cpu".
    pub api: String,
    /// Adapter name as the driver reports it ("" when the browser hides it).
    pub adapter: String,
    /// "discrete", "integrated", "virtual", "cpu" (a software rasteriser such as lavapipe), "other".
    pub device_type: String,
    pub driver: String,
    /// Why the engine runs on the CPU although "auto" was asked for.
    pub fallback_reason: Option<String>,
    pub limits: Option<LimitsReport>,
    /// Whether the device runs WGSL with f16 (`shader-f16`): models may then keep f16 activations.
    pub shader_f16: bool,
    /// Whether models built now keep f16 activations (see `GpuContext::set_f16_activations`).
    pub f16_activations: bool,
}

pub enum Engine {
    Gpu(std::rc::Rc<gpu::GpuContext>),
    Cpu { fallback_reason: Option<String> },
}

impl Engine {
    pub async fn new(choice: BackendChoice) -> Result<Engine> {
        match choice {
            BackendChoice::Cpu => Ok(Engine::Cpu { fallback_reason: None }),
            BackendChoice::Gpu => Ok(Engine::Gpu(std::rc::Rc::new(gpu::GpuContext::new().await?))),
            BackendChoice::Auto => match gpu::GpuContext::new().await {
                Ok(ctx) => Ok(Engine::Gpu(std::rc::Rc::new(ctx))),
                Err(e) => Ok(Engine::Cpu { fallback_reason: Some(e.message().to_string()) }),
            },
        }
    }

    pub fn info(&self) -> EngineInfo {
        match self {
            Engine::Cpu { fallback_reason } => EngineInfo {
                kind: "cpu",
                api: "cpu".into(),
                adapter: "CPU (Rust)".into(),
                device_type: "cpu".into(),
                driver: String::new(),
                fallback_reason: fallback_reason.clone(),
                limits: None,
                shader_f16: false,
                f16_activations: false,
            },
            Engine::Gpu(g) => {
                let i = &g.adapter_info;
                let l = &g.limits;
                EngineInfo {
                    kind: "gpu",
                    api: match i.backend {
                        wgpu::Backend::BrowserWebGpu => "webgpu".into(),
                        wgpu::Backend::Vulkan => "vulkan".into(),
                        wgpu::Backend::Metal => "metal".into(),
                        wgpu::Backend::Dx12 => "dx12".into(),
                        wgpu::Backend::Gl => "gl".into(),
                        other => format!("{other:?}").to_lowercase(),
                    },
                    adapter: i.name.clone(),
                    device_type: match i.device_type {
                        wgpu::DeviceType::DiscreteGpu => "discrete",
                        wgpu::DeviceType::IntegratedGpu => "integrated",
                        wgpu::DeviceType::VirtualGpu => "virtual",
                        wgpu::DeviceType::Cpu => "cpu",
                        wgpu::DeviceType::Other => "other",
                    }
                    .into(),
                    driver: [i.driver.as_str(), i.driver_info.as_str()]
                        .iter()
                        .filter(|s| !s.is_empty())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" "),
                    fallback_reason: None,
                    limits: Some(LimitsReport {
                        max_buffer_size: l.max_buffer_size,
                        max_storage_buffer_binding_size: l.max_storage_buffer_binding_size,
                        max_compute_workgroup_storage_size: l.max_compute_workgroup_storage_size,
                        max_compute_invocations_per_workgroup: l.max_compute_invocations_per_workgroup,
                        max_compute_workgroups_per_dimension: l.max_compute_workgroups_per_dimension,
                    }),
                    shader_f16: g.has_shader_f16(),
                    f16_activations: g.f16_activations(),
                }
            }
        }
    }

    /// Models built from now on keep f16 activations (`f16`) or f32 ones: a GPU option
    /// (`GpuContext::set_f16_activations`); the CPU keeps f32 and refuses f16, saying so.
    pub fn set_f16_activations(&self, f16: bool) -> Result<()> {
        match self {
            Engine::Gpu(ctx) => ctx.set_f16_activations(f16),
            Engine::Cpu { .. } if f16 => Err(Error::Invalid(
                "f16 activations are a GPU option (WebGPU's shader-f16), and this engine runs on the CPU, which keeps f32; \
                 use the GPU backend on an adapter with shader-f16, or keep f32"
                    .into(),
            )),
            Engine::Cpu { .. } => Ok(()),
        }
    }

    /// Whether models built now keep f16 activations.
    pub fn f16_activations(&self) -> bool {
        matches!(self, Engine::Gpu(ctx) if ctx.f16_activations())
    }

    /// Where a training step of `spec` at `batch` spends its time on this engine's GPU
    /// (`gpu/profile.rs`); an error on the CPU backend, which has no dispatches to time.
    pub async fn profile(
        &self,
        spec: &crate::spec::ModelSpec,
        batch: usize,
        steps: usize,
    ) -> Result<gpu::profile::StepProfile> {
        match self {
            Engine::Gpu(g) => gpu::profile::profile_training(g.clone(), spec, batch, steps).await,
            Engine::Cpu { .. } => Err(Error::Invalid(
                "the profile times GPU dispatches, and this engine runs on the CPU; create the engine with backend \"webgpu\" or \"auto\" on a machine with WebGPU".into(),
            )),
        }
    }

    /// Training img/s of `spec` at `batch` on this engine (a fresh model, synthetic data,
    /// one warm-up step and `steps` timed), for choosing the faster backend.
    pub async fn measure_training(&self, spec: &crate::spec::ModelSpec, batch: usize, steps: usize) -> Result<f64> {
        let mut model = crate::model::AnyModel::new(self, spec, batch, 1)?;
        crate::with_model!(&mut model, m => gpu::profile::time_training(m, batch, steps).await)
    }

    /// The smoke kernel, out[i] = a * x[i] + y[i], on whichever backend runs.
    pub async fn saxpy(&self, a: f32, x: &[f32], y: &[f32]) -> Result<Vec<f32>> {
        if x.len() != y.len() {
            return Err(Error::Invalid(format!(
                "smoke kernel: x has {} values and y has {}; pass two arrays of the same length",
                x.len(),
                y.len()
            )));
        }
        match self {
            Engine::Gpu(g) => g.saxpy(a, x, y).await,
            Engine::Cpu { .. } => Ok(cpu::saxpy(a, x, y)),
        }
    }
}
