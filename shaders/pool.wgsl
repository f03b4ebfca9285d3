// pool.wgsl — max pooling (argmax saved), average pooling and global average pooling,
// forward and backward. Padding never takes part (TensorFlow's "same" behaviour).
// Backward kernels gather (one invocation per input element), so no atomics are needed;
// max pooling whose windows tile the input scatters instead (`max_backward_tiles`), each
// input belonging to one window at most.
// CPU twin: crate/src/backend/cpu/pool.rs.
//
// Bindings (group 0): 0 uniform p: PoolParams (its Rust twin in
// crate/src/backend/gpu/params.rs); 1 x: input or dout (read); 2 y: output or dx
// (read_write); 3 idx: argmax (read_write forward, read backward).
// Dispatch: 1-D in workgroups of 256 over outputs (forward, max_backward_tiles) or inputs
// (backward), a
// line of workgroups folded into the grid's y and z past the device's
// maxComputeWorkgroupsPerDimension (see `group`).

struct PoolParams {
    len: u32, n: u32, h: u32, w: u32,
    c: u32, oh: u32, ow: u32, kh: u32,
    kw: u32, sh: u32, sw: u32, pt: u32,
    pl: u32,
}

@group(0) @binding(0) var<uniform> p: PoolParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> idx: array<u32>;

// The workgroup's place in the line of all of them: the host folds a long line into the
// grid's y and z when it passes the device's maxComputeWorkgroupsPerDimension.
fn group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
}

fn index(wid: vec3<u32>, lid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return group(wid, nwg) * 256u + lid.x;
}

// Output coordinates of flat output index o: (b, oy, ox, ci).
fn out_coords(o: u32) -> vec4<u32> {
    let ci = o % p.c; let t = o / p.c; let ox = t % p.ow; let t2 = t / p.ow;
    return vec4<u32>(t2 / p.oh, t2 % p.oh, ox, ci);
}

// Whether every window lies inside the input (no padding reaches it).
fn inside() -> bool {
    return p.pt == 0u && p.pl == 0u && (p.oh - 1u) * p.sh + p.kh <= p.h && (p.ow - 1u) * p.sw + p.kw <= p.w;
}

@compute @workgroup_size(256)
fn max_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = index(wid, lid, nwg);
    if (o >= p.len) { return; }
    let q = out_coords(o);
    var best = bitcast<f32>(0xff7fffffu); // −FLT_MAX
    var at = 0u;
    if (inside()) {
        // Every window inside the input: no bounds to test.
        let row0 = (q.x * p.h + q.y * p.sh) * p.w + q.z * p.sw;
        for (var ky = 0u; ky < p.kh; ky = ky + 1u) {
            for (var kx = 0u; kx < p.kw; kx = kx + 1u) {
                let i = (row0 + ky * p.w + kx) * p.c + q.w;
                let v = x[i];
                at = select(at, i, v > best);
                best = select(best, v, v > best);
            }
        }
        y[o] = best;
        idx[o] = at;
        return;
    }
    for (var ky = 0u; ky < p.kh; ky = ky + 1u) {
        let iy = i32(q.y * p.sh + ky) - i32(p.pt);
        if (iy < 0 || iy >= i32(p.h)) { continue; }
        for (var kx = 0u; kx < p.kw; kx = kx + 1u) {
            let ix = i32(q.z * p.sw + kx) - i32(p.pl);
            if (ix < 0 || ix >= i32(p.w)) { continue; }
            let i = ((q.x * p.h + u32(iy)) * p.w + u32(ix)) * p.c + q.w;
            if (x[i] > best) { best = x[i]; at = i; }
        }
    }
    y[o] = best;
    idx[o] = at;
}

// Range of outputs along one axis whose window covers input position i.
fn covering(i: u32, k: u32, s: u32, pad: u32, out_size: u32) -> vec2<u32> {
    let t = i32(i + pad);
    let lo = max(t - i32(k) + 1, 0);
    let first = u32((lo + i32(s) - 1) / i32(s));
    let last = min(u32(t) / s, out_size - 1u);
    return vec2<u32>(first, last);
}

