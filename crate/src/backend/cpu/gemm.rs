//! The CPU backend's matrix multiply: C (+)= A·B with packed panels and a register-blocked
//! micro-kernel (GotoBLAS's loop order). B is packed once per call into column panels of `NR`,
//! A per block into row panels of `MR`; the micro-kernel keeps an MR×NR tile of C in
//! registers over a depth of up to `KC`. GPU twin: shaders/gemm.wgsl (tiled in workgroup
//! memory instead of packed panels).
//!
//! Kernels: natively on x86_64 chosen at run time, AVX-512 (std::arch, a 6×32 tile) or AVX2 +
//! FMA (the portable Rust body compiled with those features, two 6×16 halves), which give the
//! same bits (one fused multiply-add chain per element); in the browser core::arch::wasm32
//! simd128 (enabled by `.cargo/config.toml`, a 4×8 tile); elsewhere the portable body.
//!
//! Determinism: every element of C is summed over k in increasing order, in one accumulator,
//! whatever the blocking and however the rows are shared among threads, so a threaded call
//! gives exactly the bits of a single-threaded one.

use rayon::prelude::*;

/// Columns of a micro-tile (the packed width of B).
#[cfg(not(target_arch = "wasm32"))]
pub const NR: usize = 32;
#[cfg(target_arch = "wasm32")]
pub const NR: usize = 8;
/// Rows of a micro-tile.
#[cfg(not(target_arch = "wasm32"))]
const MR: usize = 6;
#[cfg(target_arch = "wasm32")]
const MR: usize = 4;
/// Depth of one packed block (an MR×KC panel of A and a KC×NR panel of B stay in L1/L2).
const KC: usize = 256;
/// Rows of A packed at a time (at most), and of the blocks shared among threads.
const MC: usize = 16 * MR;

type Tile = [[f32; NR]; MR];

/// A read-only matrix: element (i, j) is `data[i·rs + j·cs]`.
#[derive(Clone, Copy)]
pub struct View<'a> {
    pub data: &'a [f32],
    pub rs: usize,
    pub cs: usize,
}

impl<'a> View<'a> {
    /// A row-major matrix with `cols` columns.
    pub fn rows(data: &'a [f32], cols: usize) -> View<'a> {
        View { data, rs: cols, cs: 1 }
    }
    /// The transpose of a row-major matrix with `cols` columns.
    pub fn transposed(data: &'a [f32], cols: usize) -> View<'a> {
        View { data, rs: 1, cs: cols }
    }
    #[inline]
    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[i * self.rs + j * self.cs]
    }
}

/// B [k, n] packed: for each depth block of KC, column panels of NR (zero past n), each
/// panel depth-major (`NR` values per depth step).
pub struct PackedB {
    k: usize,
    n: usize,
    panels: usize,
    data: Vec<f32>,
}

impl PackedB {
    pub fn new(k: usize, n: usize, b: View) -> PackedB {
        let panels = n.div_ceil(NR);
        let mut data = vec![0.0f32; k * panels * NR];
        for pc in (0..k).step_by(KC) {
            let kc = KC.min(k - pc);
            let block = &mut data[pc * panels * NR..][..kc * panels * NR];
            for (jp, panel) in block.chunks_exact_mut(kc * NR).enumerate() {
                let j0 = jp * NR;
                let w = NR.min(n - j0);
                for (p, row) in panel.chunks_exact_mut(NR).enumerate() {
                    if b.cs == 1 {
                        let src = &b.data[(pc + p) * b.rs + j0..];
                        if w == NR {
                            copy_fixed::<NR>(row, src);
                        } else {
                            row[..w].copy_from_slice(&src[..w]);
                        }
                    } else {
                        for (j, v) in row[..w].iter_mut().enumerate() {
                            *v = b.at(pc + p, j0 + j);
                        }
                    }
                }
            }
        }
        PackedB { k, n, panels, data }
    }

