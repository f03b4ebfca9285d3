// augment.wgsl — random affine data augmentation on the device: each instance of a
// batch of [h, w, c] maps is shifted, rotated and scaled about the map's centre by
// amounts drawn from a counter-based hash of (seed, instance), then resampled
// bilinearly with zeros outside (MNIST's background).
// CPU twin: crate/src/backend/cpu/augment.rs (`affine`); both draw the same transform for
// the same seed.
//
// Bindings (group 0): 0 uniform p: AugmentParams (its Rust twin in
// crate/src/backend/gpu/params.rs); 1 x (read, the batch); 2 y (read_write, the output).
// Dispatch: 1-D over p.len = n·h·w·c in workgroups of 256, a line of workgroups
// folded into the grid's y and z past the device's
// maxComputeWorkgroupsPerDimension.

struct AugmentParams {
    len: u32, h: u32, w: u32, c: u32,
    seed: u32, shift: f32, rotate: f32, scale: f32,
}

@group(0) @binding(0) var<uniform> p: AugmentParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn pcg(v: u32) -> u32 {
    let state = v * 747796405u + 2891336453u;
    let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
    return (word >> 22u) ^ word;
}

// Uniform in [−1, 1) for draw k of an instance (the CPU's `symmetric_draw`).
fn draw(instance: u32, k: u32) -> f32 {
    let u = f32(pcg((instance * 4u + k) ^ pcg(p.seed)) >> 8u) * (1.0 / 16777216.0);
    return 2.0 * u - 1.0;
}

// The value of channel ch at (row, col) of instance base, or 0 outside the map.
fn at(base: u32, row: i32, col: i32, ch: u32) -> f32 {
    if (row < 0 || col < 0 || row >= i32(p.h) || col >= i32(p.w)) { return 0.0; }
    return x[base + (u32(row) * p.w + u32(col)) * p.c + ch];
}

@compute @workgroup_size(256)
fn affine(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid.x;
    if (i >= p.len) { return; }
    let ch = i % p.c;
    let pix = i / p.c;
    let col = pix % p.w;
    let row = (pix / p.w) % p.h;
    let inst = pix / (p.w * p.h);
    let dx = draw(inst, 0u) * p.shift;
    let dy = draw(inst, 1u) * p.shift;
    let angle = draw(inst, 2u) * p.rotate;
    let s = 1.0 + draw(inst, 3u) * p.scale;
    let cy = 0.5 * f32(p.h - 1u);
    let cx = 0.5 * f32(p.w - 1u);
    // Inverse map: undo the shift, the rotation and the scale to find the source point.
    let ry = (f32(row) - cy - dy) / s;
    let rx = (f32(col) - cx - dx) / s;
    let co = cos(angle);
    let si = sin(angle);
    let sy = co * ry - si * rx + cy;
    let sx = si * ry + co * rx + cx;
    let y0 = floor(sy);
    let x0 = floor(sx);
    let fy = sy - y0;
    let fx = sx - x0;
    let r = i32(y0);
    let c = i32(x0);
    let base = inst * p.h * p.w * p.c;
    let top = at(base, r, c, ch) * (1.0 - fx) + at(base, r, c + 1, ch) * fx;
    let bottom = at(base, r + 1, c, ch) * (1.0 - fx) + at(base, r + 1, c + 1, ch) * fx;
    y[i] = top * (1.0 - fy) + bottom * fy;
}
