//! `convplay info`: the backend and adapter the engine picks, and the device limits.

#[derive(clap::Args)]
pub struct Args {
    /// auto, gpu or cpu.
    #[arg(long, default_value = "auto")]
    backend: String,
}

pub fn run(a: Args) -> convplay::Result<()> {
    let info = super::engine(&a.backend)?.info();
    println!("{}", super::json(&info)?);
    Ok(())
}
