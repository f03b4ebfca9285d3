//! `convplay import-keras` and `convplay export-keras`: Keras code in and out (crate/src/keras/).

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ImportArgs {
    /// A .py file or a notebook cell pasted into a text file, holding a Keras Sequential model.
    file: PathBuf,
    /// Write the spec (JSON) to this file.
    #[arg(long)]
    spec_out: Option<PathBuf>,
    /// Batch size for the summary's training-memory estimate.
    #[arg(long, default_value_t = 128)]
    batch: usize,
}

/// Prints the lines not read, then the summary; writes the spec when asked.
pub fn import(ImportArgs { file, spec_out, batch }: ImportArgs) -> convplay::Result<()> {
    if batch == 0 {
        return Err(convplay::Error::Invalid("--batch 0: use a batch of at least 1".into()));
    }
    let bytes = super::read_bytes(&file)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| convplay::Error::Invalid(format!("{} is not UTF-8 text: {e}", file.display())))?;
    let imported = convplay::keras::to_spec(&text).map_err(|e| match e {
        convplay::Error::Spec(p) => {
            convplay::Error::Spec(p.into_iter().map(|m| format!("{}: {m}", file.display())).collect())
        }
        other => other,
    })?;
    if imported.ignored.is_empty() {
        println!("Every line was read.");
    } else {
        println!("Ignored {} lines (not part of the model):", imported.ignored.len());
        for i in &imported.ignored {
            println!("  {:>4} | {}", i.line, i.text);
        }
    }
    println!();
    print!("{}", convplay::summary::summarize(&imported.spec, batch).to_text());
    if let Some(path) = spec_out {
        super::write_bytes(&path, imported.json.as_bytes())?;
        println!("\nWrote the spec to {}", path.display());
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct ExportArgs {
    /// A spec file (JSON) or a preset: seed-001, seed-004, lenet-5, mlp, course-3conv, ….
    #[arg(long)]
    spec: String,
    /// Write the code to this file instead of printing it.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// Prints (or writes) the Keras code of a spec.
pub fn export(ExportArgs { spec, out }: ExportArgs) -> convplay::Result<()> {
    let code = convplay::keras::from_spec(&super::load_spec(&spec)?)?;
    match out {
        Some(path) => super::write_bytes(&path, code.as_bytes()),
        None => {
            print!("{code}");
            Ok(())
        }
    }
}
