//! Synthetic scenes for semantic segmentation, made from MNIST digits on the fly: a square
//! canvas with a few digits placed at seeded random positions and scales (they may overlap a
//! little), and a label map of the same size where every ink pixel (at least
//! [`INK_THRESHOLD`]) carries its digit 0–9 and everything else [`BACKGROUND`] (class 10).
//! Where two digits' ink meets, the brighter ink wins the pixel and its label.
//!
//! The same seed and the same digits give the same scenes on every machine (the counter-based
//! stream of `backend::cpu::rng`); the training scenes are drawn from MNIST's training set, the
//! held-out scenes from its test set with [`EVAL_SEED`].

use crate::backend::cpu::rng::Stream;
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};

/// The label of every pixel that is not a digit's ink.
pub const BACKGROUND: u8 = 10;
/// Digits 0–9 and the background.
pub const CLASSES: usize = 11;
/// A pixel is ink, and labelled with its digit, from this value up (of 255).
pub const INK_THRESHOLD: u8 = 96;
/// The seed of the held-out scenes (drawn from the MNIST test set).
pub const EVAL_SEED: u32 = 20_261_204;
/// The side of an MNIST digit.
const DIGIT: usize = 28;
/// The most scenes one call makes (pixels and labels: 2 × 256² bytes each at the largest size).
pub const MAX_SCENES: usize = 100_000;

/// How scenes are made.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
pub struct SceneConfig {
    /// The canvas's side in pixels (28 to 256).
    pub size: usize,
    /// Digits per scene: a number from `min_digits` to `max_digits`, both included (1 to 8).
    pub min_digits: usize,
    pub max_digits: usize,
    /// Each digit is scaled by a factor from `min_scale` to `max_scale` (0.5 to 2).
    pub min_scale: f32,
    pub max_scale: f32,
    /// How much two digits' central 20×20 boxes (scaled) may overlap, as a fraction of the
    /// smaller box (0 to 1); a digit that finds no such place in 30 tries is left out.
    pub max_overlap: f32,
}

impl Default for SceneConfig {
    fn default() -> SceneConfig {
        SceneConfig { size: 56, min_digits: 2, max_digits: 4, min_scale: 0.8, max_scale: 1.2, max_overlap: 0.15 }
    }
}

impl SceneConfig {
    /// Checks every field, naming the one at fault and its range.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: String| Err(Error::Invalid(format!("scene settings: {what}")));
        if !(DIGIT..=256).contains(&self.size) {
            return bad(format!("size {} is out of range: use a canvas of 28 to 256 pixels a side", self.size));
        }
        if self.min_digits < 1 || self.max_digits > 8 || self.min_digits > self.max_digits {
            return bad(format!(
                "digits {} to {}: use 1 ≤ minDigits ≤ maxDigits ≤ 8",
                self.min_digits, self.max_digits
            ));
        }
        let scale_ok = |s: f32| (0.5..=2.0).contains(&s);
        if !scale_ok(self.min_scale) || !scale_ok(self.max_scale) || self.min_scale > self.max_scale {
            return bad(format!("scales {} to {}: use 0.5 ≤ minScale ≤ maxScale ≤ 2", self.min_scale, self.max_scale));
        }
        if (self.max_scale * DIGIT as f32).round() as usize > self.size {
            return bad(format!(
                "a digit scaled by {} is larger than the {}-pixel canvas: lower maxScale or enlarge the canvas",
                self.max_scale, self.size
            ));
        }
        if !(0.0..=1.0).contains(&self.max_overlap) {
            return bad(format!("maxOverlap {} is out of range: use a fraction from 0 to 1", self.max_overlap));
        }
        Ok(())
    }
}

/// `count` scenes of `size × size` u8 pixels (0 = background, as MNIST) and as many labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenes {
    pub size: usize,
    pub count: usize,
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

impl Scenes {
    /// Scene `i`'s pixels and labels (size² each).
    pub fn scene(&self, i: usize) -> Option<(&[u8], &[u8])> {
        let n = self.size * self.size;
        let r = i.checked_mul(n)?..(i + 1).checked_mul(n)?;
        Some((self.pixels.get(r.clone())?, self.labels.get(r)?))
    }
}

