//! Photos for an ImageNet-style model: a centre crop of the shorter side, resized
//! bilinearly to the model's input, then normalised per channel. The page does the same
//! (it shows the user the crop), so native and browser results agree.

use crate::error::{Error, Result};

/// The largest photo accepted, in pixels (50 megapixels, e.g. 8660×5773), and on either side;
/// the page (`www/src/api/images.ts`) refuses the same before it draws.
pub const MAX_PHOTO_PIXELS: u64 = 50_000_000;
pub const MAX_PHOTO_SIDE: u32 = 16_384;
/// The most memory the decoder may take (it also bounds formats that allocate per scan).
pub const MAX_DECODE_BYTES: u64 = 512 << 20;

/// Decodes a PNG or JPEG file's bytes to RGB (`w × h × 3` u8, row-major) and returns it with
/// its width and height (native only; the page decodes with the browser). The header is read
/// first: a photo larger than [`MAX_PHOTO_PIXELS`] or [`MAX_PHOTO_SIDE`] is refused before any
/// pixel is decoded, and the decoder runs within [`MAX_DECODE_BYTES`].
#[cfg(not(target_arch = "wasm32"))]
pub fn decode(bytes: &[u8]) -> Result<(Vec<u8>, usize, usize)> {
    use image::ImageDecoder;
    let bad = |e: &dyn std::fmt::Display| Error::Data(format!("not a readable PNG or JPEG image: {e}"));
    let mut reader = image::ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().map_err(|e| bad(&e))?;
    if !matches!(reader.format(), Some(image::ImageFormat::Png | image::ImageFormat::Jpeg)) {
        return Err(Error::Data(
            "not a PNG or JPEG image (its first bytes are neither): pass a .png or .jpg file".into(),
        ));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PHOTO_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let too_large = |w: u64, h: u64| {
        Error::Data(format!(
            "the image is {w}×{h} pixels, larger than the {} megapixels (and {MAX_PHOTO_SIDE} pixels a side) this engine decodes: scale it down first",
            MAX_PHOTO_PIXELS / 1_000_000
        ))
    };
    let decoder = reader.into_decoder().map_err(|e| match e {
        image::ImageError::Limits(_) => Error::Data(format!(
            "the image is larger than the {} megapixels (and {MAX_PHOTO_SIDE} pixels a side) this engine decodes: scale it down first",
            MAX_PHOTO_PIXELS / 1_000_000
        )),
        e => bad(&e),
    })?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(Error::Data(format!("the image is {w}×{h} pixels: it holds nothing to classify")));
    }
    if w > MAX_PHOTO_SIDE || h > MAX_PHOTO_SIDE || w as u64 * h as u64 > MAX_PHOTO_PIXELS {
        return Err(too_large(w as u64, h as u64));
    }
    let img = image::DynamicImage::from_decoder(decoder).map_err(|e| match e {
        image::ImageError::Limits(_) => Error::Data(format!(
            "decoding the {w}×{h} image needs more than the {} MiB this engine allows a photo: scale it down or save it as a baseline JPEG or a PNG",
            MAX_DECODE_BYTES >> 20
        )),
        e => bad(&e),
    })?;
    Ok((img.to_rgb8().into_raw(), w as usize, h as usize))
}

