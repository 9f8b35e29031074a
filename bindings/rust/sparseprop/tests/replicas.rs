//! The per-sample calls and replicas: run_until_spiked with spike flags on a hand-built
//! network with closed-form times, input_many all or nothing, and replicas on scoped threads
//! summing the same gradients as one network.

use sparseprop::{Model, Network, NetworkBuilder, Param, Replicas, Status, Synapses, Weights};

const TAU: f64 = 0.01;

/// Neuron 0 (drive 1.5) fires on its own at tau ln 3 and kicks neuron 3 over; input channel 0
/// at 1 ms kicks neuron 1 over, which kicks neuron 2 over at that instant.
fn chain() -> Network {
    NetworkBuilder::new(Model::Lif, 4)
        .tau(TAU)
        .drives(&[1.5, 0.5, 0.5, 0.5])
        .v0(&[0.0; 4])
        .recurrent(Synapses::explicit(&[0, 1, 2, 2, 2], &[3, 2], Weights::Shared(2.0)))
        .inputs(1, Synapses::explicit(&[0, 1], &[1], Weights::Shared(2.0)))
        .build()
        .unwrap()
}

#[test]
fn run_until_spiked_reports_flags() {
    let mut net = chain();
    net.input_many(&[0], &[0.001]).unwrap();
    let s = net.run_until_spiked(0.02, &[3, 1], 16).unwrap();
    let t0 = TAU * 3f64.ln();
    assert_eq!(s.iter().map(|x| x.neuron).collect::<Vec<_>>(), vec![1, 2, 0, 3]);
    assert!(s[0].input_triggered() && s[1].input_triggered());
    assert!(!s[2].triggered() && s[3].triggered() && !s[3].input_triggered());
    assert!((s[3].t - t0).abs() < 1e-15 && net.now() == s[3].t);
    // t_end first: no error.
    net.rewind().unwrap();
    assert!(net.run_until_spiked(0.002, &[3], 16).unwrap().is_empty());
    assert_eq!(net.now(), 0.002);
    assert_eq!(net.run_until_spiked(1.0, &[9], 16).unwrap_err().status(), Status::Argument);
    assert_eq!(net.input_many(&[0, 1], &[0.1, 0.2]).unwrap_err().status(), Status::Argument);
    assert_eq!(net.input_many(&[0], &[0.1, 0.2]).unwrap_err().status(), Status::Argument);
}

fn recurrent() -> Network {
    let n = 30u32;
    let k = 6u32;
    let mut seed = 5u64;
    let mut u = move || {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let rows: Vec<u64> = (0..=n).map(|i| (i * k) as u64).collect();
    let targets: Vec<u32> = (0..n * k).map(|e| (e / k + 1 + (u() * (n - 1) as f64) as u32) % n).collect();
    let weights: Vec<f64> = (0..n * k).map(|_| 0.2 * (u() - 0.5)).collect();
    let in_rows: Vec<u64> = (0..=2u64).map(|i| i * 8).collect();
    let in_targets: Vec<u32> = (0..16).map(|_| (u() * n as f64) as u32).collect();
    let in_weights: Vec<f64> = (0..16).map(|_| 0.05 + 0.1 * u()).collect();
    let drives: Vec<f64> = (0..n).map(|i| if i < 2 { 1.05 } else { 0.9 + 0.3 * u() }).collect();
    let v0: Vec<f64> = (0..n).map(|_| 0.5 * u()).collect();
    NetworkBuilder::new(Model::Lif, n)
        .tau(TAU)
        .drives(&drives)
        .v0(&v0)
        .recurrent(Synapses::explicit(&rows, &targets, Weights::PerSynapse(&weights)))
        .inputs(2, Synapses::explicit(&in_rows, &in_targets, Weights::PerSynapse(&in_weights)))
        .build()
        .unwrap()
}

/// One sample: rewind, inputs, record, run until neurons 0 and 1 spiked, dL/dt = 1 on their
/// first spikes.
fn sample(net: &mut Network, b: u32) {
    net.rewind().unwrap();
    let times: Vec<f64> = (0..4).map(|e| 0.001 + 0.002 * ((b * 7 + e * 3) % 5) as f64).collect();
    net.input_many(&[0, 1, 0, 1], &times).unwrap();
    net.record(4096).unwrap();
    let s = net.run_until_spiked(0.2, &[0, 1], 4096).unwrap();
    let mut seen = [false; 2];
    let dl_dt: Vec<f64> = s
        .iter()
        .map(|x| {
            let j = x.neuron as usize;
            if j < 2 && !seen[j] {
                seen[j] = true;
                1.0
            } else {
                0.0
            }
        })
        .collect();
    net.backward(&dl_dt, None).unwrap();
}

#[test]
fn replicas_on_threads_sum_the_gradients() {
    let mut single = recurrent();
    for b in 0..6 {
        sample(&mut single, b);
    }
    let mut set = Replicas::new(recurrent(), 2).unwrap();
    std::thread::scope(|scope| {
        for (t, r) in set.replicas_mut().iter_mut().enumerate() {
            scope.spawn(move || {
                for b in (t as u32..6).step_by(2) {
                    sample(r, b);
                }
            });
        }
    });
    set.accumulate().unwrap();
    for p in [Param::Weights, Param::InputWeights, Param::Drives, Param::V0] {
        let (a, b) = (set.parent().grads(p).unwrap(), single.grads(p).unwrap());
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{p:?}: {x} vs {y}");
        }
    }
    assert!(set.parent().grads(Param::Weights).unwrap().iter().filter(|g| **g != 0.0).count() > 5);
    // Parameters change through the parent; replicas refuse to run until rewound.
    let w: Vec<f64> = set.parent().params(Param::Weights).unwrap().iter().map(|w| 1.1 * w).collect();
    assert_eq!(
        set.replicas_mut()[0].set_params(Param::Weights, &w).unwrap_err().status(),
        Status::Unsupported
    );
    set.parent_mut().set_params(Param::Weights, &w).unwrap();
    assert_eq!(set.replicas_mut()[0].count_until(1.0).unwrap_err().status(), Status::State);
    set.replicas_mut()[0].rewind().unwrap();
    set.replicas_mut()[0].count_until(0.01).unwrap();
    let parent = set.into_parent();
    assert_eq!(parent.params(Param::Weights).unwrap(), w);
}

