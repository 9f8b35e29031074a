//! Describing a network: the model, its neurons and their connectivity, turned into an
//! `sp_network_desc` only for the duration of one call.

// The enum constants are u32 except on MSVC (i32); the casts to the desc's u32 fields stay.
#![allow(clippy::unnecessary_cast)]

use std::ptr;

use sparseprop_sys as sys;

use crate::alloc::{AllocHolder, Allocator};
use crate::error::{check, Error, Result, Status};
use crate::network::Network;

/// The neuron model (`sp_model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    /// Leaky integrate-and-fire: tau dV/dt = -V + I, threshold 1, reset 0.
    Lif,
    /// Quadratic integrate-and-fire (theta neuron): tau dV/dt = V^2 + I; requires I > 0.
    Qif,
    /// Exponential integrate-and-fire: reserved, refused with `Status::Unsupported`.
    Eif,
}

impl Model {
    pub fn to_raw(self) -> sys::sp_model {
        match self {
            Model::Lif => sys::SP_MODEL_LIF,
            Model::Qif => sys::SP_MODEL_QIF,
            Model::Eif => sys::SP_MODEL_EIF,
        }
    }
}

/// The event loop a network runs (`sp_frame`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Frame {
    /// Let the engine choose (only meaningful in a description).
    #[default]
    Auto,
    /// One shared drive, every neuron oscillatory: the queue is keyed on the co-moving phase.
    Phase,
    /// Anything: the queue is keyed on each neuron's next spike time.
    Time,
}

impl Frame {
    pub fn to_raw(self) -> sys::sp_frame {
        match self {
            Frame::Auto => sys::SP_FRAME_AUTO,
            Frame::Phase => sys::SP_FRAME_PHASE,
            Frame::Time => sys::SP_FRAME_TIME,
        }
    }

    pub fn from_raw(raw: u32) -> Option<Frame> {
        match raw {
            x if x == sys::SP_FRAME_AUTO as u32 => Some(Frame::Auto),
            x if x == sys::SP_FRAME_PHASE as u32 => Some(Frame::Phase),
            x if x == sys::SP_FRAME_TIME as u32 => Some(Frame::Time),
            _ => None,
        }
    }
}

/// Per-synapse weights of explicit connectivity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weights<'a> {
    /// One weight for every synapse.
    Shared(f64),
    /// One weight per synapse, in CSR order (as many as targets).
    PerSynapse(&'a [f64]),
}

/// Connectivity from a set of sources (neurons, or input channels) to the neurons
/// (`sp_synapses`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Synapses<'a> {
    /// No synapses.
    #[default]
    None,
    /// Every source projects to exactly `k` distinct targets (never itself for recurrent
    /// synapses), regenerated from `(seed, source)` at every spike; all weigh `weight`.
    Procedural { k: u32, seed: u64, weight: f64 },
    /// CSR by source: `row_ptr` has one entry per source plus one, starts at 0 and never
    /// decreases; source j projects to `targets[row_ptr[j]..row_ptr[j+1]]`.
    Explicit { row_ptr: &'a [u64], targets: &'a [u32], weights: Weights<'a> },
}

