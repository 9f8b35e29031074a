//! A replica's Rust call is one call for the family's lock: the parent's `set_params` and
//! `set_drive` wait for all of it, not just for the C call in progress (`run_until`,
//! `run_append` and `run_until_spiked` call the library in chunks of spikes), so a parameter
//! change never makes a replica's call fail midway. And the `spikes()` iterator tells a stale
//! replica's refusal (an error, yielded) from a network that falls silent (the end).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sparseprop::{Model, Network, NetworkBuilder, Param, Status, Synapses};

const N: u32 = 2000;

/// Fires a few hundred thousand spikes per simulated second; neuron 0 (drive 0, inhibitory
/// synapses only) never fires, so watching it runs `run_until_spiked` to `t_end`.
fn drives(rest: f64) -> Vec<f64> {
    let mut d = vec![rest; N as usize];
    d[0] = 0.0;
    d
}

fn parent() -> Network {
    NetworkBuilder::new(Model::Lif, N)
        .drives(&drives(1.1))
        .recurrent(Synapses::procedural(50, 1, -0.1))
        .init_seed(2)
        .build()
        .unwrap()
}

/// Long enough (many chunks of 4096 spikes, well over the 20 ms wait below) for the parent's
/// change to be made while the replica's call is in progress.
const T_END: f64 = 20.0;

/// Runs `call` on `replica` (a fresh one: t = 0) on another thread and, once it is under way
/// (20 ms in), changes the parent's parameters with `change`. Returns the call's result and
/// whether the call was still in progress when the change was requested (else the test proves
/// nothing). A change that came before the call took the lock (the replica's thread slow to
/// start: the call refused at once, `now()` still 0) proves nothing either: the replica is
/// rewound and the attempt repeated, up to 5 times.
fn change_during<T: Send>(
    parent: &mut Network,
    replica: &mut Network,
    call: impl Fn(&mut Network) -> T + Send + Sync,
    change: impl Fn(&mut Network),
) -> (T, bool) {
    for _ in 0..5 {
        let started = AtomicBool::new(false);
        let finished = AtomicBool::new(false);
        let (result, overlapped) = std::thread::scope(|s| {
            let h = s.spawn(|| {
                started.store(true, Ordering::SeqCst);
                let r = call(&mut *replica);
                finished.store(true, Ordering::SeqCst);
                r
            });
            while !started.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            std::thread::sleep(Duration::from_millis(20));
            let overlapped = !finished.load(Ordering::SeqCst);
            change(&mut *parent);
            (h.join().unwrap(), overlapped)
        });
        if replica.now() > 0.0 {
            return (result, overlapped);
        }
        replica.rewind().unwrap();
    }
    panic!("the parent's change came before the replica's call in 5 attempts");
}

/// After the change: the replica has not seen it yet (the change came after its call) and
/// refuses until rewound; rewound, it runs with the new parameters.
fn assert_stale_then_rewound(r: &mut Network) {
    assert_eq!(r.step().unwrap_err().status(), Status::State);
    r.rewind().unwrap();
    r.step().unwrap();
}

/// Before the fix, `set_params` took the lock between two of `run_append`'s chunks and the
/// call failed with `Status::State` after processing spikes.
#[test]
fn set_params_waits_for_a_replicas_whole_run_append() {
    let mut parent = parent();
    let mut r = parent.replica().unwrap();
    let ((res, out), overlapped) = change_during(
        &mut parent,
        &mut r,
        |r| {
            let mut out = Vec::new();
            (r.run_append(T_END, &mut out), out)
        },
        |p| p.set_params(Param::Drives, &drives(1.12)).unwrap(),
    );
    assert!(overlapped, "the run ended before the change: lengthen T_END");
    let n = res.unwrap_or_else(|e| {
        panic!("set_params did not wait for the replica's call: {e} after {} spikes", out.len())
    });
    assert!(n > 2 * 4096 && n == out.len(), "{n} spikes");
    assert_eq!(r.now(), T_END);
    assert_stale_then_rewound(&mut r);
}

