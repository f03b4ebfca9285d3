// gemm_reg.wgsl — the register-tiled twin of gemm.wgsl: the same products (modes 0–5, the
// same implicit A and B, the same GemmParams, split K included), computed without workgroup
// memory and without barriers. Every workgroup covers a tile of C 32 columns wide (so a
// product with 32 columns, common in small CNNs, wastes none). The convolutions' big
// products run 4×8 workgroups, 8 columns per invocation (col0 + lx + 4·j): the forward
// product and the data gradient 16 rows each (a 128-row tile), the filter gradient of at
// least 64 rows 8 rows each (a 64-row tile, which wastes less of its few hundred rows;
// rows row0 + ly + 8·i). Per step of K an
// invocation loads one value of A per row and one of B per column for rows × columns
// multiply-adds, and the four invocations an emulator runs side by side read four
// neighbouring columns of B and the same value of A. The dense products and a filter
// gradient of 17–63 rows run 8×8 workgroups on 32-row tiles, 4×4 per invocation (columns
// col0 + lx + 8·j); a filter gradient of at most 16 rows (an MNIST net's first conv has 9)
// 8×4 workgroups on 16-row tiles. Each invocation reads A and B straight from the buffers
// and keeps its block of C in registers. There is one entry point per mode (no `switch` per
// value), and K is walked as nested loops whose indices are decoded once per invocation
// and then counted, so the inner loops hold no integer division: convolutions walk the
// kernel taps (ky, kx) and then the contiguous run of channels (forward, data gradient),
// or the output rows (b, oy) and then the run of ox (filter gradient).
// Emulated GPUs (SwiftShader, lavapipe) and some mobile GPUs run barriers and per-value
// index decoding poorly; the context times both kernels once and keeps the faster
// (crate/src/backend/gpu/gemm_choice.rs; CONVPLAY_GEMM=tiled|reg forces one).
//
// The convolutions' entry points (modes 0–2) are in gemm_reg_conv.wgsl, compiled after this
// file as one module (crate/src/backend/gpu/pipelines.rs).
// Modes, layouts and bindings: as gemm.wgsl (0 conv forward, 1 conv data gradient, 2 conv
// filter gradient, 3–5 dense forward, data and weight gradients), and so is the epilogue
// (`store_row`: the bias, then the activation p.act, fused into a layer's forward product).
// The split-K partials are added, and their activation applied, by gemm.wgsl's `splitk_reduce`.
// CPU twins: crate/src/backend/cpu/conv.rs (modes 0–2) and crate/src/backend/cpu/dense.rs
// (modes 3–5).
// Dispatch: one workgroup per tile of C (64 or 32 rows × 32 columns), ceil(N / 32)·ceil(M /
// rows) of them (times p.splits), in a line folded into the grid as gemm.wgsl's
// (GemmKernel::tile in crate/src/backend/gpu/gemm_choice.rs).

// GemmParams and the bindings: gemm_common.wgsl, which ends the module.

const TM: u32 = 32u;
const STEP: vec4<u32> = vec4<u32>(0u, 8u, 16u, 24u);

// One invocation's share: its rows and columns (past the end clamped to the last, so
// loads stay in bounds; those results are never stored), its first column unclamped, its
// part of K and where its C goes.
struct Part {
    ok: bool,
    rows: vec4<u32>,
    cols: vec4<u32>,
    row_ok: vec4<bool>,
    col: u32,
    cstep: u32,
    kb: u32,
    ke: u32,
    base: u32,
}

