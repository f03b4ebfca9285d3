//! `convplay bench --profile`: where a GPU training step's time goes, dispatch by dispatch
//! and per layer (crate/src/backend/gpu/profile.rs), printed as Markdown tables.

/// Profiles `steps` ordinary training steps and one timed dispatch by dispatch, for each of
/// `spec` at `batch` (seed-001 at batch 64 and seed-004 at batch 128 by default).
pub fn run(cases: &[(&str, usize)], steps: usize) -> convplay::Result<()> {
    let ctx = std::rc::Rc::new(pollster::block_on(convplay::backend::gpu::GpuContext::new())?);
    for &(name, batch) in cases {
        let spec = convplay::presets::preset(name)?;
        let p =
            pollster::block_on(convplay::backend::gpu::profile::profile_training(ctx.clone(), &spec, batch, steps))?;
        println!("## {name}, batch {batch}\n");
        println!("{}", convplay::backend::gpu::profile::table(&p));
    }
    Ok(())
}
