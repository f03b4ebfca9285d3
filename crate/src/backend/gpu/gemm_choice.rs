//! Which GEMM kernel runs the products of a device: the tiled one of shaders/gemm.wgsl
//! (64×64 tiles through workgroup memory, two barriers per 16 of K), the register-tiled one
//! of shaders/gemm_reg.wgsl (no workgroup memory, no barriers, one entry point per mode), or
//! its lane-shaped twin of shaders/gemm_lane.wgsl (8-invocation workgroups that share their
//! rows of A). Real GPUs usually favour the first; SwiftShader and some mobile GPUs the
//! second; lavapipe, whose invocations are the lanes of a CPU vector, the third. The context
//! decides once, when it is made: it times a small convolution with each (`probe`) and keeps
//! the fastest for every product on the device. The environment variable
//! `CONVPLAY_GEMM=tiled|reg|lane` (natively) or `GpuContext::set_gemm_kernel` forces one.

use super::backend::Gpu;
use super::GpuContext;
use crate::backend::geom::Window;
use crate::backend::ops::Backend;
use crate::error::{Error, Result};
use crate::spec::Padding;
use std::rc::Rc;

/// A GEMM kernel family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GemmKernel {
    /// shaders/gemm.wgsl: workgroup-memory tiles and barriers.
    Tiled,
    /// shaders/gemm_reg.wgsl: register blocks read straight from the buffers.
    Reg,
    /// shaders/gemm_lane.wgsl: register blocks whose rows the whole workgroup shares.
    Lane,
}

/// A conv filter gradient of at least this many rows (kh·kw·c) runs the register kernel's
/// 64-row tiles; fewer run 32-row ones and waste less.
const WIDE_FILTER: usize = 64;
/// A conv filter gradient of at most this many rows (an MNIST net's first conv: 9) runs
/// 16-row tiles.
const NARROW_FILTER: usize = 16;

/// A product of at most this many columns runs the lane kernel's tall tiles (16 rows × 32
/// columns, 16×4 per invocation); wider ones its wide tiles (8 × 64, 8×8 per invocation),
/// which would leave half of their lanes idle on 32 columns.
const LANE_NARROW: usize = 32;

/// How the device's kernel was decided, for reports.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GemmDecision {
    /// Not decided yet (the tiled kernel runs).
    Undecided,
    /// Forced by `CONVPLAY_GEMM` or `set_gemm_kernel`.
    Forced,
    /// Timed at start-up: milliseconds of the probe with the tiled, the register and the
    /// lane-shaped kernel.
    Timed { tiled_ms: f64, reg_ms: f64, lane_ms: f64 },
}

