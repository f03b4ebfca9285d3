//! `convplay summary`: shapes, parameters, FLOPs and memory of a spec, and "will it fit?".

#[derive(clap::Args)]
pub struct Args {
    /// A spec file (JSON) or a preset: seed-001, seed-004, lenet-5, mlp, course-3conv.
    spec: String,
    /// Batch size for the training-memory estimate.
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Check whether training fits in this many MB (10^6 bytes) and suggest fixes.
    #[arg(long)]
    budget_mb: Option<f64>,
}

pub fn run(Args { spec, batch, json, budget_mb }: Args) -> convplay::Result<()> {
    if batch == 0 {
        return Err(convplay::Error::Invalid("--batch 0: use a batch of at least 1".into()));
    }
    let summary = convplay::summary::summarize(&super::load_spec(&spec)?, batch);
    if json {
        println!("{}", super::json(&summary)?);
    } else {
        print!("{}", summary.to_text());
    }
    if let Some(mb) = budget_mb {
        if !(mb.is_finite() && mb > 0.0) {
            return Err(convplay::Error::Invalid(format!("--budget-mb {mb}: give a positive size in MB")));
        }
        let value: serde_json::Value =
            serde_json::from_str(&super::spec_text(&spec)?).map_err(|e| convplay::Error::Invalid(e.to_string()))?;
        let c = convplay::fit::check(&value, batch, (mb * 1e6) as u64, None)?;
        println!(
            "\nWill it fit in {mb} MB? {} (the engine needs {:.1} MB to train with Adam at batch {batch})",
            if c.fits_budget { "yes" } else { "no" },
            c.estimate.mb
        );
        for f in &c.fixes {
            println!(
                "  {:<48} → {:>10.1} MB  {}",
                f.change,
                f.estimate.mb,
                if f.fits { "fits" } else { "still too big" }
            );
        }
    }
    Ok(())
}
