//! Data a trainer holds: instances with their labels, checked against the model once when
//! they are handed over, then gathered into f32 batches as training asks for them.

use super::{Dataset, FloatDataset, Instances};
use crate::error::{Error, Result};

/// Instances held for training or evaluation: u8 pixels (scaled by 1/255 per batch) or f32
/// values used as they are (features from another model, for instance).
pub enum Data {
    U8(Vec<u8>),
    F32(Vec<f32>),
}

impl Data {
    /// Values held in all.
    pub fn len(&self) -> usize {
        match self {
            Data::U8(v) => v.len(),
            Data::F32(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Data with its labels, `per` values per instance.
pub struct Labelled {
    data: Data,
    labels: Vec<u8>,
    per: usize,
}

impl Labelled {
    /// No instances.
    pub fn empty() -> Labelled {
        Labelled { data: Data::U8(vec![]), labels: vec![], per: 0 }
    }

    /// Checks that `data` holds `per` values for each of `labels` and that every label is a
    /// class of the model; `what` names the set in the errors ("training", "evaluation").
    pub fn new(data: Data, labels: Vec<u8>, per: usize, classes: usize, what: &str) -> Result<Labelled> {
        let values = data.len();
        if labels.is_empty() || values != labels.len() * per {
            return Err(Error::Invalid(format!(
                "{what} data: {values} values for {} labels, but the model takes {per} values per instance; pass inputs and labels that belong together",
                labels.len()
            )));
        }
        if let Some(&bad) = labels.iter().find(|&&l| l as usize >= classes) {
            return Err(Error::Invalid(format!("{what} data: label {bad} is out of range for {classes} classes")));
        }
        Ok(Labelled { data, labels, per })
    }
}

impl Instances for Labelled {
    fn labels(&self) -> &[u8] {
        &self.labels
    }
    fn per(&self) -> usize {
        self.per
    }
    fn values_len(&self) -> usize {
        self.data.len()
    }
    fn batch(&self, idx: &[usize]) -> Result<(Vec<f32>, Vec<u8>)> {
        let (labels, per) = (&self.labels[..], self.per);
        match &self.data {
            Data::U8(pixels) => Dataset { pixels, labels, per }.batch(idx),
            Data::F32(values) => FloatDataset { values, labels, per }.batch(idx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checks_and_batches() {
        let e = Labelled::new(Data::U8(vec![0; 5]), vec![1, 2], 3, 10, "training").err().unwrap();
        assert_eq!(
            e.message(),
            "training data: 5 values for 2 labels, but the model takes 3 values per instance; pass inputs and labels that belong together"
        );
        let e = Labelled::new(Data::F32(vec![0.0; 4]), vec![1, 7], 2, 5, "evaluation").err().unwrap();
        assert_eq!(e.message(), "evaluation data: label 7 is out of range for 5 classes");
        assert!(Labelled::new(Data::U8(vec![]), vec![], 3, 10, "training").is_err());
        let d = Labelled::new(Data::U8(vec![0, 255, 51, 102]), vec![1, 0], 2, 2, "training").unwrap();
        let s = 1.0 / 255.0;
        assert_eq!(d.batch(&[1, 0]).unwrap(), (vec![51.0 * s, 102.0 * s, 0.0, 1.0], vec![0, 1]));
        let f = Labelled::new(Data::F32(vec![0.5, -3.0]), vec![1, 0], 1, 2, "training").unwrap();
        assert_eq!(f.batch(&[1]).unwrap(), (vec![-3.0], vec![0]));
        assert!(d.batch(&[2]).is_err());
        assert!(Labelled::empty().is_empty());
    }
}
