//! Photos for an ImageNet-style model: a centre crop of the shorter side, resized
//! bilinearly to the model's input, then normalised per channel. The page does the same
//! (it shows the user the crop), so native and browser results agree.

use crate::error::{Error, Result};

/// Crops the centre square of `fraction` × the shorter side of an RGB image (`w × h × 3`
/// u8, row-major) and resizes it to `size × size` by bilinear sampling at pixel centres.
pub fn centre_crop(rgb: &[u8], w: usize, h: usize, size: usize, fraction: f32) -> Result<Vec<u8>> {
    if w == 0 || h == 0 || rgb.len() != w * h * 3 {
        return Err(Error::Invalid(format!("an RGB image of {w}×{h} needs {} bytes, got {}", w * h * 3, rgb.len())));
    }
    if !(fraction > 0.0 && fraction <= 1.0) || size == 0 {
        return Err(Error::Invalid(format!("crop fraction {fraction} must be in (0, 1] and the size ≥ 1")));
    }
    let side = (w.min(h) as f32 * fraction).max(1.0);
    let (x0, y0) = ((w as f32 - side) / 2.0, (h as f32 - side) / 2.0);
    let step = side / size as f32;
    let at = |x: isize, y: isize, c: usize| -> f32 {
        let x = x.clamp(0, w as isize - 1) as usize;
        let y = y.clamp(0, h as isize - 1) as usize;
        rgb[(y * w + x) * 3 + c] as f32
    };
    let mut out = vec![0u8; size * size * 3];
    for oy in 0..size {
        let sy = y0 + (oy as f32 + 0.5) * step - 0.5;
        let (fy, ty) = (sy.floor(), sy - sy.floor());
        for ox in 0..size {
            let sx = x0 + (ox as f32 + 0.5) * step - 0.5;
            let (fx, tx) = (sx.floor(), sx - sx.floor());
            let (ix, iy) = (fx as isize, fy as isize);
            for c in 0..3 {
                let top = at(ix, iy, c) * (1.0 - tx) + at(ix + 1, iy, c) * tx;
                let bottom = at(ix, iy + 1, c) * (1.0 - tx) + at(ix + 1, iy + 1, c) * tx;
                out[(oy * size + ox) * 3 + c] = (top * (1.0 - ty) + bottom * ty).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    Ok(out)
}

/// (x − mean[c]) / std[c] per channel, for u8 values.
pub fn normalise(rgb: &[u8], mean: [f32; 3], std: [f32; 3]) -> Vec<f32> {
    rgb.iter().enumerate().map(|(i, &v)| (v as f32 - mean[i % 3]) / std[i % 3]).collect()
}

/// Mean and std per channel from a weights file's `preprocessing` metadata
/// (`{"mean": [..3], "std": [..3]}`), or (0, 255) — plain scaling to [0, 1] — without them.
pub fn norm_from(preprocessing: Option<&serde_json::Value>) -> ([f32; 3], [f32; 3]) {
    let three = |key: &str, default: f32| -> [f32; 3] {
        let v = preprocessing.and_then(|p| p.get(key)).and_then(|a| a.as_array());
        match v {
            Some(a) if a.len() == 3 => [0, 1, 2].map(|i| a[i].as_f64().unwrap_or(default as f64) as f32),
            _ => [default; 3],
        }
    };
    (three("mean", 0.0), three("std", 255.0))
}
