//! Every status the library returns arrives as the matching `Status` with the library's
//! message; slice-length mistakes are caught on the Rust side before they reach C.

mod common;

use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::sync::Arc;

use common::*;
use sparseprop::{
    sys, Allocator, EifParams, Error, Frame, Model, Network, NetworkBuilder, Param, Status, Synapses, Weights,
};

/// The message names `word` as a whole word (not just as a letter inside another word).
fn mentions(message: &str, word: &str) -> bool {
    message.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).any(|w| w == word)
}

fn err<T: std::fmt::Debug>(r: sparseprop::Result<T>) -> Error {
    match r {
        Ok(v) => panic!("expected an error, got Ok({v:?})"),
        Err(e) => e,
    }
}

#[test]
fn status_codes_round_trip_and_have_library_names() {
    let all = [
        (Status::Argument, sys::SP_ERR_ARGUMENT, "SP_ERR_ARGUMENT"),
        (Status::NoMem, sys::SP_ERR_NOMEM, "SP_ERR_NOMEM"),
        (Status::Unsupported, sys::SP_ERR_UNSUPPORTED, "SP_ERR_UNSUPPORTED"),
        (Status::State, sys::SP_ERR_STATE, "SP_ERR_STATE"),
        (Status::Capacity, sys::SP_ERR_CAPACITY, "SP_ERR_CAPACITY"),
        (Status::Io, sys::SP_ERR_IO, "SP_ERR_IO"),
        (Status::Format, sys::SP_ERR_FORMAT, "SP_ERR_FORMAT"),
        (Status::Numeric, sys::SP_ERR_NUMERIC, "SP_ERR_NUMERIC"),
    ];
    assert_eq!(Status::from_raw(sys::SP_OK), None);
    for (status, raw, name) in all {
        assert_eq!(Status::from_raw(raw), Some(status));
        assert_eq!(status.to_raw(), raw);
        assert_eq!(status.name(), name);
        assert_eq!(status.to_string(), name);
    }
    assert_eq!(Status::from_raw(99), Some(Status::Unknown(99)));
    assert_eq!(Status::Unknown(99).name(), "SP_UNKNOWN_STATUS");
}

#[test]
fn argument_n_zero() {
    let e = err(balanced(0).build());
    assert_eq!(e.status, Status::Argument);
    assert!(mentions(&e.message, "n"), "message does not name n: {:?}", e.message);
    // Display carries both; it is a std error.
    let shown = e.to_string();
    assert!(shown.starts_with("SP_ERR_ARGUMENT") && shown.contains(&e.message), "{shown}");
    let _: &dyn std::error::Error = &e;
    // The size query checks the same way.
    assert_eq!(err(balanced(0).memory()).status, Status::Argument);
}

#[test]
fn argument_bad_values() {
    let e = err(balanced(10).tau(-1.0).build());
    assert_eq!(e.status, Status::Argument);
    assert!(mentions(&e.message, "tau"), "{:?}", e.message);
    let e = err(balanced(10).drive(f64::NAN).build());
    assert_eq!(e.status, Status::Argument);
    assert!(mentions(&e.message, "drive"), "{:?}", e.message);
    let e = err(balanced(10).t_ref(-0.001).build());
    assert_eq!(e.status, Status::Argument);

    // Invalid explicit connectivity is checked by the library: a target out of range and a
    // row_ptr that decreases.
    let row_ptr = [0u64, 1, 2, 3];
    let e = err(NetworkBuilder::new(Model::Lif, 3)
        .drive(1.5)
        .recurrent(Synapses::explicit(&row_ptr, &[1, 2, 3], Weights::Shared(0.1)))
        .build());
    assert_eq!(e.status, Status::Argument);
    let row_ptr = [0u64, 2, 1, 3];
    let e = err(NetworkBuilder::new(Model::Lif, 3)
        .drive(1.5)
        .recurrent(Synapses::explicit(&row_ptr, &[1, 2, 0], Weights::Shared(0.1)))
        .build());
    assert_eq!(e.status, Status::Argument);

    let mut net = balanced(10).build().unwrap();
    assert_eq!(err(net.voltage(10)).status, Status::Argument);
    assert_eq!(err(net.set_drive(10, 1.2)).status, Status::Argument);
    assert_eq!(err(net.set_drive(0, f64::INFINITY)).status, Status::Argument);
    assert_eq!(err(net.run_until(f64::NAN)).status, Status::Argument);
    net.run_until(0.05).unwrap();
    assert_eq!(err(net.run_until(0.01)).status, Status::Argument, "t_end before now()");
    assert_eq!(err(net.voltages_into(&mut [0.0; 9])).status, Status::Argument);
    assert_eq!(err(net.input(0, 1.0)).status, Status::Argument, "no input channels");
    // A failed call leaves the network as it was.
    assert_eq!(net.now(), 0.05);
}

