//! Keras code in, Keras code out (crate/src/keras/): the course's three Keras models pasted
//! with the notebook around them, each bad input with its message, and every preset written
//! as Keras code, checked by Python's own parser and read back to the same layers.

mod common;

use convplay::keras::{from_spec, to_spec};
use convplay::spec::{parse, ModelSpec, Recipe};
use convplay::summary::summarize;
use convplay::train::{Data, Trainer};
use convplay::Engine;
use std::io::Write;
use std::process::{Command, Stdio};

fn notebook(name: &str) -> String {
    let path = common::repo_root().join("crate/tests/keras-notebooks").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn params(spec: &ModelSpec) -> u64 {
    summarize(spec, 1).params
}

fn ignored_lines(text: &str) -> Vec<usize> {
    to_spec(text).unwrap().ignored.iter().map(|i| i.line).collect()
}

#[test]
fn seed_001_from_a_notebook() {
    let text = notebook("seed-001.py");
    let got = to_spec(&text).unwrap();
    assert_eq!(params(&got.spec), 121_930);
    let preset = convplay::presets::preset("seed-001").unwrap();
    assert_eq!(got.spec.layers, preset.layers);
    assert_eq!(got.spec.input, preset.input);
    assert_eq!(
        got.spec.training,
        Some(Recipe {
            epochs: Some(10),
            batch: Some(64),
            optimizer: Some("adam".into()),
            lr: Some(0.001),
            schedule: Some("constant".into()),
            ..Recipe::default()
        })
    );
    let ignored = ignored_lines(&text);
    // The prompts, imports, data loading, printed shapes, the summary table, the training log.
    for line in [1, 2, 3, 5, 8, 11, 12, 14, 25, 26, 30, 47, 58, 59, 61, 62, 63, 64, 65] {
        assert!(ignored.contains(&line), "line {line} ({:?}) is not listed as ignored", text.lines().nth(line - 1));
    }
    // The model, compile and fit are read, not ignored.
    for line in [15, 16, 17, 24, 53, 55, 56, 57] {
        assert!(!ignored.contains(&line), "line {line} is listed as ignored");
    }
    let first = &to_spec(&text).unwrap().ignored[0];
    assert_eq!((first.line, first.text.as_str()), (1, "In [1]:"));
}

#[test]
fn seed_004_from_ipython_with_model_add() {
    let text = notebook("seed-004.py");
    let got = to_spec(&text).unwrap();
    assert_eq!(params(&got.spec), 505_098);
    assert_eq!(summarize(&got.spec, 1).non_trainable, 704);
    assert_eq!(got.spec.layers, convplay::presets::preset("seed-004").unwrap().layers);
    let r = got.spec.training.unwrap();
    assert_eq!((r.epochs, r.batch, r.optimizer.as_deref(), r.lr), (Some(15), Some(128), Some("adam"), Some(0.001)));
    let ignored = ignored_lines(&text);
    for line in [1, 2, 3, 5, 6, 25, 26, 27, 30, 32, 33, 40, 41, 42] {
        assert!(ignored.contains(&line), "line {line} ({:?}) is not listed as ignored", text.lines().nth(line - 1));
    }
    for line in [8, 9, 23, 36, 37, 39] {
        assert!(!ignored.contains(&line), "line {line} is listed as ignored");
    }
}

#[test]
fn the_keras_tutorial_cnn_imports_and_trains() {
    let text = notebook("tutorial-cnn.py");
    let got = to_spec(&text).unwrap();
    assert_eq!(params(&got.spec), 93_322);
    let kinds: Vec<&str> = got.spec.layers.iter().map(|l| l.kind.type_name()).collect();
    assert_eq!(kinds, ["conv2d", "max_pool2d", "conv2d", "max_pool2d", "conv2d", "flatten", "dense", "dense"]);
    // from_logits=True: the softmax is in the loss, so ConvPlay's last layer carries it.
    assert!(got.json.contains(r#"{"type": "dense", "units": 10, "activation": "softmax"}"#), "{}", got.json);
    let r = got.spec.training.clone().unwrap();
    assert_eq!((r.epochs, r.batch), (Some(10), Some(32)), "Keras's default batch is 32");
    // It trains: a few batches of made-up digits on the CPU give a finite loss.
    let mut t = Trainer::new(&Engine::Cpu { fallback_reason: None }, &got.spec, 8, 1).unwrap();
    let pixels: Vec<u8> = (0..16 * 784).map(|i| ((i * 31 + 7) % 256) as u8).collect();
    t.set_train_data(Data::U8(pixels), (0..16).map(|i| (i % 10) as u8).collect()).unwrap();
    assert_eq!(t.start_epoch(1).unwrap(), 2);
    t.train_batches(2).unwrap();
    let (loss, _, n) = pollster::block_on(t.take_metrics()).unwrap();
    assert_eq!(n, 16);
    assert!(loss.is_finite() && loss > 0.0, "loss {loss}");
}

#[test]
fn the_rest_of_the_subset() {
    let text = r#"
import keras
from keras import layers
num_classes = 10
input_shape = (28, 28, 1)
model = keras.Sequential(
    [
        keras.Input(shape=input_shape),
        layers.SeparableConv2D(16, kernel_size=3, padding="same", use_bias=False),
        layers.BatchNormalization(momentum=0.9, epsilon=1e-5),
        layers.ReLU(),
        layers.DepthwiseConv2D((3, 3), strides=2, depthwise_initializer="he_uniform"),
        layers.Activation(keras.activations.relu6),
        layers.AveragePooling2D(pool_size=2, strides=1, padding="same"),
        tf.keras.layers.MaxPool2D(),
        layers.LeakyReLU(negative_slope=0.1),
        layers.GlobalAveragePooling2D(),
        Dropout(0.5, seed=1),
        layers.Dense(num_classes, activation="softmax", name="head"),
    ],
    name="rest",
)
model.compile(optimizer=keras.optimizers.AdamW(learning_rate=3e-4, weight_decay=0.01), loss="categorical_crossentropy")
model.fit(x, y, 64, 3)
"#;
    let got = to_spec(text).unwrap();
    assert_eq!(got.spec.name, "rest");
    let kinds: Vec<&str> = got.spec.layers.iter().map(|l| l.kind.type_name()).collect();
    assert_eq!(
        kinds,
        [
            "separable_conv2d",
            "batch_norm",
            "activation",
            "depthwise_conv2d",
            "activation",
            "avg_pool2d",
            "max_pool2d",
            "activation",
            "global_avg_pool2d",
            "dropout",
            "dense"
        ]
    );
    assert_eq!(got.spec.layers[10].name, "head");
    let r = got.spec.training.unwrap();
    assert_eq!(
        (r.optimizer.as_deref(), r.lr, r.weight_decay, r.batch, r.epochs),
        (Some("adamw"), Some(3e-4), Some(0.01), Some(64), Some(3))
    );
    // A flat input and Keras's schedules.
    let mlp = "model = keras.Sequential([layers.Dense(32, activation='relu', input_dim=784), layers.Dense(10, \
               activation='softmax')])\nmodel.build((None, 784))";
    let err = to_spec(mlp).unwrap_err().to_string();
    assert_eq!(err, "line 2: a second input shape (the first is at line 1); give it once");
    let cosine = "model = keras.Sequential([keras.Input((784,)), layers.Dense(10, activation='softmax')])\n\
                  model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(0.002, 100)), \
                  loss='sparse_categorical_crossentropy')";
    let r = to_spec(cosine).unwrap().spec.training.unwrap();
    assert_eq!((r.schedule.as_deref(), r.lr), (Some("cosine"), Some(0.002)));
    // Keras 3's Adam(weight_decay=...) decays decoupled: ConvPlay's AdamW.
    let decayed = cosine.replace("Adam(keras", "Adam(weight_decay=0.01, learning_rate=keras");
    let r = to_spec(&decayed).unwrap().spec.training.unwrap();
    assert_eq!((r.optimizer.as_deref(), r.weight_decay), (Some("adamw"), Some(0.01)));
}

/// Each bad input and the message it gets (docs/reliability.md lists them).
#[test]
fn bad_input_gets_a_placed_message() {
    let model = |body: &str| format!("import keras\nmodel = keras.Sequential()\n{body}");
    let cases: &[(String, &str)] = &[
        (
            model("model.add(layers.Conv2D(8, 3, input_shape=(28, 28, 1)))\nmodel.add(layers.Conv3D(8, 3))"),
            "line 4: Conv3D is not supported; supported layers are Conv2D, Convolution2D, SeparableConv2D",
        ),
        (
            model("model.add(layers.Dense(10, activation='gelu', input_shape=(784,)))"),
            "line 3: ConvPlay has no \"gelu\" activation; it has \"linear\", \"relu\"",
        ),
        (model("model.add(layers.Dense(10))"), "line 2: the model has no input shape: give the first layer input_shape=(28, 28, 1)"),
        (
            model("model.add(layers.Conv2D(0, 3, input_shape=(28, 28, 1)))"),
            "line 3 (Conv2D): \"filters\" is 0 but must be at least 1",
        ),
        (
            model("model.add(layers.Conv2D(8, 5, input_shape=(3, 3, 1)))"),
            "line 3 (Conv2D): kernel 5×5 does not fit input 3×3",
        ),
        (
            model("model.add(layers.Conv2D(8, 3, dilation_rate=2, input_shape=(28, 28, 1)))"),
            "line 3: Conv2D's dilation_rate=2 is not supported by ConvPlay (only the default, 1)",
        ),
        (
            model("model.add(layers.Conv2D(8, 3, kernel_regularizer=l2, input_shape=(28, 28, 1)))"),
            "line 3: Conv2D's kernel_regularizer: l2 is not a value ConvPlay can read",
        ),
        (
            model("model.add(layers.Dense(8, input_shape=(None, 4)))"),
            "line 3: the input shape has None in it; ConvPlay's models have a fixed input size",
        ),
        (
            model("model.add(layers.Dense(10, activation='softmax', input_shape=(4,)))\nmodel.compile(optimizer='rmsprop', loss='sparse_categorical_crossentropy')"),
            "line 4: the optimizer rmsprop is not supported; ConvPlay trains with Adam, AdamW or SGD",
        ),
        (
            model("model.add(layers.Dense(10, activation='softmax', input_shape=(4,)))\nmodel.compile(optimizer='sgd', loss='sparse_categorical_crossentropy')"),
            "line 4: ConvPlay's SGD has Nesterov momentum 0.9: write keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, nesterov=True)",
        ),
        (
            model("model.add(layers.Dense(10, activation='softmax', input_shape=(4,)))\nmodel.compile(optimizer=keras.optimizers.SGD(momentum=0.9, nesterov=True, weight_decay=0.01), loss='sparse_categorical_crossentropy')"),
            "line 4: SGD's weight_decay= is decoupled in Keras, and ConvPlay's SGD has an L2 term instead",
        ),
        (
            model("model.add(layers.Dense(1, activation='sigmoid', input_shape=(4,)))\nmodel.compile(optimizer='adam', loss='binary_crossentropy')"),
            "line 4: the loss binary_crossentropy is not supported; ConvPlay trains classifiers with softmax cross-entropy",
        ),
        (
            "inputs = keras.Input(shape=(28, 28, 1))\nx = layers.Flatten()(inputs)\noutputs = layers.Dense(10)(x)\nmodel = keras.Model(inputs, outputs)".into(),
            "line 4: the functional API (keras.Model(inputs, outputs)) is not read; write the model as keras.Sequential",
        ),
        ("import numpy as np\nprint('hello')".into(), "no Keras model found: paste code with model = keras.Sequential([...])"),
        (
            "model = keras.Sequential([\n    layers.Dense(10, input_shape=(4,)),\n    layers.Dense(10, activation='relu'\n".into(),
            "line 1: a bracket opened here is never closed",
        ),
        (
            "model = keras.Sequential([layers.Dense(10, input_shape=(4,), activation='relu)])".into(),
            "line 1: a string is not closed on its line",
        ),
        (
            model("model.add(layers.Dense(10, activation='softmax', input_shape=(4,)))\nmodel2 = keras.Sequential()"),
            "line 4: a second model (the first is at line 2); paste one model at a time",
        ),
        (
            model("model.add(layers.Dense(10, input_shape=(4,)))\nmodel.add(layers.Dense(10, input_shape=(4,)))"),
            "line 4: the input shape belongs to the first layer (or keras.Input before it)",
        ),
        (
            model("model.add(layers.Dense(10, input_shape=(4,)))\nmodel.fit(x, y, epochs=0)"),
            "line 4: fit's epochs=0 must be a whole number ≥ 1",
        ),
        (
            "model = keras.Sequential([layers.Dense(10, input_shape=(4,)), layers.Dense(10)(x)])".into(),
            "line 1: calling the result of a call (the functional API, layer(...)(x)) is not read",
        ),
        (
            model("model.add(layers.Dense(10, input_shape=x_train.shape[1:]))"),
            "line 3: indexing with [...] is not part of the Keras subset ConvPlay reads; write the value itself, e.g. \
             input_shape=(28, 28, 1)",
        ),
        (model("model.add(layers.Dropout(1.5, input_shape=(4,)))"), "line 3 (Dropout): \"rate\" is 1.5 but must be in [0, 1)"),
        (
            model("model.add(layers.Dense(10, input_shape=(4,)))\nmodel.add(layers.Dense(10, activation=lambda x: x))"),
            "line 4: \"lambda\" is Python that ConvPlay does not read (it is not an evaluator)",
        ),
    ];
    for (text, want) in cases {
        let got = to_spec(text).err().unwrap_or_else(|| panic!("no error for {text:?}")).to_string();
        assert!(got.starts_with(want), "for {text:?}\n got: {got}\nwant: {want}…");
    }
    // Too long: refused before reading.
    let long = "#".repeat(convplay::keras::MAX_KERAS_BYTES + 1);
    assert!(to_spec(&long).unwrap_err().to_string().contains("more than the limit of 1048576 (1 MiB)"));
}

/// `python3 -c "import ast; ast.parse(...)"` on `code`; a missing python3 fails the test.
fn python_parses(code: &str) -> Result<(), String> {
    let mut child = Command::new("python3")
        .args(["-c", "import ast, sys; ast.parse(sys.stdin.read())"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed to check the exported Keras code (install python3)");
    child.stdin.take().unwrap().write_all(code.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The presets Keras's Sequential API cannot write (LRN, residual, concat and SE blocks): the
/// architecture zoo's.
const NOT_SEQUENTIAL: [&str; 5] = ["alexnet-mini", "googlenet-mini", "resnet-mini", "se-resnet-mini", "xception-mini"];

/// A preset as Keras code; None (after checking that the refusal says why) for those it cannot be.
fn exported(name: &str, spec: &convplay::spec::ModelSpec) -> Option<String> {
    match from_spec(spec) {
        Ok(code) => {
            assert!(!NOT_SEQUENTIAL.contains(&name), "{name} was expected to need more than Sequential");
            Some(code)
        }
        Err(e) => {
            assert!(NOT_SEQUENTIAL.contains(&name), "{name}: {e}");
            assert!(
                e.to_string().contains("Keras has no local response") || e.to_string().contains("Sequential"),
                "{e}"
            );
            None
        }
    }
}

#[test]
fn every_preset_exports_as_valid_python_and_reads_back_the_same() {
    for name in convplay::presets::names() {
        let spec = convplay::presets::preset(name).unwrap();
        let Some(code) = exported(name, &spec) else { continue };
        python_parses(&code).unwrap_or_else(|e| panic!("{name}: the exported code is not Python: {e}\n{code}"));
        let back = to_spec(&code).unwrap_or_else(|e| panic!("{name}: {e}\n{code}")).spec;
        assert_eq!(back.layers, spec.layers, "{name}\n{code}");
        assert_eq!(back.input, spec.input, "{name}");
        assert_eq!(back.name, spec.name, "{name}");
        assert_eq!(params(&back), params(&spec), "{name}");
        if let Some(r) = &spec.training {
            let b = back.training.clone().unwrap();
            // A model MNIST cannot feed (segment-mini's 56×56 scenes) gets its fit line as a
            // comment, so its epochs and batch stay in the code as text and are not read back.
            let live_fit = !code.contains("\n# model.fit(");
            let (epochs, batch) = if live_fit { (r.epochs, r.batch) } else { (None, None) };
            assert_eq!(
                (b.epochs, b.batch, &b.optimizer, b.lr, &b.schedule),
                (epochs, batch, &r.optimizer, r.lr, &r.schedule),
                "{name}\n{code}"
            );
            assert!(live_fit || name == "segment-mini", "{name}: only a model MNIST cannot feed comments its fit out");
        }
    }
    // The check can fail: Python refuses what is not Python.
    assert!(python_parses("model = keras.Sequential([").is_err());
}

#[test]
fn export_keeps_what_the_spec_says_and_refuses_blocks() {
    let spec = parse(
        r#"{"name": "x", "input": [32, 32, 3], "layers": [
        {"type": "conv2d", "name": "stem", "filters": 8, "kernel_size": [3, 5], "strides": 2, "padding": "same",
         "use_bias": false, "kernel_initializer": "he_uniform", "trainable": false},
        {"type": "batch_norm", "momentum": 0.9, "center": false},
        {"type": "leaky_relu", "alpha": 0.1},
        {"type": "separable_conv2d", "filters": 16, "kernel_size": 3, "activation": "relu6"},
        {"type": "depthwise_conv2d", "kernel_size": 3, "activation": "tanh"},
        {"type": "avg_pool2d", "pool_size": 3, "strides": 1},
        {"type": "global_avg_pool2d"},
        {"type": "dense", "units": 10, "activation": "softmax"}],
        "training": {"epochs": 2, "batch": 16, "optimizer": "sgd", "lr": 0.05, "schedule": "onecycle"}}"#,
    )
    .unwrap();
    let code = from_spec(&spec).unwrap();
    python_parses(&code).unwrap();
    assert!(code.contains(r#"layers.Conv2D(8, (3, 5), strides=2, padding="same", use_bias=False, kernel_initializer="he_uniform", name="stem", trainable=False),"#), "{code}");
    assert!(code.contains("warmup_target=0.05"), "{code}");
    assert!(code.contains("# model.fit(x_train, y_train, epochs=2, batch_size=16)"), "{code}");
    let back = to_spec(&code).unwrap().spec;
    assert_eq!(back.layers, spec.layers);
    let r = back.training.unwrap();
    assert_eq!((r.optimizer.as_deref(), r.lr, r.schedule.as_deref()), (Some("sgd"), Some(0.05), Some("onecycle")));

    let block = parse(
        r#"{"input": [8, 8, 4], "layers": [{"type": "residual", "layers": [{"type": "conv2d", "filters": 4,
        "kernel_size": 3, "padding": "same"}]}, {"type": "flatten"}, {"type": "dense", "units": 2, "activation": "softmax"}]}"#,
    )
    .unwrap();
    assert_eq!(
        from_spec(&block).unwrap_err().to_string(),
        "layers[0] (residual): a block needs Keras's functional API, and ConvPlay exports Sequential models only; \
         remove the block to export the model"
    );
}

/// Unclosed brackets on every line cost one pass, not one pass per line.
#[test]
fn a_paste_of_brackets_reads_in_linear_time() {
    let started = std::time::Instant::now();
    for text in ["x = (\n".repeat(150_000), format!("{}{}", "y = (\n".repeat(80_000), ")".repeat(80_000))] {
        let err = to_spec(&text).unwrap_err().to_string();
        assert!(err.starts_with("no Keras model found"), "{}", &err[..err.len().min(200)]);
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "took {:?}", started.elapsed());
}

/// Where Keras is installed (or CONVPLAY_REQUIRE_KERAS is set, which makes a missing Keras a
/// failure), every preset's exported model is built by Keras itself and counts the same parameters.
#[test]
fn keras_itself_builds_the_exported_models_where_installed() {
    let has_keras = Command::new("python3").args(["-c", "import keras"]).output().is_ok_and(|o| o.status.success());
    if !has_keras {
        assert!(
            std::env::var_os("CONVPLAY_REQUIRE_KERAS").is_none(),
            "CONVPLAY_REQUIRE_KERAS is set but Keras is not installed"
        );
        eprintln!("skipped: Keras is not installed for python3 (set CONVPLAY_REQUIRE_KERAS to make this a failure)");
        return;
    }
    for name in convplay::presets::names() {
        let spec = convplay::presets::preset(name).unwrap();
        let Some(code) = exported(name, &spec) else { continue };
        // The whole script (compile, the schedule, fit, evaluate) on 64 made-up digits instead of MNIST.
        let code = code.replace(
            "keras.datasets.mnist.load_data()",
            "((np.zeros((64, 28, 28), \"uint8\"), np.arange(64) % 10), (np.zeros((16, 28, 28), \"uint8\"), np.arange(16) % 10))",
        );
        let script = format!("import numpy as np\n{code}\nprint(model.count_params())");
        let out = Command::new("python3").args(["-c", &script]).output().unwrap();
        assert!(out.status.success(), "{name}: {}", String::from_utf8_lossy(&out.stderr));
        let printed = String::from_utf8_lossy(&out.stdout);
        assert_eq!(printed.trim().lines().last(), Some(params(&spec).to_string().as_str()), "{name}");
    }
}

/// Deep nesting and long arithmetic are refused before the parser's recursion could exhaust the stack.
#[test]
fn deep_nesting_is_a_placed_error_not_a_stack_overflow() {
    let deep = format!("model = keras.Sequential([layers.Dense({}1{})])", "(".repeat(100_000), ")".repeat(100_000));
    assert!(to_spec(&deep)
        .unwrap_err()
        .to_string()
        .starts_with("line 1: values nested more than 50 deep are not read"));
    let signs = format!("model = keras.Sequential([layers.Dense({}1)])", "-".repeat(100_000));
    assert!(to_spec(&signs)
        .unwrap_err()
        .to_string()
        .starts_with("line 1: values nested more than 50 deep are not read"));
    let sum =
        format!("n = {}1\nmodel = keras.Sequential([keras.Input((4,)), layers.Dense(n)])", "1 + ".repeat(100_000));
    assert!(to_spec(&sum).unwrap_err().to_string().starts_with("line 2: Dense's units: n is not a value"));
    let sum = format!("model = keras.Sequential([keras.Input((4,)), layers.Dense({}1)])", "1 + ".repeat(100_000));
    assert!(to_spec(&sum)
        .unwrap_err()
        .to_string()
        .starts_with("line 1: more than 200 arithmetic operators in one statement are not read"));
    // 200 operators are read.
    let sum = format!(
        "model = keras.Sequential([keras.Input((4,)), layers.Dense({}1, activation='softmax')])",
        "0 + ".repeat(200)
    );
    assert_eq!(to_spec(&sum).unwrap().spec.layers.len(), 1);
}
