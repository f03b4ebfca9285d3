// gemm_lane.wgsl — the third GEMM kernel: the products of gemm.wgsl (modes 0–5, the same
// implicit A and B, GemmParams, split K, the bias and activation epilogue), laid out for
// devices that run the invocations of a workgroup side by side as the lanes of one CPU
// vector (lavapipe's llvmpipe: 8 lanes of 32 bits). A workgroup of 8 invocations covers a
// tile of 8 rows × 32 columns of C; every invocation computes all 8 rows, for its own 4
// neighbouring columns (col0 + 4·lane + j). So the row a value of A comes from depends on
// the workgroup only: all lanes load the same address, which such a compiler can do as one
// load and a broadcast, where the other kernels' lanes each gather their own rows. Per step
// of K an invocation loads 8 values of A (shared) and 4 of B (its columns) for 32
// multiply-adds, and keeps its 8×4 block of C in 8 vec4 registers.
// K is walked as in gemm_reg.wgsl: taps (ky, kx) and then the contiguous run of channels for
// the forward product and the data gradient, output rows (b, oy) and then the run of ox for
// the filter gradient, with no integer division in the inner loops.
// GPUs with wide warps waste most of each warp on 8-invocation workgroups; the context times
// the three kernels once (crate/src/backend/gpu/gemm_choice.rs) and keeps the fastest, so
// this one runs only where it wins (CONVPLAY_GEMM=lane forces it).
// Modes, layouts and bindings: as gemm.wgsl. The split-K partials are added, and their
// activation applied, by gemm.wgsl's `splitk_reduce`.
// Products whose rows of B are contiguous in their columns and 16-byte aligned (n a multiple
// of 4: the conv products, the data gradient's B transposed first, and the dense forward and
// weight products) run the module "gemm_lane4": this file with `b_buf` an array of vec4s and `b4` one load
// (crate/src/backend/gpu/pipelines.rs swaps the two lines; GemmKernel::module picks it).
// CPU twins: crate/src/backend/cpu/conv.rs (modes 0–2), crate/src/backend/cpu/dense.rs (3–5).
// Dispatch: one workgroup per 8×32 tile of C, ceil(N / 32)·ceil(M / 8) of them (times
// p.splits), in a line folded into the grid as gemm.wgsl's.

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

const RM: u32 = 8u;
const Q: vec4<u32> = vec4<u32>(0u, 1u, 2u, 3u);

// An invocation's share: the tile's 8 rows (lo: 0–3, hi: 4–7; past the end clamped to the
// last, so loads stay in bounds, and never stored), its 4 columns (clamped likewise; `col`
// the first, unclamped), its part of K and where its C goes.
struct Lane {
    ok: bool,
    lo: vec4<u32>,
    hi: vec4<u32>,
    lo_ok: vec4<bool>,
    hi_ok: vec4<bool>,
    col: u32,
    cols: vec4<u32>,
    cols2: vec4<u32>,
    kb: u32,
    ke: u32,
    base: u32,
}