/// A digit as placed: its source image, class, scale and top-left corner.
struct Placed {
    index: usize,
    digit: u8,
    side: usize,
    x: usize,
    y: usize,
}

impl Placed {
    /// The scaled central 20×20 box, where MNIST's ink lies: (x0, y0, x1, y1).
    fn core(&self) -> (f32, f32, f32, f32) {
        let m = self.side as f32 * 4.0 / DIGIT as f32;
        let (x, y, s) = (self.x as f32, self.y as f32, self.side as f32);
        (x + m, y + m, x + s - m, y + s - m)
    }

    fn overlap(&self, other: &Placed) -> f32 {
        let (a, b) = (self.core(), other.core());
        let w = (a.2.min(b.2) - a.0.max(b.0)).max(0.0);
        let h = (a.3.min(b.3) - a.1.max(b.1)).max(0.0);
        let area = |c: (f32, f32, f32, f32)| (c.2 - c.0) * (c.3 - c.1);
        w * h / area(a).min(area(b)).max(1e-6)
    }
}

/// Makes `count` scenes from `digits` (28×28 u8 images, as many as `labels`, labels 0–9),
/// drawn with `seed`.
pub fn generate(digits: &[u8], labels: &[u8], count: usize, seed: u32, config: &SceneConfig) -> Result<Scenes> {
    config.validate()?;
    let per = DIGIT * DIGIT;
    if labels.is_empty() || digits.len() != labels.len() * per {
        return Err(Error::Invalid(format!(
            "scenes need 28×28 digits with one label each: got {} pixel values for {} labels; pass MNIST images and their labels",
            digits.len(),
            labels.len()
        )));
    }
    if let Some(&bad) = labels.iter().find(|&&l| l > 9) {
        return Err(Error::Invalid(format!("scenes take digits 0–9, but a label is {bad}")));
    }
    if count == 0 || count > MAX_SCENES {
        return Err(Error::Invalid(format!("{count} scenes: ask for 1 to {MAX_SCENES} at a time")));
    }
    let area = config.size * config.size;
    let mut out =
        Scenes { size: config.size, count, pixels: vec![0; count * area], labels: vec![BACKGROUND; count * area] };
    let mut rng = Stream::new(seed);
    let mut pick = |n: usize| ((rng.next_f32() * n as f32) as usize).min(n.saturating_sub(1));
    for s in 0..count {
        let wanted = config.min_digits + pick(config.max_digits - config.min_digits + 1);
        let mut placed: Vec<Placed> = Vec::with_capacity(wanted);
        for _ in 0..wanted {
            let index = pick(labels.len());
            let scale = config.min_scale + (config.max_scale - config.min_scale) * pick(1001) as f32 / 1000.0;
            let side = ((DIGIT as f32 * scale).round() as usize).clamp(1, config.size);
            for _try in 0..30 {
                let room = config.size - side + 1;
                let p = Placed { index, digit: labels[index], side, x: pick(room), y: pick(room) };
                if placed.iter().all(|q| p.overlap(q) <= config.max_overlap) {
                    placed.push(p);
                    break;
                }
            }
        }
        let px = &mut out.pixels[s * area..(s + 1) * area];
        let lb = &mut out.labels[s * area..(s + 1) * area];
        for p in &placed {
            paint(&digits[p.index * per..(p.index + 1) * per], p, config.size, px, lb);
        }
    }
    Ok(out)
}