    fn block(&self, pc: usize, kc: usize) -> &[f32] {
        &self.data[pc * self.panels * NR..][..kc * self.panels * NR]
    }
}

/// c[m, n] (+)= a[m, k] · b[k, n] with C row-major; rows shared among the current rayon
/// pool's threads in blocks of MC when there is more than one block.
pub fn gemm(m: usize, n: usize, k: usize, a: View, b: View, c: &mut [f32], accumulate: bool) {
    let pb = PackedB::new(k, n, b);
    gemm_packed(m, a, &pb, c, accumulate, true);
}

/// c[m, n] (+)= a[m, k] · B with B packed; `parallel` shares the row blocks among threads.
pub fn gemm_packed(m: usize, a: View, b: &PackedB, c: &mut [f32], accumulate: bool, parallel: bool) {
    let n = b.n;
    if m == 0 || n == 0 {
        return;
    }
    let c = &mut c[..m * n];
    if b.k == 0 {
        if !accumulate {
            c.fill(0.0);
        }
        return;
    }
    // Blocks of rows: MC at most; when shared, about four per thread so that none waits long.
    let threads = rayon::current_num_threads();
    let per = if parallel { m.div_ceil(4 * threads).next_multiple_of(MR).clamp(MR, MC) } else { MC };
    let ap_len = per.next_multiple_of(MR) * KC.min(b.k);
    let run = |ap: &mut Vec<f32>, (blk, cb): (usize, &mut [f32])| {
        ap.resize(ap_len, 0.0);
        block_rows(blk * per, cb.len() / n, a, b, cb, accumulate, ap);
    };
    if parallel && m > per {
        c.par_chunks_mut(per * n).enumerate().for_each_init(Vec::new, run);
    } else {
        let mut ap = Vec::new();
        c.chunks_mut(per * n).enumerate().for_each(|job| run(&mut ap, job));
    }
}

/// Rows i0..i0+mc of C (`c` holds just them).
fn block_rows(i0: usize, mc: usize, a: View, b: &PackedB, c: &mut [f32], accumulate: bool, ap: &mut [f32]) {
    let (n, k) = (b.n, b.k);
    for pc in (0..k).step_by(KC) {
        let kc = KC.min(k - pc);
        pack_a(a, i0, mc, pc, kc, ap);
        let bb = b.block(pc, kc);
        let first = pc == 0 && !accumulate;
        for (jp, bpanel) in bb.chunks_exact(kc * NR).enumerate() {
            let j0 = jp * NR;
            let w = NR.min(n - j0);
            for (ip, apanel) in ap[..mc.div_ceil(MR) * MR * kc].chunks_exact(kc * MR).enumerate() {
                let r0 = ip * MR;
                let h = MR.min(mc - r0);
                let mut t: Tile = [[0.0; NR]; MR];
                let full = h == MR && w == NR;
                if !first {
                    for (i, row) in t[..h].iter_mut().enumerate() {
                        let src = &c[(r0 + i) * n + j0..];
                        if full {
                            copy_fixed::<NR>(row, src);
                        } else {
                            row[..w].copy_from_slice(&src[..w]);
                        }
                    }
                }
                kernel(apanel, bpanel, &mut t);
                for (i, row) in t[..h].iter().enumerate() {
                    let dst = &mut c[(r0 + i) * n + j0..];
                    if full {
                        copy_fixed::<NR>(dst, row);
                    } else {
                        dst[..w].copy_from_slice(&row[..w]);
                    }
                }
            }
        }
    }
}

/// A's rows i0..i0+mc, depths pc..pc+kc, as row panels of MR (zero past mc), depth-major.
fn pack_a(a: View, i0: usize, mc: usize, pc: usize, kc: usize, ap: &mut [f32]) {
    for (ip, panel) in ap[..mc.div_ceil(MR) * MR * kc].chunks_exact_mut(kc * MR).enumerate() {
        let r0 = ip * MR;
        let h = MR.min(mc - r0);
        if a.cs == 1 {
            for i in 0..h {
                let src = &a.data[(i0 + r0 + i) * a.rs + pc..][..kc];
                for (p, &v) in src.iter().enumerate() {
                    panel[p * MR + i] = v;
                }
            }
        } else if a.rs == 1 {
            // A transposed in memory: the MR values of a depth step are contiguous.
            for (p, col) in panel.chunks_exact_mut(MR).enumerate() {
                let src = &a.data[(pc + p) * a.cs + i0 + r0..];
                if h == MR {
                    copy_fixed::<MR>(col, src);
                } else {
                    col[..h].copy_from_slice(&src[..h]);
                }
            }
        } else {
            for (p, col) in panel.chunks_exact_mut(MR).enumerate() {
                for (i, v) in col[..h].iter_mut().enumerate() {
                    *v = a.at(i0 + r0 + i, pc + p);
                }
            }
        }
        if h < MR {
            for col in panel.chunks_exact_mut(MR) {
                col[h..].fill(0.0);
            }
        }
    }
}

/// The portable body on columns j0..j0+W of the tile: t += Σ_p a[p, :] ⊗ b[p, j0..j0+W], one
/// accumulator per element, in order of p (W·MR accumulators, so a register file holds them).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
#[inline(always)]
fn body<const FMA: bool, const W: usize>(a: &[f32], b: &[f32], t: &mut Tile, j0: usize) {
    let mut acc = [[0.0f32; W]; MR];
    for (r, tr) in acc.iter_mut().zip(t.iter()) {
        r.copy_from_slice(&tr[j0..j0 + W]);
    }
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        let bp = &bp[j0..j0 + W];
        for (row, &av) in acc.iter_mut().zip(ap) {
            for (c, &bv) in row.iter_mut().zip(bp) {
                *c = if FMA { av.mul_add(bv, *c) } else { *c + av * bv };
            }
        }
    }
    for (r, tr) in acc.iter().zip(t.iter_mut()) {
        tr[j0..j0 + W].copy_from_slice(r);
    }
}

