//! ConvPlay: a CNN playground. The core (this crate) knows nothing of JS; the
//! wasm-bindgen surface lives in `web/` and is compiled on wasm32 only: a thin layer that
//! converts types and errors around the core (`train::Trainer` is the page's training path,
//! and the native CLI's, `src/bin/convplay/`).

pub mod backend;
#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
pub mod data;
pub mod error;
pub mod fit;
pub mod import;
pub mod keras;
pub mod layers;
pub mod model;
pub mod optim;
pub mod presets;
pub mod spec;
pub mod summary;
pub mod train;
pub mod weights;

#[cfg(target_arch = "wasm32")]
pub mod web;

pub use backend::{BackendChoice, Engine, EngineInfo};
pub use error::{Error, Result};
