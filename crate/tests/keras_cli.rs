//! `convplay import-keras` and `convplay export-keras` on the command line.

mod common;

use std::process::Command;

fn convplay(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_convplay")).args(args).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into(), String::from_utf8_lossy(&out.stderr).into())
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("convplay-keras-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn import_keras_prints_the_ignored_lines_and_the_summary_and_writes_the_spec() {
    let dir = scratch("import");
    let notebook = common::repo_root().join("crate/tests/keras-notebooks/seed-001.py");
    let spec = dir.join("seed-001.json");
    let (ok, out, err) = convplay(&["import-keras", notebook.to_str().unwrap(), "--spec-out", spec.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(out.contains("   2 | import numpy as np"), "{out}");
    assert!(out.contains("  59 | 938/938 [=="), "{out}");
    assert!(out.contains("121,930"), "{out}");
    let written = convplay::spec::parse(&std::fs::read_to_string(&spec).unwrap()).unwrap();
    assert_eq!(written.layers, convplay::presets::preset("seed-001").unwrap().layers);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn import_keras_places_its_errors_in_the_file() {
    let dir = scratch("bad");
    let file = dir.join("bad.py");
    std::fs::write(&file, "import keras\nmodel = keras.Sequential([\n    keras.layers.Conv3D(8, 3),\n])\n").unwrap();
    let (ok, _, err) = convplay(&["import-keras", file.to_str().unwrap()]);
    assert!(!ok && !err.contains("panicked"), "{err}");
    let want = format!("error: {}: line 3: Conv3D is not supported; supported layers are Conv2D", file.display());
    assert!(err.starts_with(&want), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn export_keras_prints_code_that_reads_back() {
    let (ok, code, err) = convplay(&["export-keras", "--spec", "seed-004"]);
    assert!(ok, "{err}");
    assert!(code.contains("(505,098 parameters"), "{code}");
    assert!(code.contains("model.fit(x_train, y_train, epochs=15, batch_size=128)"), "{code}");
    let back = convplay::keras::to_spec(&code).unwrap();
    assert_eq!(back.spec.layers, convplay::presets::preset("seed-004").unwrap().layers);
    let (ok, _, err) = convplay(&["export-keras", "--spec", "no-such-preset"]);
    assert!(!ok && err.contains("unknown preset \"no-such-preset\""), "{err}");
}
