//! Describing a network: the model, its neurons and their connectivity, turned into an
//! `sp_network_desc` only for the duration of one call.

// The enum constants are u32 except on MSVC (i32); the casts to the desc's u32 fields stay.
#![allow(clippy::unnecessary_cast)]

use std::cell::RefCell;
use std::ffi::c_void;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use sparseprop_sys as sys;

use crate::alloc::{drop_panic_payload, AllocHolder, Allocator};
use crate::error::{check, Error, Result, Status};
use crate::network::Network;

/// The neuron model (`sp_model`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    /// Leaky integrate-and-fire: tau dV/dt = -V + I, threshold 1, reset 0.
    Lif,
    /// Quadratic integrate-and-fire (theta neuron): tau dV/dt = V^2 + I; requires I > 0.
    Qif,
    /// Exponential integrate-and-fire: tau dV/dt = -V + I + D_T exp((V - V_T)/D_T), spike at
    /// +inf, reset V_r; the library's defaults V_r = 0, V_T = 1, D_T = 0.1 (see [`EifParams`]
    /// and [`NetworkBuilder::eif`]). Oscillatory for I > V_T - D_T (required). Exact by phase
    /// tables built at creation, one per distinct drive (at most 64): `set_drive` accepts
    /// only drives the network was created with.
    Eif,
    /// tau dV/dt = F(V) + I with F a Rust closure (see [`CustomModel`] and
    /// [`NetworkBuilder::custom`]); tabulated like EIF.
    Custom,
}

impl Model {
    pub fn to_raw(self) -> sys::sp_model {
        match self {
            Model::Lif => sys::SP_MODEL_LIF,
            Model::Qif => sys::SP_MODEL_QIF,
            Model::Eif => sys::SP_MODEL_EIF,
            Model::Custom => sys::SP_MODEL_CUSTOM,
        }
    }
}

/// EIF parameters in the library's dimensionless convention (`sp_model_params`): reset
/// `v_reset`, soft threshold `v_t`, slope factor `delta_t`, spike at `v_spike` (+inf: the
/// blow-up). From millivolts with s = V_T - V_r: V' = (V - V_r)/s, D_T' = D_T/s, V_T' = 1,
/// V_r' = 0, I' = (E_L - V_r + R I)/s, weights w/s.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EifParams {
    pub v_reset: f64,
    pub v_spike: f64,
    pub delta_t: f64,
    pub v_t: f64,
}

impl Default for EifParams {
    /// The library's defaults: V_r = 0, spike at +inf, D_T = 0.1, V_T = 1.
    fn default() -> Self {
        EifParams { v_reset: 0.0, v_spike: f64::INFINITY, delta_t: 0.1, v_t: 1.0 }
    }
}

/// A custom one-variable model tau dV/dt = F(V) + I, reset `v_reset`, spike at `v_spike`
/// (finite, or `f64::INFINITY` when F blows up at least like V^2).
///
/// `f` is called only while the network is created (or measured), many times, from the calling
/// thread; never while it runs, and never by [`Network::load`](crate::Network::load) (the saved
/// bytes carry the tables). It must be smooth, deterministic and finite where F + I > 0 is
/// required (see `SP_MODEL_CUSTOM` in the C header), and must not call into this crate or the
/// library (the C header's rule: nothing in the library is promised to be re-entrant from
/// inside a create, even where a nested call happens to work). A panic inside `f` is caught at
/// the C boundary (it never unwinds into the library): that call and every later one of the same
/// `build` or `memory` return NaN without calling `f` again, and `build` / `memory` then return
/// `Err` with `Status::Unsupported` naming the panic (a network the library made all the same
/// is destroyed).
#[derive(Clone, Copy)]
pub struct CustomModel<'a> {
    pub f: &'a dyn Fn(f64) -> f64,
    pub v_reset: f64,
    pub v_spike: f64,
}

impl fmt::Debug for CustomModel<'_> {
    fn fmt(&self, out: &mut fmt::Formatter<'_>) -> fmt::Result {
        out.debug_struct("CustomModel")
            .field("v_reset", &self.v_reset)
            .field("v_spike", &self.v_spike)
            .finish_non_exhaustive()
    }
}

/// What the C callback sees during one `build` or `memory` call: the closure, and the message
/// of its first panic. After a panic every call returns NaN without calling the closure again
/// (a value that changed between the library's passes over F would make it refuse the tables
/// for the wrong reason), and the call that made the network reports the panic.
struct Callback<'a> {
    f: &'a dyn Fn(f64) -> f64,
    panic: RefCell<Option<String>>,
}

