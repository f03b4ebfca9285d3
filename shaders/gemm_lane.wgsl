// gemm_lane.wgsl — the third GEMM kernel: the products of gemm.wgsl (modes 0–5, the same
// implicit A and B, GemmParams, split K, the bias and activation epilogue), laid out for
// devices that run the invocations of a workgroup side by side as the lanes of one CPU
// vector (lavapipe's llvmpipe: 8 lanes of 32 bits). A workgroup of 8 invocations covers a
// tile of C, and every invocation computes all of the tile's rows for its own columns: 8
// rows × 8 columns (col0 + 8·lane + j) of a wide tile (8 × 64) for products of more than 32
// columns, 16 rows × 4 columns of a tall tile (16 × 32, entry points `_n`) for the others, so
// that no lane idles on a narrow product. The row a value of A comes from depends on the
// workgroup only, and per step of K an invocation loads 8 values of A and 8 of B (wide) or 16
// and 4 (tall) for 64 multiply-adds, keeping its block of C in 16 vec4 registers.
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
// Dispatch: one workgroup per tile of C (8 × 64 or 16 × 32), ceil(N / 64)·ceil(M / 8) or
// ceil(N / 32)·ceil(M / 16) of them (times p.splits), in a line folded into the grid as
// gemm.wgsl's; the data gradient first dispatches `lane_transpose` (one invocation per value
// of the kernel, workgroups of 64).

// GemmParams and the bindings: gemm_common.wgsl, which ends the module.

const Q: vec4<u32> = vec4<u32>(0u, 1u, 2u, 3u);

// Four rows of the tile (past the end clamped to the last, so loads stay in bounds; those
// are never stored) and which of them are real.
struct Rows { r: vec4<u32>, ok: vec4<bool> }

// An invocation's share: the tile's rows in groups of four (a, b; and c, d in a tall tile),
// its 4 columns (clamped likewise; `col` the first, unclamped; `cols2` the next 4 in a wide
// tile), its part of K and where its C goes.
struct Lane {
    a: Rows,
    b: Rows,
    c: Rows,
    d: Rows,
    col: u32,
    cols: vec4<u32>,
    cols2: vec4<u32>,
    kb: u32,
    ke: u32,
    base: u32,
}

fn rows_at(first: u32, ok: bool) -> Rows {
    let r = first + Q;
    return Rows(min(r, vec4<u32>(p.m - 1u)), vec4<bool>(ok) & (r < vec4<u32>(p.m)));
}

