//! Specs and summaries: exact figures for the course networks, and clear errors.

use convplay::presets::preset;
use convplay::spec::{parse, Shape};
use convplay::summary::summarize;

fn map(h: u64, w: u64, c: u64) -> Shape {
    Shape::Map { h, w, c }
}

#[test]
fn course_three_conv_network_by_hand() {
    // 200×300×3 → three 3×3 convs, stride 2, "same": ⌈200/2⌉×⌈300/2⌉ = 100×150, then 50×75, then 25×38.
    let s = summarize(&preset("course-3conv").unwrap(), 50);
    let shapes: Vec<Shape> = s.rows.iter().map(|r| r.output).collect();
    assert_eq!(shapes, vec![map(100, 150, 100), map(50, 75, 200), map(25, 38, 400)]);
    let params: Vec<u64> = s.rows.iter().map(|r| r.trainable).collect();
    // (3·3·3 + 1)·100, (3·3·100 + 1)·200, (3·3·200 + 1)·400
    assert_eq!(params, vec![2_800, 180_200, 720_400]);
    assert_eq!(s.params, 903_400);
    assert_eq!(s.rows[0].params_formula, "(3·3·3 + 1)·100");
    assert_eq!(s.rows[2].shape_formula, "h: ⌈50 / 2⌉ = 25; w: ⌈75 / 2⌉ = 38");
    // MACs: outputs × 3·3·cin.
    assert_eq!(s.rows[0].macs, 1_500_000 * 27);
    assert_eq!(s.rows[1].macs, 750_000 * 900);
    // Inference: params 903,400·4 bytes; the peak pair is conv1 + conv2 outputs.
    assert_eq!(s.inference.params.bytes, 3_613_600);
    assert_eq!(s.inference.peak_activations.bytes, (1_500_000 + 750_000) * 4);
    assert_eq!(s.inference.peak_between, ("conv2d_1".to_string(), "conv2d_2".to_string()));
    assert_eq!(s.inference.total.bytes, 3_613_600 + 9_000_000);
    assert_eq!(s.inference.naive_all_outputs.bytes, (180_000 + 1_500_000 + 750_000 + 380_000) * 4);
    // Training on 50 instances: every output and the input kept, f32.
    assert_eq!(s.training.activations.bytes, 2_810_000 * 50 * 4);
    assert_eq!(s.training.activations_f16.bytes, 2_810_000 * 50 * 2);
    assert_eq!(s.training.total_adam.bytes, 562_000_000 + 3_613_600 * 4);
    assert!((s.training.activations.mb - 562.0).abs() < 1e-9);
    assert!((s.training.activations.mib - 562_000_000.0 / 1_048_576.0).abs() < 1e-9);
}

#[test]
fn seed_004_matches_keras_totals() {
    let s = summarize(&preset("seed-004").unwrap(), 128);
    assert_eq!(s.params, 505_098);
    assert_eq!(s.non_trainable, 704);
    assert_eq!(s.trainable, 505_098 - 704);
    let out: Vec<String> = s.rows.iter().map(|r| r.output.to_string()).collect();
    assert_eq!(
        out,
        [
            "26×26×32",
            "26×26×32",
            "24×24×64",
            "24×24×64",
            "12×12×64",
            "12×12×64",
            "10×10×128",
            "10×10×128",
            "5×5×128",
            "5×5×128",
            "3200",
            "128",
            "128",
            "128",
            "10"
        ]
    );
    assert_eq!(s.rows[1].params_formula, "2·32 (γ, β) + 2·32 moving mean/variance (not trained)");
    assert_eq!(s.rows[11].trainable, 409_728);
}

#[test]
fn seed_001_lenet_and_mlp_totals() {
    assert_eq!(summarize(&preset("seed-001").unwrap(), 64).params, 121_930);
    assert_eq!(summarize(&preset("lenet-5").unwrap(), 64).params, 61_706);
    assert_eq!(summarize(&preset("mlp").unwrap(), 64).params, 118_282);
    // 26 → ⌈26/2⌉ = 13 → 11 → 6: 6·6·64 = 2304 inputs to the dense layer.
    let strided = summarize(&preset("seed-001-strided").unwrap(), 64);
    assert_eq!(strided.rows[4].output, Shape::Flat(2304));
    assert_eq!(strided.params, 320 + 9_248 + 18_496 + 36_928 + 147_520 + 650);
}

#[test]
fn keras_names_and_defaults() {
    let spec = parse(
        r#"{"input": [32, 32, 3], "layers": [
            {"type": "Conv2D", "filters": 8, "kernel_size": [3, 5]},
            {"type": "BatchNormalization"},
            {"type": "MaxPooling2D"},
            {"type": "Conv2D", "filters": 4, "kernel_size": 1, "name": "pointwise"},
            {"type": "GlobalAveragePooling2D"},
            {"type": "Dense", "units": 3}
        ]}"#,
    )
    .unwrap();
    let names: Vec<&str> = spec.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["conv2d_1", "batch_norm_1", "max_pool2d_1", "pointwise", "global_avg_pool2d_1", "dense_1"]);
    let s = summarize(&spec, 1);
    assert_eq!(s.rows[0].output, map(30, 28, 8));
    assert_eq!(s.rows[2].output, map(15, 14, 8));
    assert_eq!(s.rows[4].output, Shape::Flat(4));
}

