// eltwise.wgsl — element-wise kernels: activations (forward in place, backward from
// the output y), inverted dropout with a counter-based mask, copy, fill, add, and the
// channel scale of squeeze-and-excitation.
// CPU twins: crate/src/backend/cpu/act.rs (activations), crate/src/backend/cpu/rng.rs
// (the dropout mask) and crate/src/backend/cpu/misc.rs (add, concat, channel scale).
//
// Bindings (group 0): 0 uniform p: EltwiseParams (its Rust twin in
// crate/src/backend/gpu/params.rs); 1 x (read); 2 y (read_write); 3 s (read, channel
// scales); 4 dy (read, scale_grad only).
// Dispatch: 1-D over p.len (softmax: over p.len / p.c rows; act_backward: 1,024 values per
// workgroup) in workgroups of 256,
// a line of workgroups folded into the grid's y and z past the device's maxComputeWorkgroupsPerDimension (see `group`).

struct EltwiseParams {
    len: u32, act: u32, c: u32, seed: u32,
    alpha: f32, rate: f32, value: f32, hw: u32,
    offset: u32,
}

@group(0) @binding(0) var<uniform> p: EltwiseParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> s: array<f32>;

// The workgroup's place in the line of all of them: the host folds a long line into the
// grid's y and z when it passes the device's maxComputeWorkgroupsPerDimension.
fn group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
}

fn index(wid: vec3<u32>, lid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return group(wid, nwg) * 256u + lid.x;
}

// act_fwd (the activation codes and their formulas): act.wgsl, which ends the module.

// f′ from the forward output, on four values at once (one `switch` for four).
fn act_grad4(out: vec4<f32>) -> vec4<f32> {
    let zero = vec4<f32>(0.0);
    let one = vec4<f32>(1.0);
    switch p.act {
        case 1u: { return select(zero, one, out > zero); }
        case 2u: { return select(zero, one, (out > zero) & (out < vec4<f32>(6.0))); }
        case 3u: { return select(vec4<f32>(p.alpha), one, out > zero); }
        case 4u: { return out * (one - out); }
        case 5u: { return one - out * out; }
        default: { return one; }
    }
}

// y ← f(y), in place.
@compute @workgroup_size(256)
fn act_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    y[i] = act_fwd(y[i]);
}

// y (the gradient) ← y · f′, with f′ from the forward output x. 1,024 values per workgroup:
// invocation lid takes base + lid + 256·j (j < 4), so neighbouring invocations still read
// neighbouring values, and emulators pay their per-invocation cost once for four.
@compute @workgroup_size(256)
fn act_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = group(wid, nwg) * 1024u + lid.x + vec4<u32>(0u, 256u, 512u, 768u);
    let ok = i < vec4<u32>(p.len);
    let at = min(i, vec4<u32>(max(p.len, 1u) - 1u));
    let g = act_grad4(vec4<f32>(x[at.x], x[at.y], x[at.z], x[at.w]));
    for (var j = 0u; j < 4u; j = j + 1u) {
        if (ok[j]) { y[at[j]] = y[at[j]] * g[j]; }
    }
}

// Softmax over each row of p.c values of y, in place; one invocation per row.
@compute @workgroup_size(256)
fn softmax_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = index(wid, lid, nwg);
    if (r * p.c >= p.len) { return; }
    let o = r * p.c;
    var m = y[o];
    for (var j = 1u; j < p.c; j = j + 1u) { m = max(m, y[o + j]); }
    var sum = 0.0;
    for (var j = 0u; j < p.c; j = j + 1u) { let e = exp(y[o + j] - m); y[o + j] = e; sum = sum + e; }
    for (var j = 0u; j < p.c; j = j + 1u) { y[o + j] = y[o + j] / sum; }
}

// dy ← out · (dy − Σ dy·out) per row; x holds the softmax output.
@compute @workgroup_size(256)
fn softmax_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let r = index(wid, lid, nwg);
    if (r * p.c >= p.len) { return; }
    let o = r * p.c;
    var dot = 0.0;
    for (var j = 0u; j < p.c; j = j + 1u) { dot = dot + y[o + j] * x[o + j]; }
    for (var j = 0u; j < p.c; j = j + 1u) { y[o + j] = x[o + j] * (y[o + j] - dot); }
}

// The PCG hash (as in crate/src/backend/cpu/rng.rs): the same mask on GPU and CPU.
fn pcg(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// y = x · mask / (1 − rate), mask = [uniform(seed, i) ≥ rate]. Backward is the same op on dy.
@compute @workgroup_size(256)
fn dropout(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    let u = f32(pcg(i ^ pcg(p.seed)) >> 8u) * (1.0 / 16777216.0);
    y[i] = select(0.0, x[i] / (1.0 - p.rate), u >= p.rate);
}

@compute @workgroup_size(256)
fn copy(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    y[i] = x[i];
}

@compute @workgroup_size(256)
fn fill(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    y[i] = p.value;
}

// y += x.
@compute @workgroup_size(256)
fn add_into(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    y[i] = y[i] + x[i];
}

// Concat: x = part [rows, p.c] → y = out [rows, p.hw] at channel offset p.offset.
@compute @workgroup_size(256)
fn concat_part(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    let r = i / p.c;
    y[r * p.hw + p.offset + i % p.c] = x[i];
}

// Its gradient: x = dout [rows, p.hw] → y = part gradient [rows, p.c].
@compute @workgroup_size(256)
fn split_part(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    let r = i / p.c;
    y[i] = x[r * p.hw + p.offset + i % p.c];
}

// y[b, q, c] = x[b, q, c] · s[b, c] with p.hw positions per instance and p.c channels.
@compute @workgroup_size(256)
fn scale_channels(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    let b = i / (p.hw * p.c);
    y[i] = x[i] * s[b * p.c + i % p.c];
}

@group(0) @binding(4) var<storage, read> dy: array<f32>;

// ds[b, c] = Σ_q dy[b, q, c] · x[b, q, c]; one invocation per (b, c).
@compute @workgroup_size(256)
fn scale_grad(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = index(wid, lid, nwg);
    if (o >= p.len) { return; }
    let b = o / p.c;
    let ch = o % p.c;
    var acc = 0.0;
    for (var q = 0u; q < p.hw; q = q + 1u) {
        let i = (b * p.hw + q) * p.c + ch;
        acc = acc + dy[i] * x[i];
    }
    y[o] = acc;
}