impl<'a> Synapses<'a> {
    pub fn procedural(k: u32, seed: u64, weight: f64) -> Synapses<'static> {
        Synapses::Procedural { k, seed, weight }
    }

    pub fn explicit(row_ptr: &'a [u64], targets: &'a [u32], weights: Weights<'a>) -> Synapses<'a> {
        Synapses::Explicit { row_ptr, targets, weights }
    }

    /// The raw form, checking the slice lengths the library will trust (its own validation
    /// covers everything else: monotone `row_ptr`, targets in range, finite weights).
    fn raw(&self, what: &str, n_sources: u32) -> Result<sys::sp_synapses> {
        let mut s = sys::sp_synapses::NONE;
        match *self {
            Synapses::None => {}
            Synapses::Procedural { k, seed, weight } => {
                s.k = k;
                s.seed = seed;
                s.weight = weight;
            }
            Synapses::Explicit { row_ptr, targets, weights } => {
                let nnz = targets.len() as u64;
                if row_ptr.len() as u64 != n_sources as u64 + 1 {
                    return Err(Error::new(
                        Status::Argument,
                        format!(
                            "{what}.row_ptr has {} entries, expected {} (sources + 1)",
                            row_ptr.len(),
                            n_sources as u64 + 1
                        ),
                    ));
                }
                if let Some((j, &r)) = row_ptr.iter().enumerate().find(|&(_, &r)| r > nnz) {
                    return Err(Error::new(
                        Status::Argument,
                        format!("{what}.row_ptr[{j}] = {r} exceeds the {nnz} targets given"),
                    ));
                }
                if row_ptr[row_ptr.len() - 1] != nnz {
                    return Err(Error::new(
                        Status::Argument,
                        format!(
                            "{what}.row_ptr ends at {} but {nnz} targets were given",
                            row_ptr[row_ptr.len() - 1]
                        ),
                    ));
                }
                s.row_ptr = row_ptr.as_ptr();
                s.targets = targets.as_ptr();
                match weights {
                    Weights::Shared(w) => s.weight = w,
                    Weights::PerSynapse(w) => {
                        if w.len() != targets.len() {
                            return Err(Error::new(
                                Status::Argument,
                                format!("{what}.weights has {} entries for {nnz} targets", w.len()),
                            ));
                        }
                        s.weights = w.as_ptr();
                    }
                }
            }
        }
        Ok(s)
    }
}

/// A network description. Unset fields take the library's defaults
/// (`sp_network_desc_init`): tau 0.01 s, no synapses, no inputs, random initial phases,
/// no refractory period, room for 4096 queued inputs, the frame chosen by the engine.
///
/// ```no_run
/// use sparseprop::{Model, NetworkBuilder, Synapses};
/// let mut net = NetworkBuilder::new(Model::Lif, 1000)
///     .drive(1.1)
///     .recurrent(Synapses::procedural(100, 1, -0.1))
///     .init_seed(42)
///     .build()?;
/// let spikes = net.run_until(1.0)?;
/// # Ok::<(), sparseprop::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct NetworkBuilder<'a> {
    model: Model,
    n: u32,
    tau: Option<f64>,
    drive: Option<f64>,
    drives: Option<&'a [f64]>,
    recurrent: Synapses<'a>,
    n_inputs: u32,
    inputs: Synapses<'a>,
    v0: Option<&'a [f64]>,
    init_seed: Option<u64>,
    t_ref: Option<f64>,
    tau_syn: Option<f64>,
    input_capacity: Option<u32>,
    frame: Frame,
}

