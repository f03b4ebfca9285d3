//! `convplay ensemble`: several trained MNIST models evaluated on the test set alone and as
//! an ensemble (their softmax outputs averaged per image, the largest mean is the answer).

use convplay::train::ensemble;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// ConvPlay weights files of models with a 28×28×1 input and 10 classes (f32, f16 or int8).
    #[arg(required = true)]
    weights: Vec<PathBuf>,
    /// The MNIST folder (its t10k files are the test set).
    #[arg(long, default_value = "www/public/data/mnist")]
    data: PathBuf,
    /// Use only the first N test images (0: all 10,000).
    #[arg(long, default_value_t = 0)]
    test_limit: usize,
    #[command(flatten)]
    pub threads: super::Threads,
}

pub fn run(a: Args) -> convplay::Result<()> {
    let (im, lb) = convplay::data::idx::read_split(&a.data, "t10k")?;
    let n = if a.test_limit == 0 { im.count } else { a.test_limit.min(im.count) };
    let labels = &lb.labels[..n];
    let test = convplay::train::Dataset { pixels: &im.pixels[..n * 784], labels, per: 784 };
    let mut members = Vec::with_capacity(a.weights.len());
    let mut wrong_alone = Vec::new();
    for path in &a.weights {
        let file = convplay::weights::read(&super::read_bytes(path)?)
            .map_err(|e| convplay::Error::Invalid(format!("{}: {e}", path.display())))?;
        let mut model = convplay::model::Model::new(convplay::backend::cpu::backend::Cpu::new(), &file.spec, 250, 1)?;
        if model.classes != 10 || !matches!(file.spec.input, convplay::spec::Shape::Map { h: 28, w: 28, c: 1 }) {
            return Err(convplay::Error::Invalid(format!(
                "{}: {} takes {} and has {} classes; an MNIST ensemble needs 28×28×1 inputs and 10 classes",
                path.display(),
                file.spec.name,
                file.spec.input,
                model.classes
            )));
        }
        convplay::weights::load_into(&model, &file)?;
        let probs = pollster::block_on(ensemble::probabilities(&mut model, &test))?;
        let (acc, predicted) = ensemble::accuracy(&probs, 10, labels)?;
        wrong_alone.push(predicted.iter().zip(labels).filter(|(p, l)| p != l).count());
        println!(
            "{}: {} ({}, {} params), test accuracy {:.2}%",
            path.display(),
            file.spec.name,
            file.storage.name(),
            model.param_count(),
            100.0 * acc
        );
        members.push(probs);
    }
    let (acc, predicted) = ensemble::accuracy(&ensemble::mean(&members)?, 10, labels)?;
    let wrong = predicted.iter().zip(labels).filter(|(p, l)| p != l).count();
    println!(
        "ensemble of {} (mean of the softmax outputs) on {n} test images: {:.2}% ({wrong} wrong; alone: {})",
        members.len(),
        100.0 * acc,
        wrong_alone.iter().map(|w| w.to_string()).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
