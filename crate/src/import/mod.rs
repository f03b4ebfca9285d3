//! Importers: pretrained weights from other tools, mapped onto ConvPlay specs and layouts.

pub mod efficientnet;
