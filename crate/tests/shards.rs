//! Data-parallel training (`train::shard`): seed-001 trained by a leader and a replica, each on
//! its shard of every batch, with the gradients summed in shard order and one optimizer step,
//! against the single step on the whole batch; and one shard against the single step exactly.

use convplay::presets::preset_json;
use convplay::spec::parse;
use convplay::train::{shard_range, shard_seed, Data, Trainer};
use convplay::{with_model, Engine};

const BATCH: usize = 16;
/// Three batches, the last one short: 16, 16 and 8 instances.
const STEPS: usize = 3;
const COUNT: usize = 40;

fn cpu() -> Engine {
    Engine::Cpu { fallback_reason: None }
}

/// `COUNT` digit-sized images of u8 pixels from a fixed recipe, labels 0..10.
fn data() -> (Vec<u8>, Vec<u8>) {
    let x = (0..COUNT * 784).map(|i| ((i * 131 + 7) % 251) as u8).collect();
    let y = (0..COUNT).map(|i| (i * 7 % 10) as u8).collect();
    (x, y)
}

fn trainer(seed: u32, batch: usize, optimizer: &str) -> Trainer {
    let spec = parse(preset_json("seed-001").unwrap()).unwrap();
    let mut t = Trainer::new(&cpu(), &spec, batch, seed).unwrap();
    let (x, y) = data();
    t.set_train_data(Data::U8(x), y).unwrap();
    t.set_optimizer(optimizer, None).unwrap();
    let lr = if optimizer == "sgd" { 0.1 } else { 0.001 };
    t.set_schedule("constant", lr, 10, 3).unwrap();
    t.start_epoch(5).unwrap();
    t
}

fn weights(t: &Trainer) -> Vec<f32> {
    pollster::block_on(t.weights()).unwrap()
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(p, q)| (p - q).abs()).fold(0.0, f32::max)
}

/// `STEPS` sharded steps over `shards` trainers (the first is the leader); the leader's weights.
fn sharded(shards: usize, optimizer: &str) -> (Vec<f32>, f32) {
    let mut leader = trainer(3, BATCH, optimizer);
    // Replicas start from other weights: the leader's are handed over before every step.
    let mut replicas: Vec<Trainer> =
        (1..shards).map(|s| trainer(100 + s as u32, BATCH.div_ceil(shards), optimizer)).collect();
    let mut loss = 0.0;
    for _ in 0..STEPS {
        let w = weights(&leader);
        for r in &mut replicas {
            r.set_weights(&w).unwrap();
        }
        let (idx, seed) = leader.next_batch().unwrap();
        let (mut grads, mut counts) = (vec![], vec![]);
        for s in 0..shards {
            let part = &idx[shard_range(idx.len(), shards, s)];
            let t = if s == 0 { &mut leader } else { &mut replicas[s - 1] };
            let g = pollster::block_on(t.shard_gradients(part, shard_seed(seed, s))).unwrap();
            assert_eq!(g.instances, part.len());
            loss += g.loss_sum;
            grads.extend(g.grads);
            counts.push(g.instances);
        }
        leader.apply_gradients(&grads, &counts).unwrap();
    }
    assert_eq!(leader.batches_done(), STEPS);
    (weights(&leader), loss / COUNT as f32)
}

fn single(optimizer: &str) -> (Vec<f32>, f32) {
    let mut t = trainer(3, BATCH, optimizer);
    assert_eq!(t.train_batches(STEPS).unwrap(), STEPS);
    let (loss, _, n) = pollster::block_on(t.take_metrics()).unwrap();
    assert_eq!(n, COUNT);
    (weights(&t), loss)
}

#[test]
fn one_shard_is_the_single_step_exactly() {
    for optimizer in ["adam", "sgd"] {
        let (a, la) = single(optimizer);
        let (b, lb) = sharded(1, optimizer);
        assert_eq!(a, b, "{optimizer}: one shard must give the single step's weights bit for bit");
        assert!((la - lb).abs() <= 1e-6 * la.abs(), "{optimizer}: loss {la} vs {lb}");
    }
}

#[test]
fn two_and_three_shards_match_the_single_step() {
    for optimizer in ["adam", "sgd"] {
        let (a, la) = single(optimizer);
        let start = weights(&trainer(3, BATCH, optimizer));
        let moved = max_diff(&a, &start);
        for shards in [2, 3] {
            let (b, lb) = sharded(shards, optimizer);
            let d = max_diff(&a, &b);
            println!("{optimizer}, {shards} shards: max |Δw| {d:e} (weights moved up to {moved:e}), loss {la} vs {lb}");
            // Only the order of the sums differs (f32 rounding), so the weights agree far
            // within what the steps moved them.
            assert!(d < 1e-5 && d < moved * 1e-2, "{optimizer}, {shards} shards: weights differ by {d}");
            assert!(moved > 1e-3, "{optimizer}: the steps moved the weights ({moved})");
            assert!((la - lb).abs() < 1e-4, "{optimizer}, {shards} shards: loss {la} vs {lb}");
        }
    }
}

#[test]
fn bad_gradients_and_weights_are_refused_with_the_sizes() {
    let mut t = trainer(3, BATCH, "adam");
    let len = t.gradient_len();
    let e = t.apply_gradients(&[0.0; 3], &[2]).unwrap_err();
    assert_eq!(
        e.message(),
        format!("3 gradient values for 1 shards covering 2 instances; each shard gives {len} values and at least one shard covers an instance")
    );
    assert!(t.apply_gradients(&vec![0.0; len], &[0]).is_err());
    let e = t.set_weights(&[1.0]).unwrap_err();
    assert_eq!(
        e.message(),
        format!("1 weight values for a model of {}; pass the weights of a model of the same spec", t.weights_len())
    );
    let e = pollster::block_on(t.shard_gradients(&[], 1)).unwrap_err();
    assert_eq!(e.message(), "an empty shard: give at least one training instance");
    let e = pollster::block_on(t.shard_gradients(&[40], 1)).unwrap_err();
    assert_eq!(e.message(), "instance 40 is out of range of the data set");
    let mut fresh = Trainer::new(&cpu(), &parse(preset_json("seed-001").unwrap()).unwrap(), 4, 1).unwrap();
    assert_eq!(fresh.next_batch().unwrap_err().message(), "no epoch started: call startEpoch first");
    with_model!(fresh.model(), m => assert_eq!(m.steps, 0));
}
