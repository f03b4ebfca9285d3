//! MNIST-style preprocessing of a drawn digit, as the data set was made: crop to the
//! ink's bounding box, scale to fit 20×20 keeping the aspect ratio (area-averaged, so
//! anti-aliased), then place it in 28×28 so that its centre of mass is at the centre.

use crate::error::{Error, Result};

/// Ink of at most this much counts as background when finding the bounding box.
const THRESHOLD: u8 = 8;

/// `ink`: `w × h` intensities (0 = background). Returns 28×28 u8 (white digit on black),
/// or an error when nothing is drawn.
pub fn mnist_digit(ink: &[u8], w: usize, h: usize) -> Result<Vec<u8>> {
    let need = w.checked_mul(h);
    if w == 0 || h == 0 || need != Some(ink.len()) {
        let need = need.map_or("more than this engine can address".into(), |n| n.to_string());
        return Err(Error::Invalid(format!("drawing of {w}×{h} pixels needs {need} values, got {}", ink.len())));
    }
    let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0, 0);
    for y in 0..h {
        for x in 0..w {
            if ink[y * w + x] > THRESHOLD {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x + 1);
                y1 = y1.max(y + 1);
            }
        }
    }
    if x0 >= x1 {
        return Err(Error::Invalid("nothing is drawn yet: draw a digit first".into()));
    }
    let (bw, bh) = (x1 - x0, y1 - y0);
    let scale = 20.0 / bw.max(bh) as f64;
    let tw = ((bw as f64 * scale).round() as usize).clamp(1, 20);
    let th = ((bh as f64 * scale).round() as usize).clamp(1, 20);
    // Area-average: each target pixel is the mean of the source area it covers.
    let (sx, sy) = (bw as f64 / tw as f64, bh as f64 / th as f64);
    let mut small = vec![0f64; tw * th];
    for ty in 0..th {
        let (fy0, fy1) = (ty as f64 * sy, (ty + 1) as f64 * sy);
        for tx in 0..tw {
            let (fx0, fx1) = (tx as f64 * sx, (tx + 1) as f64 * sx);
            let mut sum = 0.0;
            for y in fy0.floor() as usize..(fy1.ceil() as usize).min(bh) {
                let wy = (fy1.min((y + 1) as f64) - fy0.max(y as f64)).max(0.0);
                for x in fx0.floor() as usize..(fx1.ceil() as usize).min(bw) {
                    let wx = (fx1.min((x + 1) as f64) - fx0.max(x as f64)).max(0.0);
                    sum += wx * wy * ink[(y0 + y) * w + x0 + x] as f64;
                }
            }
            small[ty * tw + tx] = sum / (sx * sy);
        }
    }
    let (cx, cy) = centre_of_mass(&small, tw, th);
    let (ox, oy) = ((14.0 - cx).round() as i64, (14.0 - cy).round() as i64);
    let mut out = vec![0u8; 784];
    for y in 0..th {
        for x in 0..tw {
            let (px, py) = (x as i64 + ox, y as i64 + oy);
            if (0..28).contains(&px) && (0..28).contains(&py) {
                out[py as usize * 28 + px as usize] = small[y * tw + x].round().clamp(0.0, 255.0) as u8;
            }
        }
    }
    Ok(out)
}

/// Centre of mass (x, y) of an image, in pixel-centre coordinates (pixel i spans [i, i+1)).
pub fn centre_of_mass<T: Copy + Into<f64>>(img: &[T], w: usize, h: usize) -> (f64, f64) {
    let (mut m, mut mx, mut my) = (0.0, 0.0, 0.0);
    for y in 0..h {
        for x in 0..w {
            let v: f64 = img[y * w + x].into();
            m += v;
            mx += v * (x as f64 + 0.5);
            my += v * (y as f64 + 0.5);
        }
    }
    if m == 0.0 {
        return (w as f64 / 2.0, h as f64 / 2.0);
    }
    (mx / m, my / m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canvas(w: usize, h: usize, f: impl Fn(usize, usize) -> bool) -> Vec<u8> {
        (0..w * h).map(|i| if f(i % w, i / w) { 255 } else { 0 }).collect()
    }

    fn bbox(img: &[u8]) -> (usize, usize) {
        let xs: Vec<usize> = (0..784).filter(|&i| img[i] > 0).map(|i| i % 28).collect();
        let ys: Vec<usize> = (0..784).filter(|&i| img[i] > 0).map(|i| i / 28).collect();
        (
            xs.iter().max().unwrap() - xs.iter().min().unwrap() + 1,
            ys.iter().max().unwrap() - ys.iter().min().unwrap() + 1,
        )
    }

    #[test]
    fn a_wide_bar_keeps_its_aspect_and_is_centred() {
        // 80×20 bar near a corner of a 300×200 canvas → 20×5 in the middle of 28×28.
        let c = canvas(300, 200, |x, y| (10..90).contains(&x) && (150..170).contains(&y));
        let d = mnist_digit(&c, 300, 200).unwrap();
        assert_eq!(bbox(&d), (20, 5));
        let (cx, cy) = centre_of_mass(&d, 28, 28);
        assert!((cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5, "centre of mass ({cx}, {cy})");
        assert!(d.iter().filter(|&&v| v == 255).count() >= 90, "solid inside");
    }

    #[test]
    fn an_l_shape_is_centred_by_mass_not_by_box() {
        // A thick L: its mass sits towards the bottom-left, so the box is shifted up-right.
        let c = canvas(100, 100, |x, y| {
            ((20..30).contains(&x) && (10..90).contains(&y)) || ((20..80).contains(&x) && (80..90).contains(&y))
        });
        let d = mnist_digit(&c, 100, 100).unwrap();
        let (cx, cy) = centre_of_mass(&d, 28, 28);
        assert!((cx - 14.0).abs() <= 0.5 && (cy - 14.0).abs() <= 0.5, "centre of mass ({cx}, {cy})");
        assert_eq!(bbox(&d).1, 20, "the taller side is scaled to 20");
        // The box is not centred: its left edge is right of 4 (where a centred 15-wide box would start).
        let left = (0..784).filter(|&i| d[i] > 0).map(|i| i % 28).min().unwrap();
        assert!(left > 6, "left edge {left}");
    }

    #[test]
    fn anti_aliased_edges_and_empty_drawings() {
        // A diagonal stroke scaled down gives intermediate grey levels at its edges.
        let c = canvas(200, 200, |x, y| x.abs_diff(y) < 6);
        let d = mnist_digit(&c, 200, 200).unwrap();
        assert!(d.iter().any(|&v| v > 0 && v < 255), "grey edges from area averaging");
        assert_eq!(mnist_digit(&[0; 100], 10, 10).unwrap_err().message(), "nothing is drawn yet: draw a digit first");
        assert_eq!(
            mnist_digit(&[0; 10], 10, 10).unwrap_err().message(),
            "drawing of 10×10 pixels needs 100 values, got 10"
        );
        assert_eq!(
            mnist_digit(&[0; 10], usize::MAX, 3).unwrap_err().message(),
            format!("drawing of {}×3 pixels needs more than this engine can address values, got 10", usize::MAX)
        );
    }
}
