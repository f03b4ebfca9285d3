// batchnorm.wgsl — batch normalisation over rows [p.rows, p.c] (channels last), and the
// per-channel column sum that bias gradients use.
//
// Training forward: bn_stats (one workgroup per channel: batch mean, biased variance,
// 1/std saved; running stats updated like Keras) then bn_apply (per element).
// Inference: bn_infer_stats (running stats → saved) then bn_apply.
// Backward: bn_grad_reduce (per channel: dβ = Σdy, dγ = Σdy·x̂) then bn_backward_apply.
// CPU twin: crate/src/backend/cpu/norm.rs (`batch_norm_*`); channel_sum is the bias
// gradient of crate/src/backend/cpu/conv.rs and dense.rs.
//
// Bindings (group 0): 0 uniform p: BatchnormParams (its Rust twin in
// crate/src/backend/gpu/params.rs); 1 x (read); 2 gamma; 3 beta; 4 dy (read); 5 y:
// output or dx (read_write); 6 saved [mean(c), inv_std(c)]; 7 running mean; 8 running
// var; 9 dgamma; 10 dbeta (read_write).
// Dispatch: per-channel kernels one workgroup of 256 per channel (p.c of them; channel_sum
// one per 64 channels);
// per-element kernels 1-D over p.rows·p.c in workgroups of 256. Either way a line of
// workgroups folded into the grid's y and z past the device's
// maxComputeWorkgroupsPerDimension (see `group`).

struct BatchnormParams {
    rows: u32, c: u32, eps: f32, momentum: f32,
}

@group(0) @binding(0) var<uniform> p: BatchnormParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
@group(0) @binding(6) var<storage, read_write> saved: array<f32>;
@group(0) @binding(7) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(8) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(9) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(10) var<storage, read_write> dbeta: array<f32>;

var<workgroup> red_a: array<f32, 256>;
var<workgroup> red_b: array<f32, 256>;

// The workgroup's place in the line of all of them: the host folds a long line into the
// grid's y and z when it passes the device's maxComputeWorkgroupsPerDimension.
fn group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
}

fn index(wid: vec3<u32>, lid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return group(wid, nwg) * 256u + lid.x;
}

// Tree-reduces red_a and red_b across the workgroup; the totals end in element 0.
fn reduce2(t: u32) {
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if (t < s) {
            red_a[t] = red_a[t] + red_a[t + s];
            red_b[t] = red_b[t] + red_b[t + s];
        }
        workgroupBarrier();
    }
}

// y[c] = Σ_rows x[row, c]  (bias gradient). A workgroup of 256 sums w = min(c, 64)
// neighbouring channels, so neighbouring invocations read neighbouring values: invocation l
// takes channel l mod w and every (256 / w)-th row from row l / w; one barrier, then the
// first w invocations add the partial sums. ceil(c / 64) workgroups.
@compute @workgroup_size(256)
fn channel_sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let w = min(p.c, 64u);
    let phases = 256u / w;
    let lane = lid.x % w;
    let phase = lid.x / w;
    let ch = group(wid, nwg) * 64u + lane;
    let live = ch < p.c && phase < phases;
    let col = min(ch, p.c - 1u);
    var s = 0.0;
    if (live) {
        for (var r = phase; r < p.rows; r = r + phases) { s = s + x[r * p.c + col]; }
    }
    red_a[lid.x] = s;
    workgroupBarrier();
    if (live && phase == 0u) {
        var t = 0.0;
        for (var q = 0u; q < phases; q = q + 1u) { t = t + red_a[q * w + lane]; }
        y[ch] = t;
    }
}

@compute @workgroup_size(256)
fn bn_stats(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let ch = group(wid, nwg);
    if (ch >= p.c) { return; }
    let m = f32(p.rows);
    var s = 0.0;
    for (var r = lid.x; r < p.rows; r = r + 256u) { s = s + x[r * p.c + ch]; }
    red_a[lid.x] = s;
    red_b[lid.x] = 0.0;
    reduce2(lid.x);
    let mean = red_a[0] / m;
    workgroupBarrier();
    var q = 0.0;
    for (var r = lid.x; r < p.rows; r = r + 256u) { let d = x[r * p.c + ch] - mean; q = q + d * d; }
    red_a[lid.x] = q;
    reduce2(lid.x);
    if (lid.x == 0u) {
        let variance = red_a[0] / m;
        saved[ch] = mean;
        saved[p.c + ch] = 1.0 / sqrt(variance + p.eps);
        running_mean[ch] = p.momentum * running_mean[ch] + (1.0 - p.momentum) * mean;
        running_var[ch] = p.momentum * running_var[ch] + (1.0 - p.momentum) * variance;
    }
}

@compute @workgroup_size(256)
fn bn_infer_stats(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let ch = index(wid, lid, nwg);
    if (ch >= p.c) { return; }
    saved[ch] = running_mean[ch];
    saved[p.c + ch] = 1.0 / sqrt(running_var[ch] + p.eps);
}

@compute @workgroup_size(256)
fn bn_apply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.rows * p.c) { return; }
    let ch = i % p.c;
    y[i] = gamma[ch] * (x[i] - saved[ch]) * saved[p.c + ch] + beta[ch];
}

@compute @workgroup_size(256)
fn bn_grad_reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let ch = group(wid, nwg);
    if (ch >= p.c) { return; }
    let mean = saved[ch];
    let inv = saved[p.c + ch];
    var sa = 0.0;
    var sb = 0.0;
    for (var r = lid.x; r < p.rows; r = r + 256u) {
        let i = r * p.c + ch;
        sa = sa + dy[i];
        sb = sb + dy[i] * (x[i] - mean) * inv;
    }
    red_a[lid.x] = sa;
    red_b[lid.x] = sb;
    reduce2(lid.x);
    if (lid.x == 0u) {
        dbeta[ch] = red_a[0];
        dgamma[ch] = red_b[0];
    }
}

@compute @workgroup_size(256)
fn bn_backward_apply(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.rows * p.c) { return; }
    let ch = i % p.c;
    let m = f32(p.rows);
    let inv = saved[p.c + ch];
    let xhat = (x[i] - saved[ch]) * inv;
    y[i] = gamma[ch] * inv / m * (m * dy[i] - dbeta[ch] - xhat * dgamma[ch]);
}
