// lrn.wgsl — local response normalisation across channels (AlexNet; TensorFlow's
// depth_radius r, bias, alpha, beta), forward and backward, one invocation per element.
//   out[i] = x[i] · d[i]^−β,  d[j] = bias + α · Σ_{|k−j| ≤ r} x[k]²
//   dx[i]  = dy[i] · d[i]^−β − 2αβ · x[i] · Σ_{|j−i| ≤ r} dy[j] · x[j] · d[j]^(−β−1)
// CPU twin: crate/src/backend/cpu/norm.rs (`lrn_forward`, `lrn_backward`).
//
// Bindings (group 0): 0 uniform p: LrnParams (its Rust twin in
// crate/src/backend/gpu/params.rs); 1 x (read); 2 dy (read, backward); 3 y: out or dx
// (read_write).
// Dispatch: 1-D over p.len in workgroups of 256 (a line folded into the grid's y and z past the device's
// maxComputeWorkgroupsPerDimension; see `group`).

struct LrnParams {
    len: u32, c: u32, r: u32, bias: f32,
    alpha: f32, beta: f32,
}

@group(0) @binding(0) var<uniform> p: LrnParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

// The workgroup's place in the line of all of them: the host folds a long line into the
// grid's y and z when it passes the device's maxComputeWorkgroupsPerDimension.
fn group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
}

fn index(wid: vec3<u32>, lid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return group(wid, nwg) * 256u + lid.x;
}

// d for channel j of the row starting at `row`.
fn denom(row: u32, j: u32) -> f32 {
    let lo = select(0u, j - p.r, j >= p.r);
    let hi = min(j + p.r, p.c - 1u);
    var s = 0.0;
    for (var k = lo; k <= hi; k = k + 1u) { let v = x[row + k]; s = s + v * v; }
    return p.bias + p.alpha * s;
}

@compute @workgroup_size(256)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    let j = i % p.c;
    y[i] = x[i] * pow(denom(i - j, j), -p.beta);
}

@compute @workgroup_size(256)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    let j = i % p.c;
    let row = i - j;
    let lo = select(0u, j - p.r, j >= p.r);
    let hi = min(j + p.r, p.c - 1u);
    var cross = 0.0;
    for (var k = lo; k <= hi; k = k + 1u) {
        cross = cross + dy[row + k] * x[row + k] * pow(denom(row, k), -p.beta - 1.0);
    }
    y[i] = dy[i] * pow(denom(row, j), -p.beta) - 2.0 * p.alpha * p.beta * x[i] * cross;
}
