//! Reference optimiser updates for one parameter value.
//! GPU twin: shaders/optim.wgsl, the same arithmetic per invocation.

use crate::backend::ops::OptimStep;

/// Updates w (and the state m, v) from the gradient g.
#[inline]
pub fn update(step: OptimStep, w: &mut f32, g: f32, m: &mut f32, v: &mut f32) {
    match step {
        OptimStep::Sgd { lr, momentum, nesterov, weight_decay } => {
            let g = g + weight_decay * *w;
            *m = momentum * *m - lr * g;
            *w += if nesterov { momentum * *m - lr * g } else { *m };
        }
        OptimStep::Adam { lr, beta1, beta2, eps, t, weight_decay, decoupled } => {
            let g = if decoupled { g } else { g + weight_decay * *w };
            *m = beta1 * *m + (1.0 - beta1) * g;
            *v = beta2 * *v + (1.0 - beta2) * g * g;
            let mhat = *m / (1.0 - beta1.powi(t as i32));
            let vhat = *v / (1.0 - beta2.powi(t as i32));
            if decoupled {
                *w -= lr * weight_decay * *w;
            }
            *w -= lr * mhat / (vhat.sqrt() + eps);
        }
    }
}
