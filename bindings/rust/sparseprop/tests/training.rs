//! Parameters, gradients and a gradient step that lowers a loss.

mod common;

use common::*;
use sparseprop::{Model, Network, NetworkBuilder, Param, Status, Synapses, Weights};

const N: u32 = 12;
const M: usize = 40; // spikes in the loss

/// A small LIF network in the time frame: a drive per neuron, explicit mixed-sign weights,
/// given initial voltages.
struct Setup {
    drives: Vec<f64>,
    v0: Vec<f64>,
    csr: Csr,
}

fn setup() -> Setup {
    let mut rng = Rng(7);
    let drives = (0..N).map(|_| 1.2 + 0.6 * rng.uniform()).collect();
    let v0 = (0..N).map(|_| 0.9 * rng.uniform()).collect();
    let csr = random_csr(N, 3, -0.08, 0.05, 11);
    Setup { drives, v0, csr }
}

fn build(s: &Setup) -> Network {
    NetworkBuilder::new(Model::Lif, N)
        .tau(0.01)
        .drives(&s.drives)
        .v0(&s.v0)
        .recurrent(Synapses::explicit(&s.csr.row_ptr, &s.csr.targets, Weights::PerSynapse(&s.csr.weights)))
        .build()
        .unwrap()
}

/// The first M spikes from the initial state.
fn first_spikes(net: &mut Network) -> Vec<sparseprop::Spike> {
    net.rewind().unwrap();
    (0..M).map(|_| net.step().unwrap()).collect()
}

/// L = sum_s (t_s - target_s)^2 with targets 5% earlier than the initial spike times.
fn loss(times: &[f64], targets: &[f64]) -> f64 {
    times.iter().zip(targets).map(|(t, g)| (t - g) * (t - g)).sum()
}

#[test]
fn params_read_back_what_was_given() {
    let s = setup();
    let mut net = build(&s);
    assert_eq!(net.param_count(Param::Drives).unwrap(), N as usize);
    assert_eq!(net.param_count(Param::V0).unwrap(), N as usize);
    assert_eq!(net.param_count(Param::Weights).unwrap(), s.csr.targets.len());
    assert_eq!(net.params(Param::Drives).unwrap(), s.drives);
    assert_eq!(net.params(Param::V0).unwrap(), s.v0);
    assert_eq!(net.params(Param::Weights).unwrap(), s.csr.weights);
    // The voltages are the state read back, exact up to the rounding of v -> u -> v.
    for (v, v0) in net.voltages().unwrap().iter().zip(&s.v0) {
        assert!((v - v0).abs() <= 1e-15, "{v} vs {v0}");
    }

    let mut d = s.drives.clone();
    d[3] = 1.7;
    net.set_params(Param::Drives, &d).unwrap();
    assert_eq!(net.params(Param::Drives).unwrap(), d);
    assert_eq!(net.set_params(Param::Drives, &d[..3]).unwrap_err().status, Status::Argument);
    assert_eq!(net.grads(Param::Drives).unwrap(), vec![0.0; N as usize]);

    // Procedural weights are one shared parameter.
    let b = balanced(50).build().unwrap();
    assert_eq!(b.params(Param::Weights).unwrap(), vec![WEIGHT]);
    assert_eq!(b.param_count(Param::InputWeights).unwrap(), 0);
}

#[test]
fn record_capacity_is_enforced() {
    let s = setup();
    let mut net = build(&s);
    net.record(5).unwrap();
    for _ in 0..5 {
        net.step().unwrap();
    }
    let now = net.now();
    let e = net.step().unwrap_err();
    assert_eq!(e.status, Status::Capacity);
    assert_eq!(net.now(), now, "the spike that did not fit was not processed");
    // The wrong number of spike adjoints is refused.
    assert_eq!(net.backward(&[1.0; 4], None).unwrap_err().status, Status::Argument);
    net.backward(&[1.0; 5], None).unwrap();
    // The recording ended.
    assert_eq!(net.backward(&[1.0; 5], None).unwrap_err().status, Status::State);

    // The spikes() iterator yields the capacity error once, then ends.
    net.rewind().unwrap();
    net.record(3).unwrap();
    let items: Vec<_> = net.spikes().collect();
    assert_eq!(items.len(), 4);
    assert!(items[..3].iter().all(|r| r.is_ok()));
    assert_eq!(items[3].as_ref().unwrap_err().status, Status::Capacity);
}