/// The C description reads tau = 0 and input_capacity = 0 as "the default"; the builder
/// refuses them with `Status::Argument` (as the Python binding does) instead of silently
/// building with tau = 0.01 s or room for 4096 inputs. Left out, the defaults apply.
#[test]
fn argument_zero_tau_and_input_capacity_are_refused_not_defaulted() {
    for b in [balanced(10).tau(0.0), balanced(10).tau(-0.0)] {
        for e in [err(b.build()), err(b.memory()), err(b.build_with_allocator(allocator(None).0))] {
            assert_eq!(e.status, Status::Argument);
            assert!(e.message.starts_with("tau = 0:") && e.message.contains("default"), "{:?}", e.message);
        }
    }
    let b = balanced(10).inputs(1, Synapses::procedural(1, 1, 0.1)).input_capacity(0);
    for e in [err(b.build()), err(b.memory()), err(b.build_with_allocator(allocator(None).0))] {
        assert_eq!(e.status, Status::Argument);
        assert!(
            e.message.starts_with("input_capacity = 0:") && e.message.contains("default"),
            "{:?}",
            e.message
        );
    }
    // Left out: the library's defaults.
    let mut net = NetworkBuilder::new(Model::Lif, 1).drive(2.0).v0(&[0.0]).build().unwrap();
    assert!((net.step().unwrap().t - 0.01 * 2f64.ln()).abs() < 1e-15, "tau = 0.01 s");
    let mut net = balanced(10).inputs(1, Synapses::procedural(1, 1, 0.1)).build().unwrap();
    net.input_many(&vec![0; 4096], &vec![1.0; 4096]).unwrap();
    assert_eq!(err(net.input(0, 1.0)).status, Status::Capacity, "room for 4096 inputs");
}

#[test]
fn argument_slice_lengths_checked_before_c() {
    let short = [1.2; 9];
    let e = err(balanced(10).drives(&short).build());
    assert_eq!(e.status, Status::Argument);
    assert!(mentions(&e.message, "drives"), "{:?}", e.message);
    assert_eq!(err(balanced(10).v0(&short).build()).status, Status::Argument);

    // row_ptr must have n + 1 entries and end at the number of targets.
    let e = err(NetworkBuilder::new(Model::Lif, 3)
        .recurrent(Synapses::explicit(&[0, 1, 2], &[1, 2], Weights::Shared(0.1)))
        .build());
    assert_eq!(e.status, Status::Argument);
    let e = err(NetworkBuilder::new(Model::Lif, 3)
        .recurrent(Synapses::explicit(&[0, 1, 2, 5], &[1, 2, 0], Weights::Shared(0.1)))
        .build());
    assert_eq!(e.status, Status::Argument);
    let e = err(NetworkBuilder::new(Model::Lif, 3)
        .recurrent(Synapses::explicit(&[0, 9, 2, 3], &[1, 2, 0], Weights::Shared(0.1)))
        .build());
    assert_eq!(e.status, Status::Argument);
    let e = err(NetworkBuilder::new(Model::Lif, 3)
        .recurrent(Synapses::explicit(&[0, 1, 2, 3], &[1, 2, 0], Weights::PerSynapse(&[0.1, 0.2])))
        .build());
    assert_eq!(e.status, Status::Argument);

    let mut net = balanced(10).build().unwrap();
    assert_eq!(err(net.run_into(1.0, &mut [])).status, Status::Argument);
    assert_eq!(err(net.backward(&[], Some(&[0.0; 3]))).status, Status::Argument);
    assert_eq!(net.now(), 0.0);
}

