// gemm_common.wgsl — what the three GEMM kernels (gemm.wgsl, gemm_reg.wgsl with
// gemm_reg_conv.wgsl, gemm_lane.wgsl) share: their parameters (the Rust twin: GemmParams in crate/src/backend/gpu/params.rs), their
// bindings and the fused activation. Each module is the kernel's own file followed by this one
// (crate/src/backend/gpu/pipelines.rs).

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

// The activation a forward product applies as it writes C, after the bias: p.act and p.alpha
// hold the codes and the leaky slope of eltwise.wgsl's act_fwd, whose formulas these are word
// for word, on one value (act_fwd) or four (act_fwd4, one `switch` per row of a register block)
// — crate/tests/gpu_fused.rs holds them to eltwise.wgsl's: 0 linear, 1 relu, 2 relu6, 3 leaky
// relu, 4 sigmoid, 5 tanh (softmax, 6, needs whole rows: it is never fused).
fn act_fwd(v: f32) -> f32 {
    switch p.act {
        case 1u: { return max(v, 0.0); }
        case 2u: { return clamp(v, 0.0, 6.0); }
        case 3u: { return select(v, v * p.alpha, v < 0.0); }
        case 4u: { return 1.0 / (1.0 + exp(-v)); }
        case 5u: { return tanh(v); }
        default: { return v; }
    }
}

fn act_fwd4(v: vec4<f32>) -> vec4<f32> {
    switch p.act {
        case 1u: { return max(v, vec4<f32>(0.0)); }
        case 2u: { return clamp(v, vec4<f32>(0.0), vec4<f32>(6.0)); }
        case 3u: { return select(v, v * p.alpha, v < vec4<f32>(0.0)); }
        case 4u: { return 1.0 / (1.0 + exp(-v)); }
        case 5u: { return tanh(v); }
        default: { return v; }
    }
}