fn lane_of(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>, cn: u32) -> Lane {
    var t: Lane;
    let line = (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
    let tiles_n = (p.n + cn - 1u) / cn;
    let tiles = tiles_n * ((p.m + RM - 1u) / RM);
    let splits = max(p.splits, 1u);
    // A workgroup past the last tile works on the first with an empty K and stores nothing:
    // an early return would put the rest of the kernel under control flow, where llvmpipe
    // no longer loads a value shared by all lanes once.
    t.ok = line < tiles * splits;
    let at = select(0u, line, t.ok);
    let split = at / tiles;
    let tile = at % tiles;
    let row0 = (tile / tiles_n) * RM;
    let lo = row0 + Q;
    let hi = lo + 4u;
    let ok = vec4<bool>(t.ok);
    t.lo_ok = ok & (lo < vec4<u32>(p.m));
    t.hi_ok = ok & (hi < vec4<u32>(p.m));
    t.lo = min(lo, vec4<u32>(p.m - 1u));
    t.hi = min(hi, vec4<u32>(p.m - 1u));
    t.col = (tile % tiles_n) * cn + (cn / 8u) * lid.x;
    t.cols = min(t.col + Q, vec4<u32>(p.n - 1u));
    t.cols2 = min(t.col + 4u + Q, vec4<u32>(p.n - 1u));
    t.kb = select(0u, split * p.kchunk, splits > 1u);
    t.ke = select(select(p.k, min(p.k, t.kb + p.kchunk), splits > 1u), t.kb, !t.ok);
    t.base = split * p.m * p.n;
    return t;
}

// The activation of the epilogue, as gemm_reg.wgsl's act_fwd4 (crate/tests/gpu_fused.rs
// holds the copies equal): 0 linear, 1 relu, 2 relu6, 3 leaky relu, 4 sigmoid, 5 tanh.
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

// One row of the block (its 4 columns), plus the bias `bv`, through the activation.
fn put(t: Lane, row: u32, ok: bool, v: vec4<f32>, bv: vec4<f32>) {
    if (!ok) { return; }
    let y = act_fwd4(v + bv);
    let base = t.base + row * p.n;
    for (var j = 0u; j < 4u; j = j + 1u) {
        if (t.col + j < p.n) { out[base + t.col + j] = y[j]; }
    }
}

struct Block { r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>, r4: vec4<f32>, r5: vec4<f32>, r6: vec4<f32>, r7: vec4<f32>,
  s0: vec4<f32>, s1: vec4<f32>, s2: vec4<f32>, s3: vec4<f32>, s4: vec4<f32>, s5: vec4<f32>, s6: vec4<f32>, s7: vec4<f32> }

fn store(t: Lane, c: Block, wide: bool) {
    store4(t, c.r0, c.r1, c.r2, c.r3, c.r4, c.r5, c.r6, c.r7);
    if (!wide) { return; }
    var u = t;
    u.col = t.col + 4u;
    u.cols = t.cols2;
    store4(u, c.s0, c.s1, c.s2, c.s3, c.s4, c.s5, c.s6, c.s7);
}

fn store4(t: Lane, r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>, r4: vec4<f32>, r5: vec4<f32>, r6: vec4<f32>, r7: vec4<f32>) {
    var bv = vec4<f32>(0.0);
    if (p.has_bias != 0u) { bv = vec4<f32>(bias[t.cols.x], bias[t.cols.y], bias[t.cols.z], bias[t.cols.w]); }
    put(t, t.lo.x, t.lo_ok.x, r0, bv);
    put(t, t.lo.y, t.lo_ok.y, r1, bv);
    put(t, t.lo.z, t.lo_ok.z, r2, bv);
    put(t, t.lo.w, t.lo_ok.w, r3, bv);
    put(t, t.hi.x, t.hi_ok.x, r4, bv);
    put(t, t.hi.y, t.hi_ok.y, r5, bv);
    put(t, t.hi.z, t.hi_ok.z, r6, bv);
    put(t, t.hi.w, t.hi_ok.w, r7, bv);
}

// A value of A where `ok`, else 0 (the index is in bounds either way).
fn a_at(i: u32, ok: bool) -> f32 {
    return select(0.0, a_buf[select(0u, i, ok)], ok);
}

fn b4(i: vec4<u32>) -> vec4<f32> {
    return vec4<f32>(b_buf[i.x], b_buf[i.y], b_buf[i.z], b_buf[i.w]);
}

// c += (the 8 values of A at lo, hi where ok) ⊗ (b, and with `wide` the 4 values of B at bi2).
fn step8(c: ptr<function, Block>, lo: vec4<u32>, lo_ok: vec4<bool>, hi: vec4<u32>, hi_ok: vec4<bool>, b: vec4<f32>, bi2: vec4<u32>, wide: bool) {
    let a0 = vec4<f32>(a_at(lo.x, lo_ok.x));
    let a1 = vec4<f32>(a_at(lo.y, lo_ok.y));
    let a2 = vec4<f32>(a_at(lo.z, lo_ok.z));
    let a3 = vec4<f32>(a_at(lo.w, lo_ok.w));
    let a4 = vec4<f32>(a_at(hi.x, hi_ok.x));
    let a5 = vec4<f32>(a_at(hi.y, hi_ok.y));
    let a6 = vec4<f32>(a_at(hi.z, hi_ok.z));
    let a7 = vec4<f32>(a_at(hi.w, hi_ok.w));
    (*c).r0 = fma(a0, b, (*c).r0);
    (*c).r1 = fma(a1, b, (*c).r1);
    (*c).r2 = fma(a2, b, (*c).r2);
    (*c).r3 = fma(a3, b, (*c).r3);
    (*c).r4 = fma(a4, b, (*c).r4);
    (*c).r5 = fma(a5, b, (*c).r5);
    (*c).r6 = fma(a6, b, (*c).r6);
    (*c).r7 = fma(a7, b, (*c).r7);
    if (!wide) { return; }
    let d = b4(bi2);
    (*c).s0 = fma(a0, d, (*c).s0);
    (*c).s1 = fma(a1, d, (*c).s1);
    (*c).s2 = fma(a2, d, (*c).s2);
    (*c).s3 = fma(a3, d, (*c).s3);
    (*c).s4 = fma(a4, d, (*c).s4);
    (*c).s5 = fma(a5, d, (*c).s5);
    (*c).s6 = fma(a6, d, (*c).s6);
    (*c).s7 = fma(a7, d, (*c).s7);
}

fn zero() -> Block {
    let z = vec4<f32>(0.0);
    return Block(z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z);
}

// Mode 0: rows are output pixels (b, oy, ox); K runs over taps (ky, kx), then channels.
fn conv_forward(t: Lane, wide: bool) {
    let h = i32(p.h);
    let w = i32(p.w);
    let y_lo = vec4<i32>(((t.lo / p.ow) % p.oh) * p.sh) - i32(p.pt);
    let x_lo = vec4<i32>((t.lo % p.ow) * p.sw) - i32(p.pl);
    let m_lo = vec4<i32>(t.lo / (p.ow * p.oh));
    let y_hi = vec4<i32>(((t.hi / p.ow) % p.oh) * p.sh) - i32(p.pt);
    let x_hi = vec4<i32>((t.hi % p.ow) * p.sw) - i32(p.pl);
    let m_hi = vec4<i32>(t.hi / (p.ow * p.oh));
    var c = zero();
    var k = t.kb;
    var ci = k % p.c;
    let tap = k / p.c;
    var ky = tap / p.kw;
    var kx = tap % p.kw;
    loop {
        if (k >= t.ke) { break; }
        let run = min(p.c - ci, t.ke - k);
        let ya = y_lo + i32(ky);
        let xa = x_lo + i32(kx);
        let oka = t.lo_ok & (ya >= vec4<i32>(0)) & (ya < vec4<i32>(h)) & (xa >= vec4<i32>(0)) & (xa < vec4<i32>(w));
        var oa = vec4<u32>(select(vec4<i32>(0), ((m_lo * h + ya) * w + xa) * i32(p.c) + i32(ci), oka));
        let yb = y_hi + i32(ky);
        let xb = x_hi + i32(kx);
        let okb = t.hi_ok & (yb >= vec4<i32>(0)) & (yb < vec4<i32>(h)) & (xb >= vec4<i32>(0)) & (xb < vec4<i32>(w));
        var ob = vec4<u32>(select(vec4<i32>(0), ((m_hi * h + yb) * w + xb) * i32(p.c) + i32(ci), okb));
        var bi = t.cols + k * p.n;
        var bi2 = t.cols2 + k * p.n;
        for (var e = 0u; e < run; e = e + 1u) {
            step8(&c, oa, oka, ob, okb, b4(bi), bi2, wide);
            oa = oa + 1u;
            ob = ob + 1u;
            bi = bi + p.n;
            bi2 = bi2 + p.n;
        }
        k = k + run;
        ci = 0u;
        kx = kx + 1u;
        if (kx == p.kw) { kx = 0u; ky = ky + 1u; }
    }
    store(t, c, wide);
}

// Mode 1: rows are input pixels (b, iy, ix), K runs over taps (ky, kx) and then the output
// channels f; the columns are input channels. dx[b, iy, ix, ci] gathers dout[b, oy, ox, f]
// where oy·sh + ky − pt = iy (a tap that no output reaches adds nothing). B here is the
// kernel with its channel axes swapped, wt [kh, kw, oc, c] (`lane_transpose` writes it just
// before), so that a row of B runs along the columns as in the other modes.
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

fn conv_data(t: Lane, wide: bool) {
    var c = zero();
    var k = t.kb;
    var f = k % p.oc;
    var tap = k / p.oc;
    var ky = tap / p.kw;
    var kx = tap % p.kw;
    loop {
        if (k >= t.ke) { break; }
        let run = min(p.oc - f, t.ke - k);
        let da = data_taps(t.lo, t.lo_ok, ky, kx, f);
        let db = data_taps(t.hi, t.hi_ok, ky, kx, f);
        var oa = da.off;
        var ob = db.off;
        var bi = t.cols + k * p.c;
        var bi2 = t.cols2 + k * p.c;
        for (var e = 0u; e < run; e = e + 1u) {
            step8(&c, oa, da.ok, ob, db.ok, b4(bi), bi2, wide);
            oa = oa + 1u;
            ob = ob + 1u;
            bi = bi + p.c;
            bi2 = bi2 + p.c;
        }
        k = k + run;
        f = 0u;
        tap = tap + 1u;
        kx = kx + 1u;
        if (kx == p.kw) { kx = 0u; ky = ky + 1u; }
    }
    store(t, c, wide);
}

// Mode 2: rows are kernel values (ky, kx, ci), K runs over output rows (b, oy) and then
// the run of ox; the columns are output channels. dw[ky, kx, ci, f] = Σ x[b, iy, ix, ci] ·
// dout[b, oy, ox, f] with iy = oy·sh + ky − pt, ix = ox·sw + kx − pl.
fn conv_filter(t: Lane, wide: bool) {
    let ci_lo = vec4<i32>(t.lo % p.c);
    let kx_lo = vec4<i32>((t.lo / p.c) % p.kw);
    let ky_lo = vec4<i32>(t.lo / (p.c * p.kw));
    let ci_hi = vec4<i32>(t.hi % p.c);
    let kx_hi = vec4<i32>((t.hi / p.c) % p.kw);
    let ky_hi = vec4<i32>(t.hi / (p.c * p.kw));
    let h = i32(p.h);
    let w = vec4<i32>(i32(p.w));
    let ch = i32(p.c);
    let sw = i32(p.sw);
    var c = zero();
    var k = t.kb;
    var ox = k % p.ow;
    var oy = (k / p.ow) % p.oh;
    var img = k / (p.ow * p.oh);
    loop {
        if (k >= t.ke) { break; }
        let run = min(p.ow - ox, t.ke - k);
        let y0 = vec4<i32>(i32(oy * p.sh) - i32(p.pt));
        let x0 = vec4<i32>(i32(ox * p.sw) - i32(p.pl));
        let iya = y0 + ky_lo;
        let iyb = y0 + ky_hi;
        let oya = t.lo_ok & (iya >= vec4<i32>(0)) & (iya < vec4<i32>(h));
        let oyb = t.hi_ok & (iyb >= vec4<i32>(0)) & (iyb < vec4<i32>(h));
        let basea = ((i32(img) * h + iya) * w) * ch + ci_lo;
        let baseb = ((i32(img) * h + iyb) * w) * ch + ci_hi;
        var ixa = x0 + kx_lo;
        var ixb = x0 + kx_hi;
        var bi = t.cols + k * p.n;
        var bi2 = t.cols2 + k * p.n;
        for (var e = 0u; e < run; e = e + 1u) {
            let oka = oya & (ixa >= vec4<i32>(0)) & (ixa < w);
            let okb = oyb & (ixb >= vec4<i32>(0)) & (ixb < w);
            let oa = vec4<u32>(select(vec4<i32>(0), basea + ixa * ch, oka));
            let ob = vec4<u32>(select(vec4<i32>(0), baseb + ixb * ch, okb));
            step8(&c, oa, oka, ob, okb, b4(bi), bi2, wide);
            ixa = ixa + sw;
            ixb = ixb + sw;
            bi = bi + p.n;
            bi2 = bi2 + p.n;
        }
        k = k + run;
        ox = 0u;
        oy = oy + 1u;
        if (oy == p.oh) { oy = 0u; img = img + 1u; }
    }
    store(t, c, wide);
}

// wt [kh, kw, oc, c] (out) from the kernel w [kh, kw, c, oc] (a_buf): B of the data
// gradient. One invocation per value, in workgroups of 64.
@compute @workgroup_size(64)
fn lane_transpose(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 64u + lid.x;
    if (i >= p.kh * p.kw * p.c * p.oc) { return; }
    let ci = i % p.c;
    let f = (i / p.c) % p.oc;
    let tap = i / (p.c * p.oc);
    out[i] = a_buf[(tap * p.c + ci) * p.oc + f];
}

// The dense products: A[r, k] = a[r·ars + k·aks], B[k, c] = b[k·bks + c·bcs].
fn dense(t: Lane, ars: u32, aks: u32, bks: u32, bcs: u32, wide: bool) {
    var c = zero();
    let all = vec4<bool>(true);
    var oa = t.lo * ars + t.kb * aks;
    var ob = t.hi * ars + t.kb * aks;
    var bi = t.cols * bcs + t.kb * bks;
    var bi2 = t.cols2 * bcs + t.kb * bks;
    for (var k = t.kb; k < t.ke; k = k + 1u) {
        step8(&c, oa, all, ob, all, b4(bi), bi2, wide);
        oa = oa + aks;
        ob = ob + aks;
        bi = bi + bks;
        bi2 = bi2 + bks;
    }
    store(t, c, wide);
}




fn dense_forward(t: Lane, wide: bool) {
    dense(t, p.k, 1u, p.n, 1u, wide); // x [n, in] · w [in, out]
}

fn dense_data(t: Lane, wide: bool) {
    dense(t, p.k, 1u, 1u, p.k, wide); // dout [n, out] · wᵀ (w is [in, out])
}

fn dense_weight(t: Lane, wide: bool) {
    dense(t, 1u, p.m, p.n, 1u, wide); // xᵀ (x is [n, in]) · dout [n, out]
}

// The entry points: each product with 8 columns per invocation (a 64-column tile), and with
// 4 (`_n`, a 32-column tile, for products of at most 32 columns, which would leave half of
// the wide tile's lanes idle).

@compute @workgroup_size(8)
fn lane_conv_forward(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    conv_forward(lane_of(wid, nwg, lid, 64u), true);
}

@compute @workgroup_size(8)
fn lane_conv_forward_n(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    conv_forward(lane_of(wid, nwg, lid, 32u), false);
}

@compute @workgroup_size(8)
fn lane_conv_data(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    conv_data(lane_of(wid, nwg, lid, 64u), true);
}

@compute @workgroup_size(8)
fn lane_conv_data_n(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    conv_data(lane_of(wid, nwg, lid, 32u), false);
}

@compute @workgroup_size(8)
fn lane_conv_filter(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    conv_filter(lane_of(wid, nwg, lid, 64u), true);
}

@compute @workgroup_size(8)
fn lane_conv_filter_n(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    conv_filter(lane_of(wid, nwg, lid, 32u), false);
}

@compute @workgroup_size(8)
fn lane_dense_forward(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    dense_forward(lane_of(wid, nwg, lid, 64u), true);
}

@compute @workgroup_size(8)
fn lane_dense_forward_n(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    dense_forward(lane_of(wid, nwg, lid, 32u), false);
}

@compute @workgroup_size(8)
fn lane_dense_data(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    dense_data(lane_of(wid, nwg, lid, 64u), true);
}

@compute @workgroup_size(8)
fn lane_dense_data_n(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    dense_data(lane_of(wid, nwg, lid, 32u), false);
}

@compute @workgroup_size(8)
fn lane_dense_weight(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    dense_weight(lane_of(wid, nwg, lid, 64u), true);
}

@compute @workgroup_size(8)
fn lane_dense_weight_n(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    dense_weight(lane_of(wid, nwg, lid, 32u), false);
}
