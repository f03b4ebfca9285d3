// smoke.wgsl — the end-to-end check that WGSL runs through wgpu on this device.
//
// out[i] = a * x[i] + y[i]   for i in 0..n   (saxpy)
// CPU twin: `saxpy` in crate/src/backend/cpu/mod.rs.
//
// Bindings (group 0):
//   0: uniform params: SmokeParams (its Rust twin in crate/src/backend/gpu/params.rs)
//   1: storage read       x: array<f32>   (n values)
//   2: storage read       y: array<f32>   (n values)
//   3: storage read_write out: array<f32> (n values)
// Dispatch: (ceil(n / 64), 1, 1) workgroups of 64 invocations.

struct SmokeParams {
    n: u32,
    a: f32,
}

@group(0) @binding(0) var<uniform> params: SmokeParams;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(64)
fn saxpy(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if (i >= params.n) {
        return;
    }
    out[i] = fma(params.a, x[i], y[i]);
}
