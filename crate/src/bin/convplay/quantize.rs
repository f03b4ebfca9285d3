//! `convplay quantize`: re-stores a weights file as int8, f16 or f32, with each tensor's largest
//! error and, for MNIST models, the test accuracy before and after.

use convplay::weights::Storage;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// The weights file to read.
    input: PathBuf,
    /// Kernels as int8 with an f32 scale per output channel (vectors stay f32).
    #[arg(long, conflicts_with_all = ["f16", "f32"])]
    int8: bool,
    /// Every tensor as f16.
    #[arg(long, conflicts_with = "f32")]
    f16: bool,
    /// Every tensor as f32.
    #[arg(long)]
    f32: bool,
    /// Where to write the new file.
    #[arg(short, long)]
    output: PathBuf,
    /// MNIST folder for the accuracy check (models with a 28×28×1 input and 10 classes).
    #[arg(long, default_value = "www/public/data/mnist")]
    data: PathBuf,
    /// Test images for the accuracy check (0: all 10,000).
    #[arg(long, default_value_t = 0)]
    test_limit: usize,
}

pub fn run(Args { input, int8, f16, f32, output, data, test_limit }: Args) -> convplay::Result<()> {
    let storage = match (int8, f16, f32) {
        (true, _, _) => Storage::Int8,
        (_, true, _) => Storage::F16,
        (_, _, true) => Storage::F32,
        _ => return Err(convplay::Error::Invalid("say how to store the values: --int8, --f16 or --f32".into())),
    };
    quantize(&input, storage, &output, &data, test_limit)
}

fn quantize(input: &Path, storage: Storage, output: &Path, data: &Path, test_limit: usize) -> convplay::Result<()> {
    use convplay::weights::{encode, load_into, read};
    let before_bytes = super::read_bytes(input)?;
    let file = read(&before_bytes)?;
    let cpu = convplay::backend::cpu::backend::Cpu::new;
    // Tensors in the model's parameter order.
    let order = convplay::model::Model::new(cpu(), &file.spec, 1, 1)?;
    load_into(&order, &file)?;
    let tensors: Vec<(String, Vec<usize>, Vec<f32>)> =
        order.params.iter().map(|p| (p.name.clone(), p.shape.clone(), file.tensors[&p.name].1.clone())).collect();
    let bytes = encode(&file.spec.source, &file.extra, &tensors, storage)?;
    let after = read(&bytes)?;
    println!(
        "{} ({}, {} bytes) → {} ({}, {} bytes)",
        input.display(),
        file.storage.name(),
        before_bytes.len(),
        output.display(),
        storage.name(),
        bytes.len()
    );
    println!("{:<34} {:>14} {:>12} {:>12} {:>10}", "tensor", "shape", "max |w|", "max error", "relative");
    for (name, shape, v) in &tensors {
        let q = &after.tensors[name].1;
        let peak = v.iter().fold(0f32, |a, x| a.max(x.abs()));
        let err = v.iter().zip(q).fold(0f32, |a, (x, y)| a.max((x - y).abs()));
        println!(
            "{name:<34} {:>14} {peak:>12.5} {err:>12.2e} {:>9.3}%",
            format!("{shape:?}"),
            if peak > 0.0 { 100.0 * err / peak } else { 0.0 }
        );
    }
    super::write_bytes(output, &bytes)?;
    let mnist = matches!(file.spec.input, convplay::spec::Shape::Map { h: 28, w: 28, c: 1 }) && order.classes == 10;
    if !mnist || !data.join("t10k-images-idx3-ubyte.gz").exists() {
        println!(
            "(no accuracy check: it runs for 28×28×1 models with 10 classes, with the MNIST files in {})",
            data.display()
        );
        return Ok(());
    }
    let (im, lb) = convplay::data::idx::read_split(data, "t10k")?;
    let n = if test_limit == 0 { im.count } else { test_limit.min(im.count) };
    let test = convplay::train::Dataset { pixels: &im.pixels[..n * 784], labels: &lb.labels[..n], per: 784 };
    let accuracy = |f: &convplay::weights::WeightsFile| -> convplay::Result<(f32, Vec<u8>)> {
        let mut m = convplay::model::Model::new(cpu(), &f.spec, 256, 1)?;
        load_into(&m, f)?;
        pollster::block_on(convplay::train::evaluate(&mut m, &test))
    };
    let (a0, p0) = accuracy(&file)?;
    let (a1, p1) = accuracy(&after)?;
    let changed = p0.iter().zip(&p1).filter(|(a, b)| a != b).count();
    println!(
        "MNIST test accuracy on {n} images: {:.2}% ({}) → {:.2}% ({}); {changed} predictions changed",
        100.0 * a0,
        file.storage.name(),
        100.0 * a1,
        storage.name()
    );
    Ok(())
}
