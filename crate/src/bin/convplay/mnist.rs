//! `convplay mnist`: reads the four MNIST IDX files in a folder and prints what they hold.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Folder holding train-images-idx3-ubyte.gz and the three others.
    #[arg(default_value = "www/public/data/mnist")]
    dir: PathBuf,
}

pub fn run(Args { dir }: Args) -> convplay::Result<()> {
    for split in ["train", "t10k"] {
        // Checked: as many labels as images (at least one), 28×28 images, labels 0–9.
        let (im, lb) = convplay::data::idx::read_split(&dir, split)?;
        let mut counts = [0usize; 10];
        lb.labels.iter().for_each(|&l| counts[l as usize] += 1);
        println!(
            "{split}-images-idx3-ubyte.gz: {} images of {}×{}; labels per class {counts:?}; first label {}",
            im.count, im.rows, im.cols, lb.labels[0]
        );
    }
    Ok(())
}
