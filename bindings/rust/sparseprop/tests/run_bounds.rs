//! The run functions at their bounds: `run_until_spiked` with max_spikes 0 (refused, no
//! panic), usize::MAX (no up-front allocation, the buffer grows across the library's calls),
//! and a bound that stops it (the spikes come back with the error); `run_append` keeps the
//! spikes of the call that failed.

mod common;

use common::*;
use sparseprop::{Network, Spike, Status};

const T_END: f64 = 50.0;

fn net() -> Network {
    balanced(N).build().unwrap()
}

/// The first `count` spikes of a fresh network, one `step` at a time.
fn stepped(count: usize) -> Vec<Spike> {
    let mut n = net();
    (0..count).map(|_| n.step().unwrap()).collect()
}

fn all_neurons() -> Vec<u32> {
    (0..N).collect()
}

/// Whether every neuron of `watch` appears in `spikes`.
fn complete(watch: &[u32], spikes: &[Spike]) -> bool {
    let mut seen = vec![false; N as usize];
    spikes.iter().for_each(|s| seen[s.neuron as usize] = true);
    watch.iter().all(|&j| seen[j as usize])
}

#[test]
fn max_spikes_zero_is_refused_without_running() {
    let mut n = net();
    let e = n.run_until_spiked(1.0, &[0, 1, 2, 3, 4], 0).unwrap_err();
    assert_eq!(e.status(), Status::Argument);
    assert!(e.message().contains("max_spikes"), "{e}");
    assert!(e.value.is_empty());
    assert_eq!(n.now(), 0.0);
}

#[test]
fn unbounded_grows_across_calls_and_stops_at_the_completing_spike() {
    // Every neuron must spike once: many more spikes than one chunk (4096) of the binding.
    let watch = all_neurons();
    let mut n = net();
    let s = n.run_until_spiked(T_END, &watch, usize::MAX).unwrap();
    assert!(s.len() > 3 * 4096, "only {} spikes", s.len());
    assert!(n.now() < T_END, "the set did not complete");
    assert_eq!(n.now(), s.last().unwrap().t);
    assert!(complete(&watch, &s) && !complete(&watch, &s[..s.len() - 1]));
    assert_eq!(s, stepped(s.len()));
    // The same with a bound above the count, and appended to spikes already there.
    let mut m = net();
    let mut out = vec![Spike::new(-1.0, 0)];
    assert_eq!(m.run_until_spiked_append(T_END, &watch, s.len() + 1, &mut out).unwrap(), s.len());
    assert_eq!(out[1..], s[..]);
    // Exactly s.len() allowed: the last spike completes the set, which is not an error.
    let mut m = net();
    assert_eq!(m.run_until_spiked(T_END, &watch, s.len()).unwrap(), s);
}

#[test]
fn the_bound_stops_with_capacity_and_returns_the_spikes() {
    let watch = all_neurons();
    for bound in [1, 100, 4096, 5000] {
        let mut n = net();
        let e = n.run_until_spiked(T_END, &watch, bound).unwrap_err();
        assert_eq!(e.status(), Status::Capacity, "bound {bound}: {e}");
        // The message speaks of the caller's bound, not of the binding's chunks.
        assert!(e.message().starts_with(&format!("max_spikes = {bound}: ")), "{e}");
        assert!(!e.message().contains("buf"), "{e}");
        let (_, s) = e.into_parts();
        assert_eq!(s.len(), bound);
        assert_eq!(s, stepped(bound), "bound {bound}");
        assert_eq!(n.now(), s[bound - 1].t);
        // Going on, watching the neurons that have not spiked yet, completes the same set.
        let left: Vec<u32> = watch.iter().copied().filter(|&j| !s.iter().any(|x| x.neuron == j)).collect();
        let rest = n.run_until_spiked(T_END, &left, usize::MAX).unwrap();
        let whole = net().run_until_spiked(T_END, &watch, usize::MAX).unwrap();
        assert_eq!([s, rest].concat(), whole, "bound {bound}");
    }
}

#[test]
fn a_full_tape_returns_the_spikes_processed() {
    let mut n = net();
    n.record(50).unwrap();
    let e = n.run_until_spiked(T_END, &all_neurons(), usize::MAX).unwrap_err();
    assert_eq!(e.status(), Status::Capacity, "{e}");
    assert!(!e.value.is_empty() && e.value.len() <= 50, "{} spikes", e.value.len());
    assert_eq!(e.value, stepped(e.value.len()));
    assert_eq!(n.now(), e.value.last().unwrap().t);
}

#[test]
fn run_append_keeps_the_spikes_of_the_failing_call() {
    let mut n = net();
    n.record(50).unwrap();
    let mut out = Vec::new();
    assert_eq!(n.run_append(T_END, &mut out).unwrap_err().status(), Status::Capacity);
    assert!(!out.is_empty() && out.len() <= 50, "{} spikes", out.len());
    assert_eq!(out, stepped(out.len()));
    assert_eq!(n.now(), out.last().unwrap().t);
}
