//! Ensembles by soft voting: several trained models' class probabilities averaged instance by
//! instance; the class with the largest mean is the ensemble's prediction. What the CLI's
//! `convplay ensemble` and the page's ensemble evaluation (www/src/api/ensemble.ts) compute.

use super::Instances;
use crate::backend::ops::Backend;
use crate::error::{Error, Result};
use crate::model::Model;

/// The class probabilities of every instance of `data` (n × classes, inference mode).
pub async fn probabilities<B: Backend>(model: &mut Model<B>, data: &impl Instances) -> Result<Vec<f32>> {
    data.check(model.spec.input.buffer_len())?;
    let idx: Vec<usize> = (0..data.len()).collect();
    let mut out = Vec::with_capacity(data.len().saturating_mul(model.classes));
    for chunk in idx.chunks(model.max_batch.max(1)) {
        let (x, _) = data.batch(chunk)?;
        model.set_input(&x)?;
        out.extend(model.predict(chunk.len()).await?);
    }
    Ok(out)
}

/// The mean of several models' probabilities, each n × classes for the same instances.
pub fn mean(members: &[Vec<f32>]) -> Result<Vec<f32>> {
    let Some(first) = members.first() else {
        return Err(Error::Invalid("an ensemble needs at least one model's probabilities".into()));
    };
    if let Some((i, m)) = members.iter().enumerate().find(|(_, m)| m.len() != first.len()) {
        return Err(Error::Invalid(format!(
            "ensemble member {} gave {} probabilities but member 1 gave {}: every model must see the same instances and have the same classes",
            i + 1,
            m.len(),
            first.len()
        )));
    }
    let k = members.len() as f32;
    let mut sum = vec![0f32; first.len()];
    for m in members {
        for (s, p) in sum.iter_mut().zip(m) {
            *s += p;
        }
    }
    Ok(sum.into_iter().map(|s| s / k).collect())
}

/// The class with the largest value in each row of `probs` (n × classes; the first on ties),
/// and the fraction of them that equal `labels`.
pub fn accuracy(probs: &[f32], classes: usize, labels: &[u8]) -> Result<(f32, Vec<u8>)> {
    if classes == 0 || probs.len() != labels.len().saturating_mul(classes) {
        return Err(Error::Invalid(format!(
            "{} probabilities do not make {} rows of {classes} classes",
            probs.len(),
            labels.len()
        )));
    }
    let predicted: Vec<u8> = probs
        .chunks(classes)
        .map(|row| row.iter().enumerate().fold((0, f32::MIN), |b, (j, &v)| if v > b.1 { (j, v) } else { b }).0 as u8)
        .collect();
    let correct = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
    Ok((correct as f32 / labels.len().max(1) as f32, predicted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_is_the_average_of_each_value_and_its_argmax_can_beat_every_member() {
        // Three instances, two classes; labels 0, 1, 1.
        let a = vec![0.9, 0.1, 0.6, 0.4, 0.2, 0.8]; // right, wrong, right
        let b = vec![0.4, 0.6, 0.1, 0.9, 0.3, 0.7]; // wrong, right, right
        let m = mean(&[a.clone(), b.clone()]).unwrap();
        let by_hand = [0.65, 0.35, 0.35, 0.65, 0.25, 0.75];
        for (x, y) in m.iter().zip(by_hand) {
            assert!((x - y).abs() < 1e-6, "{m:?}");
        }
        let labels = [0, 1, 1];
        assert_eq!(accuracy(&a, 2, &labels).unwrap().0, 2.0 / 3.0);
        assert_eq!(accuracy(&b, 2, &labels).unwrap().0, 2.0 / 3.0);
        let (acc, predicted) = accuracy(&m, 2, &labels).unwrap();
        assert_eq!((acc, predicted), (1.0, vec![0, 1, 1]));
    }

    #[test]
    fn bad_shapes_are_errors_that_say_what() {
        assert!(mean(&[]).unwrap_err().to_string().contains("at least one"));
        let e = mean(&[vec![0.5; 4], vec![0.5; 6]]).unwrap_err().to_string();
        assert!(e.contains("member 2 gave 6") && e.contains("member 1 gave 4"), "{e}");
        assert!(accuracy(&[0.5; 5], 2, &[0, 1]).is_err());
        assert!(accuracy(&[], 0, &[]).is_err());
    }
}
