//! Random affine augmentation (GPU twin: shaders/augment.wgsl): per instance a
//! shift, rotation and scale about the map's centre, drawn from (seed, instance) by the
//! counter-based hash, and bilinear resampling with zeros outside.

use super::rng::pcg_hash;

/// Ranges of the random transform: shift up to ±`shift` pixels on each axis, rotation
/// up to ±`rotate_deg` degrees, scale within 1 ± `scale`.
#[derive(Clone, Copy, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Augment {
    pub shift: f32,
    pub rotate_deg: f32,
    pub scale: f32,
}

impl Augment {
    pub fn is_off(&self) -> bool {
        self.shift == 0.0 && self.rotate_deg == 0.0 && self.scale == 0.0
    }

    /// Checks the ranges; a bad one is an error that says what is allowed.
    pub fn validate(&self, h: usize, w: usize) -> crate::Result<()> {
        let bad = |what: &str, v: f32, fix: &str| {
            Err(crate::Error::Invalid(format!("augmentation {what} {v} is not allowed: {fix}")))
        };
        let max_shift = (h.min(w) / 2) as f32;
        if !self.shift.is_finite() || self.shift < 0.0 || self.shift > max_shift {
            return bad("shift", self.shift, &format!("use 0 to {max_shift} pixels"));
        }
        if !self.rotate_deg.is_finite() || self.rotate_deg < 0.0 || self.rotate_deg > 180.0 {
            return bad("rotation", self.rotate_deg, "use 0 to 180 degrees");
        }
        if !self.scale.is_finite() || self.scale < 0.0 || self.scale >= 0.9 {
            return bad("scale", self.scale, "use 0 to 0.9 (0.1 means 90% to 110%)");
        }
        Ok(())
    }
}

/// Draw k (0..4) of an instance, uniform in [−1, 1).
fn symmetric_draw(seed: u32, instance: u32, k: u32) -> f32 {
    let h = pcg_hash((instance.wrapping_mul(4).wrapping_add(k)) ^ pcg_hash(seed));
    2.0 * ((h >> 8) as f32 * (1.0 / 16_777_216.0)) - 1.0
}

/// The transform of one instance: (shift x, shift y, angle in radians, scale).
pub fn transform(a: &Augment, seed: u32, instance: u32) -> (f32, f32, f32, f32) {
    (
        symmetric_draw(seed, instance, 0) * a.shift,
        symmetric_draw(seed, instance, 1) * a.shift,
        symmetric_draw(seed, instance, 2) * a.rotate_deg.to_radians(),
        1.0 + symmetric_draw(seed, instance, 3) * a.scale,
    )
}

/// Resamples one [h, w, c] map under a given transform (shift dx, dy in pixels, angle in
/// radians, scale), about the centre, bilinearly, zeros outside.
pub fn warp(h: usize, w: usize, c: usize, (dx, dy, angle, s): (f32, f32, f32, f32), x: &[f32], out: &mut [f32]) {
    let (cy, cx) = (0.5 * (h - 1) as f32, 0.5 * (w - 1) as f32);
    let (co, si) = (angle.cos(), angle.sin());
    let at = |r: i64, col: i64, ch: usize| -> f32 {
        if r < 0 || col < 0 || r >= h as i64 || col >= w as i64 {
            0.0
        } else {
            x[(r as usize * w + col as usize) * c + ch]
        }
    };
    for row in 0..h {
        for col in 0..w {
            let ry = (row as f32 - cy - dy) / s;
            let rx = (col as f32 - cx - dx) / s;
            let sy = co * ry - si * rx + cy;
            let sx = si * ry + co * rx + cx;
            let (y0, x0) = (sy.floor(), sx.floor());
            let (fy, fx) = (sy - y0, sx - x0);
            let (r, cc) = (y0 as i64, x0 as i64);
            for ch in 0..c {
                let top = at(r, cc, ch) * (1.0 - fx) + at(r, cc + 1, ch) * fx;
                let bottom = at(r + 1, cc, ch) * (1.0 - fx) + at(r + 1, cc + 1, ch) * fx;
                out[(row * w + col) * c + ch] = top * (1.0 - fy) + bottom * fy;
            }
        }
    }
}

/// Augments a batch of n maps [h, w, c].
pub fn affine(a: &Augment, seed: u32, n: usize, h: usize, w: usize, c: usize, x: &[f32], out: &mut [f32]) {
    let per = h * w * c;
    for i in 0..n {
        warp(h, w, c, transform(a, seed, i as u32), &x[i * per..(i + 1) * per], &mut out[i * per..(i + 1) * per]);
    }
}