impl<'a> Callback<'a> {
    fn new(f: &'a dyn Fn(f64) -> f64) -> Self {
        Callback { f, panic: RefCell::new(None) }
    }
    /// The error for a panic of the closure during the call, if it panicked.
    fn panic_error(&self) -> Option<Error> {
        let message = self.panic.borrow().clone()?;
        Some(Error::new(Status::Unsupported, format!("the custom model's f panicked: {message}")))
    }
}

/// The C callback: ctx is a `*const Callback` alive for the create (or memory) call.
unsafe extern "C" fn custom_trampoline(v: f64, ctx: *mut c_void) -> f64 {
    // SAFETY: ctx points at the call's `Callback` for the duration of the call that uses it.
    let cb = unsafe { &*(ctx as *const Callback<'_>) };
    if cb.panic.borrow().is_some() {
        return f64::NAN;
    }
    match catch_unwind(AssertUnwindSafe(|| (cb.f)(v))) {
        Ok(x) => x,
        Err(payload) => {
            let message = if let Some(s) = payload.downcast_ref::<&str>() {
                (*s).to_string()
            } else if let Some(s) = payload.downcast_ref::<String>() {
                s.clone()
            } else {
                "(a payload that is not a string)".to_string()
            };
            *cb.panic.borrow_mut() = Some(message);
            drop_panic_payload(payload);
            f64::NAN
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
/// no refractory period, room for 4096 queued inputs, the frame chosen by the engine. (A tau
/// or input capacity of 0, which the C description reads as "the default", is refused when
/// building: leave the field out instead.)
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
    eif: Option<EifParams>,
    custom: Option<CustomModel<'a>>,
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
            eif: None,
            custom: None,
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
    /// Membrane time constant in seconds (> 0). The C description reads 0 as "the default":
    /// `tau(0.0)` is refused when building (`Status::Argument`) rather than silently becoming
    /// 0.01 s; leave `tau` out for the library's default, 0.01 s.
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
    /// How many external input events can be queued at once (>= 1). The C description reads 0
    /// as "the default": `input_capacity(0)` is refused when building (`Status::Argument`)
    /// rather than silently becoming 4096; leave it out for the library's default, 4096.
    pub fn input_capacity(mut self, capacity: u32) -> Self {
        self.input_capacity = Some(capacity);
        self
    }
    /// EIF with these parameters (sets the model to `Model::Eif`; without this call an EIF
    /// network takes the library's defaults, `EifParams::default()`). A later `model()` naming
    /// another model makes `build` and `memory` fail with `Status::Unsupported`.
    pub fn eif(mut self, params: EifParams) -> Self {
        self.model = Model::Eif;
        self.eif = Some(params);
        self
    }
    /// A custom model F (sets the model to `Model::Custom`, which needs it). A later `model()`
    /// naming another model makes `build` and `memory` fail with `Status::Unsupported`.
    pub fn custom(mut self, model: CustomModel<'a>) -> Self {
        self.model = Model::Custom;
        self.custom = Some(model);
        self
    }
    /// Forces an event loop (mostly for testing); `Frame::Auto` lets the engine choose.
    pub fn frame(mut self, frame: Frame) -> Self {
        self.frame = frame;
        self
    }

    /// The callback state of one call for a custom model (None for the other models).
    fn callback(&self) -> Option<Callback<'a>> {
        self.custom.as_ref().map(|c| Callback::new(c.f))
    }

    /// The model parameters for the description (EIF, custom), pointing into `self` and, for a
    /// custom model, at `cb` (this call's `callback()`).
    fn model_params(&self, cb: Option<&Callback<'a>>) -> Option<sys::sp_model_params> {
        let mut p = sys::sp_model_params {
            struct_size: std::mem::size_of::<sys::sp_model_params>() as u32,
            reserved: 0,
            v_reset: 0.0,
            v_spike: f64::INFINITY,
            delta_t: 0.0,
            v_t: 0.0,
            f: None,
            df: None,
            ctx: ptr::null_mut(),
        };
        match self.model {
            Model::Eif => {
                let e = self.eif?;
                p.v_reset = e.v_reset;
                p.v_spike = e.v_spike;
                p.delta_t = e.delta_t;
                p.v_t = e.v_t;
            }
            Model::Custom => {
                let c = self.custom.as_ref()?;
                p.v_reset = c.v_reset;
                p.v_spike = c.v_spike;
                p.f = Some(custom_trampoline);
                p.ctx = cb? as *const Callback<'a> as *mut c_void;
            }
            Model::Lif | Model::Qif => return None,
        }
        Some(p)
    }

    /// The C description, borrowing from `self` and `params` (this builder's
    /// `model_params()`, or None); valid while both are.
    fn desc(
        &self,
        allocator: *const sys::sp_allocator,
        params: Option<&sys::sp_model_params>,
    ) -> Result<sys::sp_network_desc> {
        let mut d = sys::sp_network_desc::zeroed();
        // SAFETY: d is a valid, writable sp_network_desc of the size passed.
        unsafe { sys::sp_network_desc_init(&mut d, std::mem::size_of::<sys::sp_network_desc>()) };
        d.model = self.model.to_raw() as u32;
        // eif() and custom() set the model: a later model() naming another one would leave
        // their parameters out of the description silently, where the C library refuses model
        // parameters that do not fit the model.
        let stray = if self.eif.is_some() && self.model != Model::Eif {
            Some("eif()")
        } else if self.custom.is_some() && self.model != Model::Custom {
            Some("custom()")
        } else {
            None
        };
        if let Some(call) = stray {
            return Err(Error::new(
                Status::Unsupported,
                format!("model = Model::{:?}: the parameters of {call} are for another model", self.model),
            ));
        }
        d.n = self.n;
        // (The C description reads 0 as "the default" for tau and input_capacity: a 0 given
        // here is refused instead, as in the Python binding. `d` holds the defaults here.)
        if let Some(tau) = self.tau {
            if tau == 0.0 {
                return Err(Error::new(
                    Status::Argument,
                    format!("tau = 0: must be > 0 (leave tau out for the library's default, {})", d.tau),
                ));
            }
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
            if cap == 0 {
                return Err(Error::new(
                    Status::Argument,
                    format!(
                        "input_capacity = 0: must be >= 1 (leave input_capacity out for the library's \
                         default, {})",
                        d.input_capacity
                    ),
                ));
            }
            d.input_capacity = cap;
        }
        d.frame = self.frame.to_raw() as u32;
        d.allocator = allocator;
        d.model_params = params.map_or(ptr::null(), |p| p as *const sys::sp_model_params);
        Ok(d)
    }

    /// The exact number of bytes `build` will allocate (`sp_network_memory`).
    pub fn memory(&self) -> Result<usize> {
        let cb = self.callback();
        let params = self.model_params(cb.as_ref());
        let d = self.desc(ptr::null(), params.as_ref())?;
        let mut bytes = 0usize;
        // SAFETY: d, the slices it points into and cb are alive for the call.
        let status = unsafe { sys::sp_network_memory(&d, &mut bytes) };
        if let Some(err) = cb.as_ref().and_then(Callback::panic_error) {
            return Err(err);
        }
        check(status)?;
        Ok(bytes)
    }

    /// Creates the network (`sp_network_create`). The description's slices are not kept.
    pub fn build(&self) -> Result<Network> {
        let cb = self.callback();
        let params = self.model_params(cb.as_ref());
        let d = self.desc(ptr::null(), params.as_ref())?;
        let mut out: *mut sys::sp_network = ptr::null_mut();
        // SAFETY: d (and cb) are valid for the call; out is written only on success.
        let status = unsafe { sys::sp_network_create(&d, &mut out) };
        // SAFETY: out is a fresh handle when the call succeeded, else null.
        unsafe { refuse_after_panic(cb.as_ref(), status, out) }?;
        // SAFETY: a successful create returns a fresh handle we now own.
        Ok(unsafe { Network::from_parts(out, None) })
    }

    /// Creates the network with all of its memory coming from `allocator`, which the network
    /// keeps until it is dropped.
    pub fn build_with_allocator(&self, allocator: Box<dyn Allocator>) -> Result<Network> {
        let holder = AllocHolder::new(allocator);
        let cb = self.callback();
        let params = self.model_params(cb.as_ref());
        let d = self.desc(holder.raw(), params.as_ref())?;
        let mut out: *mut sys::sp_network = ptr::null_mut();
        // SAFETY: as in `build`; the holder outlives the network (it is dropped after it).
        let status = unsafe { sys::sp_network_create(&d, &mut out) };
        unsafe { refuse_after_panic(cb.as_ref(), status, out) }?;
        Ok(unsafe { Network::from_parts(out, Some(holder)) })
    }
}

/// After `sp_network_create`: the panic of the custom model's closure if it panicked (a
/// network made all the same is destroyed: the values it was built from were not the
/// closure's), else the library's status.
///
/// # Safety
/// `out` is the handle the call returned (null unless it succeeded), not used afterwards when
/// this returns an error.
unsafe fn refuse_after_panic(
    cb: Option<&Callback<'_>>,
    status: sys::sp_status,
    out: *mut sys::sp_network,
) -> Result<()> {
    if let Some(err) = cb.and_then(Callback::panic_error) {
        if !out.is_null() {
            // SAFETY: a fresh handle that nothing else has seen.
            unsafe { sys::sp_network_destroy(out) };
        }
        return Err(err);
    }
    check(status)
}

fn check_len(what: &str, len: usize, n: u32) -> Result<()> {
    if len as u64 != n as u64 {
        return Err(Error::new(Status::Argument, format!("{what} has {len} entries, expected n = {n}")));
    }
    Ok(())
}
