//! The GPU backend: wgpu compute (WebGPU in the page; Vulkan/Metal/DX12 natively).
//!
//! One `GpuContext` per engine holds the device, the queue and the cache of shader
//! modules and pipelines (`pipelines.rs`): each pipeline is built once per device, the
//! first time any model on the engine dispatches it, and shared by every model there.
//! `backend.rs` records a model's ops (`backend/ops.rs` maps each op to its kernels) and
//! `params.rs` holds each kernel family's uniform struct; `gemm_choice.rs` decides, once per
//! context, which GEMM kernel (tiled or register-tiled) runs its products. Readback is asynchronous everywhere: `map_async` resolves a
//! oneshot channel; natively we drive it with `Device::poll`, while on the web
//! the browser's event loop does (there `poll` does nothing, so we never rely on it).

use crate::error::{Error, Result};
use std::sync::Arc;
use wgpu::util::DeviceExt;

pub mod backend;
pub mod gemm_choice;
pub mod halves;
pub mod params;
pub mod pipelines;
pub mod profile;

use gemm_choice::{GemmDecision, GemmKernel};
use params::{KernelParams, SmokeParams};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

const SMOKE_WORKGROUP: u32 = 64;

pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub adapter_info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pipelines: pipelines::PipelineCache,
    /// The GEMM kernel every product on this device uses, and how it was decided.
    gemm: Mutex<(GemmKernel, GemmDecision)>,
    /// Whether models built from now on keep their activations as f16 (`set_f16_activations`).
    f16_activations: AtomicBool,
}

