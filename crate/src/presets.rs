//! The preset specs shipped with ConvPlay (www/public/presets/*.json, also served to the page).

const PRESETS: &[(&str, &str)] = &[
    ("mnist-quick", include_str!("../../www/public/presets/mnist-quick.json")),
    ("seed-001", include_str!("../../www/public/presets/seed-001.json")),
    ("seed-004", include_str!("../../www/public/presets/seed-004.json")),
    ("lenet-5", include_str!("../../www/public/presets/lenet-5.json")),
    ("mlp", include_str!("../../www/public/presets/mlp.json")),
    ("course-3conv", include_str!("../../www/public/presets/course-3conv.json")),
    ("seed-001-strided", include_str!("../../www/public/presets/seed-001-strided.json")),
    ("mnist-best", include_str!("../../www/public/presets/mnist-best.json")),
];

/// The JSON text of a preset.
pub fn preset_json(name: &str) -> crate::Result<&'static str> {
    PRESETS.iter().find(|(n, _)| *n == name).map(|(_, j)| *j).ok_or_else(|| {
        crate::Error::Invalid(format!("unknown preset {name:?}: the presets are {}", names().join(", ")))
    })
}

pub fn names() -> Vec<&'static str> {
    PRESETS.iter().map(|(n, _)| *n).collect()
}

/// A preset, parsed and validated.
pub fn preset(name: &str) -> crate::Result<crate::spec::ModelSpec> {
    crate::spec::parse(preset_json(name)?)
}
