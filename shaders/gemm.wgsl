// gemm.wgsl — one tiled matrix multiply, C[M, N] = act(A[M, K] · B[K, N] (+ bias[N])),
// where A and B are *implicit*: each mode reads them straight from the layer's
// tensors, so convolutions need no im2col buffer. The epilogue adds the bias and applies
// the activation p.act (`act_fwd`), so a conv or dense layer's forward pass (modes 0, 3)
// is one dispatch; the other modes run with p.act = 0 (none).
//
// Modes (p.mode):
//   0 conv2d forward        M = n·oh·ow, K = kh·kw·c,  N = oc   A = x patches,   B = w [kh,kw,c,oc]
//   1 conv2d backward data  M = n·h·w,   K = kh·kw·oc, N = c    A = dout patches, B = w (per c)
//   2 conv2d backward filt. M = kh·kw·c, K = n·oh·ow,  N = oc   A = x patches ᵀ,  B = dout
//   3 dense forward         M = n,       K = in,       N = out  A = x,  B = w [in, out]
//   4 dense backward data   M = n,       K = out,      N = in   A = dout, B = wᵀ
//   5 dense backward weight M = in,      K = n,        N = out  A = xᵀ, B = dout
// Layouts: NHWC activations, HWIO kernels (the CPU reference's).
// CPU twins: crate/src/backend/cpu/conv.rs (modes 0–2; the CPU backend runs them through
// the im2col path of fast.rs) and crate/src/backend/cpu/dense.rs (modes 3–5).
//
// Bindings (group 0): 0 uniform p: GemmParams (its Rust twin in
// crate/src/backend/gpu/params.rs); 1 a: x or dout; 2 b: w or dout; 3 bias (modes 0, 3
// with p.has_bias); 4 out (read_write).
// Dispatch: one workgroup of 16×16 per 64×64 tile of C, ceil(N / 64)·ceil(M / 64) of them
// in a line (tile t is row t / ceil(N / 64), column t % ceil(N / 64)) folded into the
// grid's x, y and z past the device's maxComputeWorkgroupsPerDimension; each invocation
// computes a 4×4 block of C; K is walked in tiles of 16 through workgroup memory.
//
// Split K (p.splits > 1, no bias): when C has few tiles and K is long (the conv filter
// gradient, mode 2: K = batch·oh·ow), the line holds p.splits copies of the tiles; copy s
// sums K from s·p.kchunk to (s + 1)·p.kchunk and writes its partial C to out[s·M·N + …]
// (with p.act = 0: bare sums); `splitk_reduce` then adds the p.splits partials into C and
// applies the activation (binding 1 the partials, 4 C).

// GemmParams and the bindings: gemm_common.wgsl, which ends the module.

const TM: u32 = 64u;
const TK: u32 = 16u;
var<workgroup> As: array<f32, 1024>; // [TK][TM]
var<workgroup> Bs: array<f32, 1024>; // [TK][TM]

// Input pixel (iy, ix) for output (oy, ox) and kernel tap (ky, kx); -1 when in the padding.
fn in_pos(o: u32, k: u32, s: u32, pad: u32, size: u32) -> i32 {
    let v = i32(o * s + k) - i32(pad);
    if (v < 0 || v >= i32(size)) { return -1; }
    return v;
}

