//! The preset specs shipped with ConvPlay (www/public/presets/*.json, also served to the page).

const PRESETS: &[(&str, &str)] = &[
    ("mnist-quick", include_str!("../../www/public/presets/mnist-quick.json")),
    ("seed-001", include_str!("../../www/public/presets/seed-001.json")),
    ("seed-004", include_str!("../../www/public/presets/seed-004.json")),
    ("lenet-5", include_str!("../../www/public/presets/lenet-5.json")),
    ("mlp", include_str!("../../www/public/presets/mlp.json")),
    ("course-3conv", include_str!("../../www/public/presets/course-3conv.json")),
    ("seed-001-strided", include_str!("../../www/public/presets/seed-001-strided.json")),
    ("alexnet-mini", include_str!("../../www/public/presets/alexnet-mini.json")),
    ("alexnet-mini-nolrn", include_str!("../../www/public/presets/alexnet-mini-nolrn.json")),
    ("googlenet-mini", include_str!("../../www/public/presets/googlenet-mini.json")),
    ("resnet-mini", include_str!("../../www/public/presets/resnet-mini.json")),
    ("se-resnet-mini", include_str!("../../www/public/presets/se-resnet-mini.json")),
    ("xception-mini", include_str!("../../www/public/presets/xception-mini.json")),
    ("segment-mini", include_str!("../../www/public/presets/segment-mini.json")),
    ("mnist-best", include_str!("../../www/public/presets/mnist-best.json")),
];

/// The JSON text of a preset.
pub fn preset_json(name: &str) -> crate::Result<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, j)| *j).ok_or_else(|| {
        crate::Error::Invalid(format!("unknown preset {name:?}: the presets are {}", names().join(", ")))
    })
}

/// The architecture zoo (docs/course.md): the classic architectures shrunk for 28×28 inputs, in
/// historical order, with seed-001 (the course's first CNN) for reference.
pub const ZOO: [&str; 8] = [
    "lenet-5",
    "alexnet-mini",
    "alexnet-mini-nolrn",
    "googlenet-mini",
    "resnet-mini",
    "se-resnet-mini",
    "xception-mini",
    "seed-001",
];

pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

/// A preset, parsed and validated.
pub fn preset(name: &str) -> crate::Result<crate::spec::ModelSpec> {
    crate::spec::parse(preset_json(name)?)
}
