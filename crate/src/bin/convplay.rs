//! The native ConvPlay CLI. Later issues add summary, train, eval, bench, quantize, import.

use clap::{Parser, Subcommand};
use convplay::{BackendChoice, Engine};
use std::path::PathBuf;
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
    Info {
        /// auto, gpu or cpu.
        #[arg(long, default_value = "auto")]
        backend: String,
    },
    /// Run the smoke kernel (out = a*x + y) on the engine and check it against the CPU.
    Smoke {
        #[arg(long, default_value = "auto")]
        backend: String,
        /// Number of values.
        #[arg(long, default_value_t = 1 << 20)]
        n: usize,
    },
    /// Shapes, parameters, FLOPs and memory of a model spec (a JSON file or a preset name).
    Summary {
        /// A spec file (JSON) or a preset: seed-001, seed-004, lenet-5, mlp, course-3conv.
        spec: String,
        /// Batch size for the training-memory estimate.
        #[arg(long, default_value_t = 128)]
        batch: usize,
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Read the four MNIST IDX files in a folder and print what they hold.
    Mnist {
        /// Folder holding train-images-idx3-ubyte.gz and the three others.
        #[arg(default_value = "www/public/data/mnist")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn engine(backend: &str) -> convplay::Result<Engine> {
    pollster::block_on(Engine::new(backend.parse::<BackendChoice>()?))
}

fn run(cli: Cli) -> convplay::Result<()> {
    match cli.command {
        Command::Info { backend } => {
            let info = engine(&backend)?.info();
            println!("{}", serde_json::to_string_pretty(&info).expect("info serialises"));
        }
        Command::Smoke { backend, n } => {
            let engine = engine(&backend)?;
            let info = engine.info();
            let x: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 * 0.001).collect();
            let y: Vec<f32> = (0..n).map(|i| 1.0 - (i % 7) as f32).collect();
            let t = std::time::Instant::now();
            let got = pollster::block_on(engine.saxpy(2.5, &x, &y))?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            let want = convplay::backend::cpu::saxpy(2.5, &x, &y);
            let max_err = got.iter().zip(&want).map(|(g, w)| (g - w).abs() / w.abs().max(1.0)).fold(0.0f32, f32::max);
            println!("smoke kernel on {} ({}): {n} values in {ms:.2} ms, max relative |engine - cpu| = {max_err:e}", info.api, info.adapter);
            if max_err > 2.5e-7 {
                return Err(convplay::Error::Gpu(format!("smoke kernel disagrees with the CPU by {max_err}")));
            }
        }
        Command::Summary { spec, batch, json } => {
            if batch == 0 {
                return Err(convplay::Error::Invalid("--batch 0: use a batch of at least 1".into()));
            }
            let text = if std::path::Path::new(&spec).exists() || spec.ends_with(".json") {
                String::from_utf8_lossy(&convplay::data::idx::read_file(std::path::Path::new(&spec))?).into_owned()
            } else {
                convplay::presets::preset_json(&spec)?.to_string()
            };
            let summary = convplay::summary::summarize(&convplay::spec::parse(&text)?, batch);
            if json {
                println!("{}", serde_json::to_string_pretty(&summary).expect("summary serialises"));
            } else {
                print!("{}", summary.to_text());
            }
        }
        Command::Mnist { dir } => {
            use convplay::data::idx::{read_file, read_images, read_labels};
            for (images, labels) in [
                ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
                ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
            ] {
                let im = read_images(&read_file(&dir.join(images))?)?;
                let lb = read_labels(&read_file(&dir.join(labels))?)?;
                let mut counts = [0usize; 10];
                lb.labels.iter().for_each(|&l| counts[(l as usize).min(9)] += 1);
                println!("{images}: {} images of {}×{}; labels per class {counts:?}; first label {}", im.count, im.rows, im.cols, lb.labels[0]);
            }
        }
    }
    Ok(())
}
