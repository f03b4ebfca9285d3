//! The summary as a Keras-like text table, with the memory breakdown below it.

use super::{Bytes, Summary};
use crate::spec::size::MAX_COUNT;

/// A figure with thousands separators; one held at 2^53 − 1 (too large) says so.
pub(super) fn thousands(n: u64) -> String {
    if n >= MAX_COUNT {
        return format!("over {} (too large to count)", group(MAX_COUNT));
    }
    group(n)
}

/// Digits in groups of three: 4294967296 → "4,294,967,296".
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

fn fmt_bytes(b: &Bytes) -> String {
    format!("{} bytes = {:.2} MB = {:.2} MiB", thousands(b.bytes), b.mb, b.mib)
}

impl Summary {
    /// A Keras-like text table with the memory breakdown below it.
    pub fn to_text(&self) -> String {
        let mut s = format!("Model \"{}\", input {}\n", self.name, self.input);
        let line = "─".repeat(100);
        s += &format!(
            "{line}\n{:<34} {:<18} {:>12} {:>16}  {}\n{line}\n",
            "Layer (type)", "Output shape", "Params", "MACs", "Params from"
        );
        for r in &self.rows {
            let name = format!("{}{} ({})", "  ".repeat(r.depth), r.name, r.type_name);
            let params = r.trainable + r.non_trainable;
            s += &format!(
                "{:<34} {:<18} {:>12} {:>16}  {}\n",
                name,
                r.output.to_string(),
                thousands(params),
                thousands(r.macs),
                r.params_formula
            );
        }
        s += &format!(
            "{line}\nTotal params: {} (trainable {}, non-trainable {})\n",
            thousands(self.params),
            thousands(self.trainable),
            thousands(self.non_trainable)
        );
        s += &format!("Multiply-adds: {}   FLOPs: {}\n", thousands(self.macs), thousands(self.flops));
        if let Some(why) = &self.too_large {
            s += &format!("Note: {why}\n");
        }
        s += "\n";
        let i = &self.inference;
        s += "Inference, one instance (f32):\n";
        s += &format!("  parameters                 {}\n", fmt_bytes(&i.params));
        s += &format!(
            "  peak activations           {}  ({} → {})\n",
            fmt_bytes(&i.peak_activations),
            i.peak_between.0,
            i.peak_between.1
        );
        s += &format!("  total                      {}\n", fmt_bytes(&i.total));
        s += &format!("  (naive: all outputs kept   {})\n\n", fmt_bytes(&i.naive_all_outputs));
        let t = &self.training;
        s += &format!("Training, batch {} (f32):\n", t.batch);
        s += &format!("  activations kept           {}\n", fmt_bytes(&t.activations));
        s += &format!("  + parameters               {}\n", fmt_bytes(&t.params));
        s += &format!("  = forward + backward       {}\n", fmt_bytes(&t.forward_backward));
        s += &format!("  + gradients                {}\n", fmt_bytes(&t.gradients));
        s += &format!(
            "  + SGD momentum state       {}  → {}\n",
            fmt_bytes(&t.sgd_momentum_state),
            fmt_bytes(&t.total_sgd_momentum)
        );
        s += &format!("  + Adam state (m, v)        {}  → {}\n", fmt_bytes(&t.adam_state), fmt_bytes(&t.total_adam));
        s += &format!(
            "  with f16 activations       {}  → Adam total {}\n",
            fmt_bytes(&t.activations_f16),
            fmt_bytes(&t.total_adam_f16)
        );
        s += &format!(
            "ConvPlay's engine with Adam also holds activation gradients {} and workspace {}: {}\n",
            fmt_bytes(&t.activation_gradients),
            fmt_bytes(&t.workspace),
            fmt_bytes(&t.engine_adam)
        );
        s += &format!("  with f16 activations (a GPU with shader-f16): {}\n", fmt_bytes(&t.engine_adam_f16));
        s
    }
}