impl GpuContext {
    /// Requests an adapter and a device with the adapter's own limits (so large
    /// data sets fit), and builds the smoke pipeline to check that WGSL runs here.
    pub async fn new() -> Result<Self> {
        #[cfg(target_arch = "wasm32")]
        if !wgpu::util::is_browser_webgpu_supported().await {
            return Err(Error::Gpu(
                "WebGPU is not available in this browser (navigator.gpu is missing or gives no adapter); \
                 use a browser with WebGPU enabled (Chrome/Edge 113+, Safari 26+, Firefox 141+ on Windows)"
                    .into(),
            ));
        }
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
        desc.backends = if cfg!(target_arch = "wasm32") {
            wgpu::Backends::BROWSER_WEBGPU
        } else {
            wgpu::Backends::PRIMARY.with_env()
        };
        let instance = wgpu::Instance::new(desc);
        let adapter = instance
            .request_adapter(&wgpu::RequestAdapterOptions {
                power_preference: wgpu::PowerPreference::HighPerformance,
                ..Default::default()
            })
            .await
            .map_err(|e| {
                Error::Gpu(format!(
                    "no GPU adapter found ({e}); natively install a Vulkan driver \
                     (on Debian: apt-get install mesa-vulkan-drivers), in the page enable WebGPU"
                ))
            })?;
        let adapter_info = adapter.get_info();
        let limits = adapter.limits();
        // Timestamp queries, where the adapter has them, let the profiler time each dispatch;
        // `shader-f16` lets models keep f16 activations.
        let features = adapter.features() & (wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::SHADER_F16);
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("convplay"),
                required_limits: limits.clone(),
                required_features: features,
                ..Default::default()
            })
            .await
            .map_err(|e| Error::Gpu(format!("the GPU adapter {:?} refused a device: {e}", adapter_info.name)))?;
        // Errors are caught with error scopes where they can happen; anything
        // else is logged rather than aborting the process (wgpu's default).
        device.on_uncaptured_error(Arc::new(|e| report_gpu_error(&e.to_string())));

        let ctx = GpuContext {
            device,
            queue,
            adapter_info,
            limits,
            pipelines: Default::default(),
            gemm: Mutex::new((GemmKernel::Tiled, GemmDecision::Undecided)),
            f16_activations: AtomicBool::new(false),
        };
        if let Some(f16) = activations_from_env()? {
            ctx.set_f16_activations(f16)?;
        }
        let scope = ctx.device.push_error_scope(wgpu::ErrorFilter::Validation);
        ctx.pipeline(SmokeParams::FILE, "saxpy");
        if let Some(e) = scope.pop().await {
            return Err(Error::Gpu(format!("building the smoke pipeline failed: {e}")));
        }
        if let Some(kernel) = GemmKernel::from_env()? {
            ctx.set_gemm(kernel, GemmDecision::Forced);
            return Ok(ctx);
        }
        // Time both GEMM kernels once (a few milliseconds) and keep the faster.
        let ctx = std::rc::Rc::new(ctx);
        let decision = gemm_choice::probe(&ctx).await?;
        ctx.set_gemm(gemm_choice::pick(decision), decision);
        let mut ctx = std::rc::Rc::try_unwrap(ctx).map_err(|_| {
            Error::Gpu("the GEMM probe kept the GPU context (a bug in ConvPlay; please report it)".into())
        })?;
        // The probe built the chosen kernel's conv pipelines, which models use too: they stay
        // (compiling them again cost SwiftShader 2.4 s); the other kernels' go.
        let chosen = ctx.gemm_kernel();
        ctx.pipelines.forget(|file, entry| GemmKernel::ALL.into_iter().any(|k| k != chosen && k.owns(file, entry)));
        Ok(ctx)
    }

    /// The GEMM kernel this device's products use.
    pub fn gemm_kernel(&self) -> GemmKernel {
        self.gemm.lock().unwrap_or_else(|e| e.into_inner()).0
    }

    /// The GEMM kernel and how it was chosen, in words ("reg (timed at start-up: …)").
    pub fn gemm_report(&self) -> String {
        let (kernel, decision) = *self.gemm.lock().unwrap_or_else(|e| e.into_inner());
        gemm_choice::describe(kernel, decision)
    }

    /// Forces the GEMM kernel of every product recorded from now on (tests, benchmarks).
    pub fn set_gemm_kernel(&self, kernel: GemmKernel) {
        self.set_gemm(kernel, GemmDecision::Forced);
    }

    fn set_gemm(&self, kernel: GemmKernel, decision: GemmDecision) {
        *self.gemm.lock().unwrap_or_else(|e| e.into_inner()) = (kernel, decision);
    }

    /// The compute pipeline for `entry` of `shaders/<file>.wgsl`, built on this device the
    /// first time any model asks for it and cached for all of them.
    pub fn pipeline(&self, file: &'static str, entry: &'static str) -> wgpu::ComputePipeline {
        self.pipelines.get(&self.device, file, entry, 0)
    }

    /// `pipeline` with f16 storage arrays at the bindings of the mask `halves` (`halves.rs`);
    /// a mask other than 0 needs `shader-f16` on the device.
    pub fn pipeline_halved(&self, file: &'static str, entry: &'static str, halves: u32) -> wgpu::ComputePipeline {
        self.pipelines.get(&self.device, file, entry, halves)
    }

    /// Whether this device runs WGSL with f16 (WebGPU's `shader-f16`, wgpu's `SHADER_F16`).
    pub fn has_shader_f16(&self) -> bool {
        self.device.features().contains(wgpu::Features::SHADER_F16)
    }

    /// Models built on this context from now on keep their activations (the input batch and
    /// every layer's output) as f16, or as f32 again; arithmetic and everything else stay f32.
    /// A device without `shader-f16` refuses f16, saying so.
    pub fn set_f16_activations(&self, on: bool) -> Result<()> {
        if on && !self.has_shader_f16() {
            return Err(no_shader_f16(&self.adapter_info.name));
        }
        self.f16_activations.store(on, Ordering::Relaxed);
        Ok(())
    }

    /// Whether models built from now on keep f16 activations.
    pub fn f16_activations(&self) -> bool {
        self.f16_activations.load(Ordering::Relaxed)
    }

    /// How many compute pipelines this device has built so far (each once).
    pub fn pipelines_built(&self) -> usize {
        self.pipelines.built()
    }

    /// out[i] = a * x[i] + y[i] on the GPU (shaders/smoke.wgsl), read back asynchronously.
    pub async fn saxpy(&self, a: f32, x: &[f32], y: &[f32]) -> Result<Vec<f32>> {
        let n = x.len();
        let groups = (n as u64).div_ceil(SMOKE_WORKGROUP as u64);
        if groups > self.limits.max_compute_workgroups_per_dimension as u64 {
            return Err(Error::Invalid(format!(
                "smoke kernel: {n} values need {groups} workgroups, more than this device's {} per dimension; pass fewer values",
                self.limits.max_compute_workgroups_per_dimension
            )));
        }
        if n == 0 {
            return Ok(Vec::new());
        }
        let smoke = self.pipeline(SmokeParams::FILE, "saxpy");
        let dev = &self.device;
        let scope = dev.push_error_scope(wgpu::ErrorFilter::Validation);
        let params = SmokeParams { n: n as u32, a };
        let storage = |label, data: &[f32], extra| {
            dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents: bytemuck::cast_slice(data),
                usage: wgpu::BufferUsages::STORAGE | extra,
            })
        };
        let ubuf = dev.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("smoke/params"),
            contents: bytemuck::bytes_of(&params),
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let xbuf = storage("smoke/x", x, wgpu::BufferUsages::empty());
        let ybuf = storage("smoke/y", y, wgpu::BufferUsages::empty());
        let obuf = dev.create_buffer(&wgpu::BufferDescriptor {
            label: Some("smoke/out"),
            size: (n * 4) as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let bind = dev.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("smoke/bind"),
            layout: &smoke.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: ubuf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 1, resource: xbuf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: ybuf.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: obuf.as_entire_binding() },
            ],
        });
        let mut enc = dev.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("smoke") });
        {
            let mut pass =
                enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("smoke"), timestamp_writes: None });
            pass.set_pipeline(&smoke);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(groups as u32, 1, 1);
        }
        self.queue.submit([enc.finish()]);
        if let Some(e) = scope.pop().await {
            return Err(Error::Gpu(format!("smoke kernel dispatch failed: {e}")));
        }
        self.read_f32(&obuf, n).await
    }

    /// Copies `len` f32 from `src` (which needs COPY_SRC) into a staging buffer and
    /// awaits its mapping. Never blocks on the web.
    pub async fn read_f32(&self, src: &wgpu::Buffer, len: usize) -> Result<Vec<f32>> {
        let bytes = self.read_raw(src, (len * 4) as u64, &format!("{len} values")).await?;
        Ok(bytemuck::cast_slice::<u8, f32>(&bytes).to_vec())
    }

    /// The first `size` bytes of `src` (which needs COPY_SRC), like `read_f32`.
    pub async fn read_bytes(&self, src: &wgpu::Buffer, size: u64) -> Result<Vec<u8>> {
        self.read_raw(src, size, &format!("{size} bytes")).await
    }

    async fn read_raw(&self, src: &wgpu::Buffer, size: u64, what: &str) -> Result<Vec<u8>> {
        // A copy the device rejects (more than `src` holds) is an error, not zeros.
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let staging = self.stage(src, size);
        if let Some(e) = scope.pop().await {
            return Err(Error::Gpu(format!("reading {what} back from the GPU failed: {e}")));
        }
        self.read_staged(&staging, what).await
    }

    /// The first `size` bytes of `src` as they will be after the work submitted so far:
    /// copied, in a submission of their own, into a buffer the CPU can map (`read_staged`).
    pub fn stage(&self, src: &wgpu::Buffer, size: u64) -> wgpu::Buffer {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut enc = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("readback") });
        enc.copy_buffer_to_buffer(src, 0, &staging, 0, size);
        self.queue.submit([enc.finish()]);
        staging
    }

    /// The bytes of a buffer from `stage`, once the submission that filled it has run (in the
    /// browser; natively the device is waited for whole).
    pub async fn read_staged(&self, staging: &wgpu::Buffer, what: &str) -> Result<Vec<u8>> {
        let (tx, rx) = futures_channel::oneshot::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |r| {
            let _ = tx.send(r);
        });
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Gpu(format!("waiting for the GPU failed: {e}")))?;
        rx.await
            .map_err(|_| Error::Gpu("the GPU device was lost before the readback finished; reload the page".into()))?
            .map_err(|e| Error::Gpu(format!("mapping the readback buffer of {what} failed: {e}")))?;
        let out = {
            let view = staging
                .get_mapped_range(..)
                .map_err(|e| Error::Gpu(format!("reading the mapped buffer of {what} failed: {e}")))?;
            view.to_vec()
        };
        staging.unmap();
        Ok(out)
    }
}

