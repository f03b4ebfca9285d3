// gemm_reg_conv.wgsl — the convolution entry points of the register-tiled GEMM kernel
// (modes 0–2). It is not a module of its own: crate/src/backend/gpu/pipelines.rs compiles
// it after gemm_reg.wgsl as the one module "gemm_reg", whose header describes both files
// (layouts, tiles, the bindings and the helpers these use: Part, part_rows, part8, upper,
// right, shifted, store). CPU twin: crate/src/backend/cpu/conv.rs (modes 0–2).

// A value of A where `ok`, else 0 (the index is in bounds either way).
fn a_at(i: u32, ok: bool) -> f32 {
    return select(0.0, a_buf[select(0u, i, ok)], ok);
}

// Mode 0: rows are output pixels (b, oy, ox), K runs over taps (ky, kx) and then channels.
// Each invocation keeps 16 rows × 8 columns (a 128×32 tile per workgroup of 4×8): per step
// of K 16 loads of A and 8 of B for 128 multiply-adds.
@compute @workgroup_size(4, 8)
fn gemm_conv_forward(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
    let t0 = part8(wid, nwg, lid, 128u);
    if (!t0.ok) { return; }
    let r = right(t0);
    let h = i32(p.h);
    let w = i32(p.w);
    let iy0 = vec4<i32>(((t0.rows / p.ow) % p.oh) * p.sh) - i32(p.pt);
    let ix0 = vec4<i32>((t0.rows % p.ow) * p.sw) - i32(p.pl);
    let im0 = vec4<i32>(t0.rows / (p.ow * p.oh));
    let t1 = shifted(t0, 32u);
    let iy1 = vec4<i32>(((t1.rows / p.ow) % p.oh) * p.sh) - i32(p.pt);
    let ix1 = vec4<i32>((t1.rows % p.ow) * p.sw) - i32(p.pl);
    let im1 = vec4<i32>(t1.rows / (p.ow * p.oh));
    let t2 = shifted(t0, 64u);
    let iy2 = vec4<i32>(((t2.rows / p.ow) % p.oh) * p.sh) - i32(p.pt);
    let ix2 = vec4<i32>((t2.rows % p.ow) * p.sw) - i32(p.pl);
    let im2 = vec4<i32>(t2.rows / (p.ow * p.oh));
    let t3 = shifted(t0, 96u);
    let iy3 = vec4<i32>(((t3.rows / p.ow) % p.oh) * p.sh) - i32(p.pt);
    let ix3 = vec4<i32>((t3.rows % p.ow) * p.sw) - i32(p.pl);
    let im3 = vec4<i32>(t3.rows / (p.ow * p.oh));
    var l0 = vec4<f32>(0.0);
    var l1 = vec4<f32>(0.0);
    var l2 = vec4<f32>(0.0);
    var l3 = vec4<f32>(0.0);
    var l4 = vec4<f32>(0.0);
    var l5 = vec4<f32>(0.0);
    var l6 = vec4<f32>(0.0);
    var l7 = vec4<f32>(0.0);
    var l8 = vec4<f32>(0.0);
    var l9 = vec4<f32>(0.0);
    var l10 = vec4<f32>(0.0);
    var l11 = vec4<f32>(0.0);
    var l12 = vec4<f32>(0.0);
    var l13 = vec4<f32>(0.0);
    var l14 = vec4<f32>(0.0);
    var l15 = vec4<f32>(0.0);
    var r0 = vec4<f32>(0.0);
    var r1 = vec4<f32>(0.0);
    var r2 = vec4<f32>(0.0);
    var r3 = vec4<f32>(0.0);
    var r4 = vec4<f32>(0.0);
    var r5 = vec4<f32>(0.0);
    var r6 = vec4<f32>(0.0);
    var r7 = vec4<f32>(0.0);
    var r8 = vec4<f32>(0.0);
    var r9 = vec4<f32>(0.0);
    var r10 = vec4<f32>(0.0);
    var r11 = vec4<f32>(0.0);
    var r12 = vec4<f32>(0.0);
    var r13 = vec4<f32>(0.0);
    var r14 = vec4<f32>(0.0);
    var r15 = vec4<f32>(0.0);
    var k = t0.kb;
    var ci = k % p.c;
    let tap = k / p.c;
    var ky = tap / p.kw;
    var kx = tap % p.kw;
    loop {
        if (k >= t0.ke) { break; }
        let run = min(p.c - ci, t0.ke - k);
        let y0 = iy0 + i32(ky);
        let x0 = ix0 + i32(kx);
        let ok0 = t0.row_ok & (y0 >= vec4<i32>(0)) & (y0 < vec4<i32>(h)) & (x0 >= vec4<i32>(0)) & (x0 < vec4<i32>(w));
        let o0 = vec4<u32>(select(vec4<i32>(0), ((im0 * h + y0) * w + x0) * i32(p.c) + i32(ci), ok0));
        let y1 = iy1 + i32(ky);
        let x1 = ix1 + i32(kx);
        let ok1 = t1.row_ok & (y1 >= vec4<i32>(0)) & (y1 < vec4<i32>(h)) & (x1 >= vec4<i32>(0)) & (x1 < vec4<i32>(w));
        let o1 = vec4<u32>(select(vec4<i32>(0), ((im1 * h + y1) * w + x1) * i32(p.c) + i32(ci), ok1));
        let y2 = iy2 + i32(ky);
        let x2 = ix2 + i32(kx);
        let ok2 = t2.row_ok & (y2 >= vec4<i32>(0)) & (y2 < vec4<i32>(h)) & (x2 >= vec4<i32>(0)) & (x2 < vec4<i32>(w));
        let o2 = vec4<u32>(select(vec4<i32>(0), ((im2 * h + y2) * w + x2) * i32(p.c) + i32(ci), ok2));
        let y3 = iy3 + i32(ky);
        let x3 = ix3 + i32(kx);
        let ok3 = t3.row_ok & (y3 >= vec4<i32>(0)) & (y3 < vec4<i32>(h)) & (x3 >= vec4<i32>(0)) & (x3 < vec4<i32>(w));
        let o3 = vec4<u32>(select(vec4<i32>(0), ((im3 * h + y3) * w + x3) * i32(p.c) + i32(ci), ok3));
        var bl = t0.cols + k * p.n;
        var br = r.cols + k * p.n;
        for (var e = 0u; e < run; e = e + 1u) {
            let x = vec4<f32>(b_buf[bl.x], b_buf[bl.y], b_buf[bl.z], b_buf[bl.w]);
            let y = vec4<f32>(b_buf[br.x], b_buf[br.y], b_buf[br.z], b_buf[br.w]);
            let v0 = vec4<f32>(a_at(o0.x + e, ok0.x));
            l0 = fma(v0, x, l0);
            r0 = fma(v0, y, r0);
            let v1 = vec4<f32>(a_at(o0.y + e, ok0.y));
            l1 = fma(v1, x, l1);
            r1 = fma(v1, y, r1);
            let v2 = vec4<f32>(a_at(o0.z + e, ok0.z));
            l2 = fma(v2, x, l2);
            r2 = fma(v2, y, r2);
            let v3 = vec4<f32>(a_at(o0.w + e, ok0.w));
            l3 = fma(v3, x, l3);
            r3 = fma(v3, y, r3);
            let v4 = vec4<f32>(a_at(o1.x + e, ok1.x));
            l4 = fma(v4, x, l4);
            r4 = fma(v4, y, r4);
            let v5 = vec4<f32>(a_at(o1.y + e, ok1.y));
            l5 = fma(v5, x, l5);
            r5 = fma(v5, y, r5);
            let v6 = vec4<f32>(a_at(o1.z + e, ok1.z));
            l6 = fma(v6, x, l6);
            r6 = fma(v6, y, r6);
            let v7 = vec4<f32>(a_at(o1.w + e, ok1.w));
            l7 = fma(v7, x, l7);
            r7 = fma(v7, y, r7);
            let v8 = vec4<f32>(a_at(o2.x + e, ok2.x));
            l8 = fma(v8, x, l8);
            r8 = fma(v8, y, r8);
            let v9 = vec4<f32>(a_at(o2.y + e, ok2.y));
            l9 = fma(v9, x, l9);
            r9 = fma(v9, y, r9);
            let v10 = vec4<f32>(a_at(o2.z + e, ok2.z));
            l10 = fma(v10, x, l10);
            r10 = fma(v10, y, r10);
            let v11 = vec4<f32>(a_at(o2.w + e, ok2.w));
            l11 = fma(v11, x, l11);
            r11 = fma(v11, y, r11);
            let v12 = vec4<f32>(a_at(o3.x + e, ok3.x));
            l12 = fma(v12, x, l12);
            r12 = fma(v12, y, r12);
            let v13 = vec4<f32>(a_at(o3.y + e, ok3.y));
            l13 = fma(v13, x, l13);
            r13 = fma(v13, y, r13);
            let v14 = vec4<f32>(a_at(o3.z + e, ok3.z));
            l14 = fma(v14, x, l14);
            r14 = fma(v14, y, r14);
            let v15 = vec4<f32>(a_at(o3.w + e, ok3.w));
            l15 = fma(v15, x, l15);
            r15 = fma(v15, y, r15);
            bl = bl + p.n;
            br = br + p.n;
        }
        k = k + run;
        ci = 0u;
        kx = kx + 1u;
        if (kx == p.kw) { kx = 0u; ky = ky + 1u; }
    }
    store(t0, l0, l1, l2, l3);
    store(right(t0), r0, r1, r2, r3);
    store(t1, l4, l5, l6, l7);
    store(right(t1), r4, r5, r6, r7);
    store(t2, l8, l9, l10, l11);
    store(right(t2), r8, r9, r10, r11);
    store(t3, l12, l13, l14, l15);
    store(right(t3), r12, r13, r14, r15);
}

