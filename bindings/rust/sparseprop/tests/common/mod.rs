//! Shared descriptions for the integration tests.
#![allow(dead_code)]

use sparseprop::{Model, NetworkBuilder, Synapses};

/// The paper's balanced LIF network at n = 2000: K = 100, J0 = 1, nu = 1 Hz, tau = 10 ms.
/// `balanced(n)` is the same description at another size (K capped at n - 1).
pub const N: u32 = 2000;
pub const K: u32 = 100;
pub const TAU: f64 = 0.01;
pub const WEIGHT: f64 = -0.1; // -J0 / sqrt(K)
pub const DRIVE: f64 = 1.0 + 0.01 * 10.0 * 1.0; // 1 + tau sqrt(K) J0 nu
pub const CONN_SEED: u64 = 0x5eed_0001;
pub const INIT_SEED: u64 = 20231217;

pub fn balanced(n: u32) -> NetworkBuilder<'static> {
    NetworkBuilder::new(Model::Lif, n)
        .tau(TAU)
        .drive(DRIVE)
        .recurrent(Synapses::procedural(K.min(n.saturating_sub(1)), CONN_SEED, WEIGHT))
        .init_seed(INIT_SEED)
}

/// A small deterministic generator for test data (SplitMix64).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Explicit CSR: every neuron projects to `k` random other neurons with weights in
/// [w_lo, w_hi).
pub struct Csr {
    pub row_ptr: Vec<u64>,
    pub targets: Vec<u32>,
    pub weights: Vec<f64>,
}

pub fn random_csr(n: u32, k: u32, w_lo: f64, w_hi: f64, seed: u64) -> Csr {
    let mut rng = Rng(seed);
    let mut row_ptr = vec![0u64];
    let mut targets = Vec::new();
    let mut weights = Vec::new();
    for j in 0..n {
        let mut chosen = Vec::new();
        while chosen.len() < k as usize {
            let t = (rng.next_u64() % n as u64) as u32;
            if t != j && !chosen.contains(&t) {
                chosen.push(t);
            }
        }
        for t in chosen {
            targets.push(t);
            weights.push(w_lo + (w_hi - w_lo) * rng.uniform());
        }
        row_ptr.push(targets.len() as u64);
    }
    Csr { row_ptr, targets, weights }
}
