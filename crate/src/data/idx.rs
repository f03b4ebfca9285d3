//! The IDX format of the MNIST files.
//!
//! Layout (all integers big-endian):
//!   bytes 0..2  zero
//!   byte  2     element type (0x08 = unsigned byte; the only one MNIST uses)
//!   byte  3     number of dimensions d
//!   then d u32  size of each dimension
//!   then        the elements, row-major
//! Images are magic 0x00000803 (u8, 3 dims: count × rows × cols); labels 0x00000801 (u8, 1 dim).
//!
//! The reader takes the file's bytes. Natively they are usually still gzipped
//! (`*.gz`), so `gunzip_if_needed` looks at the gzip magic; in the browser the page
//! decompresses with `DecompressionStream` first and hands over raw bytes.

use crate::error::{Error, Result};
use std::borrow::Cow;
use std::io::Read;

const IMAGES_MAGIC: u32 = 0x0000_0803;
const LABELS_MAGIC: u32 = 0x0000_0801;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The most bytes a gzipped IDX file may unpack to (a gzip bomb stops here): 256 MiB, over
/// five times MNIST's largest file.
pub const MAX_GUNZIPPED: u64 = 256 << 20;

/// Images as stored: `count` images of `rows × cols` u8 pixels, row-major, 0 = background.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

impl IdxImages {
    /// Pixels of image `i` (rows × cols bytes).
    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.rows * self.cols;
        &self.pixels[i * n..(i + 1) * n]
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IdxLabels {
    pub labels: Vec<u8>,
}

/// Returns the bytes decompressed when they start with the gzip magic, else as they are.
pub fn gunzip_if_needed(bytes: &[u8]) -> Result<Cow<'_, [u8]>> {
    if bytes.len() < 2 || bytes[..2] != GZIP_MAGIC {
        return Ok(Cow::Borrowed(bytes));
    }
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4).min(MAX_GUNZIPPED as usize));
    flate2::read::GzDecoder::new(bytes).take(MAX_GUNZIPPED + 1).read_to_end(&mut out).map_err(|e| {
        Error::Data(format!(
            "the gzip stream is damaged ({e}); the file was probably cut short in download: fetch it again"
        ))
    })?;
    if out.len() as u64 > MAX_GUNZIPPED {
        return Err(Error::Data(format!(
            "the gzip stream unpacks to more than {} MiB, the most an IDX file may hold here (MNIST's largest is 45 MiB): it is not an MNIST-style file",
            MAX_GUNZIPPED >> 20
        )));
    }
    Ok(Cow::Owned(out))
}

