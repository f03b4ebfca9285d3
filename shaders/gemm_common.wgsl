// gemm_common.wgsl — what the three GEMM kernels (gemm.wgsl, gemm_reg.wgsl with
// gemm_reg_conv.wgsl, gemm_lane.wgsl) share: their parameters (the Rust twin: GemmParams in
// crate/src/backend/gpu/params.rs) and their bindings. Each module is the kernel's own file
// followed by this one and act.wgsl (the epilogue's activation; crate/src/backend/gpu/pipelines.rs).

struct GemmParams {
    mode: u32, m: u32, n: u32, k: u32,
    nb: u32, h: u32, w: u32, c: u32,
    oh: u32, ow: u32, oc: u32, kh: u32,
    kw: u32, sh: u32, sw: u32, pt: u32,
    pl: u32, has_bias: u32, splits: u32, kchunk: u32,
    act: u32, alpha: f32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<uniform> p: GemmParams;
@group(0) @binding(1) var<storage, read> a_buf: array<f32>;
@group(0) @binding(2) var<storage, read> b_buf: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