#[test]
fn state_when_nothing_will_ever_spike() {
    // Non-oscillatory LIF (I <= 1), no synapses, no inputs: no neuron ever fires.
    let mut net = NetworkBuilder::new(Model::Lif, 10).drive(0.5).build().unwrap();
    let e = err(net.step());
    assert_eq!(e.status, Status::State);
    assert!(!e.message.is_empty());
    assert_eq!(net.now(), 0.0, "nothing changes");
    // The iterator simply ends.
    assert_eq!(net.spikes().count(), 0);
    // Running to a time is fine: it advances time with no spikes.
    assert_eq!(net.run_until(1.0).unwrap(), vec![]);
    assert_eq!(net.now(), 1.0);
    // backward with no tape.
    let e = err(net.backward(&[], None));
    assert!(matches!(e.status, Status::State | Status::Unsupported), "{e}");
    // The library names the C function to call; the crate gives its own method.
    assert!(e.message.contains("call Network::record before running"), "{e}");
    assert!(!e.message.contains("sp_"), "{e}");
}

#[test]
fn unsupported_models_and_drives() {
    for drive in [0.0, -0.5] {
        let e = err(NetworkBuilder::new(Model::Qif, 10).drive(drive).build());
        assert_eq!(e.status, Status::Unsupported, "QIF drive {drive}: {e}");
        assert!(!e.message.is_empty());
    }
    // EIF with the defaults (V_T = 1, D_T = 0.1) needs I > 0.9: below, it is excitable.
    let e = err(NetworkBuilder::new(Model::Eif, 10).drive(0.8).build());
    assert_eq!(e.status, Status::Unsupported);
    assert!(e.message.contains("excitable"), "{e}");
    // A custom model needs its F.
    let e = err(NetworkBuilder::new(Model::Custom, 10).drive(1.5).build());
    assert_eq!(e.status, Status::Argument);
    assert!(e.message.contains("needs the model parameters with the function f"), "{e}");
    assert!(!e.message.contains("model_params") && !e.message.contains("SP_MODEL"), "{e}");
}

#[test]
fn capacity_of_the_input_queue() {
    let mut net = NetworkBuilder::new(Model::Lif, 4)
        .drive(0.5)
        .inputs(1, Synapses::explicit(&[0, 1], &[2], Weights::Shared(0.1)))
        .input_capacity(2)
        .build()
        .unwrap();
    net.input(0, 0.1).unwrap();
    net.input(0, 0.2).unwrap();
    let e = err(net.input(0, 0.3));
    assert_eq!(e.status, Status::Capacity);
    assert!(!e.message.is_empty());
    // Other bad inputs: unknown channel, time in the past, non-finite time.
    assert_eq!(err(net.input(1, 0.3)).status, Status::Argument);
    net.run_until(0.15).unwrap();
    assert_eq!(err(net.input(0, 0.1)).status, Status::Argument);
    assert_eq!(err(net.input(0, f64::NAN)).status, Status::Argument);
    // The processed input made room again.
    net.input(0, 0.3).unwrap();
}

