// gemm_reg.wgsl — the register-tiled twin of gemm.wgsl: the same products (modes 0–5, the
// same implicit A and B, the same GemmParams, split K included), computed without workgroup
// memory and without barriers. Every workgroup covers a tile of C 32 columns wide (so a
// product with 32 columns, common in small CNNs, wastes none). The convolutions' big
// products (forward, data gradient, and the filter gradient of at least 64 rows) run 4×8
// workgroups on 64-row tiles, 8 rows × 8 columns per invocation (rows row0 + ly + 8·i,
// columns col0 + lx + 4·j): per step of K an invocation loads 8 values of A and 8 of B for
// 64 multiply-adds, and the four invocations an emulator runs side by side read four
// neighbouring columns of B and the same value of A. The first conv's filter gradient and
// the dense products run 8×8 workgroups on 32-row tiles, 4×4 per invocation (columns col0
// + lx + 8·j), and a filter gradient of at most 16 rows (an MNIST net's first conv has 9)
// a 8×4 workgroup on a 16-row tile. Each invocation reads A and B straight from the buffers and keeps its block
// of C in registers. There is one entry point per mode (no `switch` per
// value), and K is walked as nested loops whose indices are decoded once per invocation
// and then counted, so the inner loops hold no integer division: convolutions walk the
// kernel taps (ky, kx) and then the contiguous run of channels (forward, data gradient),
// or the output rows (b, oy) and then the run of ox (filter gradient).
// Emulated GPUs (SwiftShader, lavapipe) and some mobile GPUs run barriers and per-value
// index decoding poorly; the context times both kernels once and keeps the faster
// (crate/src/backend/gpu/gemm_choice.rs; CONVPLAY_GEMM=tiled|reg forces one).
//
// Modes, layouts and bindings: as gemm.wgsl (0 conv forward, 1 conv data gradient, 2 conv
// filter gradient, 3–5 dense forward, data and weight gradients), and so is the epilogue
// (`store_row`: the bias, then the activation p.act, fused into a layer's forward product).
// The split-K partials are added, and their activation applied, by gemm.wgsl's `splitk_reduce`.
// CPU twins: crate/src/backend/cpu/conv.rs (modes 0–2) and crate/src/backend/cpu/dense.rs
// (modes 3–5).
// Dispatch: one workgroup per tile of C (64 or 32 rows × 32 columns), ceil(N / 32)·ceil(M /
// rows) of them (times p.splits), in a line folded into the grid as gemm.wgsl's
// (GemmKernel::tile in crate/src/backend/gpu/gemm_choice.rs).

struct GemmParams {
    mode: u32, m: u32, n: u32, k: u32,
    nb: u32, h: u32, w: u32, c: u32,
    oh: u32, ow: u32, oc: u32, kh: u32,
    kw: u32, sh: u32, sw: u32, pt: u32,
    pl: u32, has_bias: u32, splits: u32, kchunk: u32,
    act: u32, alpha: f32, pad0: u32, pad1: u32,
}

@group(0) @binding(0) var<uniform> p: GemmParams;
@group(0) @binding(1) var<storage, read> a_buf: array<f32>;
@group(0) @binding(2) var<storage, read> b_buf: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

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

// The activation fused into the epilogue, after the bias, on four values at once (one
// `switch` per row of the block, not per value): p.act and p.alpha hold the codes and the
// leaky slope of eltwise.wgsl's act_fwd, whose formulas these are on vec4s
// (crate/tests/gpu_fused.rs holds them equal): 0 linear, 1 relu, 2 relu6, 3 leaky relu,
// 4 sigmoid, 5 tanh (softmax, 6, needs whole rows: it is never fused).
fn act_fwd4(v: vec4<f32>) -> vec4<f32> {
    switch p.act {
        case 1u: { return max(v, vec4<f32>(0.0)); }
        case 2u: { return clamp(v, vec4<f32>(0.0), vec4<f32>(6.0)); }
        case 3u: { return select(v, v * p.alpha, v < vec4<f32>(0.0)); }
        case 4u: { return 1.0 / (1.0 + exp(-v)); }
        case 5u: { return tanh(v); }
        default: { return v; }
    }
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
    var u = t;
    let r = t.rows + 32u;
    u.row_ok = t.row_ok & (r < vec4<u32>(p.m));
    u.rows = min(r, vec4<u32>(p.m - 1u));
    return u;
}

