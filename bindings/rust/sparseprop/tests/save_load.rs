//! Saving and loading continue a run bit-identically; damaged bytes are refused.

mod common;

use common::*;
use sparseprop::{Network, Status};

fn same(a: &[sparseprop::Spike], b: &[sparseprop::Spike]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.t.to_bits() == y.t.to_bits() && x.neuron == y.neuron)
}

#[test]
fn save_load_continues_bit_identically() {
    let mut net = balanced(500).build().unwrap();
    net.run_until(0.3).unwrap();
    let bytes = net.save().unwrap();
    assert!(!bytes.is_empty());
    let mut copy = Network::load(&bytes).unwrap();
    assert_eq!(copy.size(), 500);
    assert_eq!(copy.now().to_bits(), net.now().to_bits());
    assert_eq!(copy.frame(), net.frame());
    assert_eq!(copy.voltages().unwrap(), net.voltages().unwrap());
    let a = net.run_until(0.8).unwrap();
    let b = copy.run_until(0.8).unwrap();
    assert!(!a.is_empty());
    assert!(same(&a, &b), "loaded network diverged");

    // save_into with an exact buffer, and a buffer too small.
    let mut exact = vec![0u8; net.save().unwrap().len()];
    assert_eq!(net.save_into(&mut exact).unwrap(), exact.len());
    let mut small = vec![0u8; exact.len() - 1];
    assert!(net.save_into(&mut small).is_err());
}

#[test]
fn save_file_load_file() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("sparseprop-rust-save-test.bin");
    let mut net = balanced(300).build().unwrap();
    net.run_until(0.2).unwrap();
    net.save_file(&path).unwrap();
    let mut copy = Network::load_file(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(same(&net.run_until(0.5).unwrap(), &copy.run_until(0.5).unwrap()));
}

#[test]
fn damaged_bytes_are_format_errors() {
    let net = balanced(100).build().unwrap();
    let bytes = net.save().unwrap();
    for cut in [0, 1, 7, bytes.len() / 2, bytes.len() - 1] {
        let e = Network::load(&bytes[..cut]).unwrap_err();
        assert_eq!(e.status, Status::Format, "truncated to {cut}: {e}");
    }
    for pos in [0, bytes.len() / 3, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x40;
        let e = Network::load(&bad).unwrap_err();
        assert_eq!(e.status, Status::Format, "byte {pos} flipped: {e}");
    }
}

#[test]
fn random_damage_never_loads_or_crashes() {
    let mut net = balanced(64).build().unwrap();
    net.run_until(0.1).unwrap();
    let bytes = net.save().unwrap();
    let mut rng = Rng(99);
    for round in 0..300 {
        let mut bad = bytes.clone();
        let flips = 1 + (rng.next_u64() % 4) as usize;
        for _ in 0..flips {
            let pos = (rng.next_u64() % bad.len() as u64) as usize;
            bad[pos] ^= 1 << (rng.next_u64() % 8);
        }
        if round % 3 == 0 {
            bad.truncate((rng.next_u64() % bad.len() as u64) as usize);
        }
        match Network::load(&bad) {
            Err(e) => assert_eq!(e.status, Status::Format, "round {round}: {e}"),
            Ok(_) => panic!("round {round}: damaged bytes loaded"),
        }
    }
    // Random bytes of the right length.
    let noise: Vec<u8> = (0..bytes.len()).map(|_| rng.next_u64() as u8).collect();
    assert_eq!(Network::load(&noise).unwrap_err().status, Status::Format);
}

#[test]
fn queued_inputs_and_time_frame_survive_save_load() {
    use sparseprop::{Frame, Model, NetworkBuilder, Synapses};
    let drives: Vec<f64> = (0..50).map(|i| 0.9 + 0.01 * i as f64).collect();
    let mut net = NetworkBuilder::new(Model::Lif, 50)
        .drives(&drives)
        .recurrent(Synapses::procedural(5, 3, 0.05))
        .inputs(4, Synapses::procedural(10, 4, 0.3))
        .t_ref(0.002)
        .init_seed(8)
        .build()
        .unwrap();
    assert_eq!(net.frame(), Frame::Time);
    net.run_until(0.1).unwrap();
    for (k, ch) in [(1, 0), (2, 3), (3, 1), (4, 2)] {
        net.input(ch, 0.1 + 0.01 * k as f64).unwrap();
    }
    let mut copy = Network::load(&net.save().unwrap()).unwrap();
    let a = net.run_until(0.5).unwrap();
    let b = copy.run_until(0.5).unwrap();
    assert!(!a.is_empty());
    assert!(same(&a, &b), "loaded network diverged");
}