/// Each kind's gradients against central finite differences of the same loss, entry by entry
/// (a step along all kinds at once, below, could not see one kind's gradients missing).
#[test]
fn gradients_of_every_kind_match_finite_differences() {
    let s = setup();
    let mut net = build(&s);
    let initial = first_spikes(&mut net);
    let targets: Vec<f64> = initial.iter().map(|sp| 0.95 * sp.t).collect();
    let times: Vec<f64> = initial.iter().map(|sp| sp.t).collect();
    net.rewind().unwrap();
    net.record(M).unwrap();
    for _ in 0..M {
        net.step().unwrap();
    }
    let dl_dt: Vec<f64> = times.iter().zip(&targets).map(|(t, g)| 2.0 * (t - g)).collect();
    net.backward(&dl_dt, None).unwrap();
    let order: Vec<u32> = initial.iter().map(|sp| sp.neuron).collect();
    for kind in [Param::Drives, Param::Weights, Param::V0] {
        let g = net.grads(kind).unwrap();
        let p0 = net.params(kind).unwrap();
        let scale = g.iter().fold(0.0f64, |m, g| m.max(g.abs()));
        assert!(scale > 0.0, "{kind:?}: every gradient is 0");
        let mut loss_at = |i: usize, x: f64| -> f64 {
            let mut p = p0.clone();
            p[i] = x;
            net.set_params(kind, &p).unwrap();
            let after = first_spikes(&mut net);
            let neurons: Vec<u32> = after.iter().map(|sp| sp.neuron).collect();
            assert_eq!(neurons, order, "{kind:?}[{i}]: the spike order changed (L not smooth)");
            loss(&after.iter().map(|sp| sp.t).collect::<Vec<_>>(), &targets)
        };
        for i in (0..p0.len()).step_by(3) {
            let h = 1e-6;
            let fd = (loss_at(i, p0[i] + h) - loss_at(i, p0[i] - h)) / (2.0 * h);
            assert!(
                (fd - g[i]).abs() <= 1e-6 * scale,
                "{kind:?}[{i}]: gradient {}, finite difference {fd}",
                g[i]
            );
        }
        net.set_params(kind, &p0).unwrap();
    }
}

#[test]
fn gradient_step_lowers_the_loss() {
    let s = setup();
    let mut net = build(&s);
    let initial = first_spikes(&mut net);
    let targets: Vec<f64> = initial.iter().map(|sp| 0.95 * sp.t).collect();
    let times: Vec<f64> = initial.iter().map(|sp| sp.t).collect();
    let l0 = loss(&times, &targets);
    assert!(l0 > 0.0);

    // Forward with a tape, backward with dL/dt_s = 2 (t_s - target_s).
    net.rewind().unwrap();
    net.zero_grads().unwrap();
    net.record(M).unwrap();
    let recorded: Vec<_> = (0..M).map(|_| net.step().unwrap()).collect();
    assert_eq!(recorded, initial, "recording does not change the dynamics");
    let dl_dt: Vec<f64> = times.iter().zip(&targets).map(|(t, g)| 2.0 * (t - g)).collect();
    net.backward(&dl_dt, None).unwrap();

    let g_drive = net.grads(Param::Drives).unwrap();
    let g_w = net.grads(Param::Weights).unwrap();
    let g_v0 = net.grads(Param::V0).unwrap();
    let norm2: f64 = g_drive.iter().chain(&g_w).chain(&g_v0).map(|g| g * g).sum();
    assert!(norm2 > 0.0 && norm2.is_finite(), "gradient norm^2 {norm2}");
    // Earlier spikes need more drive: the drive gradient is negative for neurons that spiked.
    let spiked: std::collections::BTreeSet<u32> = initial.iter().map(|s| s.neuron).collect();
    for &i in &spiked {
        assert!(g_drive[i as usize] < 0.0, "dL/dI[{i}] = {}", g_drive[i as usize]);
    }

    // A step sized to lower L by 1% to first order.
    let lr = 0.01 * l0 / norm2;
    let step = |p: &[f64], g: &[f64]| -> Vec<f64> { p.iter().zip(g).map(|(p, g)| p - lr * g).collect() };
    net.set_params(Param::Drives, &step(&s.drives, &g_drive)).unwrap();
    net.set_params(Param::Weights, &step(&s.csr.weights, &g_w)).unwrap();
    net.set_params(Param::V0, &step(&s.v0, &g_v0)).unwrap();
    let after = first_spikes(&mut net);
    let neurons = |v: &[sparseprop::Spike]| v.iter().map(|s| s.neuron).collect::<Vec<_>>();
    assert_eq!(neurons(&after), neurons(&initial), "the small step kept the spike order");
    let times1: Vec<f64> = after.iter().map(|sp| sp.t).collect();
    let l1 = loss(&times1, &targets);
    eprintln!("loss {l0:.6e} -> {l1:.6e}, predicted decrease {:.6e}", lr * norm2);
    assert!(l1 < l0, "loss did not decrease: {l0} -> {l1}");
    let decrease = (l0 - l1) / (lr * norm2);
    assert!((0.95..1.05).contains(&decrease), "first-order prediction off: ratio {decrease}");

    // Gradients accumulate until zeroed.
    net.zero_grads().unwrap();
    assert!(net.grads(Param::Drives).unwrap().iter().all(|&g| g == 0.0));
}
