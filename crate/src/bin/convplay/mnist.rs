//! `convplay mnist`: reads the four MNIST IDX files in a folder and prints what they hold.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Folder holding train-images-idx3-ubyte.gz and the three others.
    #[arg(default_value = "www/public/data/mnist")]
    dir: PathBuf,
}

pub fn run(Args { dir }: Args) -> convplay::Result<()> {
    use convplay::data::idx::{read_file, read_images, read_labels};
    for (images, labels) in [
        ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
        ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
    ] {
        let im = read_images(&read_file(&dir.join(images))?)?;
        let lb = read_labels(&read_file(&dir.join(labels))?)?;
        let mut counts = [0usize; 10];
        lb.labels.iter().for_each(|&l| counts[(l as usize).min(9)] += 1);
        println!(
            "{images}: {} images of {}×{}; labels per class {counts:?}; first label {}",
            im.count, im.rows, im.cols, lb.labels[0]
        );
    }
    Ok(())
}
