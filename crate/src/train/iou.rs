//! Segmentation metrics over a set of label maps: per-class intersection over union, their
//! mean, and pixel accuracy.
//!
//! For class c, IoU = |predicted c ∩ true c| / |predicted c ∪ true c|, counted over every pixel
//! of every map in the set (not averaged per image). The mean is over the classes *present*:
//! those in the truth or in the prediction (a union of at least one pixel). A class never
//! present has no IoU (`None`) and does not count; a class predicted but absent from the truth
//! counts with IoU 0.

use crate::error::{Error, Result};
use serde::Serialize;

/// Counts accumulated over maps: `counts[truth · classes + predicted]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Confusion {
    classes: usize,
    counts: Vec<u64>,
}

/// What [`Confusion::iou`] reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Iou {
    /// IoU of each class, `None` where the class is neither true nor predicted anywhere.
    pub per_class: Vec<Option<f32>>,
    /// Mean IoU over the classes present (0 when no pixel was counted).
    pub mean: f32,
    /// Pixels predicted right over all pixels.
    pub pixel_accuracy: f32,
    /// Pixels counted.
    pub pixels: u64,
}

impl Confusion {
    pub fn new(classes: usize) -> Result<Confusion> {
        if classes == 0 || classes > 256 {
            return Err(Error::Invalid(format!("IoU over {classes} classes: use 1 to 256")));
        }
        Ok(Confusion { classes, counts: vec![0; classes * classes] })
    }

    /// Adds maps of predicted and true labels, pixel by pixel (equal lengths, labels below `classes`).
    pub fn add(&mut self, predicted: &[u8], truth: &[u8]) -> Result<()> {
        if predicted.len() != truth.len() {
            return Err(Error::Invalid(format!(
                "IoU: {} predicted labels against {} true labels; pass maps of the same size",
                predicted.len(),
                truth.len()
            )));
        }
        let k = self.classes;
        if let Some(&bad) = predicted.iter().chain(truth).find(|&&v| v as usize >= k) {
            return Err(Error::Invalid(format!("IoU: label {bad} is out of range for {k} classes")));
        }
        for (&p, &t) in predicted.iter().zip(truth) {
            if let Some(c) = self.counts.get_mut(t as usize * k + p as usize) {
                *c += 1;
            }
        }
        Ok(())
    }

    /// Per-class IoU, mean IoU over the classes present, pixel accuracy.
    pub fn iou(&self) -> Iou {
        let k = self.classes;
        let at = |t: usize, p: usize| self.counts.get(t * k + p).copied().unwrap_or(0);
        let pixels: u64 = self.counts.iter().sum();
        let correct: u64 = (0..k).map(|c| at(c, c)).sum();
        let per_class: Vec<Option<f32>> = (0..k)
            .map(|c| {
                let truth: u64 = (0..k).map(|p| at(c, p)).sum();
                let predicted: u64 = (0..k).map(|t| at(t, c)).sum();
                let union = truth + predicted - at(c, c);
                (union > 0).then(|| at(c, c) as f32 / union as f32)
            })
            .collect();
        let present: Vec<f32> = per_class.iter().flatten().copied().collect();
        let mean = if present.is_empty() { 0.0 } else { present.iter().sum::<f32>() / present.len() as f32 };
        let pixel_accuracy = if pixels == 0 { 0.0 } else { correct as f32 / pixels as f32 };
        Iou { per_class, mean, pixel_accuracy, pixels }
    }
}

/// The IoU of one set of maps at once.
pub fn iou(predicted: &[u8], truth: &[u8], classes: usize) -> Result<Iou> {
    let mut c = Confusion::new(classes)?;
    c.add(predicted, truth)?;
    Ok(c.iou())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f32, b: f32) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn perfect_and_disjoint() {
        let t = [0, 0, 1, 1, 2, 2];
        let r = iou(&t, &t, 4).unwrap();
        assert_eq!(r.per_class, vec![Some(1.0), Some(1.0), Some(1.0), None]);
        assert!(close(r.mean, 1.0) && close(r.pixel_accuracy, 1.0));
        let r = iou(&[1, 1, 0, 0], &[0, 0, 1, 1], 2).unwrap();
        assert_eq!(r.per_class, vec![Some(0.0), Some(0.0)]);
        assert!(close(r.mean, 0.0) && close(r.pixel_accuracy, 0.0));
    }

    #[test]
    fn hand_computed() {
        // truth:     0 0 0 1 1 2
        // predicted: 0 0 1 1 2 2
        // class 0: ∩ 2, ∪ 3 → 2/3; class 1: ∩ 1, ∪ 3 → 1/3; class 2: ∩ 1, ∪ 2 → 1/2.
        let r = iou(&[0, 0, 1, 1, 2, 2], &[0, 0, 0, 1, 1, 2], 3).unwrap();
        let want = [2.0 / 3.0, 1.0 / 3.0, 0.5];
        for (got, w) in r.per_class.iter().zip(want) {
            assert!(close(got.unwrap(), w), "{got:?} vs {w}");
        }
        assert!(close(r.mean, (2.0 / 3.0 + 1.0 / 3.0 + 0.5) / 3.0));
        assert!(close(r.pixel_accuracy, 4.0 / 6.0));
        assert_eq!(r.pixels, 6);
    }

    #[test]
    fn predicted_but_absent_counts_as_zero_and_sets_accumulate() {
        // Class 1 never true but predicted once: IoU 0, and it lowers the mean.
        let mut c = Confusion::new(3).unwrap();
        c.add(&[0, 1], &[0, 0]).unwrap();
        c.add(&[2, 2], &[2, 2]).unwrap();
        let r = c.iou();
        assert_eq!(r.per_class, vec![Some(0.5), Some(0.0), Some(1.0)]);
        assert!(close(r.mean, 0.5));
        assert!(close(r.pixel_accuracy, 0.75));
        // Over the set, not per map: the same as one call on the concatenation.
        assert_eq!(r, iou(&[0, 1, 2, 2], &[0, 0, 2, 2], 3).unwrap());
    }

    #[test]
    fn errors() {
        assert!(iou(&[0], &[0, 1], 2).unwrap_err().message().contains("1 predicted labels against 2"));
        assert!(iou(&[0, 5], &[0, 1], 2).unwrap_err().message().contains("label 5 is out of range for 2"));
        assert!(Confusion::new(0).is_err());
        let empty = Confusion::new(2).unwrap().iou();
        assert_eq!((empty.mean, empty.pixels), (0.0, 0));
    }
}