/// AVX2 + FMA: the tile in two halves of 6×16 (12 ymm accumulators each).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn body_avx2(a: &[f32], b: &[f32], t: &mut Tile) {
    body::<true, 16>(a, b, t, 0);
    body::<true, 16>(a, b, t, 16);
}

/// AVX-512: the whole 6×32 tile in 12 zmm accumulators. Each element is the same chain of
/// fused multiply-adds as in `body_avx2`, so both give the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn body_avx512(a: &[f32], b: &[f32], t: &mut Tile) {
    use std::arch::x86_64::*;
    let mut acc = [[_mm512_setzero_ps(); 2]; MR];
    for (r, tr) in acc.iter_mut().zip(t.iter()) {
        // SAFETY: each row of the tile holds 32 floats; loadu needs no alignment.
        unsafe { *r = [_mm512_loadu_ps(tr.as_ptr()), _mm512_loadu_ps(tr.as_ptr().add(16))] };
    }
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        // SAFETY: bp holds NR = 32 floats (chunks_exact).
        let bv = unsafe { [_mm512_loadu_ps(bp.as_ptr()), _mm512_loadu_ps(bp.as_ptr().add(16))] };
        for (r, &av) in acc.iter_mut().zip(ap) {
            let s = _mm512_set1_ps(av);
            r[0] = _mm512_fmadd_ps(s, bv[0], r[0]);
            r[1] = _mm512_fmadd_ps(s, bv[1], r[1]);
        }
    }
    for (r, tr) in acc.iter().zip(t.iter_mut()) {
        // SAFETY: as for the loads.
        unsafe {
            _mm512_storeu_ps(tr.as_mut_ptr(), r[0]);
            _mm512_storeu_ps(tr.as_mut_ptr().add(16), r[1]);
        }
    }
}

/// Which x86_64 kernel this CPU runs: 2 AVX-512, 1 AVX2 + FMA, 0 portable (detected once).
#[cfg(target_arch = "x86_64")]
fn x86_level() -> u8 {
    use std::sync::OnceLock;
    static LEVEL: OnceLock<u8> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        if std::env::var_os("CONVPLAY_NO_AVX512").is_none() && std::arch::is_x86_feature_detected!("avx512f") {
            2
        } else if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            1
        } else {
            0
        }
    })
}

#[cfg(target_arch = "x86_64")]
fn kernel(a: &[f32], b: &[f32], t: &mut Tile) {
    match x86_level() {
        // SAFETY: the CPU has the features (x86_level checked them).
        2 => unsafe { body_avx512(a, b, t) },
        1 => unsafe { body_avx2(a, b, t) },
        _ => (0..NR).step_by(8).for_each(|j0| body::<false, 8>(a, b, t, j0)),
    }
}