/// A `count` whose handles alone cannot be allocated: `Status::NoMem` with the parent given
/// back (it used to panic in `Vec::with_capacity`, or abort, and the parent was lost). (Counts
/// beyond `isize::MAX` bytes of handles: a count the allocator is asked for and refuses, such as
/// 1 << 50, is the same path, but AddressSanitizer aborts on such a request instead of
/// returning NULL, and CI runs these tests under it.)
#[test]
fn replicas_new_with_a_huge_count_gives_the_parent_back() {
    for count in [usize::MAX, isize::MAX as usize / 2 + 1] {
        let e = Replicas::new(chain(), count).unwrap_err();
        assert_eq!(e.error.status(), Status::NoMem, "{}", e.error);
        assert!(e.error.message().contains(&format!("count = {count}")), "{}", e.error);
        let mut parent = e.value;
        parent.count_until(0.05).unwrap();
    }
}

/// Each replica's sum is one library call, all or nothing; the whole is not, and the error
/// says where it stopped. A single LIF neuron with tau = 1 and drive 1 + 1e-4 fires at
/// T = ln(I/(I - 1)), dT/dI about -1e4: dL/dT = 1e304 gives a drive gradient near -1e308 per
/// replica, and the second sum overflows.
#[test]
fn accumulate_names_the_replica_it_stopped_at() {
    let parent = NetworkBuilder::new(Model::Lif, 1).tau(1.0).drive(1.0001).build().unwrap();
    let mut set = Replicas::new(parent, 3).unwrap();
    for r in set.replicas_mut() {
        r.record(4).unwrap();
        let s = r.run_until_spiked(100.0, &[0], 1).unwrap();
        r.backward(&vec![1e304; s.len()], None).unwrap();
    }
    let one = set.replicas_mut()[0].grads(Param::Drives).unwrap()[0];
    assert!(one < -1e307, "{one}");
    let e = set.accumulate().unwrap_err();
    assert_eq!(e.status(), Status::Numeric);
    assert!(e.message().starts_with("replica 1 of 3: "), "{e}");
    assert!(e.message().contains("replicas 0 to 0 were added to the parent and zeroed"), "{e}");
    assert_eq!(set.parent().grads(Param::Drives).unwrap()[0].to_bits(), one.to_bits());
    assert!(set.replicas_mut()[0].grads(Param::Drives).unwrap()[0] == 0.0);
    for k in 1..3 {
        assert_eq!(set.replicas_mut()[k].grads(Param::Drives).unwrap()[0].to_bits(), one.to_bits());
    }
}
