//! The labelled image data sets ConvPlay ships: MNIST and Fashion-MNIST, four IDX files each
//! under `www/public/data/<name>/`, 28×28 greyscale, ten classes.

use crate::error::{Error, Result};

/// A shipped data set: its name (the CLI's `--dataset`, the page's choice, the key of a
/// preset's stored results), its folder under `www/public/data/` and its class names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DataSet {
    pub name: &'static str,
    /// What it is, in a few words, for help texts and tables.
    pub title: &'static str,
    pub classes: [&'static str; 10],
}

/// Every shipped data set, the default (MNIST) first.
pub const DATA_SETS: [DataSet; 2] = [
    DataSet {
        name: "mnist",
        title: "MNIST (handwritten digits)",
        classes: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
    },
    DataSet {
        name: "fashion-mnist",
        title: "Fashion-MNIST (Zalando's clothes)",
        classes: [
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ],
    },
];

/// The data set of a name, or an error that lists the names.
pub fn data_set(name: &str) -> Result<&'static DataSet> {
    DATA_SETS
        .iter()
        .find(|d| d.name == name)
        .ok_or_else(|| Error::Invalid(format!("unknown data set {name:?}: the data sets are {}", names().join(", "))))
}

/// The names of the shipped data sets, the default first.
pub fn names() -> Vec<&'static str> {
    DATA_SETS.iter().map(|d| d.name).collect()
}

impl DataSet {
    /// The class names as owned strings (what `Trainer::set_labels` takes).
    pub fn labels(&self) -> Vec<String> {
        self.classes.iter().map(|c| c.to_string()).collect()
    }

    /// Its folder in a checkout, relative to the repository root.
    pub fn folder(&self) -> std::path::PathBuf {
        std::path::Path::new("www/public/data").join(self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_and_unknown_names_list_the_choices() {
        assert_eq!(data_set("fashion-mnist").unwrap().classes[9], "Ankle boot");
        assert_eq!(data_set("mnist").unwrap().labels()[3], "3");
        let err = data_set("cifar").unwrap_err().to_string();
        assert!(err.contains("\"cifar\"") && err.contains("mnist, fashion-mnist"), "{err}");
    }
}
