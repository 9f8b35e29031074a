//! Safe Rust interface to libsparseprop: exact, event-based simulation and training of
//! sparse recurrent networks of integrate-and-fire neurons (SparseProp).
//!
//! Describe a network with [`NetworkBuilder`], run it with [`Network::run_until`],
//! [`Network::step`] or [`Network::spikes`], train it with [`Network::record`],
//! [`Network::backward`] and [`Network::grads`], and save it with [`Network::save`].
//! Every failure is an [`Error`] with the library's [`Status`] and message; a few calls give
//! something back with it in an [`ErrorWith`] (the network [`Replicas::new`] was given, the
//! spikes [`Network::run_until_spiked`] processed).
//!
//! [`Network::run_until`] is `sp_run` up to `t_end`; the library's `sp_run_until` (run until
//! watched neurons have spiked) is [`Network::run_until_spiked`].
//!
//! For data parallelism, [`Replicas`] (or [`Network::replica`]) makes networks sharing one
//! parent's parameters, to run on threads of their own. The library's rules (replicas are
//! destroyed before their parent; parameters change only while no replica is in a call) are
//! kept by the networks themselves, whatever safe code moves, swaps or drops first.
//!
//! ```no_run
//! use sparseprop::{Model, NetworkBuilder, Synapses};
//! // The balanced LIF network: K = 100 inhibitory synapses per neuron.
//! let mut net = NetworkBuilder::new(Model::Lif, 10_000)
//!     .tau(0.01)
//!     .drive(1.1)
//!     .recurrent(Synapses::procedural(100, 7, -0.1))
//!     .init_seed(1)
//!     .build()?;
//! let spikes = net.run_until(1.0)?;
//! println!("{} spikes, mean rate {:.2} Hz", spikes.len(), spikes.len() as f64 / 10_000.0);
//! # Ok::<(), sparseprop::Error>(())
//! ```
//!
//! Replicas on scoped threads, their gradients summed into the parent:
//!
//! ```no_run
//! use sparseprop::{Model, NetworkBuilder, Replicas, Synapses};
//! let net = NetworkBuilder::new(Model::Lif, 1000)
//!     .drive(1.1)
//!     .recurrent(Synapses::procedural(10, 1, -0.1))
//!     .init_seed(2)
//!     .build()?;
//! let mut set = Replicas::new(net, 2)?; // on an error, its `value` is the network
//! std::thread::scope(|s| {
//!     for r in set.replicas_mut() {
//!         s.spawn(move || r.run_until(0.1).map(|v| v.len()));
//!     }
//! });
//! set.accumulate()?;
//! # Ok::<(), sparseprop::Error>(())
//! ```

mod alloc;
mod builder;
mod error;
mod network;

pub use alloc::Allocator;
pub use builder::{CustomModel, EifParams, Frame, Model, NetworkBuilder, Synapses, Weights};
pub use error::{Error, ErrorWith, Result, Status};
pub use network::{Network, Param, Replicas, Spike, Spikes};

/// The raw declarations, for what this crate does not wrap.
pub use sparseprop_sys as sys;

/// The version of the library actually linked, e.g. `"0.3.0"`.
pub fn version() -> &'static str {
    // SAFETY: sp_version_string returns a static NUL-terminated string.
    let p = unsafe { sys::sp_version_string() };
    if p.is_null() {
        return "";
    }
    unsafe { std::ffi::CStr::from_ptr(p) }.to_str().unwrap_or("")
}

/// The version of the library actually linked: MAJOR*10000 + MINOR*100 + PATCH.
pub fn version_number() -> u32 {
    unsafe { sys::sp_version_number() }
}

/// The version of the header these bindings were written against.
pub const HEADER_VERSION_NUMBER: u32 = sys::SP_VERSION_NUMBER;
