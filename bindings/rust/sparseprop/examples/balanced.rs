//! The paper's balanced LIF network (SparseProp, Engelken 2023): N neurons, K = 100
//! procedural inhibitory synapses each of weight -J0/sqrt(K), drive 1 + tau sqrt(K) J0 nu,
//! tau = 10 ms, random initial phases.
//!
//! usage: balanced [N = 10000] [T seconds = 1] [K = 100]
//! Runs a burn-in of 0.1 T, then times T simulated seconds.

use std::process::ExitCode;
use std::time::Instant;

use sparseprop::{Model, NetworkBuilder, Synapses};

fn arg<T: std::str::FromStr>(args: &[String], i: usize, default: T, what: &str) -> Result<T, String> {
    match args.get(i) {
        None => Ok(default),
        Some(s) => s.parse().map_err(|_| format!("{what}: cannot parse {s:?}")),
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: u32 = arg(&args, 1, 10_000, "N")?;
    let t_sim: f64 = arg(&args, 2, 1.0, "T")?;
    let k: u32 = arg(&args, 3, 100, "K")?;

    let tau = 0.01;
    let (j0, nu) = (1.0, 1.0);
    let sqrt_k = (k as f64).sqrt();
    let drive = 1.0 + tau * sqrt_k * j0 * nu;
    let weight = -j0 / sqrt_k;

    let mut net = NetworkBuilder::new(Model::Lif, n)
        .tau(tau)
        .drive(drive)
        .recurrent(Synapses::procedural(k, 1, weight))
        .init_seed(2)
        .build()?;

    let burn_in = 0.1 * t_sim;
    let burn_spikes = net.count_until(burn_in)?;

    let start = Instant::now();
    let spikes = net.count_until(burn_in + t_sim)?;
    let wall = start.elapsed().as_secs_f64();

    let rate = spikes as f64 / (n as f64 * t_sim);
    println!("sparseprop {} (Rust), frame {:?}", sparseprop::version(), net.frame());
    println!("network      N = {n}, K = {k}, w = {weight}, I = {drive}, tau = {tau} s");
    println!("burn-in      {burn_in} s, {burn_spikes} spikes");
    println!("spikes       {spikes}");
    println!("simulated    {t_sim} s");
    println!("mean rate    {rate:.4} Hz");
    println!("wall time    {wall:.4} s");
    if spikes > 0 {
        println!("us/spike     {:.4}", wall * 1e6 / spikes as f64);
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("balanced: {e}");
            ExitCode::FAILURE
        }
    }
}