/// Draws one digit, resampled bilinearly to its side, where its ink is brighter than what is there.
fn paint(src: &[u8], p: &Placed, size: usize, px: &mut [u8], lb: &mut [u8]) {
    let step = DIGIT as f32 / p.side as f32;
    let at = |x: isize, y: isize| -> f32 {
        if x < 0 || y < 0 || x >= DIGIT as isize || y >= DIGIT as isize {
            0.0
        } else {
            src[y as usize * DIGIT + x as usize] as f32
        }
    };
    for i in 0..p.side {
        let sy = (i as f32 + 0.5) * step - 0.5;
        let (y0, fy) = (sy.floor(), sy - sy.floor());
        for j in 0..p.side {
            let sx = (j as f32 + 0.5) * step - 0.5;
            let (x0, fx) = (sx.floor(), sx - sx.floor());
            let (x0, y0i) = (x0 as isize, y0 as isize);
            let top = at(x0, y0i) * (1.0 - fx) + at(x0 + 1, y0i) * fx;
            let bottom = at(x0, y0i + 1) * (1.0 - fx) + at(x0 + 1, y0i + 1) * fx;
            let v = (top * (1.0 - fy) + bottom * fy).round().clamp(0.0, 255.0) as u8;
            let o = (p.y + i) * size + p.x + j;
            if v > px[o] {
                px[o] = v;
                if v >= INK_THRESHOLD {
                    lb[o] = p.digit;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten 28×28 "digits": digit d is a filled square whose value is 100 + 15·d.
    fn squares() -> (Vec<u8>, Vec<u8>) {
        let mut px = vec![0u8; 10 * 784];
        for d in 0..10 {
            for y in 8..20 {
                for x in 8..20 {
                    px[d * 784 + y * 28 + x] = 100 + 15 * d as u8;
                }
            }
        }
        (px, (0..10).collect())
    }

    #[test]
    fn deterministic_and_labels_match_ink() {
        let (px, lb) = squares();
        let c = SceneConfig::default();
        let a = generate(&px, &lb, 20, 7, &c).unwrap();
        assert_eq!(a, generate(&px, &lb, 20, 7, &c).unwrap());
        assert_ne!(a, generate(&px, &lb, 20, 8, &c).unwrap());
        assert_eq!((a.pixels.len(), a.labels.len()), (20 * 56 * 56, 20 * 56 * 56));
        for (&p, &l) in a.pixels.iter().zip(&a.labels) {
            assert_eq!(l != BACKGROUND, p >= INK_THRESHOLD, "pixel {p} labelled {l}");
            if l != BACKGROUND {
                // The squares' values name their digit (bilinear edges blend with 0, so only the core).
                assert!(l < 10);
            }
        }
        // Every scene has at least one digit.
        for s in 0..20 {
            let (_, l) = a.scene(s).unwrap();
            assert!(l.iter().any(|&v| v != BACKGROUND));
        }
        assert!(a.scene(20).is_none());
    }

    #[test]
    fn one_digit_unscaled_is_copied() {
        let (px, lb) = squares();
        let c =
            SceneConfig { size: 28, min_digits: 1, max_digits: 1, min_scale: 1.0, max_scale: 1.0, max_overlap: 0.0 };
        let s = generate(&px, &lb, 10, 3, &c).unwrap();
        for i in 0..10 {
            let (p, l) = s.scene(i).unwrap();
            let d = l[14 * 28 + 14];
            assert!(d < 10);
            assert_eq!(p, &px[d as usize * 784..(d as usize + 1) * 784]);
            assert_eq!(l.iter().filter(|&&v| v == d).count(), 144);
        }
    }

    #[test]
    fn bad_settings_are_named() {
        let (px, lb) = squares();
        let err = |c: SceneConfig| generate(&px, &lb, 1, 1, &c).unwrap_err().message();
        let d = SceneConfig::default();
        assert!(err(SceneConfig { size: 20, ..d }).contains("size 20 is out of range"));
        assert!(err(SceneConfig { min_digits: 3, max_digits: 2, ..d }).contains("minDigits"));
        assert!(err(SceneConfig { size: 28, max_scale: 1.5, ..d }).contains("larger than the 28-pixel canvas"));
        assert!(err(SceneConfig { max_overlap: 2.0, ..d }).contains("maxOverlap"));
        let e = generate(&px[..700], &lb, 1, 1, &d).unwrap_err().message();
        assert!(e.contains("700 pixel values for 10 labels"), "{e}");
        assert!(generate(&px, &lb, 0, 1, &d).is_err());
        let mut l2 = lb.clone();
        l2[3] = 12;
        assert!(generate(&px, &l2, 1, 1, &d).unwrap_err().message().contains("a label is 12"));
    }
}