#[test]
fn io_and_format_errors() {
    let e = err(Network::load_file("/nonexistent-sparseprop-dir/net.bin"));
    assert_eq!(e.status, Status::Io);
    assert!(!e.message.is_empty());
    let net = balanced(10).build().unwrap();
    assert_eq!(err(net.save_file("/nonexistent-sparseprop-dir/net.bin")).status, Status::Io);
    // A path with a NUL byte never reaches C.
    assert_eq!(err(net.save_file("a\0b")).status, Status::Argument);
    // A path longer than the library's message keeps its words, cut short with the message (an
    // outside review: sp_record and SP_PARAM_V0 came back as Network::record and Param::V0).
    let long = format!("/nonexistent-sparseprop-dir/sp_record/SP_PARAM_V0/{}/net.bin", "d".repeat(600));
    for e in [err(net.save_file(&long)), err(Network::load_file(&long))] {
        assert_eq!(e.status, Status::Io);
        let at = e.message.find(": '").expect("the message names the path");
        assert!(long.starts_with(&e.message[at + 3..]), "{}", e.message);
        assert!(e.message.contains("/sp_record/SP_PARAM_V0/"), "{}", e.message);
    }

    let e = err(Network::load(b"certainly not a saved network"));
    assert_eq!(e.status, Status::Format);
    assert!(!e.message.is_empty());
    assert_eq!(err(Network::load(&[])).status, Status::Format);
}

/// Counts live blocks and bytes; fails the allocation numbered `fail_at` (0-based) if set.
struct TestAllocator {
    fail_at: Option<usize>,
    calls: Cell<usize>,
    stats: Arc<Stats>,
}

#[derive(Default)]
struct Stats {
    live_blocks: AtomicIsize,
    requested: AtomicUsize,
    /// Allocation calls, failed ones included.
    calls: AtomicUsize,
}

const ALIGN: usize = 64;

unsafe impl Allocator for TestAllocator {
    fn alloc(&self, size: usize, align: usize) -> *mut u8 {
        assert!(align.is_power_of_two() && align <= ALIGN, "align {align}");
        let call = self.calls.get();
        self.calls.set(call + 1);
        self.stats.calls.fetch_add(1, Ordering::SeqCst);
        if Some(call) == self.fail_at {
            return std::ptr::null_mut();
        }
        let layout = std::alloc::Layout::from_size_align(size.max(1), ALIGN).unwrap();
        let p = unsafe { std::alloc::alloc(layout) };
        if !p.is_null() {
            self.stats.live_blocks.fetch_add(1, Ordering::SeqCst);
            self.stats.requested.fetch_add(size, Ordering::SeqCst);
        }
        p
    }
    unsafe fn free(&self, ptr: *mut u8, size: usize) {
        let layout = std::alloc::Layout::from_size_align(size.max(1), ALIGN).unwrap();
        unsafe { std::alloc::dealloc(ptr, layout) };
        self.stats.live_blocks.fetch_sub(1, Ordering::SeqCst);
    }
}

// SAFETY: the Cell is only touched by the thread that owns the network.
unsafe impl Send for TestAllocator {}

fn allocator(fail_at: Option<usize>) -> (Box<TestAllocator>, Arc<Stats>) {
    let stats = Arc::new(Stats::default());
    (Box::new(TestAllocator { fail_at, calls: Cell::new(0), stats: stats.clone() }), stats)
}

#[test]
fn custom_allocator_gets_exactly_the_announced_memory() {
    let desc = balanced(300);
    let announced = desc.memory().unwrap();
    assert!(announced > 0);
    let (a, stats) = allocator(None);
    let mut net = desc.build_with_allocator(a).unwrap();
    assert!(net.has_custom_allocator());
    assert_eq!(stats.requested.load(Ordering::SeqCst), announced, "sp_network_memory is exact");
    assert!(stats.live_blocks.load(Ordering::SeqCst) > 0);
    // Running allocates nothing.
    net.run_until(0.5).unwrap();
    assert_eq!(stats.requested.load(Ordering::SeqCst), announced);
    // Same spikes as with malloc.
    let mut plain = desc.build().unwrap();
    net.rewind().unwrap();
    assert_eq!(net.run_until(0.5).unwrap(), plain.run_until(0.5).unwrap());
    drop(net);
    assert_eq!(stats.live_blocks.load(Ordering::SeqCst), 0, "everything freed on drop");
}