/// The same for `run_until`, which before the fix also threw the processed spikes away.
#[test]
fn set_drive_waits_for_a_replicas_whole_run_until() {
    let mut parent = parent();
    let mut r = parent.replica().unwrap();
    let (res, overlapped) =
        change_during(&mut parent, &mut r, |r| r.run_until(T_END), |p| p.set_drive(1, 1.2).unwrap());
    assert!(overlapped, "the run ended before the change: lengthen T_END");
    let spikes = res.expect("set_drive did not wait for the replica's call");
    assert!(spikes.len() > 2 * 4096);
    assert_eq!(r.now(), T_END);
    assert_stale_then_rewound(&mut r);
}

/// `run_until_spiked`: errors that change nothing (`Status::State` among them) carry no spikes.
/// Before the fix a change between chunks gave `State` with the spikes already processed.
#[test]
fn set_params_waits_for_a_replicas_whole_run_until_spiked() {
    let mut parent = parent();
    let mut r = parent.replica().unwrap();
    let (res, overlapped) = change_during(
        &mut parent,
        &mut r,
        |r| r.run_until_spiked(T_END, &[0], usize::MAX),
        |p| p.set_params(Param::Drives, &drives(1.12)).unwrap(),
    );
    assert!(overlapped, "the run ended before the change: lengthen T_END");
    let spikes = res.unwrap_or_else(|e| {
        panic!("set_params did not wait for the replica's call: {} with {} spikes", e.error, e.value.len())
    });
    assert!(spikes.len() > 2 * 4096);
    assert_eq!(r.now(), T_END, "neuron 0 never fires: the run goes to t_end");
    // A stale replica refuses at the start, with no spike.
    let e = r.run_until_spiked(2.0 * T_END, &[0], usize::MAX).unwrap_err();
    assert_eq!(e.status(), Status::State);
    assert!(e.value.is_empty(), "State carried {} spikes", e.value.len());
    assert_stale_then_rewound(&mut r);
}

/// Before the fix, `spikes()` on a replica whose parent changed its parameters ended at once,
/// as if the network had fallen silent: the refusal was lost.
#[test]
fn spikes_yields_a_stale_replicas_refusal_once() {
    let mut parent = parent();
    let mut r = parent.replica().unwrap();
    assert!(r.spikes().take(10).all(|s| s.is_ok()));
    parent.set_drive(1, 1.2).unwrap();
    let items: Vec<_> = r.spikes().take(10).collect();
    assert_eq!(items.len(), 1, "one error, then the end: {items:?}");
    let e = items[0].as_ref().unwrap_err();
    assert_eq!(e.status, Status::State);
    assert!(!e.message.is_empty());
    // Rewound, it runs again.
    r.rewind().unwrap();
    assert_eq!(r.spikes().take(10).filter(|s| s.is_ok()).count(), 10);
}

/// A replica that falls silent (no neuron will ever fire) still just ends the iterator, and
/// one that is silent and stale yields the refusal.
#[test]
fn spikes_ends_quietly_when_a_replica_falls_silent() {
    let mut parent = NetworkBuilder::new(Model::Lif, 3).drive(0.5).build().unwrap();
    let mut r = parent.replica().unwrap();
    assert!(r.spikes().next().is_none());
    assert_eq!(r.step().unwrap_err().status(), Status::State);
    assert!(r.spikes().next().is_none(), "still silent");
    parent.set_params(Param::Drives, &[0.6; 3]).unwrap();
    let items: Vec<_> = r.spikes().collect();
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0].as_ref().unwrap_err().status, Status::State);
    r.rewind().unwrap();
    assert!(r.spikes().next().is_none());
    // The parent itself (not a replica) falls silent the same way.
    assert!(parent.spikes().next().is_none());
}