#[test]
fn residual_concat_and_se_blocks() {
    let spec = parse(
        r#"{"input": [16, 16, 8], "layers": [
            {"type": "residual", "layers": [
                {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"},
                {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same"}], "activation": "relu"},
            {"type": "residual", "projection": true, "layers": [
                {"type": "conv2d", "filters": 16, "kernel_size": 3, "strides": 2, "padding": "same"}]},
            {"type": "squeeze_excite", "ratio": 4},
            {"type": "concat", "branches": [
                [{"type": "conv2d", "filters": 4, "kernel_size": 1}],
                [{"type": "separable_conv2d", "filters": 6, "kernel_size": 3, "padding": "same"}],
                [{"type": "max_pool2d", "pool_size": 3, "strides": 1, "padding": "same"}],
                []]}
        ]}"#,
    )
    .unwrap();
    let s = summarize(&spec, 2);
    let find = |name: &str| s.rows.iter().find(|r| r.name == name).unwrap();
    assert_eq!(find("residual_1").output, map(16, 16, 8));
    assert_eq!(find("residual_1").trainable, 0);
    assert_eq!(find("residual_2").output, map(8, 8, 16));
    assert_eq!(find("residual_2").trainable, 8 * 16 + 16);
    assert_eq!(find("squeeze_excite_1").trainable, (16 + 1) * 4 + (4 + 1) * 16);
    assert_eq!(find("concat_1").output, map(8, 8, 4 + 6 + 16 + 16));
    assert_eq!(find("separable_conv2d_1").trainable, 9 * 16 + 16 * 6 + 6);
    assert_eq!(find("conv2d_3").depth, 1);
}

/// Each malformed spec and the exact message it must give.
#[test]
fn malformed_specs_give_placed_messages() {
    let cases: &[(&str, &str)] = &[
        ("[1, 2]", "the spec must be an object like {\"input\": [28, 28, 1], \"layers\": [ … ]}, got a list"),
        (r#"{"layers": [{"type": "flatten"}]}"#, "spec: missing \"input\": add the input shape, e.g. \"input\": [28, 28, 1] (height, width, channels)"),
        (r#"{"input": [28, 28], "layers": [{"type": "flatten"}]}"#, "spec: \"input\" must be [height, width, channels] of whole numbers ≥ 1, like [28, 28, 1] (or [n] for a flat vector), got [28,28]"),
        (r#"{"input": [28, 28, 1], "layers": []}"#, "spec: \"layers\" is empty: add at least one layer"),
        (r#"{"input": [28, 28, 1], "layer": []}"#, "spec: missing \"layers\": add the list of layers, e.g. \"layers\": [{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 10}]\nspec: unknown field \"layer\": did you mean \"layers\"? a spec has \"name\", \"description\", \"input\", \"layers\" and optionally \"training\""),
        (r#"{"input": [8], "layers": [{"type": "dense", "units": 2}], "training": {"batch": 0, "lr": -1, "schedule": "linear", "optimiser": "adam"}}"#, "spec.training.batch must be a whole number ≥ 1, got 0\nspec.training.schedule must be one of constant, step, cosine, onecycle, got \"linear\"\nspec.training.lr must be a positive number below 10, e.g. 0.001, got -1\nspec.training: unknown field \"optimiser\": did you mean \"optimizer\"? it may have epochs, batch, optimizer, lr, weight_decay, schedule, augment"),
        (r#"{"input": [8], "layers": [{"type": "dense", "units": 2}], "training": {"optimizer": "adamw", "weight_decay": 2}}"#, "spec.training.weight_decay must be a number from 0 up to (not including) 1, e.g. 0.004, got 2"),
        (r#"{"input": [8], "layers": [{"type": "dense", "units": 2}], "training": {"augment": {"shift": 2, "rotate": 10}}}"#, "spec.training.augment must be {\"shift\": pixels, \"rotate_deg\": degrees, \"scale\": fraction}: unknown field `rotate`, expected one of `shift`, `rotate_deg`, `scale`"),
        (r#"{"input": [3, 3, 1], "layers": [{"type": "conv2d", "filters": 4, "kernel_size": 5}]}"#, "layers[0] (conv2d): kernel 5×5 does not fit input 3×3 with padding \"valid\"; use padding \"same\", a smaller kernel, or fewer downsampling layers before it"),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "conv3d"}]}"#, "layers[0]: unknown layer type \"conv3d\" (did you mean \"conv2d\"?); known types: conv2d, depthwise_conv2d, separable_conv2d, max_pool2d, avg_pool2d, global_avg_pool2d, batch_norm, dense, flatten, activation, relu, leaky_relu, softmax, dropout, lrn, up_sampling2d, conv2d_transpose, residual, concat, squeeze_excite"),
        (r#"{"input": [8, 8, 1], "layers": [{"filters": 3}]}"#, "layers[0]: missing \"type\": say which layer this is, e.g. \"type\": \"conv2d\""),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "conv2d", "kernel_size": 3}]}"#, "layers[0] (conv2d): missing \"filters\": add it, e.g. \"filters\": 32"),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "conv2d", "filters": 0, "kernel_size": 3}]}"#, "layers[0] (conv2d): \"filters\" is 0 but must be at least 1"),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "conv2d", "filters": -2, "kernel_size": 3}]}"#, "layers[0] (conv2d): \"filters\" is -2 but must be at least 1"),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "conv2d", "filters": 2.5, "kernel_size": 3}]}"#, "layers[0] (conv2d): \"filters\" must be a whole number, got 2.5"),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "conv2d", "filters": 2, "kernel": 3}]}"#, "layers[0] (conv2d): missing \"kernel_size\": add it, e.g. \"kernel_size\": 3\nlayers[0] (conv2d): unknown field \"kernel\": did you mean \"kernel_size\"? its fields are \"filters\", \"kernel_size\", \"strides\", \"padding\", \"activation\", \"use_bias\", \"kernel_initializer\""),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3, "padding": "full"}]}"#, "layers[0] (conv2d): \"padding\" must be \"valid\" or \"same\", got \"full\""),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "conv2d", "filters": 2, "kernel_size": 3, "activation": "rellu"}]}"#, "layers[0] (conv2d): unknown activation \"rellu\" (did you mean \"relu\"?); use one of \"linear\", \"relu\", \"relu6\", \"leaky_relu\", \"sigmoid\", \"tanh\", \"softmax\""),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "flatten"}, {"type": "dense", "units": 3, "kernel_initializer": "zeros"}]}"#, "layers[1] (dense): \"kernel_initializer\" must be \"glorot_uniform\" (the default) or \"he_uniform\", got \"zeros\""),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "dropout", "rate": 1.0}]}"#, "layers[0] (dropout): \"rate\" is 1 but must be in [0, 1): the fraction of units dropped while training"),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "dropout"}]}"#, "layers[0] (dropout): missing \"rate\": add the fraction dropped, e.g. \"rate\": 0.25"),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "dense", "units": 10}]}"#, "layers[0] (dense): dense needs a flat input but gets 8×8×1; add {\"type\": \"flatten\"} (or {\"type\": \"global_avg_pool2d\"}) before it"),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "flatten"}, {"type": "conv2d", "filters": 2, "kernel_size": 3}]}"#, "layers[1] (conv2d): convolution needs a height×width×channels input but gets a flat vector of 64; move it before the flatten (or dense) layer"),
        (r#"{"input": [4, 4, 1], "layers": [{"type": "max_pool2d"}, {"type": "max_pool2d"}, {"type": "max_pool2d"}]}"#, "layers[2] (max_pool2d): pool 2×2 does not fit input 1×1 with padding \"valid\"; use padding \"same\", a smaller pool, or fewer downsampling layers before it"),
        (r#"{"input": [8, 8, 4], "layers": [{"type": "residual", "layers": [{"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same"}]}]}"#, "layers[0] (residual): the block turns 8×8×4 into 8×8×8, so its input cannot be added to its output; set \"projection\": true for a 1×1 conv shortcut, or keep the shape (\"same\" padding, stride 1, as many filters as input channels)"),
        (r#"{"input": [8, 8, 4], "layers": [{"type": "residual", "layers": [{"type": "conv2d", "filters": 0, "kernel_size": 3}]}]}"#, "layers[0].layers[0] (conv2d): \"filters\" is 0 but must be at least 1"),
        (r#"{"input": [8, 8, 4], "layers": [{"type": "concat", "branches": [[{"type": "conv2d", "filters": 2, "kernel_size": 3}], [{"type": "conv2d", "filters": 2, "kernel_size": 1}]]}]}"#, "layers[0] (concat): branch outputs 6×6×2, 8×8×2 cannot be concatenated on channels: their height and width must agree; use \"same\" padding and equal strides in every branch"),
        (r#"{"input": [8, 8, 4], "layers": [{"type": "squeeze_excite", "ratio": 8}]}"#, "layers[0] (squeeze_excite): \"ratio\" 8 is larger than the 4 channels, leaving no hidden units; use a ratio ≤ 4"),
        (r#"{"input": [8, 8, 4], "layers": [{"type": "batch_norm", "momentum": 1.5}]}"#, "layers[0] (batch_norm): \"momentum\" is 1.5 but must be in [0, 1)"),
        (r#"{"input": [8, 8, 4], "layers": [{"type": "depthwise_conv2d", "kernel_size": 3, "depth_multiplier": 2}]}"#, "layers[0] (depthwise_conv2d): \"depth_multiplier\" 2 is not supported; ConvPlay's depthwise conv has multiplier 1 (follow it with a 1×1 conv2d for more channels)"),
        (r#"{"input": [8, 8, 4], "layers": [{"type": "conv2d", "filters": 2, "kernel_size": [3, 3, 3]}]}"#, "layers[0] (conv2d): \"kernel_size\" must be a whole number ≥ 1 or [height, width] of them, got a list of 3 values"),
        (r#"{"input": [8, 8, 1], "layers": [{"type": "flatten"}, {"type": "dense", "units": 10}],}"#, "the spec is not valid JSON: trailing comma at line 1 column 86 (check for a missing comma, quote or bracket there)"),
    ];
    assert!(cases.len() >= 15);
    for (json, want) in cases {
        let err = parse(json).expect_err(json);
        assert_eq!(err.message(), *want, "for spec {json}");
    }
}

#[test]
fn several_problems_are_reported_together() {
    let err = parse(
        r#"{"input": [28, 28, 1], "layers": [
            {"type": "conv2d", "filters": 0, "kernel_size": 3},
            {"type": "dropout", "rate": 2},
            {"type": "dense", "units": -1}]}"#,
    )
    .unwrap_err();
    let msg = err.message();
    assert_eq!(msg.lines().count(), 3, "{msg}");
    assert!(msg.lines().all(|l| l.starts_with("layers[")), "{msg}");
}

#[test]
fn presets_parse_and_unknown_preset_lists_them() {
    for name in convplay::presets::names() {
        preset(name).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    assert_eq!(
        preset("resnet").unwrap_err().message(),
        "unknown preset \"resnet\": the presets are mnist-quick, seed-001, seed-004, lenet-5, mlp, course-3conv, seed-001-strided, \
         alexnet-mini, alexnet-mini-nolrn, googlenet-mini, resnet-mini, se-resnet-mini, xception-mini, segment-mini, mnist-best"
    );
}

#[test]
fn will_it_fit_names_fixes_computed_on_the_model() {
    let json: serde_json::Value =
        serde_json::from_str(convplay::presets::preset_json("course-3conv").unwrap()).unwrap();
    // 1 GB: the batch of 50 needs ≈ 1.25 GB in the engine with Adam (562 MB of kept
    // activations, 600 MB for the two activation-gradient buffers, 14.5 MB of parameters and state).
    let c = convplay::fit::check(&json, 50, 1_000_000_000, None).unwrap();
    assert!(!c.fits_budget && c.fits_limits);
    assert!(c.estimate.bytes > 1_200_000_000 && c.estimate.bytes < 1_300_000_000, "{}", c.estimate.bytes);
    assert_eq!(c.largest_buffer_layer, "conv2d_1");
    assert_eq!(c.largest_buffer.bytes, 1_500_000 * 4 * 50);
    let changes: Vec<&str> = c.fixes.iter().map(|f| f.change.as_str()).collect();
    assert_eq!(
        changes,
        [
            "batch 25 instead of 50",
            "f16 activations",
            "stride 4 in conv2d_1 (the first conv)",
            "half the feature maps in every conv layer",
            "remove conv2d_3"
        ]
    );
    let batch = &c.fixes[0];
    assert!(batch.fits && batch.estimate.bytes < 1_000_000_000);
    // Stride 4 first: conv1 output 50×75×100 instead of 100×150×100, a quarter, and so
    // every later output too.
    assert!(c.fixes[2].fits && c.fixes[2].estimate.bytes < c.estimate.bytes / 3);
    // Removing the last conv saves most: removing the first would feed the 200×300 image
    // to the 200-map conv and grow its output.
    assert!(!c.fixes[4].fits || c.fixes[4].estimate.bytes < c.estimate.bytes);
    // Device limits: a 128 MiB storage binding cannot hold conv1's 300 MB output.
    let c = convplay::fit::check(&json, 50, u64::MAX, Some((1 << 31, 128 << 20))).unwrap();
    assert!(c.fits_budget && !c.fits_limits);
    // 128 MiB / (1.5 M values × 4 bytes) = 22 instances; halving from 50 gives 12.
    assert_eq!(c.fixes[0].change, "batch 12 instead of 50");
    assert!(c.fixes[0].fits);
    // A model that fits gets no fixes.
    let c = convplay::fit::check(&json, 1, 4_000_000_000, None).unwrap();
    assert!(c.fits_budget && c.fixes.is_empty());
}

/// A spec with every layer type and block, the types' aliases included.
const EVERY_KIND: &str = r#"{"input": [12, 12, 3], "layers": [
    {"type": "conv2d", "filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"},
    {"type": "batch_norm"},
    {"type": "lrn", "depth_radius": 2},
    {"type": "UpSampling2D", "size": [1, 2], "interpolation": "bilinear"},
    {"type": "Conv2DTranspose", "filters": 5, "kernel_size": [2, 3], "strides": [1, 2], "padding": "same"},
    {"type": "max_pool2d", "pool_size": [1, 2]},
    {"type": "depthwise_conv2d", "kernel_size": 3, "strides": 2},
    {"type": "separable_conv2d", "filters": 6, "kernel_size": [3, 1], "padding": "same"},
    {"type": "max_pool2d", "pool_size": 2, "strides": 1},
    {"type": "avg_pool2d", "pool_size": 3, "strides": 1, "padding": "same"},
    {"type": "residual", "activation": "relu", "layers": [
        {"type": "conv2d", "filters": 6, "kernel_size": 3, "padding": "same", "activation": "relu"},
        {"type": "dropout", "rate": 0.1}]},
    {"type": "residual", "projection": true, "layers": [
        {"type": "conv2d", "filters": 10, "kernel_size": 3, "strides": 2, "padding": "same"}]},
    {"type": "squeeze_excite", "ratio": 2},
    {"type": "concat", "branches": [
        [{"type": "conv2d", "filters": 3, "kernel_size": 1}],
        [{"type": "separable_conv2d", "filters": 2, "kernel_size": 3, "padding": "same"}],
        [{"type": "max_pool2d", "pool_size": 2, "strides": 1, "padding": "same"}],
        []]},
    {"type": "activation", "activation": "leaky_relu", "alpha": 0.1},
    {"type": "relu"},
    {"type": "leaky_relu"},
    {"type": "softmax"},
    {"type": "global_avg_pool2d"},
    {"type": "dropout", "rate": 0.2},
    {"type": "concat", "branches": [[{"type": "dense", "units": 4}], []]},
    {"type": "dense", "units": 16, "activation": "tanh"},
    {"type": "residual", "layers": [{"type": "dense", "units": 16, "activation": "relu"}]},
    {"type": "flatten"},
    {"type": "dense", "units": 5, "activation": "softmax"}
]}"#;

/// Windows with strides larger than the kernel, and flat branches of a map concatenated.
const ODD_WINDOWS: &str = r#"{"input": [23, 17, 2], "layers": [
    {"type": "conv2d", "filters": 3, "kernel_size": [2, 3], "strides": [5, 4]},
    {"type": "max_pool2d", "pool_size": [2, 1], "strides": [1, 3], "padding": "same"},
    {"type": "concat", "branches": [[{"type": "flatten"}], [{"type": "global_avg_pool2d"}]]},
    {"type": "dense", "units": 3, "activation": "softmax"}
]}"#;

/// Every layer of a built model, blocks before their insides: (depth, name, input, output).
fn built_layers<B: convplay::backend::ops::Backend>(
    seq: &convplay::layers::block::Sequence<B>,
    depth: usize,
    out: &mut Vec<(usize, String, Shape, Shape)>,
) {
    for node in &seq.nodes {
        out.push((depth, node.name.clone(), node.input, node.output));
        for inner in node.op.inner() {
            built_layers(inner, depth + 1, out);
        }
    }
}

/// The parser's validated spec (walked by the rule it validated with), the built model and
/// the summary agree on every layer's shapes, for every preset and for every layer kind.
#[test]
fn parser_builder_and_summary_agree_layer_by_layer() {
    let mut specs: Vec<(String, convplay::spec::ModelSpec)> =
        convplay::presets::names().into_iter().map(|n| (n.to_string(), preset(n).unwrap())).collect();
    for (name, json) in [("every kind", EVERY_KIND), ("odd windows", ODD_WINDOWS)] {
        specs.push((name.into(), parse(json).unwrap_or_else(|e| panic!("{name}: {e}"))));
    }
    let kinds: std::collections::BTreeSet<&str> = {
        let s = summarize(&specs[specs.len() - 2].1, 1);
        s.rows.iter().map(|r| r.type_name).collect()
    };
    assert_eq!(kinds.len(), 17, "every layer kind is in the spec: {kinds:?}");
    for (name, spec) in &specs {
        let traced = convplay::spec::trace(&spec.layers, spec.input).unwrap();
        let parsed: Vec<(usize, String, Shape, Shape)> =
            traced.iter().map(|t| (t.depth, t.name.clone(), t.input, t.output)).collect();
        // The builder itself, so that models that are not classifiers (course-3conv) count too.
        let be = convplay::backend::cpu::backend::Cpu::new();
        let mut params = Vec::new();
        let mut builder = convplay::layers::build::Builder {
            be: &be,
            params: &mut params,
            stream: convplay::backend::cpu::rng::Stream::new(1),
            max_batch: 1,
            dropouts: 0,
            frozen: false,
        };
        let (body, shape, _) =
            builder.sequence(&spec.layers, spec.input, true).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(Ok(shape), convplay::spec::sequence_output(&spec.layers, spec.input), "{name}");
        let mut built = Vec::new();
        built_layers(&body, 0, &mut built);
        assert_eq!(parsed, built, "{name}: parser and builder");
        let summary: Vec<(usize, String, Shape)> =
            summarize(spec, 2).rows.iter().map(|r| (r.depth, r.name.clone(), r.output)).collect();
        let parsed: Vec<(usize, String, Shape)> = parsed.into_iter().map(|(d, n, _, o)| (d, n, o)).collect();
        assert_eq!(parsed, summary, "{name}: parser and summary");
    }
    // The odd windows by hand: h (23 − 2) / 5 + 1 = 5, w (17 − 3) / 4 + 1 = 4; then ⌈5 / 1⌉ × ⌈4 / 3⌉.
    let s = summarize(&specs.last().unwrap().1, 1);
    let out: Vec<Shape> = s.rows.iter().map(|r| r.output).collect();
    let flat = Shape::Flat;
    assert_eq!(out, [map(5, 4, 3), map(5, 2, 3), flat(33), flat(30), flat(3), flat(3)]);
    assert_eq!(s.rows[0].shape_formula, "h: (23 − 2) / 5 + 1 = 5; w: (17 − 3) / 4 + 1 = 4");
}

/// A spec changed after validation so that a layer cannot take its input: the builder says
/// which layer and why, and the summary names the problem in the row, neither panics.
#[test]
fn unvalidated_shapes_give_errors_not_panics() {
    let mut spec = parse(ODD_WINDOWS).unwrap();
    spec.input = map(1, 17, 2);
    let err = convplay::model::Model::new(convplay::backend::cpu::backend::Cpu::new(), &spec, 1, 1).err().unwrap();
    assert_eq!(
        err.message(),
        "layer \"conv2d_1\" (conv2d): kernel 2×3 does not fit input 1×17 with padding \"valid\"; use padding \"same\", \
         a smaller kernel, or fewer downsampling layers before it; validate the spec with spec::parse before building it"
    );
    let s = summarize(&spec, 1);
    assert!(
        s.rows[0].shape_formula.starts_with("cannot take 1×17×2: kernel 2×3 does not fit"),
        "{}",
        s.rows[0].shape_formula
    );
    assert!(convplay::spec::trace(&spec.layers, spec.input).is_err());
}

// ---- Issue 13: unique names, exact sizes past 32 bits, bounded work ----

fn spec_error(json: &str) -> String {
    parse(json).unwrap_err().message()
}

#[test]
fn layer_names_are_unique_and_automatic_names_skip_given_ones() {
    // The automatic name of layers[0] would be dense_1, which layers[1] gives itself: the
    // automatic one takes the next free number.
    let s = parse(
        r#"{"input": [4], "layers": [{"type": "dense", "units": 3},
            {"type": "dense", "units": 2, "name": "dense_1"}, {"type": "dense", "units": 2}]}"#,
    )
    .unwrap();
    let names: Vec<&str> = s.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["dense_2", "dense_1", "dense_3"]);
    // Two given names alike: placed at the second, naming the first.
    assert_eq!(
        spec_error(
            r#"{"input": [4], "layers": [{"type": "dense", "units": 3, "name": "dense_1"}, {"type": "dropout", "rate": 0.1},
            {"type": "dense", "units": 3, "name": "x"}, {"type": "dense", "units": 2, "name": "dense_1"}]}"#
        ),
        "layers[3] (dense): name \"dense_1\" is already used by layers[0]; give each layer its own name"
    );
    // Inside blocks too: parameters are named by the layer's own name ("c/kernel").
    assert_eq!(
        spec_error(
            r#"{"input": [4, 4, 2], "layers": [{"type": "conv2d", "name": "c", "filters": 2, "kernel_size": 1},
            {"type": "residual", "layers": [{"type": "conv2d", "name": "c", "filters": 2, "kernel_size": 1}]},
            {"type": "concat", "branches": [[{"type": "max_pool2d", "name": "p", "pool_size": 1}],
                                             [{"type": "max_pool2d", "name": "p", "pool_size": 1}]]}]}"#
        ),
        "layers[1].layers[0] (conv2d): name \"c\" is already used by layers[0]; give each layer its own name\n\
         layers[2].branches[1][0] (max_pool2d): name \"p\" is already used by layers[2].branches[0][0]; give each layer its own name"
    );
    assert_eq!(
        spec_error(r#"{"input": [4], "layers": [{"type": "dense", "units": 2, "name": "r/projection"}]}"#),
        "layers[0] (dense): name \"r/projection\" contains \"/\", which separates a layer's name from its parameters' \
         (\"r/projection/kernel\"); use another character, such as \"_\" or \".\""
    );
    assert_eq!(
        spec_error(r#"{"input": [4], "layers": [{"type": "dense", "units": 2, "name": ""}]}"#),
        "layers[0] (dense): \"name\" is empty: give the layer a name, or leave \"name\" out"
    );
}

#[test]
fn generated_specs_never_give_two_parameters_one_name() {
    // Every mix of given and automatic names over three slots, at the top and in a block:
    // a spec that parses builds a model whose parameter names are all different, and saves.
    let given = [None, Some("conv2d_1"), Some("conv2d_2"), Some("residual_1"), Some("b")];
    let mut parsed = 0;
    for a in given {
        for b in given {
            for c in given {
                let layer = |n: Option<&str>| match n {
                    Some(n) => format!(r#"{{"type": "conv2d", "filters": 2, "kernel_size": 1, "name": "{n}"}}"#),
                    None => r#"{"type": "conv2d", "filters": 2, "kernel_size": 1}"#.to_string(),
                };
                let json = format!(
                    r#"{{"input": [3, 3, 2], "layers": [{}, {{"type": "residual", "projection": true, "layers": [{}]}},
                       {}, {{"type": "flatten"}}, {{"type": "dense", "units": 2, "activation": "softmax"}}]}}"#,
                    layer(a),
                    layer(b),
                    layer(c)
                );
                let Ok(spec) = parse(&json) else { continue };
                parsed += 1;
                let model =
                    convplay::model::Model::new(convplay::backend::cpu::backend::Cpu::new(), &spec, 1, 1).unwrap();
                let mut names: Vec<&str> = model.params.iter().map(|p| p.name.as_str()).collect();
                let n = names.len();
                names.sort_unstable();
                names.dedup();
                assert_eq!(names.len(), n, "{json}");
                let bytes = pollster::block_on(convplay::weights::save(&model, &Default::default()));
                assert!(bytes.is_ok(), "{json}");
            }
        }
    }
    assert!(parsed > 20, "{parsed}");
}

#[test]
fn saving_two_tensors_of_one_name_is_an_error_not_a_panic() {
    let t = |n: &str| (n.to_string(), vec![2], vec![1.0, 2.0]);
    let e = convplay::weights::encode(
        &serde_json::json!({}),
        &Default::default(),
        &[t("a/kernel"), t("b/kernel"), t("a/kernel")],
        convplay::weights::Storage::F32,
    )
    .unwrap_err();
    assert_eq!(
        e.message(),
        "cannot write the weights file: two tensors are named \"a/kernel\"; give each layer its own name"
    );
}

#[test]
fn sizes_past_32_bits_are_exact_and_too_large_for_the_engine() {
    // On wasm32, 65536·65536 wrapped to 0: a 0-element flatten and 10 parameters.
    let spec =
        parse(r#"{"input": [65536, 65536, 1], "layers": [{"type": "flatten"}, {"type": "dense", "units": 10}]}"#)
            .unwrap();
    let s = summarize(&spec, 32);
    assert_eq!(s.rows[0].output, Shape::Flat(4_294_967_296));
    assert_eq!(s.params, 42_949_672_970);
    assert_eq!(s.rows[1].macs, 42_949_672_960);
    assert_eq!(s.inference.params.bytes, 171_798_691_880);
    assert_eq!(
        s.too_large.as_deref(),
        Some(
            "too large for this engine: the input 65536×65536×1 has 4,294,967,296 elements, more than the \
             4,294,967,295 one buffer can hold"
        )
    );
    let text = s.to_text();
    assert!(text.contains("Total params: 42,949,672,970 (trainable 42,949,672,970, non-trainable 0)"), "{text}");
    assert!(text.contains("Note: too large for this engine: the input 65536×65536×1"), "{text}");
    // Will it fit: not in 4 GB.
    let json: serde_json::Value = serde_json::to_value(&spec.source).unwrap();
    let c = convplay::fit::check(&json, 32, 4_000_000_000, None).unwrap();
    assert!(!c.fits_budget, "{:?}", c.estimate);
    assert!(c.estimate.bytes > 171_798_691_880 * 4);
    // The largest batch a host can name: held too large, no overflow.
    let c = convplay::fit::check(&json, usize::MAX, 4_000_000_000, Some((1 << 31, 1 << 31))).unwrap();
    assert!(!c.fits_budget && !c.fits_limits && c.estimate.bytes == convplay::spec::size::MAX_COUNT);

    // A layer's parameters past one buffer (the input fits).
    let s = summarize(
        &parse(r#"{"input": [65536], "layers": [{"type": "dense", "units": 65536, "use_bias": false}]}"#).unwrap(),
        1,
    );
    assert_eq!(s.params, 4_294_967_296);
    assert_eq!(
        s.too_large.as_deref(),
        Some(
            "too large for this engine: dense_1 (dense) has 4,294,967,296 parameters, more than the \
             4,294,967,295 one buffer can hold"
        )
    );
    // Every buffer fits, but parameters and peak activations pass 4 GiB.
    let s = summarize(
        &parse(r#"{"input": [1024, 1024, 1], "layers": [{"type": "conv2d", "filters": 1024, "kernel_size": 1}]}"#)
            .unwrap(),
        1,
    );
    assert_eq!(s.inference.total.bytes, 2048 * 4 + (1u64 << 20) * 4 + (1u64 << 30) * 4);
    assert_eq!(
        s.too_large.as_deref(),
        Some(
            "too large for this engine: parameters and peak activations need 4,299,169,792 bytes, more than the \
             4,294,967,296 bytes (4 GiB) a wasm32 engine can address"
        )
    );
    // A count past 2^53 − 1 is held there and said to be too large, never wrapped.
    let s = summarize(
        &parse(
            r#"{"input": [1000000, 1000000, 1], "layers": [{"type": "flatten"},
                {"type": "dense", "units": 4294967295}]}"#,
        )
        .unwrap(),
        1,
    );
    assert_eq!(s.params, convplay::spec::size::MAX_COUNT);
    assert_eq!(
        s.too_large.as_deref(),
        Some(
            "too large for this engine: the parameter count is past 9,007,199,254,740,991 (2^53 − 1), the most it \
             counts exactly"
        )
    );
    assert!(s.to_text().contains("Total params: over 9,007,199,254,740,991 (too large to count)"));
    // A shape that cannot be counted at all is a placed spec error.
    assert_eq!(
        spec_error(
            r#"{"input": [1000000, 1000000, 1], "layers": [{"type": "conv2d", "filters": 10000, "kernel_size": 1}]}"#
        ),
        "layers[0] (conv2d): the output 1000000×1000000×10000 has more than 9007199254740991 (2^53 − 1) elements, \
         too many to count exactly; use a smaller input, fewer channels or more downsampling"
    );
    // Small models say nothing.
    assert_eq!(summarize(&preset("seed-001").unwrap(), 32).too_large, None);
}

/// A chain of `convs` 3×3 "same" conv layers, then flatten and a softmax dense.
fn long_spec(convs: usize) -> String {
    let conv = r#"{"type": "conv2d", "filters": 4, "kernel_size": 3, "padding": "same", "activation": "relu"}"#;
    let mut layers = vec![conv; convs];
    layers.push(r#"{"type": "flatten"}"#);
    layers.push(r#"{"type": "dense", "units": 10, "activation": "softmax"}"#);
    format!(r#"{{"input": [16, 16, 1], "layers": [{}]}}"#, layers.join(", "))
}

#[test]
fn an_801_layer_spec_is_summarised_and_checked_in_linear_time() {
    let json = long_spec(799);
    let start = std::time::Instant::now();
    let spec = parse(&json).unwrap();
    let s = summarize(&spec, 64);
    // A budget it misses, so that every fix is computed.
    let c = convplay::fit::check_text(&json, 64, 1_000_000, None).unwrap();
    let took = start.elapsed();
    assert_eq!(s.rows.len(), 801);
    assert!(!c.fits_budget && c.fixes.len() == 5, "{:?}", c.fixes);
    // Re-parsing per conv layer (as before) took seconds here; linear work takes a few ms.
    let bound = if cfg!(debug_assertions) { 1500 } else { 200 };
    assert!(took.as_millis() < bound, "summary and fit check of 801 layers took {took:?} (bound {bound} ms)");
}

#[test]
fn spec_size_and_layer_count_are_capped() {
    // 1,000 layers (blocks' inner layers counted) parse; 1,001 do not.
    assert!(parse(&long_spec(998)).is_ok());
    assert_eq!(
        spec_error(&long_spec(999)),
        "spec: the model has 1001 layers (counting the layers inside blocks), more than the limit of 1000; use fewer layers"
    );
    let inner = r#"{"type": "dropout", "rate": 0.1}"#;
    let block = format!(r#"{{"type": "residual", "layers": [{}]}}"#, vec![inner; 999].join(", "));
    assert_eq!(
        spec_error(&format!(r#"{{"input": [4], "layers": [{block}, {inner}]}}"#)),
        "spec: the model has 1001 layers (counting the layers inside blocks), more than the limit of 1000; use fewer layers"
    );
    let long =
        format!(r#"{{"input": [4], "description": "{}", "layers": [{{"type": "flatten"}}]}}"#, "x".repeat(262_144));
    assert_eq!(
        spec_error(&long),
        format!(
            "the spec is {} bytes of JSON, more than the limit of 262144 (256 KiB); use fewer layers, or remove \
             descriptions and other text from it",
            long.len()
        )
    );
    assert_eq!(convplay::fit::check_text(&long, 1, 1, None).unwrap_err().message(), spec_error(&long));
}
