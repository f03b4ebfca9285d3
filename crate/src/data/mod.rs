//! Data: the IDX reader (MNIST, Fashion-MNIST), digit preprocessing, photos.

pub mod idx;
pub mod photo;
pub mod preprocess;

pub use idx::{gunzip_if_needed, read_images, read_labels, IdxImages, IdxLabels};