/// simd128: MR rows × NR/4 vectors of accumulators, a splat of A times a vector of B.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn kernel(a: &[f32], b: &[f32], t: &mut Tile) {
    use core::arch::wasm32::{f32x4_add, f32x4_mul, f32x4_splat, v128, v128_load, v128_store};
    const V: usize = NR / 4;
    // SAFETY: each slice holds 4 floats (chunks_exact); wasm loads and stores need no alignment.
    let load = |s: &[f32]| unsafe { v128_load(s.as_ptr() as *const v128) };
    let mut acc: [[v128; V]; MR] = [[f32x4_splat(0.0); V]; MR];
    for (row, tr) in acc.iter_mut().zip(t.iter()) {
        for (v, q) in row.iter_mut().zip(tr.chunks_exact(4)) {
            *v = load(q);
        }
    }
    for (ap, bp) in a.chunks_exact(MR).zip(b.chunks_exact(NR)) {
        let mut bv = [f32x4_splat(0.0); V];
        for (v, q) in bv.iter_mut().zip(bp.chunks_exact(4)) {
            *v = load(q);
        }
        for (row, &av) in acc.iter_mut().zip(ap) {
            let s = f32x4_splat(av);
            for (c, &b) in row.iter_mut().zip(&bv) {
                *c = f32x4_add(*c, f32x4_mul(s, b));
            }
        }
    }
    for (row, tr) in acc.iter().zip(t.iter_mut()) {
        for (v, q) in row.iter().zip(tr.chunks_exact_mut(4)) {
            // SAFETY: as for the loads.
            unsafe { v128_store(q.as_mut_ptr() as *mut v128, *v) };
        }
    }
}

#[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
fn kernel(a: &[f32], b: &[f32], t: &mut Tile) {
    (0..NR).step_by(8).for_each(|j0| body::<false, 8>(a, b, t, j0));
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    /// The AVX-512 and AVX2 kernels give the same bits (where this CPU has both), and both
    /// agree with the portable unfused body to rounding.
    #[test]
    fn x86_kernels_agree() {
        let (kc, mut s) = (37, 12345u32);
        let mut next = || {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (s >> 8) as f32 / (1u32 << 24) as f32 - 0.5
        };
        let a: Vec<f32> = (0..kc * MR).map(|_| next()).collect();
        let b: Vec<f32> = (0..kc * NR).map(|_| next()).collect();
        let mut t0: Tile = [[0.0; NR]; MR];
        t0.iter_mut().flatten().for_each(|v| *v = next());
        let mut plain = t0;
        (0..NR).step_by(8).for_each(|j0| body::<false, 8>(&a, &b, &mut plain, j0));
        let mut ran = 0;
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            let mut t2 = t0;
            // SAFETY: checked just above.
            unsafe { body_avx2(&a, &b, &mut t2) };
            for (p, q) in t2.iter().flatten().zip(plain.iter().flatten()) {
                assert!((p - q).abs() <= 1e-5 * q.abs().max(1.0), "avx2 {p} vs portable {q}");
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                let mut t5 = t0;
                // SAFETY: checked just above.
                unsafe { body_avx512(&a, &b, &mut t5) };
                assert_eq!(t5, t2, "AVX-512 and AVX2 kernels differ");
                ran += 1;
            }
            ran += 1;
        }
        eprintln!("x86 kernels compared: {ran} (0: this CPU has neither AVX2 + FMA nor AVX-512)");
    }
}

/// Copies the first `N` values of `src` into the first `N` of `dst` as one fixed-size move
/// (both hold at least `N`; the tiles above make sure). A shorter slice copies what both hold
/// rather than panicking.
#[inline(always)]
pub(crate) fn copy_fixed<const N: usize>(dst: &mut [f32], src: &[f32]) {
    match (dst.get_mut(..N), src.get(..N)) {
        (Some(d), Some(s)) => {
            if let (Ok(d), Ok(s)) = (<&mut [f32; N]>::try_from(d), <&[f32; N]>::try_from(s)) {
                *d = *s;
            }
        }
        _ => {
            let n = dst.len().min(src.len());
            dst[..n].copy_from_slice(&src[..n]);
        }
    }
}