fn part_of(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> Part {
    return part_rows(wid, nwg, lid, TM);
}

// As part_of, for a tile of `tm` rows (16, 32 or 64) and 32 columns; `rows` are its first
// four (8 apart; 4 apart in a 16-row tile).
fn part_rows(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>, tm: u32) -> Part {
    var t: Part;
    let line = (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
    let tiles_n = (p.n + TM - 1u) / TM;
    let tiles = tiles_n * ((p.m + tm - 1u) / tm);
    let splits = max(p.splits, 1u);
    t.ok = line < tiles * splits;
    if (!t.ok) { return t; }
    let split = line / tiles;
    let tile = line % tiles;
    let r = (tile / tiles_n) * tm + lid.y + select(STEP, STEP / 2u, tm == 16u);
    t.col = (tile % tiles_n) * TM + lid.x;
    t.cstep = 8u;
    let c = t.col + STEP;
    t.row_ok = r < vec4<u32>(p.m);
    t.rows = min(r, vec4<u32>(p.m - 1u));
    t.cols = min(c, vec4<u32>(p.n - 1u));
    t.kb = 0u;
    t.ke = p.k;
    if (splits > 1u) {
        t.kb = split * p.kchunk;
        t.ke = min(p.k, t.kb + p.kchunk);
    }
    t.base = split * p.m * p.n;
    return t;
}

// The epilogue: row i of an invocation's block, plus the bias (`bv`, the block's columns'),
// through the activation.
fn store_row(t: Part, i: u32, v: vec4<f32>, bv: vec4<f32>) {
    if (!t.row_ok[i]) { return; }
    let y = act_fwd4(v + bv);
    let base = t.base + t.rows[i] * p.n;
    for (var j = 0u; j < 4u; j = j + 1u) {
        let c = t.col + t.cstep * j;
        if (c < p.n) { out[base + c] = y[j]; }
    }
}

// Rows 4–7 of an 8-row block: the Part of rows + 32.
fn upper(t: Part) -> Part {
    return shifted(t, 32u);
}

// The Part of rows + d.
fn shifted(t: Part, d: u32) -> Part {
    var u = t;
    let r = t.rows + d;
    u.row_ok = t.row_ok & (r < vec4<u32>(p.m));
    u.rows = min(r, vec4<u32>(p.m - 1u));
    return u;
}

// The share of an invocation of a 4×8 workgroup on a 64×32 tile: 8 rows (rows, then
// upper(t)) × 8 columns (col + 4·j, j < 4 here and in right(t) for j ≥ 4), so that the
// four invocations that emulators run side by side read four neighbouring columns of B.
fn part8(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>, tm: u32) -> Part {
    var t = part_rows(wid, nwg, lid, tm);
    if (!t.ok) { return t; }
    t.cstep = 4u;
    t.cols = min(t.col + STEP / 2u, vec4<u32>(p.n - 1u));
    return t;
}

// Columns 4–7 of an 8-column block: the Part of col + 16.
fn right(t: Part) -> Part {
    var r = t;
    r.col = t.col + 16u;
    r.cols = min(r.col + STEP / 2u, vec4<u32>(p.n - 1u));
    return r;
}

fn store(t: Part, acc0: vec4<f32>, acc1: vec4<f32>, acc2: vec4<f32>, acc3: vec4<f32>) {
    var bv = vec4<f32>(0.0);
    if (p.has_bias != 0u) { bv = vec4<f32>(bias[t.cols.x], bias[t.cols.y], bias[t.cols.z], bias[t.cols.w]); }
    store_row(t, 0u, acc0, bv);
    store_row(t, 1u, acc1, bv);
    store_row(t, 2u, acc2, bv);
    store_row(t, 3u, acc3, bv);
}

// The dense products: A[r, k] = a[r·ars + k·aks], B[k, c] = b[k·bks + c·bcs].
fn dense(t: Part, ars: u32, aks: u32, bks: u32, bcs: u32) {
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    var ai = t.rows * ars + t.kb * aks;
    var bi = t.cols * bcs + t.kb * bks;
    for (var k = t.kb; k < t.ke; k = k + 1u) {
        let b = vec4<f32>(b_buf[bi.x], b_buf[bi.y], b_buf[bi.z], b_buf[bi.w]);
        acc0 = fma(vec4<f32>(a_buf[ai.x]), b, acc0);
        acc1 = fma(vec4<f32>(a_buf[ai.y]), b, acc1);
        acc2 = fma(vec4<f32>(a_buf[ai.z]), b, acc2);
        acc3 = fma(vec4<f32>(a_buf[ai.w]), b, acc3);
        ai = ai + aks;
        bi = bi + bks;
    }
    store(t, acc0, acc1, acc2, acc3);
}

@compute @workgroup_size(8, 8)
fn gemm_dense_forward(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = part_of(wid, nwg, lid);
    if (!t.ok) { return; }
    dense(t, p.k, 1u, p.n, 1u); // x [n, in] · w [in, out]
}

@compute @workgroup_size(8, 8)
fn gemm_dense_data(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = part_of(wid, nwg, lid);
    if (!t.ok) { return; }
    dense(t, p.k, 1u, 1u, p.k); // dout [n, out] · wᵀ (w is [in, out])
}

@compute @workgroup_size(8, 8)
fn gemm_dense_weight(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = part_of(wid, nwg, lid);
    if (!t.ok) { return; }
    dense(t, 1u, p.m, p.n, 1u); // xᵀ (x is [n, in]) · dout [n, out]
}