#[test]
fn nomem_at_every_allocation_leaks_nothing() {
    let desc = balanced(300);
    let mut fail_at = 0;
    loop {
        let (a, stats) = allocator(Some(fail_at));
        match desc.build_with_allocator(a) {
            Err(e) => {
                assert_eq!(e.status, Status::NoMem, "allocation {fail_at}: {e}");
                assert!(!e.message.is_empty());
                assert_eq!(stats.live_blocks.load(Ordering::SeqCst), 0, "allocation {fail_at} leaked");
            }
            Ok(net) => {
                drop(net);
                assert_eq!(stats.live_blocks.load(Ordering::SeqCst), 0);
                break;
            }
        }
        fail_at += 1;
        assert!(fail_at < 1000, "create never succeeded");
    }
    assert!(fail_at >= 1, "create made no allocation");
}

/// `save_file` allocates a temporary buffer through the network's allocator (the header's
/// "Allocates" for `sp_save_file`; the `Allocator` doc used to leave it out): it is freed
/// before `save_file` returns, and a failed allocation there is `Status::NoMem`.
#[test]
fn save_file_allocates_its_buffer_through_the_allocator() {
    let desc = balanced(300);
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sparseprop-rust-save-alloc.bin");
    let (a, stats) = allocator(None);
    let net = desc.build_with_allocator(a).unwrap();
    let build_calls = stats.calls.load(Ordering::SeqCst);
    let (requested, live) =
        (stats.requested.load(Ordering::SeqCst), stats.live_blocks.load(Ordering::SeqCst));
    net.save_file(&path).unwrap();
    assert!(stats.calls.load(Ordering::SeqCst) > build_calls, "save_file did not call the allocator");
    assert!(stats.requested.load(Ordering::SeqCst) > requested);
    assert_eq!(stats.live_blocks.load(Ordering::SeqCst), live, "the buffer is freed before it returns");
    assert!(Network::load_file(&path).is_ok());
    drop(net);

    // The same network with an allocator that fails the first allocation after the build's.
    let (a, stats) = allocator(Some(build_calls));
    let net = desc.build_with_allocator(a).unwrap();
    assert_eq!(err(net.save_file(&path)).status, Status::NoMem);
    drop(net);
    assert_eq!(stats.live_blocks.load(Ordering::SeqCst), 0);
    std::fs::remove_file(&path).ok();
}

#[test]
fn panicking_allocator_becomes_nomem() {
    struct Panics;
    unsafe impl Allocator for Panics {
        fn alloc(&self, _: usize, _: usize) -> *mut u8 {
            panic!("allocator refuses (expected in this test)")
        }
        unsafe fn free(&self, _: *mut u8, _: usize) {}
    }
    let e = err(balanced(10).build_with_allocator(Box::new(Panics)));
    assert_eq!(e.status, Status::NoMem);
}