// One invocation per input element: add dout of every covering window whose argmax is it.
@compute @workgroup_size(256)
fn max_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    let ci = i % p.c; let t = i / p.c; let ix = t % p.w; let t2 = t / p.w; let iy = t2 % p.h; let b = t2 / p.h;
    let ry = covering(iy, p.kh, p.sh, p.pt, p.oh);
    let rx = covering(ix, p.kw, p.sw, p.pl, p.ow);
    var g = 0.0;
    for (var oy = ry.x; oy <= ry.y; oy = oy + 1u) {
        for (var ox = rx.x; ox <= rx.y; ox = ox + 1u) {
            let o = ((b * p.oh + oy) * p.ow + ox) * p.c + ci;
            if (idx[o] == i) { g = g + x[o]; }
        }
    }
    y[i] = g;
}

// Windows that tile the input (stride = window, no padding above or left; the host picks
// this entry then): each input lies in at most one window, so one invocation per output
// writes its window's gradients — dout where the input was the maximum, 0 elsewhere — and
// the last row and column of outputs also zero the inputs that no window reaches. A
// quarter of max_backward's invocations for 2×2 pooling.
@compute @workgroup_size(256)
fn max_backward_tiles(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = index(wid, lid, nwg);
    if (o >= p.len) { return; }
    let q = out_coords(o);
    let at = idx[o];
    let g = x[o];
    let y0 = q.y * p.sh;
    let x0 = q.z * p.sw;
    let y1 = select(min(y0 + p.kh, p.h), p.h, q.y + 1u == p.oh);
    let x1 = select(min(x0 + p.kw, p.w), p.w, q.z + 1u == p.ow);
    for (var iy = y0; iy < y1; iy = iy + 1u) {
        let row = (q.x * p.h + iy) * p.w;
        for (var ix = x0; ix < x1; ix = ix + 1u) {
            let i = (row + ix) * p.c + q.w;
            y[i] = select(0.0, g, i == at);
        }
    }
}

fn window_count(oy: u32, ox: u32) -> f32 {
    let y0 = max(i32(oy * p.sh) - i32(p.pt), 0);
    let y1 = min(i32(oy * p.sh + p.kh) - i32(p.pt), i32(p.h));
    let x0 = max(i32(ox * p.sw) - i32(p.pl), 0);
    let x1 = min(i32(ox * p.sw + p.kw) - i32(p.pl), i32(p.w));
    return f32((y1 - y0) * (x1 - x0));
}

@compute @workgroup_size(256)
fn avg_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = index(wid, lid, nwg);
    if (o >= p.len) { return; }
    let q = out_coords(o);
    var sum = 0.0;
    for (var ky = 0u; ky < p.kh; ky = ky + 1u) {
        let iy = i32(q.y * p.sh + ky) - i32(p.pt);
        if (iy < 0 || iy >= i32(p.h)) { continue; }
        for (var kx = 0u; kx < p.kw; kx = kx + 1u) {
            let ix = i32(q.z * p.sw + kx) - i32(p.pl);
            if (ix < 0 || ix >= i32(p.w)) { continue; }
            sum = sum + x[((q.x * p.h + u32(iy)) * p.w + u32(ix)) * p.c + q.w];
        }
    }
    y[o] = sum / window_count(q.y, q.z);
}

@compute @workgroup_size(256)
fn avg_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    let ci = i % p.c; let t = i / p.c; let ix = t % p.w; let t2 = t / p.w; let iy = t2 % p.h; let b = t2 / p.h;
    let ry = covering(iy, p.kh, p.sh, p.pt, p.oh);
    let rx = covering(ix, p.kw, p.sw, p.pl, p.ow);
    var g = 0.0;
    for (var oy = ry.x; oy <= ry.y; oy = oy + 1u) {
        for (var ox = rx.x; ox <= rx.y; ox = ox + 1u) {
            g = g + x[((b * p.oh + oy) * p.ow + ox) * p.c + ci] / window_count(oy, ox);
        }
    }
    y[i] = g;
}

// Global average pooling: p.h = positions per instance (h·w); one invocation per (b, c).
@compute @workgroup_size(256)
fn gap_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = index(wid, lid, nwg);
    if (o >= p.len) { return; }
    let ci = o % p.c; let b = o / p.c;
    var sum = 0.0;
    for (var q = 0u; q < p.h; q = q + 1u) { sum = sum + x[(b * p.h + q) * p.c + ci]; }
    y[o] = sum / f32(p.h);
}

@compute @workgroup_size(256)
fn gap_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    let ci = i % p.c; let b = i / (p.c * p.h);
    y[i] = x[b * p.c + ci] / f32(p.h);
}