/// Parses the header; returns the dimensions and the offset of the first element.
fn header(bytes: &[u8], want_magic: u32, what: &str) -> Result<(Vec<usize>, usize)> {
    if bytes.len() < 4 {
        return Err(Error::Data(format!(
            "IDX {what} file is {} bytes long, shorter than the 4-byte magic number: the file is empty or cut short",
            bytes.len()
        )));
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    if magic != want_magic {
        let hint = if bytes[..2] == GZIP_MAGIC {
            "it is still gzip-compressed: decompress it first".to_string()
        } else if magic == IMAGES_MAGIC || magic == LABELS_MAGIC {
            let other = if magic == IMAGES_MAGIC { "an images" } else { "a labels" };
            format!("this is {other} file: pass the {what} file here")
        } else {
            "this is not an IDX file of unsigned bytes".to_string()
        };
        return Err(Error::Data(format!(
            "IDX {what} file has magic number 0x{magic:08x}, expected 0x{want_magic:08x}: {hint}"
        )));
    }
    let ndims = bytes[3] as usize;
    let data_start = 4 + 4 * ndims;
    if bytes.len() < data_start {
        return Err(Error::Data(format!(
            "IDX {what} file is {} bytes long but its header needs {data_start}: the file is cut short; fetch it again",
            bytes.len()
        )));
    }
    let dims = (0..ndims)
        .map(|d| {
            let o = 4 + 4 * d;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    Ok((dims, data_start))
}

fn check_payload(bytes: &[u8], start: usize, dims: &[usize], what: &str) -> Result<()> {
    let want = dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or_else(|| {
        Error::Data(format!(
            "IDX {what} file declares dimensions {dims:?} whose product overflows: the header is corrupt"
        ))
    })?;
    let have = bytes.len() - start;
    let shape = dims.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("×");
    if have < want {
        return Err(Error::Data(format!(
            "IDX {what} file is truncated: its header declares {shape} = {want} bytes of data but only {have} follow; fetch the file again"
        )));
    }
    if have > want {
        return Err(Error::Data(format!(
            "IDX {what} file has {} bytes after the declared {shape} = {want} bytes of data: the header and the data disagree, the file is corrupt",
            have - want
        )));
    }
    Ok(())
}

/// Reads an images file (magic 0x00000803). Accepts raw or gzipped bytes.
pub fn read_images(bytes: &[u8]) -> Result<IdxImages> {
    let bytes = gunzip_if_needed(bytes)?;
    let (dims, start) = header(&bytes, IMAGES_MAGIC, "images")?;
    if dims.len() != 3 {
        return Err(Error::Data(format!(
            "IDX images file has {} dimensions, expected 3 (count, rows, cols)",
            dims.len()
        )));
    }
    check_payload(&bytes, start, &dims, "images")?;
    if dims[1] == 0 || dims[2] == 0 {
        return Err(Error::Data(format!(
            "IDX images file declares images of {}×{} pixels: nothing to read",
            dims[1], dims[2]
        )));
    }
    Ok(IdxImages { count: dims[0], rows: dims[1], cols: dims[2], pixels: bytes[start..].to_vec() })
}

/// Reads a labels file (magic 0x00000801). Accepts raw or gzipped bytes.
pub fn read_labels(bytes: &[u8]) -> Result<IdxLabels> {
    let bytes = gunzip_if_needed(bytes)?;
    let (dims, start) = header(&bytes, LABELS_MAGIC, "labels")?;
    if dims.len() != 1 {
        return Err(Error::Data(format!("IDX labels file has {} dimensions, expected 1", dims.len())));
    }
    check_payload(&bytes, start, &dims, "labels")?;
    Ok(IdxLabels { labels: bytes[start..].to_vec() })
}

/// Images and their labels, checked to belong together: as many labels as images (at least
/// one), images of `rows × cols` pixels, and every label one of `classes` classes. `images_name`
/// and `labels_name` (file names) say in each error which file is at fault.
pub fn read_labelled(
    images: &[u8],
    labels: &[u8],
    (rows, cols): (usize, usize),
    classes: usize,
    (images_name, labels_name): (&str, &str),
) -> Result<(IdxImages, IdxLabels)> {
    let named = |e: Error, name: &str| Error::Data(format!("{name}: {}", e.message()));
    let im = read_images(images).map_err(|e| named(e, images_name))?;
    let lb = read_labels(labels).map_err(|e| named(e, labels_name))?;
    if (im.rows, im.cols) != (rows, cols) {
        return Err(Error::Data(format!(
            "{images_name} holds images of {}×{} pixels, but this needs {rows}×{cols}: pass MNIST-style files",
            im.rows, im.cols
        )));
    }
    if lb.labels.is_empty() {
        return Err(Error::Data(format!("{labels_name} holds no labels: the file is empty; fetch it again")));
    }
    if im.count != lb.labels.len() {
        return Err(Error::Data(format!(
            "{images_name} holds {} images but {labels_name} holds {} labels: each image needs one label; pass the images and labels of the same split",
            im.count,
            lb.labels.len()
        )));
    }
    if let Some((i, &bad)) = lb.labels.iter().enumerate().find(|(_, &l)| l as usize >= classes) {
        return Err(Error::Data(format!(
            "{labels_name}: label {bad} (of image {i}) is not one of the {classes} classes 0–{}: the file is corrupt or for another data set",
            classes.saturating_sub(1)
        )));
    }
    Ok((im, lb))
}

/// The images and labels of an MNIST-style split ("train" or "t10k") in folder `dir`: the files
/// `{split}-images-idx3-ubyte.gz` and `{split}-labels-idx1-ubyte.gz`, read by [`read_labelled`]
/// as 28×28 images of 10 classes (native only).
#[cfg(not(target_arch = "wasm32"))]
pub fn read_split(dir: &std::path::Path, split: &str) -> Result<(IdxImages, IdxLabels)> {
    let (images, labels) = (format!("{split}-images-idx3-ubyte.gz"), format!("{split}-labels-idx1-ubyte.gz"));
    let (ip, lp) = (dir.join(&images), dir.join(&labels));
    read_labelled(
        &read_file(&ip)?,
        &read_file(&lp)?,
        (28, 28),
        10,
        (&ip.display().to_string(), &lp.display().to_string()),
    )
}

/// Reads a file from disk (native only), with the path in any error.
#[cfg(not(target_arch = "wasm32"))]
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::Io(format!("cannot read {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn images_file(count: u32, rows: u32, cols: u32, data_len: usize) -> Vec<u8> {
        let mut v = IMAGES_MAGIC.to_be_bytes().to_vec();
        for d in [count, rows, cols] {
            v.extend_from_slice(&d.to_be_bytes());
        }
        v.extend((0..data_len).map(|i| i as u8));
        v
    }

    #[test]
    fn reads_a_small_images_file() {
        let f = images_file(2, 2, 3, 12);
        let im = read_images(&f).unwrap();
        assert_eq!((im.count, im.rows, im.cols), (2, 2, 3));
        assert_eq!(im.image(1), &[6, 7, 8, 9, 10, 11]);
    }

    #[test]
    fn truncated_data_is_an_error_with_sizes() {
        let f = images_file(2, 2, 3, 11);
        let e = read_images(&f).unwrap_err();
        assert_eq!(
            e.message(),
            "IDX images file is truncated: its header declares 2×2×3 = 12 bytes of data but only 11 follow; fetch the file again"
        );
    }

    #[test]
    fn trailing_bytes_are_an_error() {
        let e = read_images(&images_file(1, 2, 2, 5)).unwrap_err();
        assert!(e.message().contains("1 bytes after the declared 1×2×2 = 4 bytes"), "{e}");
    }

    #[test]
    fn labels_file_passed_as_images_names_the_mixup() {
        let mut f = LABELS_MAGIC.to_be_bytes().to_vec();
        f.extend_from_slice(&3u32.to_be_bytes());
        f.extend_from_slice(&[1, 2, 3]);
        let e = read_images(&f).unwrap_err();
        assert_eq!(
            e.message(),
            "IDX images file has magic number 0x00000801, expected 0x00000803: this is a labels file: pass the images file here"
        );
        assert_eq!(read_labels(&f).unwrap().labels, vec![1, 2, 3]);
    }

    #[test]
    fn short_and_garbage_inputs_are_errors_not_panics() {
        for bytes in [&b""[..], &b"\x00"[..], &b"\x00\x00\x08\x03\x00"[..], &b"PK\x03\x04 zip"[..]] {
            assert!(read_images(bytes).is_err());
            assert!(read_labels(bytes).is_err());
        }
        let e = read_images(b"\x00\x00\x08\x03\x00\x00").unwrap_err();
        assert!(e.message().contains("header needs 16"), "{e}");
    }

    #[test]
    fn overflowing_dimensions_are_an_error() {
        let f = images_file(u32::MAX, u32::MAX, u32::MAX, 0);
        let e = read_images(&f).unwrap_err();
        if cfg!(target_pointer_width = "64") {
            assert!(e.message().contains("overflows") || e.message().contains("truncated"), "{e}");
        }
    }

    #[test]
    fn a_gzip_bomb_stops_at_256_mib() {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..256 {
            enc.write_all(&zeros).unwrap();
        }
        enc.write_all(&[0]).unwrap();
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
        let e = read_images(&bomb).unwrap_err();
        assert_eq!(
            e.message(),
            "the gzip stream unpacks to more than 256 MiB, the most an IDX file may hold here (MNIST's largest is 45 MiB): it is not an MNIST-style file"
        );
    }

    #[test]
    fn damaged_gzip_is_an_error() {
        let e = read_images(&[0x1f, 0x8b, 8, 0, 0, 0]).unwrap_err();
        assert!(e.message().starts_with("the gzip stream is damaged"), "{e}");
    }
}
