// optim.wgsl — optimiser updates (SGD with momentum, Adam, AdamW), one invocation per
// parameter value.
// CPU twin: crate/src/backend/cpu/optim.rs (`update`), the same arithmetic.
//
// Bindings (group 0): 0 uniform p: OptimParams (its Rust twin in
// crate/src/backend/gpu/params.rs); 1 g: gradient (read); 2 w; 3 m; 4 v (read_write).
// Dispatch: 1-D over p.len in workgroups of 256 (a line folded into the grid's y and z past the device's
// maxComputeWorkgroupsPerDimension).

struct OptimParams {
    len: u32, kind: u32, lr: f32, momentum: f32,
    nesterov: u32, weight_decay: f32, beta1: f32, beta2: f32,
    eps: f32, bc1: f32, bc2: f32, decoupled: u32,
}

@group(0) @binding(0) var<uniform> p: OptimParams;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> w: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;

@compute @workgroup_size(256)
fn step(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid.x;
    if (i >= p.len) { return; }
    if (p.kind == 0u) {
        // SGD with momentum (Keras form), L2 decay folded into the gradient.
        let grad = g[i] + p.weight_decay * w[i];
        let vel = p.momentum * m[i] - p.lr * grad;
        m[i] = vel;
        w[i] = w[i] + select(vel, p.momentum * vel - p.lr * grad, p.nesterov != 0u);
    } else {
        // Adam (bc1, bc2: 1 − β^t); AdamW when decoupled.
        let grad = select(g[i] + p.weight_decay * w[i], g[i], p.decoupled != 0u);
        let mm = p.beta1 * m[i] + (1.0 - p.beta1) * grad;
        let vv = p.beta2 * v[i] + (1.0 - p.beta2) * grad * grad;
        m[i] = mm;
        v[i] = vv;
        var wi = w[i];
        if (p.decoupled != 0u) { wi = wi - p.lr * p.weight_decay * wi; }
        w[i] = wi - p.lr * (mm / p.bc1) / (sqrt(vv / p.bc2) + p.eps);
    }
}
