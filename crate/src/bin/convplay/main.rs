//! The native ConvPlay CLI: one file per command; this one parses the command line, hands
//! it to the command and holds what several commands share (the engine, reading files, specs).
//! Like the library, no command may panic on purpose: a bad file or flag is an error message.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::unreachable, clippy::todo)]

mod bench;
mod classify;
mod ensemble;
mod import_efficientnet;
mod info;
mod keras;
mod mnist;
mod profile;
mod quantize;
mod recipe;
mod segment;
mod smoke;
mod summary;
mod train;
mod transfer_experiment;

use clap::{Parser, Subcommand};
use convplay::{BackendChoice, Engine};
use std::path::Path;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "convplay", version, about = "ConvPlay: a CNN playground (native command line)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show which backend and adapter the engine picks, and the device limits.
    Info(info::Args),
    /// Run the smoke kernel (out = a*x + y) on the engine and check it against the CPU.
    Smoke(smoke::Args),
    /// Shapes, parameters, FLOPs and memory of a model spec (a JSON file or a preset name).
    Summary(summary::Args),
    /// Train a preset or spec on MNIST or Fashion-MNIST and report loss, accuracy and speed per epoch.
    Train(train::Args),
    /// Semantic segmentation: train a spec (default segment-mini) on synthetic MNIST scenes and
    /// report pixel accuracy and mean IoU on held-out scenes.
    Segment(segment::Args),
    /// Re-store a ConvPlay weights file as int8 (per-output-channel kernels), f16 or f32;
    /// report each tensor's largest error and the MNIST test accuracy before and after.
    Quantize(quantize::Args),
    /// Evaluate trained MNIST models on the test set, alone and as an ensemble (the mean of
    /// their softmax outputs).
    Ensemble(ensemble::Args),
    /// Import EfficientNet-Lite0 from its PyTorch checkpoint into a ConvPlay weights file.
    ImportEfficientnet(import_efficientnet::Args),
    /// Classify photos with a ConvPlay weights file (an ImageNet model such as EfficientNet-Lite0).
    Classify(classify::Args),
    /// The transfer-learning experiment on Fashion-MNIST: 100 training images per class, and
    /// three classifiers tested on 1,000 held-out images: a new head on EfficientNet-Lite0's
    /// frozen features, the same head on raw pixels, and seed-001 trained from scratch.
    TransferExperiment(transfer_experiment::Args),
    /// Kernel GFLOP/s and training img/s (seed-004, batch 128) on the CPU and GPU backends.
    Bench(bench::Args),
    /// Read the four MNIST IDX files in a folder and print what they hold.
    Mnist(mnist::Args),
    /// Read a Keras Sequential model from Python code (a notebook cell or .py file): print the
    /// lines not read and the summary; --spec-out writes the spec.
    ImportKeras(keras::ImportArgs),
    /// Print a spec (a JSON file or a preset) as Keras code that builds the same model.
    ExportKeras(keras::ExportArgs),
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Info(a) => info::run(a),
        Command::Smoke(a) => smoke::run(a),
        Command::Summary(a) => summary::run(a),
        Command::Train(a) => on_threads(a.threads, || train::run(a)),
        Command::Segment(a) => on_threads(a.threads, || segment::run(a)),
        Command::Quantize(a) => quantize::run(a),
        Command::Ensemble(a) => on_threads(a.threads, || ensemble::run(a)),
        Command::ImportEfficientnet(a) => import_efficientnet::run(a),
        Command::Classify(a) => classify::run(a),
        Command::TransferExperiment(a) => on_threads(a.threads, || transfer_experiment::run(a)),
        Command::Bench(a) => bench::run(a),
        Command::Mnist(a) => mnist::run(a),
        Command::ImportKeras(a) => keras::import(a),
        Command::ExportKeras(a) => keras::export(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `--threads N`: how many threads the CPU backend's kernels share their work among.
#[derive(clap::Args, Clone, Copy)]
struct Threads {
    /// Threads for the CPU backend (default: all cores). Results are the same for any count.
    #[arg(long = "threads", value_name = "N")]
    n: Option<usize>,
}

impl Threads {
    /// The thread count: the flag's, else every core; 0 is refused.
    fn count(self) -> convplay::Result<usize> {
        let cores = convplay::backend::cpu::threads::available();
        match self.n {
            Some(0) => Err(convplay::Error::Invalid(format!(
                "--threads 0: give at least 1 (this machine has {cores} cores; leave it out to use them all)"
            ))),
            n => Ok(n.unwrap_or(cores)),
        }
    }
}

/// Runs `f` with the CPU backend on `threads` threads.
fn on_threads<T: Send>(threads: Threads, f: impl FnOnce() -> convplay::Result<T> + Send) -> convplay::Result<T> {
    convplay::backend::cpu::threads::pool(threads.count()?)?.install(f)
}

/// The engine for a `--backend` name.
fn engine(backend: &str) -> convplay::Result<Engine> {
    pollster::block_on(Engine::new(backend.parse::<BackendChoice>()?))
}

fn read_bytes(path: &Path) -> convplay::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| convplay::Error::Io(format!("cannot read {}: {e}", path.display())))
}

fn write_bytes(path: &Path, bytes: &[u8]) -> convplay::Result<()> {
    std::fs::write(path, bytes).map_err(|e| convplay::Error::Io(format!("cannot write {}: {e}", path.display())))
}

/// The JSON text of a spec argument: a file, or else a preset name.
fn spec_text(spec: &str) -> convplay::Result<String> {
    Ok(if Path::new(spec).exists() || spec.ends_with(".json") {
        String::from_utf8_lossy(&convplay::data::idx::read_file(Path::new(spec))?).into_owned()
    } else {
        convplay::presets::preset_json(spec)?.to_string()
    })
}

fn load_spec(spec: &str) -> convplay::Result<convplay::spec::ModelSpec> {
    convplay::spec::parse(&spec_text(spec)?)
}

/// Pretty JSON of a value the CLI prints.
fn json<T: serde::Serialize>(value: &T) -> convplay::Result<String> {
    serde_json::to_string_pretty(value).map_err(|e| convplay::Error::Invalid(format!("cannot write JSON: {e}")))
}