// The share of an invocation of a 4×8 workgroup on a 64×32 tile: 8 rows (rows, then
// upper(t)) × 8 columns (col + 4·j, j < 4 here and in right(t) for j ≥ 4), so that the
// four invocations that emulators run side by side read four neighbouring columns of B.
fn part8(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>) -> Part {
    var t = part_rows(wid, nwg, lid, 64u);
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

// A value of A where `ok`, else 0 (the index is in bounds either way).
fn a_at(i: u32, ok: bool) -> f32 {
    return select(0.0, a_buf[select(0u, i, ok)], ok);
}

// Mode 0: rows are output pixels (b, oy, ox), K runs over taps (ky, kx) and then channels.
// Each invocation keeps 8 rows × 8 columns (a 64×32 tile per workgroup of 4×8).
@compute @workgroup_size(4, 8)
fn gemm_conv_forward(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = part8(wid, nwg, lid);
    if (!t.ok) { return; }
    let u = upper(t);
    let r = right(t);
    let ox = t.rows % p.ow;
    let oy = (t.rows / p.ow) % p.oh;
    let img = t.rows / (p.ow * p.oh);
    let uox = u.rows % p.ow;
    let uoy = (u.rows / p.ow) % p.oh;
    let uimg = u.rows / (p.ow * p.oh);
    let iy0 = vec4<i32>(oy * p.sh) - i32(p.pt);
    let ix0 = vec4<i32>(ox * p.sw) - i32(p.pl);
    let uiy0 = vec4<i32>(uoy * p.sh) - i32(p.pt);
    let uix0 = vec4<i32>(uox * p.sw) - i32(p.pl);
    let h = i32(p.h);
    let w = i32(p.w);
    var l0 = vec4<f32>(0.0);
    var l1 = vec4<f32>(0.0);
    var l2 = vec4<f32>(0.0);
    var l3 = vec4<f32>(0.0);
    var l4 = vec4<f32>(0.0);
    var l5 = vec4<f32>(0.0);
    var l6 = vec4<f32>(0.0);
    var l7 = vec4<f32>(0.0);
    var r0 = vec4<f32>(0.0);
    var r1 = vec4<f32>(0.0);
    var r2 = vec4<f32>(0.0);
    var r3 = vec4<f32>(0.0);
    var r4 = vec4<f32>(0.0);
    var r5 = vec4<f32>(0.0);
    var r6 = vec4<f32>(0.0);
    var r7 = vec4<f32>(0.0);
    var k = t.kb;
    var ci = k % p.c;
    let tap = k / p.c;
    var ky = tap / p.kw;
    var kx = tap % p.kw;
    loop {
        if (k >= t.ke) { break; }
        let run = min(p.c - ci, t.ke - k);
        let iy = iy0 + i32(ky);
        let ix = ix0 + i32(kx);
        let ok = t.row_ok & (iy >= vec4<i32>(0)) & (iy < vec4<i32>(h)) & (ix >= vec4<i32>(0)) & (ix < vec4<i32>(w));
        let off = vec4<u32>(select(vec4<i32>(0), ((vec4<i32>(img) * h + iy) * w + ix) * i32(p.c) + i32(ci), ok));
        let uiy = uiy0 + i32(ky);
        let uix = uix0 + i32(kx);
        let uok = u.row_ok & (uiy >= vec4<i32>(0)) & (uiy < vec4<i32>(h)) & (uix >= vec4<i32>(0)) & (uix < vec4<i32>(w));
        let uoff = vec4<u32>(select(vec4<i32>(0), ((vec4<i32>(uimg) * h + uiy) * w + uix) * i32(p.c) + i32(ci), uok));
        var bl = t.cols + k * p.n;
        var br = r.cols + k * p.n;
        for (var e = 0u; e < run; e = e + 1u) {
            let x = vec4<f32>(b_buf[bl.x], b_buf[bl.y], b_buf[bl.z], b_buf[bl.w]);
            let y = vec4<f32>(b_buf[br.x], b_buf[br.y], b_buf[br.z], b_buf[br.w]);
            let v0 = vec4<f32>(a_at(off.x + e, ok.x));
            let v1 = vec4<f32>(a_at(off.y + e, ok.y));
            let v2 = vec4<f32>(a_at(off.z + e, ok.z));
            let v3 = vec4<f32>(a_at(off.w + e, ok.w));
            let v4 = vec4<f32>(a_at(uoff.x + e, uok.x));
            let v5 = vec4<f32>(a_at(uoff.y + e, uok.y));
            let v6 = vec4<f32>(a_at(uoff.z + e, uok.z));
            let v7 = vec4<f32>(a_at(uoff.w + e, uok.w));
            l0 = fma(v0, x, l0);
            r0 = fma(v0, y, r0);
            l1 = fma(v1, x, l1);
            r1 = fma(v1, y, r1);
            l2 = fma(v2, x, l2);
            r2 = fma(v2, y, r2);
            l3 = fma(v3, x, l3);
            r3 = fma(v3, y, r3);
            l4 = fma(v4, x, l4);
            r4 = fma(v4, y, r4);
            l5 = fma(v5, x, l5);
            r5 = fma(v5, y, r5);
            l6 = fma(v6, x, l6);
            r6 = fma(v6, y, r6);
            l7 = fma(v7, x, l7);
            r7 = fma(v7, y, r7);
            bl = bl + p.n;
            br = br + p.n;
        }
        k = k + run;
        ci = 0u;
        kx = kx + 1u;
        if (kx == p.kw) { kx = 0u; ky = ky + 1u; }
    }
    store(t, l0, l1, l2, l3);
    store(u, l4, l5, l6, l7);
    store(r, r0, r1, r2, r3);
    store(right(u), r4, r5, r6, r7);
}

// Mode 1: rows are input pixels (b, iy, ix), K runs over taps (ky, kx) and then the output
// channels f; the columns are input channels. dx[b, iy, ix, ci] gathers dout[b, oy, ox, f]
// where oy·sh + ky − pt = iy (a tap that no output reaches adds nothing). 8 rows × 8 columns
// per invocation of a 4×8 workgroup (a 64×32 tile).
// The offset in dout of rows (b, iy, ix) for tap (ky, kx) at channel f, and which rows it reaches.
struct Taps { off: vec4<u32>, ok: vec4<bool> }

fn data_taps(rows: vec4<u32>, row_ok: vec4<bool>, ky: u32, kx: u32, f: u32) -> Taps {
    let ix = rows % p.w;
    let iy = (rows / p.w) % p.h;
    let img = rows / (p.w * p.h);
    let sh = vec4<i32>(i32(p.sh));
    let sw = vec4<i32>(i32(p.sw));
    let ty = vec4<i32>(iy + p.pt) - i32(ky);
    let tx = vec4<i32>(ix + p.pl) - i32(kx);
    let oy = ty / sh;
    let ox = tx / sw;
    var t: Taps;
    t.ok = row_ok & (ty >= vec4<i32>(0)) & (tx >= vec4<i32>(0)) & (oy * sh == ty) & (ox * sw == tx)
        & (oy < vec4<i32>(i32(p.oh))) & (ox < vec4<i32>(i32(p.ow)));
    let pix = (vec4<i32>(img) * i32(p.oh) + oy) * i32(p.ow) + ox;
    t.off = vec4<u32>(select(vec4<i32>(0), pix * i32(p.oc) + i32(f), t.ok));
    return t;
}

@compute @workgroup_size(4, 8)
fn gemm_conv_data(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = part8(wid, nwg, lid);
    if (!t.ok) { return; }
    let u = upper(t);
    let r = right(t);
    let bl0 = t.cols * p.oc;
    let br0 = r.cols * p.oc;
    var l0 = vec4<f32>(0.0);
    var l1 = vec4<f32>(0.0);
    var l2 = vec4<f32>(0.0);
    var l3 = vec4<f32>(0.0);
    var l4 = vec4<f32>(0.0);
    var l5 = vec4<f32>(0.0);
    var l6 = vec4<f32>(0.0);
    var l7 = vec4<f32>(0.0);
    var r0 = vec4<f32>(0.0);
    var r1 = vec4<f32>(0.0);
    var r2 = vec4<f32>(0.0);
    var r3 = vec4<f32>(0.0);
    var r4 = vec4<f32>(0.0);
    var r5 = vec4<f32>(0.0);
    var r6 = vec4<f32>(0.0);
    var r7 = vec4<f32>(0.0);
    var k = t.kb;
    var f = k % p.oc;
    var tap = k / p.oc;
    var ky = tap / p.kw;
    var kx = tap % p.kw;
    loop {
        if (k >= t.ke) { break; }
        let run = min(p.oc - f, t.ke - k);
        let lo = data_taps(t.rows, t.row_ok, ky, kx, f);
        let hi = data_taps(u.rows, u.row_ok, ky, kx, f);
        var bl = bl0 + tap * p.c * p.oc + f;
        var br = br0 + tap * p.c * p.oc + f;
        for (var e = 0u; e < run; e = e + 1u) {
            let x = vec4<f32>(b_buf[bl.x], b_buf[bl.y], b_buf[bl.z], b_buf[bl.w]);
            let y = vec4<f32>(b_buf[br.x], b_buf[br.y], b_buf[br.z], b_buf[br.w]);
            let v0 = vec4<f32>(a_at(lo.off.x + e, lo.ok.x));
            let v1 = vec4<f32>(a_at(lo.off.y + e, lo.ok.y));
            let v2 = vec4<f32>(a_at(lo.off.z + e, lo.ok.z));
            let v3 = vec4<f32>(a_at(lo.off.w + e, lo.ok.w));
            let v4 = vec4<f32>(a_at(hi.off.x + e, hi.ok.x));
            let v5 = vec4<f32>(a_at(hi.off.y + e, hi.ok.y));
            let v6 = vec4<f32>(a_at(hi.off.z + e, hi.ok.z));
            let v7 = vec4<f32>(a_at(hi.off.w + e, hi.ok.w));
            l0 = fma(v0, x, l0);
            r0 = fma(v0, y, r0);
            l1 = fma(v1, x, l1);
            r1 = fma(v1, y, r1);
            l2 = fma(v2, x, l2);
            r2 = fma(v2, y, r2);
            l3 = fma(v3, x, l3);
            r3 = fma(v3, y, r3);
            l4 = fma(v4, x, l4);
            r4 = fma(v4, y, r4);
            l5 = fma(v5, x, l5);
            r5 = fma(v5, y, r5);
            l6 = fma(v6, x, l6);
            r6 = fma(v6, y, r6);
            l7 = fma(v7, x, l7);
            r7 = fma(v7, y, r7);
            bl = bl + 1u;
            br = br + 1u;
        }
        k = k + run;
        f = 0u;
        tap = tap + 1u;
        kx = kx + 1u;
        if (kx == p.kw) { kx = 0u; ky = ky + 1u; }
    }
    store(t, l0, l1, l2, l3);
    store(u, l4, l5, l6, l7);
    store(r, r0, r1, r2, r3);
    store(right(u), r4, r5, r6, r7);
}

// Mode 2: rows are kernel values (ky, kx, ci), K runs over output rows (b, oy) and then
// the run of ox; the columns are output channels. dw[ky, kx, ci, f] = Σ x[b, iy, ix, ci] ·
// dout[b, oy, ox, f] with iy = oy·sh + ky − pt, ix = ox·sw + kx − pl.
@compute @workgroup_size(8, 8)
fn gemm_conv_filter(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = part_of(wid, nwg, lid);
    if (!t.ok) { return; }
    filter4(t);
}

// Mode 2 for at most 16 rows (the first conv of an MNIST net has 9: 3×3 taps of one
// channel): a 4×8 workgroup on a 16×32 tile (rows row0 + ly + 4·i), so a 9-row product
// computes 16 rows, not 32.
@compute @workgroup_size(8, 4)
fn gemm_conv_filter_narrow(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = part_rows(wid, nwg, lid, 16u);
    if (!t.ok) { return; }
    filter4(t);
}

// One invocation's 4×4 block of a filter gradient.
fn filter4(t: Part) {
    let ci = vec4<i32>(t.rows % p.c);
    let kx = vec4<i32>((t.rows / p.c) % p.kw);
    let ky = vec4<i32>(t.rows / (p.c * p.kw));
    let h = i32(p.h);
    let w = vec4<i32>(i32(p.w));
    let c = i32(p.c);
    let sw = i32(p.sw);
    var acc0 = vec4<f32>(0.0);
    var acc1 = vec4<f32>(0.0);
    var acc2 = vec4<f32>(0.0);
    var acc3 = vec4<f32>(0.0);
    var k = t.kb;
    var ox = k % p.ow;
    var oy = (k / p.ow) % p.oh;
    var img = k / (p.ow * p.oh);
    loop {
        if (k >= t.ke) { break; }
        let run = min(p.ow - ox, t.ke - k);
        let iy = vec4<i32>(i32(oy * p.sh) - i32(p.pt)) + ky;
        let oky = t.row_ok & (iy >= vec4<i32>(0)) & (iy < vec4<i32>(h));
        let rowbase = ((i32(img) * h + iy) * w) * c + ci;
        var ix = vec4<i32>(i32(ox * p.sw) - i32(p.pl)) + kx;
        var bi = t.cols + k * p.n;
        for (var e = 0u; e < run; e = e + 1u) {
            let ok = oky & (ix >= vec4<i32>(0)) & (ix < w);
            let off = vec4<u32>(select(vec4<i32>(0), rowbase + ix * c, ok));
            let b = vec4<f32>(b_buf[bi.x], b_buf[bi.y], b_buf[bi.z], b_buf[bi.w]);
            acc0 = fma(vec4<f32>(a_at(off.x, ok.x)), b, acc0);
            acc1 = fma(vec4<f32>(a_at(off.y, ok.y)), b, acc1);
            acc2 = fma(vec4<f32>(a_at(off.z, ok.z)), b, acc2);
            acc3 = fma(vec4<f32>(a_at(off.w, ok.w)), b, acc3);
            ix = ix + sw;
            bi = bi + p.n;
        }
        k = k + run;
        ox = 0u;
        oy = oy + 1u;
        if (oy == p.oh) { oy = 0u; img = img + 1u; }
    }
    store(t, acc0, acc1, acc2, acc3);
}

// Mode 2 for products of at least 64 rows (C = kh·kw·c × oc): 8 rows × 8 columns per
// invocation of a 4×8 workgroup (a 64×32 tile), so each value read serves more products.
// The rows' place in the kernel and their window's top-left offsets, fixed per invocation.
struct Filt { ci: vec4<i32>, kx: vec4<i32>, ky: vec4<i32> }

fn filt_of(rows: vec4<u32>) -> Filt {
    return Filt(vec4<i32>(rows % p.c), vec4<i32>((rows / p.c) % p.kw), vec4<i32>(rows / (p.c * p.kw)));
}

@compute @workgroup_size(4, 8)
fn gemm_conv_filter_wide(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t = part8(wid, nwg, lid);
    if (!t.ok) { return; }
    let u = upper(t);
    let r = right(t);
    let lo = filt_of(t.rows);
    let hi = filt_of(u.rows);
    let h = i32(p.h);
    let w = vec4<i32>(i32(p.w));
    let c = i32(p.c);
    let sw = i32(p.sw);
    var l0 = vec4<f32>(0.0);
    var l1 = vec4<f32>(0.0);
    var l2 = vec4<f32>(0.0);
    var l3 = vec4<f32>(0.0);
    var l4 = vec4<f32>(0.0);
    var l5 = vec4<f32>(0.0);
    var l6 = vec4<f32>(0.0);
    var l7 = vec4<f32>(0.0);
    var r0 = vec4<f32>(0.0);
    var r1 = vec4<f32>(0.0);
    var r2 = vec4<f32>(0.0);
    var r3 = vec4<f32>(0.0);
    var r4 = vec4<f32>(0.0);
    var r5 = vec4<f32>(0.0);
    var r6 = vec4<f32>(0.0);
    var r7 = vec4<f32>(0.0);
    var k = t.kb;
    var ox = k % p.ow;
    var oy = (k / p.ow) % p.oh;
    var img = k / (p.ow * p.oh);
    loop {
        if (k >= t.ke) { break; }
        let run = min(p.ow - ox, t.ke - k);
        let y0 = vec4<i32>(i32(oy * p.sh) - i32(p.pt));
        let x0 = vec4<i32>(i32(ox * p.sw) - i32(p.pl));
        let iy = y0 + lo.ky;
        let uiy = y0 + hi.ky;
        let oky = t.row_ok & (iy >= vec4<i32>(0)) & (iy < vec4<i32>(h));
        let uoky = u.row_ok & (uiy >= vec4<i32>(0)) & (uiy < vec4<i32>(h));
        let rowbase = ((i32(img) * h + iy) * w) * c + lo.ci;
        let urowbase = ((i32(img) * h + uiy) * w) * c + hi.ci;
        var ix = x0 + lo.kx;
        var uix = x0 + hi.kx;
        var bl = t.cols + k * p.n;
        var br = r.cols + k * p.n;
        for (var e = 0u; e < run; e = e + 1u) {
            let ok = oky & (ix >= vec4<i32>(0)) & (ix < w);
            let off = vec4<u32>(select(vec4<i32>(0), rowbase + ix * c, ok));
            let uok = uoky & (uix >= vec4<i32>(0)) & (uix < w);
            let uoff = vec4<u32>(select(vec4<i32>(0), urowbase + uix * c, uok));
            let x = vec4<f32>(b_buf[bl.x], b_buf[bl.y], b_buf[bl.z], b_buf[bl.w]);
            let y = vec4<f32>(b_buf[br.x], b_buf[br.y], b_buf[br.z], b_buf[br.w]);
            let v0 = vec4<f32>(a_at(off.x, ok.x));
            let v1 = vec4<f32>(a_at(off.y, ok.y));
            let v2 = vec4<f32>(a_at(off.z, ok.z));
            let v3 = vec4<f32>(a_at(off.w, ok.w));
            let v4 = vec4<f32>(a_at(uoff.x, uok.x));
            let v5 = vec4<f32>(a_at(uoff.y, uok.y));
            let v6 = vec4<f32>(a_at(uoff.z, uok.z));
            let v7 = vec4<f32>(a_at(uoff.w, uok.w));
            l0 = fma(v0, x, l0);
            r0 = fma(v0, y, r0);
            l1 = fma(v1, x, l1);
            r1 = fma(v1, y, r1);
            l2 = fma(v2, x, l2);
            r2 = fma(v2, y, r2);
            l3 = fma(v3, x, l3);
            r3 = fma(v3, y, r3);
            l4 = fma(v4, x, l4);
            r4 = fma(v4, y, r4);
            l5 = fma(v5, x, l5);
            r5 = fma(v5, y, r5);
            l6 = fma(v6, x, l6);
            r6 = fma(v6, y, r6);
            l7 = fma(v7, x, l7);
            r7 = fma(v7, y, r7);
            ix = ix + sw;
            uix = uix + sw;
            bl = bl + p.n;
            br = br + p.n;
        }
        k = k + run;
        ox = 0u;
        oy = oy + 1u;
        if (oy == p.oh) { oy = 0u; img = img + 1u; }
    }
    store(t, l0, l1, l2, l3);
    store(u, l4, l5, l6, l7);
    store(r, r0, r1, r2, r3);
    store(right(u), r4, r5, r6, r7);
}