impl GemmKernel {
    /// The shader file (`shaders/<file>.wgsl`).
    pub fn file(self) -> &'static str {
        match self {
            GemmKernel::Tiled => "gemm",
            GemmKernel::Reg => "gemm_reg",
            GemmKernel::Lane => "gemm_lane",
        }
    }

    /// The module that runs GEMM `mode` on a product of `n` columns: `file()`, except that the
    /// lane kernel reads B four values at a time ("gemm_lane4", see pipelines.rs) where each
    /// row of B is contiguous in its columns and starts 16-byte aligned: the conv products (B
    /// is the kernel [k, oc], the kernel transposed to [taps, oc, c] for the data gradient, or
    /// dout [rows, oc]) and the dense forward and weight products, with n a multiple of 4.
    pub fn module(self, mode: u32, n: usize) -> &'static str {
        match self {
            GemmKernel::Lane if mode != 4 && n.is_multiple_of(4) => "gemm_lane4",
            k => k.file(),
        }
    }

    /// Whether the pipeline of `entry` in module `file` is one of this kernel's products (the
    /// tiled kernel's module also holds `splitk_reduce`, which every kernel uses).
    pub fn owns(self, file: &str, entry: &str) -> bool {
        match self {
            GemmKernel::Tiled => file == "gemm" && entry == "gemm",
            GemmKernel::Reg => file == "gemm_reg",
            GemmKernel::Lane => file == "gemm_lane" || file == "gemm_lane4",
        }
    }

    /// Every kernel, in the order the probe times them.
    pub const ALL: [GemmKernel; 3] = [GemmKernel::Tiled, GemmKernel::Reg, GemmKernel::Lane];

    /// The entry point that runs GEMM `mode` (0–5) on a product of `m` rows and `n` columns.
    pub fn entry(self, mode: u32, m: usize, n: usize) -> &'static str {
        let narrow = n <= LANE_NARROW;
        match (self, mode) {
            (GemmKernel::Tiled, _) => "gemm",
            (GemmKernel::Reg, 0) => "gemm_conv_forward",
            (GemmKernel::Reg, 1) => "gemm_conv_data",
            (GemmKernel::Reg, 2) if m >= WIDE_FILTER => "gemm_conv_filter_wide",
            (GemmKernel::Reg, 2) if m <= NARROW_FILTER => "gemm_conv_filter_narrow",
            (GemmKernel::Reg, 2) => "gemm_conv_filter",
            (GemmKernel::Reg, 3) => "gemm_dense_forward",
            (GemmKernel::Reg, 4) => "gemm_dense_data",
            (GemmKernel::Reg, _) => "gemm_dense_weight",
            (GemmKernel::Lane, 0) => {
                if narrow {
                    "lane_conv_forward_n"
                } else {
                    "lane_conv_forward"
                }
            }
            (GemmKernel::Lane, 1) => {
                if narrow {
                    "lane_conv_data_n"
                } else {
                    "lane_conv_data"
                }
            }
            (GemmKernel::Lane, 2) => {
                if narrow {
                    "lane_conv_filter_n"
                } else {
                    "lane_conv_filter"
                }
            }
            (GemmKernel::Lane, 3) => {
                if narrow {
                    "lane_dense_forward_n"
                } else {
                    "lane_dense_forward"
                }
            }
            (GemmKernel::Lane, 4) => {
                if narrow {
                    "lane_dense_data_n"
                } else {
                    "lane_dense_data"
                }
            }
            (GemmKernel::Lane, _) => {
                if narrow {
                    "lane_dense_weight_n"
                } else {
                    "lane_dense_weight"
                }
            }
        }
    }

    /// The rows and columns of C one workgroup of `entry(mode, m, n)` computes (the dispatch
    /// counts these tiles in a line, times the split-K parts).
    pub fn tile(self, mode: u32, m: usize, n: usize) -> (usize, usize) {
        match (self, mode) {
            (GemmKernel::Tiled, _) => (64, 64),
            (GemmKernel::Reg, 0 | 1) => (128, 32),
            (GemmKernel::Reg, 2) if m >= WIDE_FILTER => (64, 32),
            (GemmKernel::Reg, 2) if m <= NARROW_FILTER => (16, 32),
            (GemmKernel::Reg, _) => (32, 32),
            (GemmKernel::Lane, _) if n <= LANE_NARROW => (16, 32),
            (GemmKernel::Lane, _) => (8, 64),
        }
    }

    /// The name used by `CONVPLAY_GEMM` and in reports.
    pub fn name(self) -> &'static str {
        match self {
            GemmKernel::Tiled => "tiled",
            GemmKernel::Reg => "reg",
            GemmKernel::Lane => "lane",
        }
    }

    /// Parses `tiled`, `reg` or `lane` (as `CONVPLAY_GEMM` holds them).
    pub fn parse(s: &str) -> Result<GemmKernel> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tiled" => Ok(GemmKernel::Tiled),
            "reg" | "register" => Ok(GemmKernel::Reg),
            "lane" => Ok(GemmKernel::Lane),
            other => Err(Error::Invalid(format!(
                "unknown GEMM kernel {other:?}: use \"tiled\" (workgroup-memory tiles), \"reg\" (register-tiled, no barriers) \
                 or \"lane\" (register-tiled, rows shared by the workgroup)"
            ))),
        }
    }

    /// The kernel `CONVPLAY_GEMM` forces, if it is set (natively; never in the browser).
    pub fn from_env() -> Result<Option<GemmKernel>> {
        if cfg!(target_arch = "wasm32") {
            return Ok(None);
        }
        match std::env::var("CONVPLAY_GEMM") {
            Ok(s) if !s.trim().is_empty() && s.trim() != "auto" => {
                GemmKernel::parse(&s).map(Some).map_err(|e| Error::Invalid(format!("CONVPLAY_GEMM: {}", e.message())))
            }
            _ => Ok(None),
        }
    }
}

/// A line for reports: "reg (timed at start-up: tiled 12.3 ms, reg 4.5 ms, lane 6.7 ms)",
/// "tiled (forced)".
pub fn describe(kernel: GemmKernel, decision: GemmDecision) -> String {
    match decision {
        GemmDecision::Undecided => format!("{} (not timed)", kernel.name()),
        GemmDecision::Forced => format!("{} (forced)", kernel.name()),
        GemmDecision::Timed { tiled_ms, reg_ms, lane_ms } => format!(
            "{} (timed at start-up: tiled {tiled_ms:.2} ms, reg {reg_ms:.2} ms, lane {lane_ms:.2} ms)",
            kernel.name()
        ),
    }
}

