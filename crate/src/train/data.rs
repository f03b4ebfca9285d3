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

/// Data with its labels, `per` values and `label_per` labels per instance (one for a
/// classifier, one per output position, h·w, for a model that ends in a map).
pub struct Labelled {
    data: Data,
    labels: Vec<u8>,
    per: usize,
    label_per: usize,
}

impl Labelled {
    /// No instances.
    pub fn empty() -> Labelled {
        Labelled { data: Data::U8(vec![]), labels: vec![], per: 0, label_per: 1 }
    }

    /// Checks that `data` holds `per` values for each of `labels` and that every label is a
    /// class of the model; `what` names the set in the errors ("training", "evaluation").
    pub fn new(data: Data, labels: Vec<u8>, per: usize, classes: usize, what: &str) -> Result<Labelled> {
        Labelled::with_label_maps(data, labels, per, 1, classes, what)
    }

    /// As [`Labelled::new`] with `label_per` labels per instance (a label map of the model's
    /// output positions, row-major).
    pub fn with_label_maps(
        data: Data,
        labels: Vec<u8>,
        per: usize,
        label_per: usize,
        classes: usize,
        what: &str,
    ) -> Result<Labelled> {
        let values = data.len();
        let label_per = label_per.max(1);
        let instances = labels.len() / label_per;
        if labels.is_empty() || !labels.len().is_multiple_of(label_per) || values != instances * per {
            return Err(Error::Invalid(if label_per == 1 {
                format!(
                    "{what} data: {values} values for {} labels, but the model takes {per} values per instance; pass inputs and labels that belong together",
                    labels.len()
                )
            } else {
                format!(
                    "{what} data: {values} values and {} labels, but the model takes {per} values and a map of {label_per} labels (one per output position) per instance; pass inputs and label maps that belong together",
                    labels.len()
                )
            }));
        }
        if let Some(&bad) = labels.iter().find(|&&l| l as usize >= classes) {
            return Err(Error::Invalid(format!("{what} data: label {bad} is out of range for {classes} classes")));
        }
        Ok(Labelled { data, labels, per, label_per })
    }

    /// Labels per instance.
    pub fn label_per(&self) -> usize {
        self.label_per
    }

    /// Every label, `label_per` per instance.
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
        self.labels.len() / self.label_per
    }
    fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }
    fn check(&self, per: usize) -> Result<()> {
        if self.per != per || self.values_len() != self.len() * per {
            return Err(Error::Invalid(format!(
                "data set holds {} values for {} instances at {} values each, but the model takes {per} values per instance",
                self.values_len(),
                self.len(),
                self.per
            )));
        }
        Ok(())
    }
    fn batch(&self, idx: &[usize]) -> Result<(Vec<f32>, Vec<u8>)> {
        let (per, lp) = (self.per, self.label_per);
        if lp == 1 {
            let labels = &self.labels[..];
            return match &self.data {
                Data::U8(pixels) => Dataset { pixels, labels, per }.batch(idx),
                Data::F32(values) => FloatDataset { values, labels, per }.batch(idx),
            };
        }
        // Label maps: batch the inputs against instance indices, then gather each instance's map.
        let index: Vec<u8> = vec![0; self.len()];
        let (x, _) = match &self.data {
            Data::U8(pixels) => Dataset { pixels, labels: &index, per }.batch(idx)?,
            Data::F32(values) => FloatDataset { values, labels: &index, per }.batch(idx)?,
        };
        let mut y = Vec::with_capacity(idx.len().saturating_mul(lp));
        for &i in idx {
            let start = i.saturating_mul(lp);
            let map = self.labels.get(start..start.saturating_add(lp)).ok_or_else(|| super::out_of_range(i))?;
            y.extend_from_slice(map);
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
    fn label_maps() {
        // Two instances of 2 values, each with a map of 3 labels.
        let d = Labelled::with_label_maps(Data::U8(vec![0, 255, 51, 102]), vec![1, 2, 3, 4, 5, 6], 2, 3, 7, "training")
            .unwrap();
        assert_eq!((d.len(), d.label_per()), (2, 3));
        let s = 1.0 / 255.0;
        assert_eq!(d.batch(&[1, 0]).unwrap(), (vec![51.0 * s, 102.0 * s, 0.0, 1.0], vec![4, 5, 6, 1, 2, 3]));
        assert!(d.batch(&[2]).is_err());
        d.check(2).unwrap();
        assert!(d.check(3).is_err());
        let e = Labelled::with_label_maps(Data::U8(vec![0; 4]), vec![0; 5], 2, 3, 7, "evaluation").err().unwrap();
        assert_eq!(
            e.message(),
            "evaluation data: 4 values and 5 labels, but the model takes 2 values and a map of 3 labels (one per output position) per instance; pass inputs and label maps that belong together"
        );
        let e = Labelled::with_label_maps(Data::U8(vec![0; 2]), vec![0, 0, 9], 2, 3, 7, "training").err().unwrap();
        assert_eq!(e.message(), "training data: label 9 is out of range for 7 classes");
    }
}