/// Crops the centre square of `fraction` × the shorter side of an RGB image (`w × h × 3`
/// u8, row-major) and resizes it to `size × size` by bilinear sampling at pixel centres.
pub fn centre_crop(rgb: &[u8], w: usize, h: usize, size: usize, fraction: f32) -> Result<Vec<u8>> {
    let need = w.checked_mul(h).and_then(|p| p.checked_mul(3));
    if w == 0 || h == 0 || need != Some(rgb.len()) {
        let need = need.map_or("more than this engine can address".into(), |n| n.to_string());
        return Err(Error::Invalid(format!("an RGB image of {w}×{h} needs {need} bytes, got {}", rgb.len())));
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    /// CRC-32 (IEEE), as PNG chunks carry it.
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in bytes {
            c ^= b as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            }
        }
        !c
    }

    /// A PNG signature, an IHDR chunk (8-bit RGB) claiming `w × h`, an empty IDAT and the IEND,
    /// each with a correct CRC: 57 bytes.
    pub fn png_header(w: u32, h: u32) -> Vec<u8> {
        let mut ihdr = w.to_be_bytes().to_vec();
        ihdr.extend_from_slice(&h.to_be_bytes());
        ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        for (kind, data) in [(&b"IHDR"[..], &ihdr[..]), (b"IDAT", &[]), (b"IEND", &[])] {
            let mut chunk = kind.to_vec();
            chunk.extend_from_slice(data);
            png.extend_from_slice(&(data.len() as u32).to_be_bytes());
            png.extend_from_slice(&chunk);
            png.extend_from_slice(&crc32(&chunk).to_be_bytes());
        }
        png
    }

    /// A baseline JPEG's markers (quantisation table, frame header claiming `w × h`, Huffman
    /// tables, scan header) with one byte of entropy-coded data: about 200 bytes.
    pub fn jpeg_header(w: u16, h: u16) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend_from_slice(&[0xFF, 0xDB, 0, 67, 0]);
        j.extend(std::iter::repeat_n(1u8, 64));
        j.extend_from_slice(&[0xFF, 0xC0, 0, 11, 8]);
        j.extend_from_slice(&h.to_be_bytes());
        j.extend_from_slice(&w.to_be_bytes());
        j.extend_from_slice(&[1, 1, 0x11, 0]);
        // DC and AC tables with one code each (length 1).
        for class in [0x00, 0x10] {
            j.extend_from_slice(&[0xFF, 0xC4, 0, 20, class, 1]);
            j.extend(std::iter::repeat_n(0u8, 15));
            j.push(0);
        }
        j.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0x00, 0, 63, 0]);
        j.extend_from_slice(&[0x00, 0xFF, 0xD9]);
        j
    }

    fn timed_error(bytes: &[u8]) -> String {
        let t = std::time::Instant::now();
        let e = decode(bytes).expect_err("a refused image");
        assert!(t.elapsed().as_secs_f64() < 1.0, "refused in {:?}", t.elapsed());
        e.message()
    }

    #[test]
    fn a_png_header_claiming_100000_by_100000_is_refused_before_decoding() {
        let png = png_header(100_000, 100_000);
        assert_eq!(png.len(), 57);
        assert_eq!(
            timed_error(&png),
            "the image is larger than the 50 megapixels (and 16384 pixels a side) this engine decodes: scale it down first"
        );
    }

    #[test]
    fn a_png_within_the_sides_but_over_50_megapixels_is_refused() {
        assert_eq!(
            timed_error(&png_header(10_000, 10_000)),
            "the image is 10000×10000 pixels, larger than the 50 megapixels (and 16384 pixels a side) this engine decodes: scale it down first"
        );
    }

    #[test]
    fn a_tiny_jpeg_claiming_a_huge_size_is_refused_before_decoding() {
        let jpeg = jpeg_header(60_000, 60_000);
        assert!(jpeg.len() < 250, "{} bytes", jpeg.len());
        assert!(timed_error(&jpeg).starts_with("the image is larger than the 50 megapixels"), "{}", timed_error(&jpeg));
        assert!(
            timed_error(&jpeg_header(8_000, 8_000)).starts_with("the image is 8000×8000 pixels, larger than the 50")
        );
    }

    #[test]
    fn a_small_crafted_png_and_garbage_are_clear_errors() {
        // A 2×2 header with no image data: the decoder's own error, with the prefix.
        assert!(timed_error(&png_header(2, 2)).starts_with("not a readable PNG or JPEG image: "));
        assert_eq!(
            timed_error(b"GIF89a..."),
            "not a PNG or JPEG image (its first bytes are neither): pass a .png or .jpg file"
        );
        assert_eq!(timed_error(b""), "not a PNG or JPEG image (its first bytes are neither): pass a .png or .jpg file");
    }
}
