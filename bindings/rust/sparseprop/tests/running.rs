//! Inputs, voltages, drives, rewinding and the version, checked against closed-form values.

mod common;

use common::*;
use sparseprop::{Frame, Model, NetworkBuilder, Spike, Status, Synapses, Weights};

#[test]
fn version_matches_header() {
    assert_eq!(sparseprop::version_number() / 10000, sparseprop::HEADER_VERSION_NUMBER / 10000);
    let v: Vec<u32> = sparseprop::version().split('.').map(|p| p.parse().unwrap()).collect();
    assert_eq!(v.len(), 3);
    assert_eq!(v[0] * 10000 + v[1] * 100 + v[2], sparseprop::version_number());
}

/// LIF, drive 0.5 (never fires alone): V(t) = 0.5 (1 - exp(-t/tau)) from reset. Channel 0
/// kicks neuron 1 by 0.6. After a kick at 0.01: V = 0.5 (1 - e^-1) + 0.6 < 1. At 0.02 it has
/// relaxed to 0.5 + (V - 0.5) e^-1 and the second kick crosses 1: a spike at 0.02 exactly.
#[test]
fn inputs_drive_a_quiet_neuron_to_spike() {
    let tau = 0.01;
    let mut net = NetworkBuilder::new(Model::Lif, 3)
        .tau(tau)
        .drive(0.5)
        .inputs(1, Synapses::explicit(&[0, 1], &[1], Weights::Shared(0.6)))
        .build()
        .unwrap();
    assert_eq!(net.frame(), Frame::Time, "non-oscillatory neurons need the time frame");
    assert_eq!(net.voltages().unwrap(), vec![0.0; 3]);
    net.input(0, 0.01).unwrap();
    net.input(0, 0.02).unwrap();

    let v_after_first = 0.5 * (1.0 - (-1.0f64).exp()) + 0.6;
    assert!(v_after_first < 1.0);
    let v_before_second = 0.5 + (v_after_first - 0.5) * (-1.0f64).exp();
    assert!(v_before_second + 0.6 >= 1.0);

    let s = net.step().unwrap();
    assert_eq!(s, Spike::new(0.02, 1));
    assert_eq!(net.now(), 0.02);
    // The spiker is at reset; the others relaxed from reset for 0.02 s.
    assert!(net.voltage(1).unwrap().abs() < 1e-12, "V[1] = {}", net.voltage(1).unwrap());
    let expect = 0.5 * (1.0 - (-2.0f64).exp());
    for i in [0, 2] {
        let v = net.voltage(i).unwrap();
        assert!((v - expect).abs() < 1e-12, "V[{i}] = {v}, expected {expect}");
    }
    let all = net.voltages().unwrap();
    for (i, v) in all.iter().enumerate() {
        assert_eq!(v.to_bits(), net.voltage(i as u32).unwrap().to_bits());
    }
    assert_eq!(net.step().unwrap_err().status, Status::State);

    // A lone kick soon after the reset gives no spike: step applies it and reports State,
    // and time moves to it.
    net.input(0, 0.021).unwrap();
    assert_eq!(net.step().unwrap_err().status, Status::State);
    assert_eq!(net.now(), 0.021);
    let v = net.voltage(1).unwrap();
    let expect = 0.5 * (1.0 - (-(0.021 - 0.02) / tau).exp()) + 0.6;
    assert!(expect < 1.0);
    assert!((v - expect).abs() < 1e-12, "V[1] = {v}, expected {expect}");

    // rewind drops everything queued and returns to the initial state.
    net.input(0, 0.7).unwrap();
    net.rewind().unwrap();
    assert_eq!(net.now(), 0.0);
    assert_eq!(net.step().unwrap_err().status, Status::State, "queued input was dropped");
}

