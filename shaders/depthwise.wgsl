// depthwise.wgsl — depthwise conv2d (channel multiplier 1), forward and backward.
// Layouts: x [n, h, w, c], w [kh, kw, c], bias [c], out [n, oh, ow, c].
// CPU twin: crate/src/backend/cpu/conv.rs (`depthwise_forward`, `depthwise_backward`).
//
// Bindings (group 0): 0 uniform p: DepthwiseParams (its Rust twin in
// crate/src/backend/gpu/params.rs); 1 x: input, or dout for backward data (read);
// 2 wt: kernel (read); 3 bias (read); 4 y: output / dx / dw (read_write); 5 dout (read,
// backward filter only).
// Dispatch: 1-D in workgroups of 256 over outputs (forward), inputs (backward data),
// or kernel values (backward filter, each summing over the whole batch); a line of
// workgroups folded into the grid's y and z past the device's
// maxComputeWorkgroupsPerDimension (see `group`).

struct DepthwiseParams {
    len: u32, n: u32, h: u32, w: u32,
    c: u32, oh: u32, ow: u32, kh: u32,
    kw: u32, sh: u32, sw: u32, pt: u32,
    pl: u32, has_bias: u32,
}

@group(0) @binding(0) var<uniform> p: DepthwiseParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> wt: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> dout: array<f32>;

// The workgroup's place in the line of all of them: the host folds a long line into the
// grid's y and z when it passes the device's maxComputeWorkgroupsPerDimension.
fn group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
}

fn index(wid: vec3<u32>, lid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return group(wid, nwg) * 256u + lid.x;
}

@compute @workgroup_size(256)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let o = index(wid, lid, nwg);
    if (o >= p.len) { return; }
    let ci = o % p.c; let t = o / p.c; let ox = t % p.ow; let t2 = t / p.ow; let oy = t2 % p.oh; let b = t2 / p.oh;
    var acc = 0.0;
    if (p.has_bias != 0u) { acc = bias[ci]; }
    for (var ky = 0u; ky < p.kh; ky = ky + 1u) {
        let iy = i32(oy * p.sh + ky) - i32(p.pt);
        if (iy < 0 || iy >= i32(p.h)) { continue; }
        for (var kx = 0u; kx < p.kw; kx = kx + 1u) {
            let ix = i32(ox * p.sw + kx) - i32(p.pl);
            if (ix < 0 || ix >= i32(p.w)) { continue; }
            acc = fma(x[((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ci], wt[(ky * p.kw + kx) * p.c + ci], acc);
        }
    }
    y[o] = acc;
}

// dx[b, iy, ix, c] = Σ dout[b, oy, ox, c] · w[ky, kx, c] over oy·sh + ky − pt = iy.
@compute @workgroup_size(256)
fn backward_data(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    let ci = i % p.c; let t = i / p.c; let ix = t % p.w; let t2 = t / p.w; let iy = t2 % p.h; let b = t2 / p.h;
    var acc = 0.0;
    for (var ky = 0u; ky < p.kh; ky = ky + 1u) {
        let ty = i32(iy + p.pt) - i32(ky);
        if (ty < 0 || u32(ty) % p.sh != 0u) { continue; }
        let oy = u32(ty) / p.sh;
        if (oy >= p.oh) { continue; }
        for (var kx = 0u; kx < p.kw; kx = kx + 1u) {
            let tx = i32(ix + p.pl) - i32(kx);
            if (tx < 0 || u32(tx) % p.sw != 0u) { continue; }
            let ox = u32(tx) / p.sw;
            if (ox >= p.ow) { continue; }
            acc = fma(x[((b * p.oh + oy) * p.ow + ox) * p.c + ci], wt[(ky * p.kw + kx) * p.c + ci], acc);
        }
    }
    y[i] = acc;
}

// dw[ky, kx, c] = Σ_{b, oy, ox} x[b, iy, ix, c] · dout[b, oy, ox, c].
@compute @workgroup_size(256)
fn backward_filter(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let k = index(wid, lid, nwg);
    if (k >= p.len) { return; }
    let ci = k % p.c; let t = k / p.c; let kx = t % p.kw; let ky = t / p.kw;
    var acc = 0.0;
    for (var b = 0u; b < p.n; b = b + 1u) {
        for (var oy = 0u; oy < p.oh; oy = oy + 1u) {
            let iy = i32(oy * p.sh + ky) - i32(p.pt);
            if (iy < 0 || iy >= i32(p.h)) { continue; }
            for (var ox = 0u; ox < p.ow; ox = ox + 1u) {
                let ix = i32(ox * p.sw + kx) - i32(p.pl);
                if (ix < 0 || ix >= i32(p.w)) { continue; }
                acc = fma(x[((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ci], dout[((b * p.oh + oy) * p.ow + ox) * p.c + ci], acc);
            }
        }
    }
    y[k] = acc;
}
