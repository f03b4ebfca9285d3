// loss.wgsl — softmax cross-entropy fused with its gradient, plus the accuracy count,
// summed on the device into metrics[0] (Σ loss) and metrics[1] (correct).
// CPU twin: crate/src/backend/cpu/loss.rs (`softmax_xent`).
//
// Bindings (group 0): 0 uniform p: LossParams (its Rust twin in
// crate/src/backend/gpu/params.rs); 1 logits [n, k] (read); 2 labels [n] (read, u32);
// 3 dlogits [n, k] (read_write); 4 metrics [2] (read_write).
// Dispatch: (1, 1, 1): one workgroup of 256 walks the rows and reduces.

struct LossParams {
    n: u32, k: u32,
}

@group(0) @binding(0) var<uniform> p: LossParams;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(4) var<storage, read_write> metrics: array<f32>;

var<workgroup> red_loss: array<f32, 256>;
var<workgroup> red_hit: array<f32, 256>;

@compute @workgroup_size(256)
fn softmax_xent(@builtin(local_invocation_id) lid: vec3<u32>) {
    var loss = 0.0;
    var hits = 0.0;
    let inv_n = 1.0 / f32(p.n);
    for (var r = lid.x; r < p.n; r = r + 256u) {
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
        metrics[0] = metrics[0] + red_loss[0];
        metrics[1] = metrics[1] + red_hit[0];
    }
}
