//! Data sets: the IDX reader (MNIST, Fashion-MNIST) and, later, batching and augmentation.

pub mod idx;
pub mod preprocess;

pub use idx::{gunzip_if_needed, read_images, read_labels, IdxImages, IdxLabels};