/// The refusal of f16 activations on adapter `name`, which lacks `shader-f16`.
pub fn no_shader_f16(name: &str) -> Error {
    Error::Invalid(format!(
        "f16 activations need WebGPU's shader-f16 feature, and this GPU adapter ({name:?}) does not have it; \
         use f32 activations (the default), or a GPU with shader-f16"
    ))
}

/// The activations `CONVPLAY_ACTIVATIONS` asks for (`f16` → true, `f32` → false), if it is set
/// (natively; never in the browser).
pub fn activations_from_env() -> Result<Option<bool>> {
    #[cfg(target_arch = "wasm32")]
    return Ok(None);
    #[cfg(not(target_arch = "wasm32"))]
    match std::env::var("CONVPLAY_ACTIVATIONS") {
        Err(_) => Ok(None),
        Ok(s) => parse_activations(&s)
            .map(Some)
            .map_err(|e| Error::Invalid(format!("CONVPLAY_ACTIVATIONS: {}", e.message()))),
    }
}

/// `f16` → true, `f32` → false; anything else is an error that lists the two.
pub fn parse_activations(s: &str) -> Result<bool> {
    match s.trim() {
        "f16" => Ok(true),
        "f32" => Ok(false),
        other => Err(Error::Invalid(format!("activations can be \"f32\" or \"f16\", not {other:?}"))),
    }
}

/// A GPU error that no error scope caught: a bug in ConvPlay, so it must be seen.
fn report_gpu_error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    web_sys::console::error_1(&format!("ConvPlay GPU error: {message}").into());
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("ConvPlay GPU error: {message}");
}
