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

/// Data with its labels, `per` values and `positions` labels per instance (one label per
/// output position of a model that ends in a map; 1 for a classifier of whole instances).
pub struct Labelled {
    data: Data,
    labels: Vec<u8>,
    per: usize,
    positions: usize,
}

impl Labelled {
    /// No instances.
    pub fn empty() -> Labelled {
        Labelled { data: Data::U8(vec![]), labels: vec![], per: 0, positions: 1 }
    }

    /// Checks that `data` holds `per` values for each of `labels` and that every label is a
    /// class of the model; `what` names the set in the errors ("training", "evaluation").
    pub fn new(data: Data, labels: Vec<u8>, per: usize, classes: usize, what: &str) -> Result<Labelled> {
        Labelled::per_position(data, labels, per, 1, classes, what)
    }

    /// [`Labelled::new`] for a model whose output has `positions` positions, each labelled:
    /// `labels` holds `positions` labels per instance (instance by instance, row by row).
    pub fn per_position(
        data: Data,
        labels: Vec<u8>,
        per: usize,
        positions: usize,
        classes: usize,
        what: &str,
    ) -> Result<Labelled> {
        let values = data.len();
        if positions > 1 {
            let instances = values / per.max(1);
            if labels.is_empty() || !values.is_multiple_of(per.max(1)) || labels.len() != instances * positions {
                return Err(Error::Invalid(format!(
                    "{what} data: {values} values ({instances} instances of {per}) and {} labels, but the model outputs a map of {positions} positions and takes one label per position: {} labels; pass inputs and per-position labels that belong together",
                    labels.len(),
                    instances * positions
                )));
            }
        } else if labels.is_empty() || values != labels.len() * per {
            return Err(Error::Invalid(format!(
                "{what} data: {values} values for {} labels, but the model takes {per} values per instance; pass inputs and labels that belong together",
                labels.len()
            )));
        }
        if let Some(&bad) = labels.iter().find(|&&l| l as usize >= classes) {
            return Err(Error::Invalid(format!("{what} data: label {bad} is out of range for {classes} classes")));
        }
        Ok(Labelled { data, labels, per, positions: positions.max(1) })
    }

    /// Every label, `positions` per instance.
    pub fn all_labels(&self) -> &[u8] {
        &self.labels
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
    fn len(&self) -> usize {
        self.labels.len() / self.positions
    }
    fn batch(&self, idx: &[usize]) -> Result<(Vec<f32>, Vec<u8>)> {
        let (labels, per, k) = (&self.labels[..], self.per, self.positions);
        if k == 1 {
            return match &self.data {
                Data::U8(pixels) => Dataset { pixels, labels, per }.batch(idx),
                Data::F32(values) => FloatDataset { values, labels, per }.batch(idx),
            };
        }
        // The inputs as a classifier's (every instance's index is checked there), then each
        // instance's `k` labels.
        let (x, _) = match &self.data {
            Data::U8(pixels) => Dataset { pixels, labels, per }.batch(idx)?,
            Data::F32(values) => FloatDataset { values, labels, per }.batch(idx)?,
        };
        let mut y = Vec::with_capacity(idx.len().saturating_mul(k));
        for &i in idx {
            let start = i.saturating_mul(k);
            let own = labels.get(start..start.saturating_add(k));
            y.extend_from_slice(own.ok_or_else(|| Error::Invalid(format!("instance {i} is out of range")))?);
        }
        Ok((x, y))
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

    #[test]
    fn labels_per_position() {
        // Two instances of 2 values, a map output of 3 positions: 3 labels each.
        let d = Labelled::per_position(Data::U8(vec![0, 255, 51, 102]), vec![1, 0, 1, 0, 0, 1], 2, 3, 2, "training")
            .unwrap();
        assert_eq!(d.len(), 2);
        let s = 1.0 / 255.0;
        assert_eq!(d.batch(&[1, 0]).unwrap(), (vec![51.0 * s, 102.0 * s, 0.0, 1.0], vec![0, 0, 1, 1, 0, 1]));
        assert!(d.batch(&[2]).is_err());
        let e = Labelled::per_position(Data::U8(vec![0; 4]), vec![0; 4], 2, 3, 2, "training").err().unwrap();
        assert_eq!(
            e.message(),
            "training data: 4 values (2 instances of 2) and 4 labels, but the model outputs a map of 3 positions and takes one label per position: 6 labels; pass inputs and per-position labels that belong together"
        );
        let e = Labelled::per_position(Data::U8(vec![0; 2]), vec![0, 5, 0], 2, 3, 2, "evaluation").err().unwrap();
        assert_eq!(e.message(), "evaluation data: label 5 is out of range for 2 classes");
    }
}
