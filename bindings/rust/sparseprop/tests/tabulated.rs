//! The tabulated models through the Rust API: EIF with its defaults and with parameters, a
//! custom closure F = -V against the closed-form LIF, a panicking closure refused (not
//! unwound into C), and a custom network that saves and loads without its closure.

use sparseprop::{CustomModel, EifParams, Model, Network, NetworkBuilder, Status, Synapses};

fn balanced(model: Model, n: u32) -> NetworkBuilder<'static> {
    NetworkBuilder::new(model, n).drive(1.1).recurrent(Synapses::procedural(20, 1, -0.1)).init_seed(3)
}

#[test]
fn eif_runs_with_defaults_and_parameters() {
    let mut net = balanced(Model::Eif, 300).build().unwrap();
    let spikes = net.run_until(0.5).unwrap();
    assert!(spikes.len() > 100, "{} spikes", spikes.len());
    // The defaults spelled out are the same network, bit for bit.
    let mut same = balanced(Model::Eif, 300).eif(EifParams::default()).build().unwrap();
    let again = same.run_until(0.5).unwrap();
    assert_eq!(spikes.len(), again.len());
    assert!(spikes.iter().zip(&again).all(|(a, b)| a.neuron == b.neuron && a.t.to_bits() == b.t.to_bits()));
    // A sharper spike changes the dynamics.
    let sharp = EifParams { delta_t: 0.05, ..EifParams::default() };
    let mut other = balanced(Model::Eif, 300).eif(sharp).build().unwrap();
    assert_ne!(other.run_until(0.5).unwrap().len(), 0);
    // Bad parameters name the field.
    let e = balanced(Model::Eif, 300).eif(EifParams { delta_t: -1.0, ..EifParams::default() }).build();
    let e = e.expect_err("refused");
    assert_eq!(e.status, Status::Argument);
    assert!(e.message.contains("delta_t"), "{e}");
}

#[test]
fn custom_minus_v_is_lif() {
    let f = |v: f64| -v;
    let custom = CustomModel { f: &f, v_reset: 0.0, v_spike: 1.0 };
    let mut lif = balanced(Model::Lif, 400).build().unwrap();
    let mut cus = balanced(Model::Lif, 400).custom(custom).build().unwrap();
    let a = lif.run_until(0.5).unwrap();
    let b = cus.run_until(0.5).unwrap();
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.neuron, y.neuron);
        assert!((x.t - y.t).abs() <= 1e-12 * x.t.max(0.01), "{} vs {}", x.t, y.t);
    }
}

#[test]
fn a_panicking_closure_is_refused() {
    let f = |v: f64| -> f64 {
        if v > 0.5 {
            panic!("F is not defined above 0.5");
        }
        -v
    };
    let e = refused_custom(&f);
    assert!(e.to_string().contains("panicked: F is not defined above 0.5"), "{e}");
}

/// The error of building a small custom network from `f`, which must be `Status::Unsupported`.
fn refused_custom(f: &dyn Fn(f64) -> f64) -> sparseprop::Error {
    let e = NetworkBuilder::new(Model::Custom, 10)
        .drive(1.1)
        .custom(CustomModel { f, v_reset: 0.0, v_spike: 1.0 })
        .build()
        .expect_err("refused");
    assert_eq!(e.status, Status::Unsupported, "{e}");
    e
}

/// A closure that panics at one call only, anywhere in the library's passes over F: `build`
/// and `memory` report the panic every time (the first versions returned Ok for 512 of 5640
/// such calls, and crashed for others: the library measured and built its tables from
/// different values of F).
#[test]
fn a_closure_panicking_once_is_always_refused() {
    use std::cell::Cell;
    let calls = Cell::new(0u64);
    let plain = |v: f64| -> f64 {
        calls.set(calls.get() + 1);
        -v
    };
    fn builder<'a>(f: &'a dyn Fn(f64) -> f64) -> NetworkBuilder<'a> {
        NetworkBuilder::new(Model::Custom, 6).drive(1.2).custom(CustomModel { f, v_reset: 0.0, v_spike: 1.0 })
    }
    builder(&plain).build().expect("a deterministic F");
    let total = calls.get();
    assert!(total > 100, "{total} calls");
    for odd in (0..total).step_by(97) {
        let count = Cell::new(0u64);
        let f = |v: f64| -> f64 {
            count.set(count.get() + 1);
            if count.get() == odd + 1 {
                panic!("odd call {odd}");
            }
            -v
        };
        let e = builder(&f).build().expect_err("refused");
        assert_eq!(e.status, Status::Unsupported, "{e}");
        assert!(e.to_string().contains(&format!("panicked: odd call {odd}")), "{e}");
        count.set(0);
        if odd < total / 3 {
            // (memory makes one pass of the library's measuring: only early calls reach it)
            let e = builder(&f).memory().expect_err("refused");
            assert!(e.to_string().contains("panicked"), "{e}");
        }
    }
}

#[test]
fn custom_saves_and_loads_without_its_closure() {
    let bytes;
    let mut tail = Vec::new();
    {
        let f = |v: f64| -v + 0.5 * v * v;
        let mut net = balanced(Model::Custom, 200)
            .custom(CustomModel { f: &f, v_reset: 0.0, v_spike: f64::INFINITY })
            .build()
            .unwrap();
        net.run_until(0.2).unwrap();
        bytes = net.save().unwrap();
        assert_eq!(bytes[8], 4, "format version 4 (with the tables)");
        tail.extend(net.run_until(0.4).unwrap());
    } // (the closure is gone)
    let mut copy = Network::load(&bytes).unwrap();
    let b = copy.run_until(0.4).unwrap();
    assert!(!b.is_empty());
    assert_eq!(tail.len(), b.len());
    assert!(tail.iter().zip(&b).all(|(x, y)| x.neuron == y.neuron && x.t.to_bits() == y.t.to_bits()));
    // A drive without a table is refused; one of the network's own is accepted.
    assert_eq!(copy.set_drive(0, 1.2).expect_err("refused").status, Status::Unsupported);
    copy.set_drive(0, 1.1).unwrap();
}

/// `eif()` and `custom()` set the model; a later `model()` naming another one is refused
/// (their parameters were silently left out of the description).
#[test]
fn parameters_for_another_model_are_refused() {
    let f = |v: f64| -v;
    let custom = CustomModel { f: &f, v_reset: 0.0, v_spike: 1.0 };
    let cases = [
        (balanced(Model::Eif, 10).eif(EifParams::default()).model(Model::Lif), "eif()"),
        (balanced(Model::Custom, 10).custom(custom).model(Model::Qif), "custom()"),
        (balanced(Model::Custom, 10).custom(custom).model(Model::Eif), "custom()"),
        (balanced(Model::Eif, 10).eif(EifParams::default()).custom(custom), "eif()"),
    ];
    for (builder, call) in cases {
        for e in [builder.build().map(|_| ()).unwrap_err(), builder.memory().map(|_| ()).unwrap_err()] {
            assert_eq!(e.status, Status::Unsupported, "{e}");
            assert!(e.message.contains(call), "{e}");
        }
    }
}

/// A panic payload whose own `Drop` panics: still refused, the second panic contained (it
/// used to end the process, unwinding out of the callback C called).
#[test]
fn a_payload_whose_drop_panics_is_contained() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("the payload's drop panics (expected in this test)");
        }
    }
    let f = |_: f64| -> f64 { std::panic::panic_any(Bomb) };
    refused_custom(&f);
}
