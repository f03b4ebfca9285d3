//! Data: the IDX reader (MNIST, Fashion-MNIST), digit preprocessing, photos, synthetic scenes.

pub mod idx;
pub mod photo;
pub mod preprocess;
pub mod scenes;
pub mod sets;

pub use idx::{gunzip_if_needed, read_images, read_labels, IdxImages, IdxLabels};
pub use sets::{data_set, DataSet, DATA_SETS};
