// act.wgsl — the activations' forward formulas, which end the eltwise module (its
// act_forward) and the three GEMM modules (the epilogue that applies a conv or dense layer's
// activation as it writes C): one text, so the fused activation is the element-wise one by
// construction. Each module that includes it has a uniform `p` with the fields `act` (the
// code: 0 linear, 1 relu, 2 relu6, 3 leaky relu, 4 sigmoid, 5 tanh; softmax, 6, needs whole
// rows and is never applied here) and `alpha` (the leaky slope). act_fwd4 is act_fwd on four
// values at once (one `switch` for a row of a register block; crate/tests/gpu_fused.rs holds
// its formulas to act_fwd's). CPU twin: crate/src/backend/cpu/act.rs.

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
