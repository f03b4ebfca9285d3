//! ConvPlay: a CNN playground. The core (this crate) knows nothing of JS; the
//! wasm-bindgen surface lives in `web/` and is compiled on wasm32 only: a thin layer that
//! converts types and errors around the core (`train::Trainer` is the page's training path,
//! and the native CLI's, `src/bin/convplay/`).
//!
//! No library code may panic on purpose: on wasm32 a panic aborts the instance and loses
//! the page's model. The lints below forbid `unwrap`, `expect`, `panic!`, `unreachable!`,
//! `todo!` and `unimplemented!` everywhere in the library; `web/` and `train/` also forbid
//! unchecked indexing. What remains (indexing in kernels whose sizes the spec and the
//! plan have checked) is covered by the fuzz targets of `tests/fuzz.rs` and
//! `tests/fuzz_exports.rs`, which drive every export with random and hostile input
//! (docs/reliability.md).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod backend;
#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
pub mod data;
pub mod error;
pub mod fcn;
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