// The share of invocation `lid` in a tile of `rm` rows (8 or 16) × `cn` columns (64 or 32).
fn lane_of(wid: vec3<u32>, nwg: vec3<u32>, lid: vec3<u32>, cn: u32, rm: u32) -> Lane {
    var t: Lane;
    let line = (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
    let tiles_n = (p.n + cn - 1u) / cn;
    let tiles = tiles_n * ((p.m + rm - 1u) / rm);
    let splits = max(p.splits, 1u);
    // A workgroup past the last tile works on the first with an empty K and stores nothing:
    // an early return would put the rest of the kernel under control flow, where llvmpipe
    // no longer loads a value shared by all lanes once.
    let ok = line < tiles * splits;
    let at = select(0u, line, ok);
    let split = at / tiles;
    let tile = at % tiles;
    let row0 = (tile / tiles_n) * rm;
    t.a = rows_at(row0, ok);
    t.b = rows_at(row0 + 4u, ok);
    t.c = rows_at(row0 + 8u, ok && rm > 8u);
    t.d = rows_at(row0 + 12u, ok && rm > 8u);
    t.col = (tile % tiles_n) * cn + (cn / 8u) * lid.x;
    t.cols = min(t.col + Q, vec4<u32>(p.n - 1u));
    t.cols2 = min(t.col + 4u + Q, vec4<u32>(p.n - 1u));
    t.kb = select(0u, split * p.kchunk, splits > 1u);
    t.ke = select(select(p.k, min(p.k, t.kb + p.kchunk), splits > 1u), t.kb, !ok);
    t.base = split * p.m * p.n;
    return t;
}

// One row of the block (4 columns from `col`), plus the bias `bv`, through the activation.
fn put(t: Lane, col: u32, row: u32, ok: bool, v: vec4<f32>, bv: vec4<f32>) {
    if (!ok) { return; }
    let y = act_fwd4(v + bv);
    let base = t.base + row * p.n;
    for (var j = 0u; j < 4u; j = j + 1u) {
        if (col + j < p.n) { out[base + col + j] = y[j]; }
    }
}

// An invocation's C: rows 0–7 × its 4 columns (r), and s: the same rows × the next 4
// columns in a wide tile, or rows 8–15 × the same columns in a tall one.
struct Block { r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>, r4: vec4<f32>, r5: vec4<f32>, r6: vec4<f32>, r7: vec4<f32>,
  s0: vec4<f32>, s1: vec4<f32>, s2: vec4<f32>, s3: vec4<f32>, s4: vec4<f32>, s5: vec4<f32>, s6: vec4<f32>, s7: vec4<f32> }

fn store(t: Lane, c: Block, wide: bool) {
    store8(t, t.col, t.cols, t.a, t.b, c.r0, c.r1, c.r2, c.r3, c.r4, c.r5, c.r6, c.r7);
    if (wide) {
        store8(t, t.col + 4u, t.cols2, t.a, t.b, c.s0, c.s1, c.s2, c.s3, c.s4, c.s5, c.s6, c.s7);
    } else {
        store8(t, t.col, t.cols, t.c, t.d, c.s0, c.s1, c.s2, c.s3, c.s4, c.s5, c.s6, c.s7);
    }
}

fn store8(t: Lane, col: u32, cols: vec4<u32>, a: Rows, b: Rows, r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>, r4: vec4<f32>, r5: vec4<f32>, r6: vec4<f32>, r7: vec4<f32>) {
    var bv = vec4<f32>(0.0);
    if (p.has_bias != 0u) { bv = vec4<f32>(bias[cols.x], bias[cols.y], bias[cols.z], bias[cols.w]); }
    put(t, col, a.r.x, a.ok.x, r0, bv);
    put(t, col, a.r.y, a.ok.y, r1, bv);
    put(t, col, a.r.z, a.ok.z, r2, bv);
    put(t, col, a.r.w, a.ok.w, r3, bv);
    put(t, col, b.r.x, b.ok.x, r4, bv);
    put(t, col, b.r.y, b.ok.y, r5, bv);
    put(t, col, b.r.z, b.ok.z, r6, bv);
    put(t, col, b.r.w, b.ok.w, r7, bv);
}

// A value of A where `ok`, else 0 (the index is in bounds either way).
fn a_at(i: u32, ok: bool) -> f32 {
    return select(0.0, a_buf[select(0u, i, ok)], ok);
}

fn b4(i: vec4<u32>) -> vec4<f32> {
    return vec4<f32>(b_buf[i.x], b_buf[i.y], b_buf[i.z], b_buf[i.w]);
}

// Where four rows read A at one step of K: offsets, and which rows read a value (else 0).
struct Taps { off: vec4<u32>, ok: vec4<bool> }

// One step of K: r += (A of rows a, b) ⊗ (B at bi); and s += (A of rows a, b) ⊗ (B at bi2)
// in a wide tile, or (A of rows c, d) ⊗ (B at bi) in a tall one.
fn step(acc: ptr<function, Block>, a: Taps, b: Taps, c: Taps, d: Taps, bi: vec4<u32>, bi2: vec4<u32>, wide: bool) {
    let x = b4(bi);
    let a0 = vec4<f32>(a_at(a.off.x, a.ok.x));
    let a1 = vec4<f32>(a_at(a.off.y, a.ok.y));
    let a2 = vec4<f32>(a_at(a.off.z, a.ok.z));
    let a3 = vec4<f32>(a_at(a.off.w, a.ok.w));
    let a4 = vec4<f32>(a_at(b.off.x, b.ok.x));
    let a5 = vec4<f32>(a_at(b.off.y, b.ok.y));
    let a6 = vec4<f32>(a_at(b.off.z, b.ok.z));
    let a7 = vec4<f32>(a_at(b.off.w, b.ok.w));
    (*acc).r0 = fma(a0, x, (*acc).r0);
    (*acc).r1 = fma(a1, x, (*acc).r1);
    (*acc).r2 = fma(a2, x, (*acc).r2);
    (*acc).r3 = fma(a3, x, (*acc).r3);
    (*acc).r4 = fma(a4, x, (*acc).r4);
    (*acc).r5 = fma(a5, x, (*acc).r5);
    (*acc).r6 = fma(a6, x, (*acc).r6);
    (*acc).r7 = fma(a7, x, (*acc).r7);
    if (wide) {
        let y = b4(bi2);
        (*acc).s0 = fma(a0, y, (*acc).s0);
        (*acc).s1 = fma(a1, y, (*acc).s1);
        (*acc).s2 = fma(a2, y, (*acc).s2);
        (*acc).s3 = fma(a3, y, (*acc).s3);
        (*acc).s4 = fma(a4, y, (*acc).s4);
        (*acc).s5 = fma(a5, y, (*acc).s5);
        (*acc).s6 = fma(a6, y, (*acc).s6);
        (*acc).s7 = fma(a7, y, (*acc).s7);
    } else {
        (*acc).s0 = fma(vec4<f32>(a_at(c.off.x, c.ok.x)), x, (*acc).s0);
        (*acc).s1 = fma(vec4<f32>(a_at(c.off.y, c.ok.y)), x, (*acc).s1);
        (*acc).s2 = fma(vec4<f32>(a_at(c.off.z, c.ok.z)), x, (*acc).s2);
        (*acc).s3 = fma(vec4<f32>(a_at(c.off.w, c.ok.w)), x, (*acc).s3);
        (*acc).s4 = fma(vec4<f32>(a_at(d.off.x, d.ok.x)), x, (*acc).s4);
        (*acc).s5 = fma(vec4<f32>(a_at(d.off.y, d.ok.y)), x, (*acc).s5);
        (*acc).s6 = fma(vec4<f32>(a_at(d.off.z, d.ok.z)), x, (*acc).s6);
        (*acc).s7 = fma(vec4<f32>(a_at(d.off.w, d.ok.w)), x, (*acc).s7);
    }
}

fn zero() -> Block {
    let z = vec4<f32>(0.0);
    return Block(z, z, z, z, z, z, z, z, z, z, z, z, z, z, z, z);
}

fn next(t: Taps, d: u32) -> Taps {
    return Taps(t.off + d, t.ok);
}

// Mode 0: rows are output pixels (b, oy, ox); K runs over taps (ky, kx), then channels.
// A row's window: its image and the top-left corner of its taps.
struct Win { y: vec4<i32>, x: vec4<i32>, m: vec4<i32>, ok: vec4<bool> }

fn win(r: Rows) -> Win {
    let y = vec4<i32>(((r.r / p.ow) % p.oh) * p.sh) - i32(p.pt);
    let x = vec4<i32>((r.r % p.ow) * p.sw) - i32(p.pl);
    return Win(y, x, vec4<i32>(r.r / (p.ow * p.oh)), r.ok);
}

// Where the rows of `v` read tap (ky, kx) at channel ci.
fn fwd_taps(v: Win, ky: u32, kx: u32, ci: u32) -> Taps {
    let h = i32(p.h);
    let w = i32(p.w);
    let y = v.y + i32(ky);
    let x = v.x + i32(kx);
    let ok = v.ok & (y >= vec4<i32>(0)) & (y < vec4<i32>(h)) & (x >= vec4<i32>(0)) & (x < vec4<i32>(w));
    return Taps(vec4<u32>(select(vec4<i32>(0), ((v.m * h + y) * w + x) * i32(p.c) + i32(ci), ok)), ok);
}

fn conv_forward(t: Lane, wide: bool) {
    let wa = win(t.a);
    let wb = win(t.b);
    let wc = win(t.c);
    let wd = win(t.d);
    var acc = zero();
    var k = t.kb;
    var ci = k % p.c;
    let tap = k / p.c;
    var ky = tap / p.kw;
    var kx = tap % p.kw;
    loop {
        if (k >= t.ke) { break; }
        let run = min(p.c - ci, t.ke - k);
        let a = fwd_taps(wa, ky, kx, ci);
        let b = fwd_taps(wb, ky, kx, ci);
        let c = fwd_taps(wc, ky, kx, ci);
        let d = fwd_taps(wd, ky, kx, ci);
        let bi = t.cols + k * p.n;
        let bi2 = t.cols2 + k * p.n;
        for (var e = 0u; e < run; e = e + 1u) {
            step(&acc, next(a, e), next(b, e), next(c, e), next(d, e), bi + e * p.n, bi2 + e * p.n, wide);
        }
        k = k + run;
        ci = 0u;
        kx = kx + 1u;
        if (kx == p.kw) { kx = 0u; ky = ky + 1u; }
    }
    store(t, acc, wide);
}

// Mode 1: rows are input pixels (b, iy, ix), K runs over taps (ky, kx) and then the output
// channels f; the columns are input channels. dx[b, iy, ix, ci] gathers dout[b, oy, ox, f]
// where oy·sh + ky − pt = iy (a tap that no output reaches adds nothing). B here is the
// kernel with its channel axes swapped, wt [kh, kw, oc, c] (`lane_transpose` writes it just
// before), so that a row of B runs along the columns as in the other modes.
fn data_taps(rows: Rows, ky: u32, kx: u32, f: u32) -> Taps {
    let ix = rows.r % p.w;
    let iy = (rows.r / p.w) % p.h;
    let img = rows.r / (p.w * p.h);
    let sh = vec4<i32>(i32(p.sh));
    let sw = vec4<i32>(i32(p.sw));
    let ty = vec4<i32>(iy + p.pt) - i32(ky);
    let tx = vec4<i32>(ix + p.pl) - i32(kx);
    let oy = ty / sh;
    let ox = tx / sw;
    let ok = rows.ok & (ty >= vec4<i32>(0)) & (tx >= vec4<i32>(0)) & (oy * sh == ty) & (ox * sw == tx)
        & (oy < vec4<i32>(i32(p.oh))) & (ox < vec4<i32>(i32(p.ow)));
    let pix = (vec4<i32>(img) * i32(p.oh) + oy) * i32(p.ow) + ox;
    return Taps(vec4<u32>(select(vec4<i32>(0), pix * i32(p.oc) + i32(f), ok)), ok);
}

fn conv_data(t: Lane, wide: bool) {
    var acc = zero();
    var k = t.kb;
    var f = k % p.oc;
    var tap = k / p.oc;
    var ky = tap / p.kw;
    var kx = tap % p.kw;
    loop {
        if (k >= t.ke) { break; }
        let run = min(p.oc - f, t.ke - k);
        let a = data_taps(t.a, ky, kx, f);
        let b = data_taps(t.b, ky, kx, f);
        let c = data_taps(t.c, ky, kx, f);
        let d = data_taps(t.d, ky, kx, f);
        let bi = t.cols + k * p.c;
        let bi2 = t.cols2 + k * p.c;
        for (var e = 0u; e < run; e = e + 1u) {
            step(&acc, next(a, e), next(b, e), next(c, e), next(d, e), bi + e * p.c, bi2 + e * p.c, wide);
        }
        k = k + run;
        f = 0u;
        tap = tap + 1u;
        kx = kx + 1u;
        if (kx == p.kw) { kx = 0u; ky = ky + 1u; }
    }
    store(t, acc, wide);
}

// Mode 2: rows are kernel values (ky, kx, ci), K runs over output rows (b, oy) and then
// the run of ox; the columns are output channels. dw[ky, kx, ci, f] = Σ x[b, iy, ix, ci] ·
// dout[b, oy, ox, f] with iy = oy·sh + ky − pt, ix = ox·sw + kx − pl.
// A group of rows' place in the kernel: its channel, tap column and tap row.
struct Filt { ci: vec4<i32>, kx: vec4<i32>, ky: vec4<i32>, ok: vec4<bool> }

fn filt(r: Rows) -> Filt {
    return Filt(vec4<i32>(r.r % p.c), vec4<i32>((r.r / p.c) % p.kw), vec4<i32>(r.r / (p.c * p.kw)), r.ok);
}

// The rows of `v` on output row (img, oy) from column ox: where their input row starts, whether
// it is inside the image, and their first input column.
struct FRow { base: vec4<i32>, ok: vec4<bool>, ix: vec4<i32> }

fn filt_row(v: Filt, img: u32, oy: u32, ox: u32) -> FRow {
    let h = i32(p.h);
    let iy = vec4<i32>(i32(oy * p.sh) - i32(p.pt)) + v.ky;
    let ok = v.ok & (iy >= vec4<i32>(0)) & (iy < vec4<i32>(h));
    let base = ((i32(img) * h + iy) * i32(p.w)) * i32(p.c) + v.ci;
    return FRow(base, ok, vec4<i32>(i32(ox * p.sw) - i32(p.pl)) + v.kx);
}

// Where the rows read x at the e-th output pixel of that run.
fn filt_at(r: FRow, e: u32) -> Taps {
    let ix = r.ix + i32(e * p.sw);
    let ok = r.ok & (ix >= vec4<i32>(0)) & (ix < vec4<i32>(i32(p.w)));
    return Taps(vec4<u32>(select(vec4<i32>(0), r.base + ix * i32(p.c), ok)), ok);
}

fn conv_filter(t: Lane, wide: bool) {
    let fa = filt(t.a);
    let fb = filt(t.b);
    let fc = filt(t.c);
    let fd = filt(t.d);
    var acc = zero();
    var k = t.kb;
    var ox = k % p.ow;
    var oy = (k / p.ow) % p.oh;
    var img = k / (p.ow * p.oh);
    loop {
        if (k >= t.ke) { break; }
        let run = min(p.ow - ox, t.ke - k);
        let bi = t.cols + k * p.n;
        let bi2 = t.cols2 + k * p.n;
        let ra = filt_row(fa, img, oy, ox);
        let rb = filt_row(fb, img, oy, ox);
        let rc = filt_row(fc, img, oy, ox);
        let rd = filt_row(fd, img, oy, ox);
        for (var e = 0u; e < run; e = e + 1u) {
            step(&acc, filt_at(ra, e), filt_at(rb, e), filt_at(rc, e), filt_at(rd, e), bi + e * p.n, bi2 + e * p.n, wide);
        }
        k = k + run;
        ox = 0u;
        oy = oy + 1u;
        if (oy == p.oh) { oy = 0u; img = img + 1u; }
    }
    store(t, acc, wide);
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
    var acc = zero();
    let a = Taps(t.a.r * ars + t.kb * aks, vec4<bool>(true));
    let b = Taps(t.b.r * ars + t.kb * aks, vec4<bool>(true));
    let c = Taps(t.c.r * ars + t.kb * aks, vec4<bool>(true));
    let d = Taps(t.d.r * ars + t.kb * aks, vec4<bool>(true));
    let bi = t.cols * bcs + t.kb * bks;
    let bi2 = t.cols2 * bcs + t.kb * bks;
    for (var e = 0u; e < t.ke - t.kb; e = e + 1u) {
        let o = e * aks;
        step(&acc, next(a, o), next(b, o), next(c, o), next(d, o), bi + e * bks, bi2 + e * bks, wide);
    }
    store(t, acc, wide);
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
    conv_forward(lane_of(wid, nwg, lid, 64u, 8u), true);
}

@compute @workgroup_size(8)
fn lane_conv_forward_n(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    conv_forward(lane_of(wid, nwg, lid, 32u, 16u), false);
}

@compute @workgroup_size(8)
fn lane_conv_data(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    conv_data(lane_of(wid, nwg, lid, 64u, 8u), true);
}

@compute @workgroup_size(8)
fn lane_conv_data_n(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    conv_data(lane_of(wid, nwg, lid, 32u, 16u), false);
}

@compute @workgroup_size(8)
fn lane_conv_filter(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    conv_filter(lane_of(wid, nwg, lid, 64u, 8u), true);
}

@compute @workgroup_size(8)
fn lane_conv_filter_n(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    conv_filter(lane_of(wid, nwg, lid, 32u, 16u), false);
}

@compute @workgroup_size(8)
fn lane_dense_forward(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    dense_forward(lane_of(wid, nwg, lid, 64u, 8u), true);
}

@compute @workgroup_size(8)
fn lane_dense_forward_n(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    dense_forward(lane_of(wid, nwg, lid, 32u, 16u), false);
}

@compute @workgroup_size(8)
fn lane_dense_data(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    dense_data(lane_of(wid, nwg, lid, 64u, 8u), true);
}

@compute @workgroup_size(8)
fn lane_dense_data_n(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    dense_data(lane_of(wid, nwg, lid, 32u, 16u), false);
}

@compute @workgroup_size(8)
fn lane_dense_weight(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    dense_weight(lane_of(wid, nwg, lid, 64u, 8u), true);
}

@compute @workgroup_size(8)
fn lane_dense_weight_n(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    dense_weight(lane_of(wid, nwg, lid, 32u, 16u), false);
}
