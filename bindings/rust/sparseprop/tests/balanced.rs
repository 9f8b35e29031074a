//! The balanced network through the safe crate gives bit-identical spikes to the same
//! description driven through the raw sys API, whichever way the spikes are collected.

mod common;

use std::ptr;

use common::*;
use sparseprop::{sys, Frame, Network, Spike};

const T_END: f64 = 1.0;

/// The same description built field by field through sparseprop-sys, run with one big buffer.
fn raw_spikes(t_end: f64) -> Vec<sys::sp_spike> {
    unsafe {
        let mut d = sys::sp_network_desc::zeroed();
        sys::sp_network_desc_init(&mut d, std::mem::size_of::<sys::sp_network_desc>());
        #[allow(clippy::unnecessary_cast)] // i32 on MSVC
        {
            d.model = sys::SP_MODEL_LIF as u32;
        }
        d.n = N;
        d.tau = TAU;
        d.drive = DRIVE;
        d.recurrent.k = K;
        d.recurrent.seed = CONN_SEED;
        d.recurrent.weight = WEIGHT;
        d.init_seed = INIT_SEED;
        let mut net: *mut sys::sp_network = ptr::null_mut();
        let st = sys::sp_network_create(&d, &mut net);
        assert_eq!(st, sys::SP_OK, "{:?}", std::ffi::CStr::from_ptr(sys::sp_last_error()));
        assert!(!net.is_null());
        let empty = sys::sp_spike { t: 0.0, neuron: 0, flags: 0 };
        let mut buf = vec![empty; 1 << 20];
        let mut count = usize::MAX;
        assert_eq!(sys::sp_run(net, t_end, buf.as_mut_ptr(), buf.len(), &mut count), sys::SP_OK);
        assert!(count < buf.len());
        assert_eq!(sys::sp_now(net), t_end);
        buf.truncate(count);
        sys::sp_network_destroy(net);
        buf
    }
}

fn assert_identical(raw: &[sys::sp_spike], safe: &[Spike], what: &str) {
    assert_eq!(raw.len(), safe.len(), "{what}: spike counts differ");
    for (i, (a, b)) in raw.iter().zip(safe).enumerate() {
        assert!(
            a.t.to_bits() == b.t.to_bits() && a.neuron == b.neuron,
            "{what}: spike {i} differs: raw ({}, {}) vs safe ({}, {})",
            a.t,
            a.neuron,
            b.t,
            b.neuron
        );
    }
}

#[test]
fn safe_and_raw_are_bit_identical() {
    let raw = raw_spikes(T_END);
    assert!(raw.len() > 1000, "only {} spikes", raw.len());

    let mut net = balanced(N).build().unwrap();
    assert_eq!(net.size(), N);
    assert_eq!(net.now(), 0.0);
    let spikes = net.run_until(T_END).unwrap();
    assert_eq!(net.now(), T_END);
    assert_identical(&raw, &spikes, "run_until");

    // Spikes in time order, all before T_END.
    assert!(spikes.windows(2).all(|w| w[0].t <= w[1].t));
    assert!(spikes.iter().all(|s| s.t >= 0.0 && s.t < T_END && s.neuron < N));

    // Rewind replays the same sequence, here in small chunks through run_into.
    net.rewind().unwrap();
    assert_eq!(net.now(), 0.0);
    let mut chunked = Vec::new();
    let mut buf = [Spike::default(); 37];
    loop {
        let c = net.run_into(T_END, &mut buf).unwrap();
        chunked.extend_from_slice(&buf[..c]);
        if c < buf.len() {
            break;
        }
        assert_eq!(net.now(), buf[c - 1].t, "a full buffer leaves now() at the last spike");
    }
    assert_identical(&raw, &chunked, "run_into");

    // step() and the spikes() iterator give the same prefix.
    let m = 3000.min(raw.len());
    net.rewind().unwrap();
    let stepped: Vec<Spike> = (0..m).map(|_| net.step().unwrap()).collect();
    assert_identical(&raw[..m], &stepped, "step");
    assert_eq!(net.now(), stepped[m - 1].t);
    net.rewind().unwrap();
    let iterated: Vec<Spike> = net.spikes().take(m).collect::<Result<_, _>>().unwrap();
    assert_identical(&raw[..m], &iterated, "spikes()");

    // Counting only.
    net.rewind().unwrap();
    assert_eq!(net.count_until(T_END).unwrap(), raw.len());
}

#[test]
fn run_append_continues_across_calls() {
    let raw = raw_spikes(T_END);
    let mut net = balanced(N).build().unwrap();
    let mut all = Vec::new();
    for i in 1..=10 {
        net.run_append(T_END * i as f64 / 10.0, &mut all).unwrap();
    }
    assert_identical(&raw, &all, "run_append in ten slices");
}

#[test]
fn balanced_network_runs_in_the_phase_frame_at_the_papers_rate() {
    let mut net = balanced(N).build().unwrap();
    assert_eq!(net.frame(), Frame::Phase);
    net.count_until(0.5).unwrap(); // transient from random phases
    let spikes = net.count_until(2.5).unwrap();
    let rate = spikes as f64 / (N as f64 * 2.0);
    // src/ARCHITECTURE.md, Benchmarks: about 3.4 Hz (independent exact and clock-driven simulations, at
    // larger N; finite size moves it a little).
    assert!((2.8..4.0).contains(&rate), "mean rate {rate} Hz");
}

#[test]
fn forced_time_frame_agrees_with_phase_frame() {
    let m = 2000;
    let mut phase = balanced(N).frame(Frame::Phase).build().unwrap();
    let mut time = balanced(N).frame(Frame::Time).build().unwrap();
    assert_eq!(phase.frame(), Frame::Phase);
    assert_eq!(time.frame(), Frame::Time);
    for i in 0..m {
        let a = phase.step().unwrap();
        let b = time.step().unwrap();
        assert_eq!(a.neuron, b.neuron, "spike {i}: neuron");
        assert!((a.t - b.t).abs() <= 1e-10 * a.t.abs().max(1e-3), "spike {i}: {} vs {}", a.t, b.t);
    }
}

#[test]
fn network_moves_between_threads() {
    let raw = raw_spikes(0.2);
    let net: Network = balanced(N).build().unwrap();
    let spikes = std::thread::spawn(move || {
        let mut net = net;
        net.run_until(0.2).unwrap()
    })
    .join()
    .unwrap();
    assert_identical(&raw, &spikes, "other thread");
}

#[test]
fn balanced_qif_network_runs_at_the_papers_rate() {
    // src/ARCHITECTURE.md, Benchmarks: I = tau sqrt(K) J0 nu = 0.1, w = -J0/sqrt(K), K = 100; about
    // 1.31 Hz (independent exact simulation; Brian2 1.306 Hz).
    let mut net = sparseprop::NetworkBuilder::new(sparseprop::Model::Qif, N)
        .tau(TAU)
        .drive(0.1)
        .recurrent(sparseprop::Synapses::procedural(K, CONN_SEED, WEIGHT))
        .init_seed(INIT_SEED)
        .build()
        .unwrap();
    assert_eq!(net.frame(), Frame::Phase);
    net.count_until(1.0).unwrap();
    let rate = net.count_until(3.0).unwrap() as f64 / (N as f64 * 2.0);
    assert!((1.15..1.5).contains(&rate), "mean rate {rate} Hz");
}