/// A single free LIF neuron with I > 1 fires with period tau ln(I/(I-1)).
#[test]
fn free_period_and_set_drive() {
    let tau = 0.02;
    let i = 1.5f64;
    let mut net = NetworkBuilder::new(Model::Lif, 1).tau(tau).drive(i).v0(&[0.0]).build().unwrap();
    let period = tau * (i / (i - 1.0)).ln();
    let spikes = net.run_until(10.5 * period).unwrap();
    assert_eq!(spikes.len(), 10);
    for (k, s) in spikes.iter().enumerate() {
        let expect = (k + 1) as f64 * period;
        assert!((s.t - expect).abs() < 1e-12, "spike {k} at {}, expected {expect}", s.t);
    }
    // After the last spike at 10 T, V relaxes from 0 for T/2; a new drive changes the slope
    // but not the voltage.
    let v = net.voltage(0).unwrap();
    let expect = i * (1.0 - (-0.5 * period / tau).exp());
    assert!((v - expect).abs() < 1e-12, "V = {v} half a period after a spike, expected {expect}");
    net.set_drive(0, 2.0).unwrap();
    // (up to rounding: the state is re-expressed for the new drive)
    let after = net.voltage(0).unwrap();
    assert!((after - v).abs() <= 1e-14, "V changed from {v} to {after}");
    // Next spike: V(t) = 2 - (2 - v) exp(-dt/tau) = 1.
    let expect = net.now() + tau * ((2.0 - v) / (2.0 - 1.0)).ln();
    let s = net.step().unwrap();
    assert!((s.t - expect).abs() < 1e-12, "{} vs {expect}", s.t);

    // QIF: period pi tau / sqrt(I).
    let mut q = NetworkBuilder::new(Model::Qif, 1).tau(tau).drive(0.25).build().unwrap();
    let first = q.step().unwrap().t;
    let second = q.step().unwrap().t;
    let p = std::f64::consts::PI * tau / 0.25f64.sqrt();
    assert!(((second - first) - p).abs() < 1e-12 * p.max(1.0), "{} vs {p}", second - first);
}

#[test]
fn differing_drives_move_to_the_time_frame() {
    let mut net = balanced(200).build().unwrap();
    assert_eq!(net.frame(), Frame::Phase);
    net.run_until(0.1).unwrap();
    net.set_drive(3, 1.2).unwrap();
    assert_eq!(net.frame(), Frame::Time);
    net.run_until(0.2).unwrap();
}

#[test]
fn debug_shows_the_network() {
    let net = balanced(20).build().unwrap();
    let s = format!("{net:?}");
    assert!(s.contains("size: 20") && s.contains("Phase"), "{s}");
}

/// Current-based synapses (`tau_syn`): a neuron at rest (drive 0) and one input of weight 3
/// with tau_syn = tau/2 follows V = 6 (x - x^2), x = exp(-(t - t_in)/tau), and reaches 1 first
/// at x = (1 + sqrt(1/3))/2; V is continuous at the input. QIF refuses tau_syn by name.
#[test]
fn tau_syn_gives_current_based_synapses() {
    let tau = 0.01;
    let mut net = NetworkBuilder::new(Model::Lif, 1)
        .tau(tau)
        .tau_syn(tau / 2.0)
        .drive(0.0)
        .v0(&[0.0])
        .inputs(1, Synapses::explicit(&[0, 1], &[0], Weights::Shared(3.0)))
        .build()
        .unwrap();
    net.input(0, 0.002).unwrap();
    let s = net.step().unwrap();
    let x: f64 = (1.0 + (1.0f64 / 3.0).sqrt()) / 2.0;
    let expect = 0.002 - tau * x.ln();
    assert_eq!(s.neuron, 0);
    assert!((s.t - expect).abs() < 1e-15, "spike at {}, expected {expect}", s.t);
    let e = NetworkBuilder::new(Model::Qif, 1).drive(1.0).tau_syn(0.005).build().unwrap_err();
    assert_eq!(e.status, Status::Unsupported);
    assert!(e.message.contains("tau_syn"), "{}", e.message);
}
