// upsample.wgsl — up-sampling (Keras UpSampling2D) by integer factors, nearest or bilinear
// (TensorFlow 2's resize: half-pixel centres, the source coordinate (o + ½) / s − ½ clamped to
// the input). Forward: one invocation per output value. Backward: one per input value, which
// gathers the output gradients that read it, times the weight they read it with (no atomics).
// CPU twin: crate/src/backend/cpu/upsample.rs (`forward_image`, `backward_image`).
//
// Bindings (group 0): 0 uniform p: UpsampleParams (its Rust twin in
// crate/src/backend/gpu/params.rs); 1 src (read): x, or dout backward; 2 dst (read_write):
// out, or dx backward.
// Dispatch: 1-D over p.len in workgroups of 256 (a line folded into the grid's y and z past the device's
// maxComputeWorkgroupsPerDimension; see `group`).

struct UpsampleParams {
    len: u32, n: u32, h: u32, w: u32,
    c: u32, oh: u32, ow: u32, sh: u32,
    sw: u32, bilinear: u32,
}

@group(0) @binding(0) var<uniform> p: UpsampleParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

// The workgroup's place in the line of all of them: the host folds a long line into the
// grid's y and z when it passes the device's maxComputeWorkgroupsPerDimension.
fn group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
}

fn index(wid: vec3<u32>, lid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return group(wid, nwg) * 256u + lid.x;
}

// The two source rows (or columns) output o reads, and the weight f of the second.
struct Taps { lo: u32, hi: u32, f: f32, }

fn taps(o: u32, s: u32, size: u32) -> Taps {
    let t = (f32(o) + 0.5) / f32(s) - 0.5;
    let fl = floor(t);
    let lo = u32(max(fl, 0.0));
    let hi = min(u32(max(fl + 1.0, 0.0)), size - 1u);
    return Taps(lo, hi, t - fl);
}

// The weight with which output o reads source row i (zero when it does not).
fn weight(o: u32, i: u32, s: u32, size: u32) -> f32 {
    let t = taps(o, s, size);
    var wt = 0.0;
    if (t.lo == i) { wt = wt + 1.0 - t.f; }
    if (t.hi == i) { wt = wt + t.f; }
    return wt;
}

@compute @workgroup_size(256)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    let ci = i % p.c; let t = i / p.c; let ox = t % p.ow; let t2 = t / p.ow; let oy = t2 % p.oh; let b = t2 / p.oh;
    let img = b * p.h;
    if (p.bilinear == 0u) {
        dst[i] = src[((img + oy / p.sh) * p.w + ox / p.sw) * p.c + ci];
        return;
    }
    let ty = taps(oy, p.sh, p.h);
    let tx = taps(ox, p.sw, p.w);
    let tl = src[((img + ty.lo) * p.w + tx.lo) * p.c + ci];
    let tr = src[((img + ty.lo) * p.w + tx.hi) * p.c + ci];
    let bl = src[((img + ty.hi) * p.w + tx.lo) * p.c + ci];
    let br = src[((img + ty.hi) * p.w + tx.hi) * p.c + ci];
    let top = tl + (tr - tl) * tx.f;
    let bottom = bl + (br - bl) * tx.f;
    dst[i] = top + (bottom - top) * ty.f;
}

@compute @workgroup_size(256)
fn backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = index(wid, lid, nwg);
    if (i >= p.len) { return; }
    let ci = i % p.c; let t = i / p.c; let ix = t % p.w; let t2 = t / p.w; let iy = t2 % p.h; let b = t2 / p.h;
    let img = b * p.oh;
    var s = 0.0;
    if (p.bilinear == 0u) {
        for (var oy = iy * p.sh; oy < (iy + 1u) * p.sh; oy = oy + 1u) {
            for (var ox = ix * p.sw; ox < (ix + 1u) * p.sw; ox = ox + 1u) {
                s = s + src[((img + oy) * p.ow + ox) * p.c + ci];
            }
        }
        dst[i] = s;
        return;
    }
    // Only outputs within one source step either side read this input.
    let y0 = select(0u, (iy - 1u) * p.sh, iy > 0u);
    let x0 = select(0u, (ix - 1u) * p.sw, ix > 0u);
    let y1 = min((iy + 2u) * p.sh, p.oh);
    let x1 = min((ix + 2u) * p.sw, p.ow);
    for (var oy = y0; oy < y1; oy = oy + 1u) {
        let wy = weight(oy, iy, p.sh, p.h);
        if (wy == 0.0) { continue; }
        for (var ox = x0; ox < x1; ox = ox + 1u) {
            let wt = wy * weight(ox, ix, p.sw, p.w);
            if (wt == 0.0) { continue; }
            s = s + src[((img + oy) * p.ow + ox) * p.c + ci] * wt;
        }
    }
    dst[i] = s;
}