fn load_a(row: u32, col: u32) -> f32 {
    if (row >= p.m || col >= p.k) { return 0.0; }
    switch p.mode {
        case 0u: {
            let ox = row % p.ow; let t = row / p.ow; let oy = t % p.oh; let b = t / p.oh;
            let ci = col % p.c; let t2 = col / p.c; let kx = t2 % p.kw; let ky = t2 / p.kw;
            let iy = in_pos(oy, ky, p.sh, p.pt, p.h); let ix = in_pos(ox, kx, p.sw, p.pl, p.w);
            if (iy < 0 || ix < 0) { return 0.0; }
            return a_buf[((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ci];
        }
        case 1u: {
            // dx[b, iy, ix, ci] gathers dout[b, oy, ox, f] with oy·sh + ky − pt = iy.
            let ix = row % p.w; let t = row / p.w; let iy = t % p.h; let b = t / p.h;
            let f = col % p.oc; let t2 = col / p.oc; let kx = t2 % p.kw; let ky = t2 / p.kw;
            let ty = i32(iy + p.pt) - i32(ky); let tx = i32(ix + p.pl) - i32(kx);
            if (ty < 0 || tx < 0) { return 0.0; }
            if (u32(ty) % p.sh != 0u || u32(tx) % p.sw != 0u) { return 0.0; }
            let oy = u32(ty) / p.sh; let ox = u32(tx) / p.sw;
            if (oy >= p.oh || ox >= p.ow) { return 0.0; }
            return a_buf[((b * p.oh + oy) * p.ow + ox) * p.oc + f];
        }
        case 2u: {
            let ci = row % p.c; let t = row / p.c; let kx = t % p.kw; let ky = t / p.kw;
            let ox = col % p.ow; let t2 = col / p.ow; let oy = t2 % p.oh; let b = t2 / p.oh;
            let iy = in_pos(oy, ky, p.sh, p.pt, p.h); let ix = in_pos(ox, kx, p.sw, p.pl, p.w);
            if (iy < 0 || ix < 0) { return 0.0; }
            return a_buf[((b * p.h + u32(iy)) * p.w + u32(ix)) * p.c + ci];
        }
        case 5u: {
            return a_buf[col * p.m + row];
        }
        default: {
            return a_buf[row * p.k + col];
        }
    }
}

fn load_b(row: u32, col: u32) -> f32 {
    if (row >= p.k || col >= p.n) { return 0.0; }
    switch p.mode {
        case 1u: {
            // row = (ky·kw + kx)·oc + f, col = ci → w[ky, kx, ci, f]
            let f = row % p.oc; let tap = row / p.oc;
            return b_buf[(tap * p.c + col) * p.oc + f];
        }
        case 4u: {
            return b_buf[col * p.k + row];
        }
        default: {
            return b_buf[row * p.n + col];
        }
    }
}

@compute @workgroup_size(16, 16)
fn gemm(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    // The tile's place in the line of tiles, unfolded from the grid (uniform per workgroup,
    // so the early return keeps every barrier below in uniform control flow).
    let line = (wid.z * nwg.y + wid.y) * nwg.x + wid.x;
    let tiles_n = (p.n + TM - 1u) / TM;
    let tiles = tiles_n * ((p.m + TM - 1u) / TM);
    let splits = max(p.splits, 1u);
    if (line >= tiles * splits) { return; }
    let split = line / tiles;
    let tile = line % tiles;
    let row0 = (tile / tiles_n) * TM;
    let col0 = (tile % tiles_n) * TM;
    let tid = lid.y * 16u + lid.x;
    // This workgroup's part of K (all of it without a split); kchunk is a multiple of TK.
    var k_begin = 0u;
    var k_end = p.k;
    if (splits > 1u) {
        k_begin = split * p.kchunk;
        k_end = min(p.k, k_begin + p.kchunk);
    }
    let base = split * p.m * p.n;
    var acc: array<f32, 16>;
    for (var k0 = k_begin; k0 < k_end; k0 = k0 + TK) {
        for (var i = 0u; i < 4u; i = i + 1u) {
            let e = tid + i * 256u;
            // A: consecutive invocations take consecutive k of one row.
            let ar = e / TK; let ak = e % TK;
            As[ak * TM + ar] = load_a(row0 + ar, k0 + ak);
            // B: consecutive invocations take consecutive columns of one k.
            let bk = e / TM; let bc = e % TM;
            Bs[bk * TM + bc] = load_b(k0 + bk, col0 + bc);
        }
        workgroupBarrier();
        for (var kk = 0u; kk < TK; kk = kk + 1u) {
            var av: array<f32, 4>;
            var bv: array<f32, 4>;
            for (var i = 0u; i < 4u; i = i + 1u) {
                av[i] = As[kk * TM + lid.y * 4u + i];
                bv[i] = Bs[kk * TM + lid.x * 4u + i];
            }
            for (var i = 0u; i < 4u; i = i + 1u) {
                for (var j = 0u; j < 4u; j = j + 1u) {
                    acc[i * 4u + j] = fma(av[i], bv[j], acc[i * 4u + j]);
                }
            }
        }
        workgroupBarrier();
    }
    for (var i = 0u; i < 4u; i = i + 1u) {
        let r = row0 + lid.y * 4u + i;
        if (r >= p.m) { continue; }
        for (var j = 0u; j < 4u; j = j + 1u) {
            let c = col0 + lid.x * 4u + j;
            if (c >= p.n) { continue; }
            var v = acc[i * 4u + j];
            if (p.has_bias != 0u) { v = v + bias[c]; }
            out[base + r * p.n + c] = act_fwd(v);
        }
    }
}

// C[i] = act(Σ_s partial[s·M·N + i]) over the p.splits partials of a split-K product (which
// the host splits only without a bias); one invocation per value of C, workgroups of 256 in
// a line folded into the grid.
@compute @workgroup_size(256)
fn splitk_reduce(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let i = ((wid.z * nwg.y + wid.y) * nwg.x + wid.x) * 256u + lid.x;
    let len = p.m * p.n;
    if (i >= len) { return; }
    var sum = 0.0;
    for (var s = 0u; s < p.splits; s = s + 1u) {
        sum = sum + a_buf[s * len + i];
    }
    out[i] = act_fwd(sum);
}