/// Another kernel must beat the tiled one by this factor to be chosen (a tie, which a real
/// GPU's launch overhead makes of so small a probe, keeps the tiled kernel).
const MARGIN: f64 = 0.9;

/// Times one small convolution (forward, data and filter gradients: modes 0, 1 and 2) with
/// each kernel, after a warm-up that builds the pipelines, and returns the decision: the best
/// of `PROBE_ROUNDS` runs each, the kernels taking turns within a round, so that a burst of
/// other work on the machine falls on all of them alike rather than on one kernel's runs. The
/// shape is a mid-network layer of a small CNN at batch 2 (14×14×16 → 32, 3×3, "same"):
/// about 7 MFLOP, so a few milliseconds on an emulator and far less on a GPU.
pub(super) async fn probe(ctx: &Rc<GpuContext>) -> Result<GemmDecision> {
    let g = Window::new("GEMM probe", 2, (14, 14, 16), 32, (3, 3), (1, 1), Padding::Same)?;
    let klen = (g.kh * g.kw * g.c * g.oc) as usize;
    let be = Gpu::new(ctx.clone());
    let fill = |len: usize| {
        let b = be.alloc(len);
        be.write(&b, &(0..len).map(|i| ((i % 7) as f32 - 3.0) * 0.1).collect::<Vec<_>>());
        b
    };
    let (x, w, dout) = (fill(g.input_len()), fill(klen), fill(g.output_len()));
    let (y, dx, dw) = (be.alloc(g.output_len()), be.alloc(g.input_len()), be.alloc(klen));
    // The kernel is read as each product is recorded, so one backend and its buffers serve all.
    let run = |kernel: GemmKernel| {
        ctx.set_gemm(kernel, GemmDecision::Undecided);
        be.conv2d_forward(&g, &x, &w, None, &y);
        be.conv2d_backward(&g, &x, &w, &dout, Some(&dx), &dw, None);
    };
    for kernel in GemmKernel::ALL {
        run(kernel);
        be.read(&dw, 1).await?;
    }
    let mut ms = [f64::INFINITY; 3];
    for round in 0..PROBE_ROUNDS {
        let best = ms.iter().copied().fold(f64::INFINITY, f64::min);
        for (slot, kernel) in GemmKernel::ALL.into_iter().enumerate() {
            // A kernel twice as slow as the best after a round cannot win: its time stands
            // (the tiled kernel takes 50 ms a run on lavapipe, against 2–3 for the others).
            if round > 0 && ms[slot] > 2.0 * best {
                continue;
            }
            let t0 = super::profile::now_ms();
            run(kernel);
            be.read(&dw, 1).await?;
            ms[slot] = ms[slot].min(super::profile::now_ms() - t0);
        }
    }
    Ok(GemmDecision::Timed { tiled_ms: ms[0], reg_ms: ms[1], lane_ms: ms[2] })
}

/// Runs of the probe per kernel; the best counts.
const PROBE_ROUNDS: usize = 4;

/// The lane kernel must beat the register kernel by this factor to be chosen: in Chromium's
/// SwiftShader the lane kernel came within 0.84–0.94 of the register kernel on the probe (5.4
/// against 6.4 ms, 6.3 against 6.8), while the two train alike there; on lavapipe the lane
/// kernel takes about 0.65 of the time and trains seed-004 1.5× as fast.
const LANE_MARGIN: f64 = 0.8;

/// The kernel a decision picks: the register kernel, or the lane kernel where it beats that
/// by `LANE_MARGIN`, if it beats the tiled one by `MARGIN`; else the tiled one.
pub fn pick(decision: GemmDecision) -> GemmKernel {
    match decision {
        GemmDecision::Timed { tiled_ms, reg_ms, lane_ms } => {
            let (kernel, ms) =
                if lane_ms < LANE_MARGIN * reg_ms { (GemmKernel::Lane, lane_ms) } else { (GemmKernel::Reg, reg_ms) };
            if ms < MARGIN * tiled_ms {
                kernel
            } else {
                GemmKernel::Tiled
            }
        }
        _ => GemmKernel::Tiled,
    }
}
