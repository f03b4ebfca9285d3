//! `convplay bench`: kernel GFLOP/s and training img/s on the CPU and GPU backends, as the
//! Markdown tables of docs/benchmarks.md.

#[derive(clap::Args)]
pub struct Args {
    /// Training steps to time per backend.
    #[arg(long, default_value_t = 5)]
    steps: usize,
    /// Skip the GPU.
    #[arg(long)]
    cpu_only: bool,
    /// Instead: where a GPU training step's time goes (seed-001 b64, seed-004 b128), per dispatch and layer.
    #[arg(long)]
    profile: bool,
}

pub fn run(Args { steps, cpu_only, profile }: Args) -> convplay::Result<()> {
    if profile {
        return crate::profile::run(&[("seed-001", 64), ("seed-004", 128)], steps);
    }
    use convplay::backend::cpu::backend::Cpu;
    use convplay::backend::gpu::backend::Gpu;
    let spec = convplay::presets::preset("seed-004")?;
    let cpu = Cpu::new();
    let cpu_k = pollster::block_on(convplay::bench::kernels(&cpu, 2))?;
    let cpu_t = pollster::block_on(convplay::bench::train_steps(Cpu::new(), &spec, 128, steps))?;
    let gpu = if cpu_only {
        None
    } else {
        let ctx = pollster::block_on(convplay::backend::gpu::GpuContext::new())?;
        let name = format!("{} ({:?})", ctx.adapter_info.name, ctx.adapter_info.backend);
        let ctx = std::rc::Rc::new(ctx);
        let g = Gpu::new(ctx.clone());
        let k = pollster::block_on(convplay::bench::kernels(&g, 10))?;
        let t = pollster::block_on(convplay::bench::train_steps(Gpu::new(ctx), &spec, 128, steps))?;
        Some((name, k, t))
    };
    println!("| kernel | CPU GFLOP/s | GPU GFLOP/s | GPU / CPU |");
    println!("|---|---:|---:|---:|");
    for (i, k) in cpu_k.iter().enumerate() {
        match &gpu {
            Some((_, gk, _)) => println!(
                "| {} | {:.2} | {:.2} | {:.1}× |",
                k.name,
                k.gflops(),
                gk[i].gflops(),
                gk[i].gflops() / k.gflops()
            ),
            None => println!("| {} | {:.2} | – | – |", k.name, k.gflops()),
        }
    }
    println!();
    println!("| training step, seed-004, batch 128 | img/s |");
    println!("|---|---:|");
    println!("| CPU backend (im2col + blocked GEMM for convolutions) | {cpu_t:.1} |");
    if let Some((name, _, t)) = &gpu {
        println!("| GPU backend: {name} | {t:.1} ({:.1}× CPU) |", t / cpu_t);
    }
    Ok(())
}