impl<'a> NetworkBuilder<'a> {
    /// `n` neurons of `model` (n >= 1; the library rejects 0 when building).
    pub fn new(model: Model, n: u32) -> NetworkBuilder<'a> {
        NetworkBuilder {
            model,
            n,
            tau: None,
            drive: None,
            drives: None,
            recurrent: Synapses::None,
            n_inputs: 0,
            inputs: Synapses::None,
            v0: None,
            init_seed: None,
            t_ref: None,
            tau_syn: None,
            input_capacity: None,
            frame: Frame::Auto,
        }
    }

    pub fn model(mut self, model: Model) -> Self {
        self.model = model;
        self
    }
    pub fn n(mut self, n: u32) -> Self {
        self.n = n;
        self
    }
    /// Membrane time constant in seconds (> 0).
    pub fn tau(mut self, tau: f64) -> Self {
        self.tau = Some(tau);
        self
    }
    /// The drive I of every neuron (ignored when `drives` is set).
    pub fn drive(mut self, drive: f64) -> Self {
        self.drive = Some(drive);
        self
    }
    /// One drive per neuron (`n` values).
    pub fn drives(mut self, drives: &'a [f64]) -> Self {
        self.drives = Some(drives);
        self
    }
    /// Neuron-to-neuron synapses.
    pub fn recurrent(mut self, synapses: Synapses<'a>) -> Self {
        self.recurrent = synapses;
        self
    }
    /// `n_inputs` external input channels and their synapses onto the neurons.
    pub fn inputs(mut self, n_inputs: u32, synapses: Synapses<'a>) -> Self {
        self.n_inputs = n_inputs;
        self.inputs = synapses;
        self
    }
    /// Initial voltages (`n` values); by default oscillatory neurons start at a random phase
    /// (`init_seed`) and the others at reset.
    pub fn v0(mut self, v0: &'a [f64]) -> Self {
        self.v0 = Some(v0);
        self
    }
    pub fn init_seed(mut self, seed: u64) -> Self {
        self.init_seed = Some(seed);
        self
    }
    /// Absolute refractory period in seconds (>= 0).
    pub fn t_ref(mut self, t_ref: f64) -> Self {
        self.t_ref = Some(t_ref);
        self
    }
    /// LIF only: current-based synapses with this synaptic time constant in seconds
    /// (tau dV/dt = -V + I + J, tau_syn dJ/dt = -J, an input of weight w raising J by
    /// w tau/tau_syn); 0, the default, gives delta synapses.
    pub fn tau_syn(mut self, tau_syn: f64) -> Self {
        self.tau_syn = Some(tau_syn);
        self
    }
    /// How many external input events can be queued at once.
    pub fn input_capacity(mut self, capacity: u32) -> Self {
        self.input_capacity = Some(capacity);
        self
    }
    /// Forces an event loop (mostly for testing); `Frame::Auto` lets the engine choose.
    pub fn frame(mut self, frame: Frame) -> Self {
        self.frame = frame;
        self
    }

    /// The C description, borrowing from `self`; valid while `self` is.
    fn desc(&self, allocator: *const sys::sp_allocator) -> Result<sys::sp_network_desc> {
        let mut d = sys::sp_network_desc::zeroed();
        // SAFETY: d is a valid, writable sp_network_desc of the size passed.
        unsafe { sys::sp_network_desc_init(&mut d, std::mem::size_of::<sys::sp_network_desc>()) };
        d.model = self.model.to_raw() as u32;
        d.n = self.n;
        if let Some(tau) = self.tau {
            d.tau = tau;
        }
        if let Some(drive) = self.drive {
            d.drive = drive;
        }
        if let Some(drives) = self.drives {
            check_len("drives", drives.len(), self.n)?;
            d.drives = drives.as_ptr();
        }
        d.recurrent = self.recurrent.raw("recurrent", self.n)?;
        d.n_inputs = self.n_inputs;
        d.inputs = self.inputs.raw("inputs", self.n_inputs)?;
        if let Some(v0) = self.v0 {
            check_len("v0", v0.len(), self.n)?;
            d.v0 = v0.as_ptr();
        }
        if let Some(seed) = self.init_seed {
            d.init_seed = seed;
        }
        if let Some(tau_syn) = self.tau_syn {
            d.tau_syn = tau_syn;
        }
        if let Some(t_ref) = self.t_ref {
            d.t_ref = t_ref;
        }
        if let Some(cap) = self.input_capacity {
            d.input_capacity = cap;
        }
        d.frame = self.frame.to_raw() as u32;
        d.allocator = allocator;
        Ok(d)
    }

    /// The exact number of bytes `build` will allocate (`sp_network_memory`).
    pub fn memory(&self) -> Result<usize> {
        let d = self.desc(ptr::null())?;
        let mut bytes = 0usize;
        // SAFETY: d and the slices it points into are alive for the call.
        check(unsafe { sys::sp_network_memory(&d, &mut bytes) })?;
        Ok(bytes)
    }

    /// Creates the network (`sp_network_create`). The description's slices are not kept.
    pub fn build(&self) -> Result<Network> {
        let d = self.desc(ptr::null())?;
        let mut out: *mut sys::sp_network = ptr::null_mut();
        // SAFETY: d is valid for the call; out is written only on success.
        check(unsafe { sys::sp_network_create(&d, &mut out) })?;
        // SAFETY: a successful create returns a fresh handle we now own.
        Ok(unsafe { Network::from_parts(out, None) })
    }

    /// Creates the network with all of its memory coming from `allocator`, which the network
    /// keeps until it is dropped.
    pub fn build_with_allocator(&self, allocator: Box<dyn Allocator>) -> Result<Network> {
        let holder = AllocHolder::new(allocator);
        let d = self.desc(holder.raw())?;
        let mut out: *mut sys::sp_network = ptr::null_mut();
        check(unsafe { sys::sp_network_create(&d, &mut out) })?;
        Ok(unsafe { Network::from_parts(out, Some(holder)) })
    }
}

fn check_len(what: &str, len: usize, n: u32) -> Result<()> {
    if len as u64 != n as u64 {
        return Err(Error::new(Status::Argument, format!("{what} has {len} entries, expected n = {n}")));
    }
    Ok(())
}
