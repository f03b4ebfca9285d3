//! `convplay bench`: kernel GFLOP/s and training img/s on the CPU backend (on one thread and
//! on all of `--threads`) and the GPU backend, as the Markdown tables of docs/benchmarks.md.

use convplay::backend::cpu::backend::Cpu;
use convplay::backend::gpu::backend::Gpu;
use convplay::bench::{kernels, train_steps, KernelResult};
use pollster::block_on;

#[derive(clap::Args)]
pub struct Args {
    /// Training steps to time per model, thread count and backend.
    #[arg(long, default_value_t = 10)]
    steps: usize,
    /// Measurements of the CPU backend per thread count; the best of them is printed.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Skip the GPU.
    #[arg(long)]
    cpu_only: bool,
    /// Instead: where a GPU training step's time goes (seed-001 b64, seed-004 b128), per dispatch and layer.
    #[arg(long)]
    profile: bool,
    #[command(flatten)]
    threads: super::Threads,
}

/// The training rows: preset and batch (seed-001 at 64 as the course trains it; seed-004 at 128).
const MODELS: [(&str, usize); 2] = [("seed-001", 64), ("seed-004", 128)];

/// Kernel results and training img/s (one per `MODELS` row) of the CPU backend on `threads` threads.
fn cpu(threads: usize, steps: usize) -> convplay::Result<(Vec<KernelResult>, Vec<f64>)> {
    super::on_threads(super::Threads { n: Some(threads) }, || {
        let k = block_on(kernels(&Cpu::new(), 3))?;
        let mut t = vec![];
        for (preset, batch) in MODELS {
            t.push(block_on(train_steps(Cpu::new(), &convplay::presets::preset(preset)?, batch, steps))?);
        }
        Ok((k, t))
    })
}

/// The faster of two measurements, kernel by kernel and model by model.
fn best(a: (Vec<KernelResult>, Vec<f64>), b: (Vec<KernelResult>, Vec<f64>)) -> (Vec<KernelResult>, Vec<f64>) {
    let k = a.0.into_iter().zip(b.0).map(|(x, y)| if x.seconds <= y.seconds { x } else { y }).collect();
    (k, a.1.iter().zip(&b.1).map(|(x, y)| x.max(*y)).collect())
}

pub fn run(Args { steps, rounds, cpu_only, profile, threads }: Args) -> convplay::Result<()> {
    if steps == 0 || rounds == 0 {
        return Err(convplay::Error::Invalid("--steps and --rounds must be at least 1".into()));
    }
    if profile {
        return crate::profile::run(&MODELS, steps);
    }
    let n = threads.count()?;
    // Rounds alternate 1 and n threads, so that load from other programs falls on both alike.
    let (mut k1, mut t1) = cpu(1, steps)?;
    let (mut kn, mut tn) = cpu(n, steps)?;
    for _ in 1..rounds {
        (k1, t1) = best((k1, t1), cpu(1, steps)?);
        (kn, tn) = best((kn, tn), cpu(n, steps)?);
    }
    let gpu = if cpu_only {
        None
    } else {
        let ctx = block_on(convplay::backend::gpu::GpuContext::new())?;
        let name =
            format!("{} ({:?}), GEMM kernel {}", ctx.adapter_info.name, ctx.adapter_info.backend, ctx.gemm_report());
        let ctx = std::rc::Rc::new(ctx);
        let k = block_on(kernels(&Gpu::new(ctx.clone()), 10))?;
        let seed_004 = convplay::presets::preset("seed-004")?;
        let t = block_on(train_steps(Gpu::new(ctx.clone()), &seed_004, 128, steps))?;
        // With f16 activations too, where the device has shader-f16 (then back to as it was).
        let t16 = if ctx.has_shader_f16() {
            let before = ctx.f16_activations();
            ctx.set_f16_activations(!before)?;
            let other = block_on(train_steps(Gpu::new(ctx.clone()), &seed_004, 128, steps));
            ctx.set_f16_activations(before)?;
            Some((!before, other?))
        } else {
            None
        };
        Some((name, k, t, ctx.f16_activations(), t16))
    };
    println!("| kernel (CPU: best of {rounds}) | CPU 1 thread GFLOP/s | CPU {n} threads GFLOP/s | GPU GFLOP/s | GPU / CPU {n} threads |");
    println!("|---|---:|---:|---:|---:|");
    for (i, (a, b)) in k1.iter().zip(&kn).enumerate() {
        let (g, r) = match &gpu {
            Some((_, gk, ..)) => (format!("{:.2}", gk[i].gflops()), format!("{:.2}×", gk[i].gflops() / b.gflops())),
            None => ("–".into(), "–".into()),
        };
        println!("| {} | {:.2} | {:.2} | {g} | {r} |", a.name, a.gflops(), b.gflops());
    }
    println!();
    println!("| training step, CPU backend (best of {rounds}) | 1 thread img/s | {n} threads img/s | scaling |");
    println!("|---|---:|---:|---:|");
    for (((preset, batch), a), b) in MODELS.iter().zip(&t1).zip(&tn) {
        println!("| {preset}, batch {batch} | {a:.1} | {b:.1} | {:.2}× |", b / a);
    }
    if let Some((name, _, t, f16, t16)) = &gpu {
        let act = |f16: bool| if f16 { "f16" } else { "f32" };
        println!();
        println!("| training step, seed-004, batch 128 | img/s |");
        println!("|---|---:|");
        println!(
            "| GPU backend: {name}, {} activations | {t:.1} ({:.2}× the CPU on {n} threads) |",
            act(*f16),
            t / tn[1]
        );
        if let Some((other, t2)) = t16 {
            println!("| the same, {} activations | {t2:.1} ({:.2}× {}) |", act(*other), t2 / t, act(*f16));
        }
    }
    Ok(())
}