// Mode 1: rows are input pixels (b, iy, ix), K runs over taps (ky, kx) and then the output
// channels f; the columns are input channels. dx[b, iy, ix, ci] gathers dout[b, oy, ox, f]
// where oy·sh + ky − pt = iy (a tap that no output reaches adds nothing). 16 rows × 8
// columns per invocation of a 4×8 workgroup (a 128×32 tile).
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
    let t0 = part8(wid, nwg, lid, 128u);
    if (!t0.ok) { return; }
    let r = right(t0);
    let t1 = shifted(t0, 32u);
    let t2 = shifted(t0, 64u);
    let t3 = shifted(t0, 96u);
    let bl0 = t0.cols * p.oc;
    let br0 = r.cols * p.oc;
    var l0 = vec4<f32>(0.0);
    var l1 = vec4<f32>(0.0);
    var l2 = vec4<f32>(0.0);
    var l3 = vec4<f32>(0.0);
    var l4 = vec4<f32>(0.0);
    var l5 = vec4<f32>(0.0);
    var l6 = vec4<f32>(0.0);
    var l7 = vec4<f32>(0.0);
    var l8 = vec4<f32>(0.0);
    var l9 = vec4<f32>(0.0);
    var l10 = vec4<f32>(0.0);
    var l11 = vec4<f32>(0.0);
    var l12 = vec4<f32>(0.0);
    var l13 = vec4<f32>(0.0);
    var l14 = vec4<f32>(0.0);
    var l15 = vec4<f32>(0.0);
    var r0 = vec4<f32>(0.0);
    var r1 = vec4<f32>(0.0);
    var r2 = vec4<f32>(0.0);
    var r3 = vec4<f32>(0.0);
    var r4 = vec4<f32>(0.0);
    var r5 = vec4<f32>(0.0);
    var r6 = vec4<f32>(0.0);
    var r7 = vec4<f32>(0.0);
    var r8 = vec4<f32>(0.0);
    var r9 = vec4<f32>(0.0);
    var r10 = vec4<f32>(0.0);
    var r11 = vec4<f32>(0.0);
    var r12 = vec4<f32>(0.0);
    var r13 = vec4<f32>(0.0);
    var r14 = vec4<f32>(0.0);
    var r15 = vec4<f32>(0.0);
    var k = t0.kb;
    var f = k % p.oc;
    var tap = k / p.oc;
    var ky = tap / p.kw;
    var kx = tap % p.kw;
    loop {
        if (k >= t0.ke) { break; }
        let run = min(p.oc - f, t0.ke - k);
        let d0 = data_taps(t0.rows, t0.row_ok, ky, kx, f);
        let d1 = data_taps(t1.rows, t1.row_ok, ky, kx, f);
        let d2 = data_taps(t2.rows, t2.row_ok, ky, kx, f);
        let d3 = data_taps(t3.rows, t3.row_ok, ky, kx, f);
        var bl = bl0 + tap * p.c * p.oc + f;
        var br = br0 + tap * p.c * p.oc + f;
        for (var e = 0u; e < run; e = e + 1u) {
            let x = vec4<f32>(b_buf[bl.x], b_buf[bl.y], b_buf[bl.z], b_buf[bl.w]);
            let y = vec4<f32>(b_buf[br.x], b_buf[br.y], b_buf[br.z], b_buf[br.w]);
            let v0 = vec4<f32>(a_at(d0.off.x + e, d0.ok.x));
            l0 = fma(v0, x, l0);
            r0 = fma(v0, y, r0);
            let v1 = vec4<f32>(a_at(d0.off.y + e, d0.ok.y));
            l1 = fma(v1, x, l1);
            r1 = fma(v1, y, r1);
            let v2 = vec4<f32>(a_at(d0.off.z + e, d0.ok.z));
            l2 = fma(v2, x, l2);
            r2 = fma(v2, y, r2);
            let v3 = vec4<f32>(a_at(d0.off.w + e, d0.ok.w));
            l3 = fma(v3, x, l3);
            r3 = fma(v3, y, r3);
            let v4 = vec4<f32>(a_at(d1.off.x + e, d1.ok.x));
            l4 = fma(v4, x, l4);
            r4 = fma(v4, y, r4);
            let v5 = vec4<f32>(a_at(d1.off.y + e, d1.ok.y));
            l5 = fma(v5, x, l5);
            r5 = fma(v5, y, r5);
            let v6 = vec4<f32>(a_at(d1.off.z + e, d1.ok.z));
            l6 = fma(v6, x, l6);
            r6 = fma(v6, y, r6);
            let v7 = vec4<f32>(a_at(d1.off.w + e, d1.ok.w));
            l7 = fma(v7, x, l7);
            r7 = fma(v7, y, r7);
            let v8 = vec4<f32>(a_at(d2.off.x + e, d2.ok.x));
            l8 = fma(v8, x, l8);
            r8 = fma(v8, y, r8);
            let v9 = vec4<f32>(a_at(d2.off.y + e, d2.ok.y));
            l9 = fma(v9, x, l9);
            r9 = fma(v9, y, r9);
            let v10 = vec4<f32>(a_at(d2.off.z + e, d2.ok.z));
            l10 = fma(v10, x, l10);
            r10 = fma(v10, y, r10);
            let v11 = vec4<f32>(a_at(d2.off.w + e, d2.ok.w));
            l11 = fma(v11, x, l11);
            r11 = fma(v11, y, r11);
            let v12 = vec4<f32>(a_at(d3.off.x + e, d3.ok.x));
            l12 = fma(v12, x, l12);
            r12 = fma(v12, y, r12);
            let v13 = vec4<f32>(a_at(d3.off.y + e, d3.ok.y));
            l13 = fma(v13, x, l13);
            r13 = fma(v13, y, r13);
            let v14 = vec4<f32>(a_at(d3.off.z + e, d3.ok.z));
            l14 = fma(v14, x, l14);
            r14 = fma(v14, y, r14);
            let v15 = vec4<f32>(a_at(d3.off.w + e, d3.ok.w));
            l15 = fma(v15, x, l15);
            r15 = fma(v15, y, r15);
            bl = bl + 1u;
            br = br + 1u;
        }
        k = k + run;
        f = 0u;
        tap = tap + 1u;
        kx = kx + 1u;
        if (kx == p.kw) { kx = 0u; ky = ky + 1u; }
    }
    store(t0, l0, l1, l2, l3);
    store(right(t0), r0, r1, r2, r3);
    store(t1, l4, l5, l6, l7);
    store(right(t1), r4, r5, r6, r7);
    store(t2, l8, l9, l10, l11);
    store(right(t2), r8, r9, r10, r11);
    store(t3, l12, l13, l14, l15);
    store(right(t3), r12, r13, r14, r15);
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
    let t = part8(wid, nwg, lid, 64u);
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
