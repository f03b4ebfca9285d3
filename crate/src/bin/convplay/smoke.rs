//! `convplay smoke`: the smoke kernel (out = a*x + y) on the engine, checked against the CPU.

#[derive(clap::Args)]
pub struct Args {
    #[arg(long, default_value = "auto")]
    backend: String,
    /// Number of values.
    #[arg(long, default_value_t = 1 << 20)]
    n: usize,
}

pub fn run(Args { backend, n }: Args) -> convplay::Result<()> {
    let engine = super::engine(&backend)?;
    let info = engine.info();
    let x: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 * 0.001).collect();
    let y: Vec<f32> = (0..n).map(|i| 1.0 - (i % 7) as f32).collect();
    let t = std::time::Instant::now();
    let got = pollster::block_on(engine.saxpy(2.5, &x, &y))?;
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let want = convplay::backend::cpu::saxpy(2.5, &x, &y);
    let max_err = got.iter().zip(&want).map(|(g, w)| (g - w).abs() / w.abs().max(1.0)).fold(0.0f32, f32::max);
    println!(
        "smoke kernel on {} ({}): {n} values in {ms:.2} ms, max relative |engine - cpu| = {max_err:e}",
        info.api, info.adapter
    );
    if max_err > 2.5e-7 {
        return Err(convplay::Error::Gpu(format!("smoke kernel disagrees with the CPU by {max_err}")));
    }
    Ok(())
}
