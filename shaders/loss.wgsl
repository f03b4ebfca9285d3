// loss.wgsl — softmax cross-entropy fused with its gradient, plus the accuracy count,
// summed on the device into metrics[0] (Σ loss) and metrics[1] (correct).
// CPU twin: crate/src/backend/cpu/loss.rs (`softmax_xent`).
//
// Bindings (group 0): 0 uniform p: LossParams (its Rust twin in
// crate/src/backend/gpu/params.rs); 1 logits [n, k] (read); 2 labels [n] (read, u32);
// 3 dlogits [n, k] (read_write); 4 metrics [2 + 2·LOSS_GROUPS] (read_write; the Rust
// constants in crate/src/backend/ops.rs).
// Dispatch: softmax_xent on p.groups workgroups of 256 (1 ≤ groups ≤ LOSS_GROUPS, about one
// per 256 rows: a segmentation batch has a row per pixel), each walking every
// (256·groups)-th row from its own and reducing in workgroup memory. One workgroup adds its
// sums to metrics[0..2] itself; several write theirs to metrics[2 + 2·g ..] and
// `loss_total` (one invocation) adds those up.

struct LossParams {
    n: u32, k: u32, groups: u32,
}

@group(0) @binding(0) var<uniform> p: LossParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(4) var<storage, read_write> metrics: array<f32>;

var<workgroup> red_loss: array<f32, 256>;
var<workgroup> red_hit: array<f32, 256>;

@compute @workgroup_size(256)
fn softmax_xent(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
    var loss = 0.0;
    var hits = 0.0;
    let inv_n = 1.0 / f32(p.n);
    for (var r = wid.x * 256u + lid.x; r < p.n; r = r + 256u * p.groups) {
        let o = r * p.k;
        let label = labels[r];
        var best = logits[o];
        var arg = 0u;
        for (var j = 1u; j < p.k; j = j + 1u) {
            if (logits[o + j] > best) { best = logits[o + j]; arg = j; }
        }
        var sum = 0.0;
        for (var j = 0u; j < p.k; j = j + 1u) { sum = sum + exp(logits[o + j] - best); }
        loss = loss + log(sum) - (logits[o + label] - best);
        hits = hits + select(0.0, 1.0, arg == label);
        for (var j = 0u; j < p.k; j = j + 1u) {
            let prob = exp(logits[o + j] - best) / sum;
            dlogits[o + j] = (prob - select(0.0, 1.0, j == label)) * inv_n;
        }
    }
    red_loss[lid.x] = loss;
    red_hit[lid.x] = hits;
    workgroupBarrier();
    for (var s = 128u; s > 0u; s = s >> 1u) {
        if (lid.x < s) {
            red_loss[lid.x] = red_loss[lid.x] + red_loss[lid.x + s];
            red_hit[lid.x] = red_hit[lid.x] + red_hit[lid.x + s];
        }
        workgroupBarrier();
    }
    if (lid.x == 0u) {
        if (p.groups == 1u) {
            metrics[0] = metrics[0] + red_loss[0];
            metrics[1] = metrics[1] + red_hit[0];
        } else {
            metrics[2u + 2u * wid.x] = red_loss[0];
            metrics[3u + 2u * wid.x] = red_hit[0];
        }
    }
}

// Adds the p.groups partial pairs softmax_xent wrote to metrics[0] and metrics[1].
@compute @workgroup_size(1)
fn loss_total() {
    var loss = 0.0;
    var hits = 0.0;
    for (var g = 0u; g < p.groups; g = g + 1u) {
        loss = loss + metrics[2u + 2u * g];
        hits = hits + metrics[3u + 2u * g];
    }
    metrics[0] = metrics[0] + loss;
    metrics[1] = metrics[1] + hits;
}