#[test]
fn messages_name_the_crates_methods() {
    // The library's message says "call sp_backward first"; the crate names its own method.
    let mut net = balanced(10).build().unwrap();
    net.record(1000).unwrap();
    net.run_until(0.01).unwrap();
    let e = err(net.set_drive(0, 1.3));
    assert_eq!(e.status, Status::State);
    assert!(e.message.contains("(call Network::backward first)"), "{e}");
    assert!(!e.message.contains("sp_"), "{e}");
    // A stale replica: "call sp_rewind on it first" in the library's words.
    let mut parent = balanced(10).build().unwrap();
    let mut r = parent.replica().unwrap();
    let drives = vec![1.3; 10];
    parent.set_params(sparseprop::Param::Drives, &drives).unwrap();
    let e = err(r.run_until(0.01));
    assert_eq!(e.status, Status::State);
    assert!(e.message.contains("call Network::rewind on it first"), "{e}");
    assert!(!e.message.contains("sp_"), "{e}");
    // A file path is the caller's: kept as given, even where it reads like a C name.
    let path = "/nonexistent-dir/sp_load/SP_MODEL_X/model_params->a";
    let e = err(Network::load_file(path));
    assert!(e.message.ends_with(&format!(": '{path}'")), "{e}");
    // C fields and constants: the crate's field names and enum variants.
    let eif = EifParams { v_spike: -1.0, ..EifParams::default() };
    let e = err(NetworkBuilder::new(Model::Eif, 3).drive(1.2).eif(eif).build());
    assert!(e.message.starts_with("v_spike = -1: "), "{e}");
    let e = err(NetworkBuilder::new(Model::Lif, 3).drives(&[1.1, 1.2, 1.3]).frame(Frame::Phase).build());
    assert!(e.message.starts_with("frame = Frame::Phase: "), "{e}");
    let mut net = NetworkBuilder::new(Model::Lif, 3).drive(1.2).build().unwrap();
    let e = err(net.set_params(sparseprop::Param::Drives, &[1.2, 1.2, f64::NAN]));
    assert!(e.message.starts_with("Param::Drives[2] = nan: "), "{e}");
    for e in [e, err(NetworkBuilder::new(Model::Qif, 3).drive(1.0).tau_syn(0.002).build())] {
        for c_name in ["model_params", "SP_PARAM", "SP_MODEL", "SP_FRAME", "sp_"] {
            assert!(!e.message.contains(c_name), "{e}");
        }
    }
}

#[test]
fn messages_name_the_methods_arguments() {
    // The library names its C parameters (`n`, `len`, `n_spikes`, ...); each method's error
    // names its own arguments instead.
    let mut net = balanced(10).inputs(1, Synapses::procedural(1, 5, 0.1)).input_capacity(2).build().unwrap();
    let cases = [
        (err(net.voltages_into(&mut [0.0; 9])), "out.len() = 9: must equal the number of neurons 10"),
        (err(net.params_into(Param::Drives, &mut [0.0; 9])), "out.len() = 9: Param::Drives has 10 values"),
        (err(net.grads_into(Param::Drives, &mut [0.0; 9])), "out.len() = 9: Param::Drives has 10 values"),
        (err(net.set_params(Param::Drives, &[1.2; 9])), "values.len() = 9: Param::Drives has 10 values"),
        (
            err(net.input_many(&[0, 0, 0], &[0.1, 0.2, 0.3])),
            "times.len() = 3: the input queue has room for 2",
        ),
        (err(net.save_into(&mut [0u8; 10])), "buf.len() = 10: the saved network needs "),
        (
            err(net.run_until_spiked(1.0, &[], 100).map_err(|e| e.error)),
            "watch.len() = 0: watch at least one",
        ),
    ];
    for (e, text) in cases {
        assert!(e.message.starts_with(text), "{e}");
    }
    net.record(1000).unwrap();
    let spikes = net.run_until(0.01).unwrap();
    let e = err(net.backward(&vec![1.0; spikes.len() + 1], None));
    assert_eq!(
        e.message,
        format!("dl_dt.len() = {}: {} spikes were recorded", spikes.len() + 1, spikes.len())
    );
    let mut other = balanced(10).build().unwrap();
    let e = err(net.accumulate_grads(&other));
    assert!(e.message.starts_with("self and src do not share one parameter set"), "{e}");
    let mut r = other.replica().unwrap();
    let e = err(r.set_params(Param::Drives, &[1.2; 10]));
    assert!(e.message.starts_with("this network is a replica: "), "{e}");
}
