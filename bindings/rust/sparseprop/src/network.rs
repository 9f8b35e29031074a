//! A live network: an owned `sp_network` handle and safe methods for running, probing,
//! training and saving it.

use std::ffi::CString;
use std::fmt;
use std::mem::{offset_of, size_of};
use std::path::Path;
use std::ptr::{self, NonNull};
use std::sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use sparseprop_sys as sys;

use crate::alloc::{AllocHolder, Allocator};
use crate::builder::Frame;
use crate::error::{check, check_file, check_named, Error, ErrorWith, Result, Status};

/// One network spike: neuron `neuron` fired at time `t` (seconds). Laid out as `sp_spike`,
/// so slices of it are handed to the library directly.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct Spike {
    pub t: f64,
    pub neuron: u32,
    /// 0 for an ordinary spike, else `sys::SP_SPIKE_*` bits: see `triggered` and
    /// `input_triggered`.
    pub flags: u32,
}

const _: () = {
    assert!(size_of::<Spike>() == size_of::<sys::sp_spike>());
    assert!(std::mem::align_of::<Spike>() == std::mem::align_of::<sys::sp_spike>());
    assert!(offset_of!(Spike, t) == offset_of!(sys::sp_spike, t));
    assert!(offset_of!(Spike, neuron) == offset_of!(sys::sp_spike, neuron));
    assert!(offset_of!(Spike, flags) == offset_of!(sys::sp_spike, flags));
};

impl Spike {
    pub fn new(t: f64, neuron: u32) -> Spike {
        Spike { t, neuron, flags: 0 }
    }

    /// An event's jump at this instant took the neuron to threshold (its time is that event's).
    pub fn triggered(&self) -> bool {
        self.flags & sys::SP_SPIKE_TRIGGERED != 0
    }

    /// Triggered by an external input at this instant (directly or through spikes triggered
    /// then): its time is the input's, so it carries no gradient.
    pub fn input_triggered(&self) -> bool {
        self.flags & sys::SP_SPIKE_INPUT_TRIGGERED != 0
    }
}

/// Equal when time and neuron are equal (the flags are ignored).
impl PartialEq for Spike {
    fn eq(&self, other: &Spike) -> bool {
        self.t == other.t && self.neuron == other.neuron
    }
}

impl From<sys::sp_spike> for Spike {
    fn from(s: sys::sp_spike) -> Spike {
        Spike { t: s.t, neuron: s.neuron, flags: s.flags }
    }
}

/// A trainable parameter array (`sp_param`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Param {
    /// Recurrent weights in CSR order; one value for procedural or shared weights.
    Weights,
    /// Input weights in CSR order; one value for procedural or shared weights.
    InputWeights,
    /// The n drives.
    Drives,
    /// The n initial voltages (the state `rewind` returns to); its gradient is with respect
    /// to the voltages where recording started.
    V0,
}

impl Param {
    pub fn to_raw(self) -> sys::sp_param {
        match self {
            Param::Weights => sys::SP_PARAM_WEIGHTS,
            Param::InputWeights => sys::SP_PARAM_INPUT_WEIGHTS,
            Param::Drives => sys::SP_PARAM_DRIVES,
            Param::V0 => sys::SP_PARAM_V0,
        }
    }
}

/// How many spikes `run_until` asks the library for per call.
const RUN_CHUNK: usize = 4096;

/// A network of integrate-and-fire neurons, simulated exactly.
///
/// Owns its handle and destroys it on drop. It can move to another thread (`Send`) but not
/// be shared between threads (`!Sync`): the library forbids concurrent use of one handle,
/// and every method that changes the state takes `&mut self`.
///
/// A network may be a *replica* of another (see [`Network::replica`] and [`Replicas`]): it
/// then shares its parent's parameters, and the parent's handle lives on, whatever is dropped
/// first, until the parent `Network` and all its replicas are gone.
///
/// ```compile_fail
/// fn needs_sync<T: Sync>() {}
/// needs_sync::<sparseprop::Network>();
/// ```
pub struct Network {
    raw: NonNull<sys::sp_network>,
    // Dropped after sp_network_destroy (see Drop): the allocator or the family's handle that
    // the destruction still needs.
    owner: Owner,
}

/// Who destroys `Network::raw`, and what must outlive it.
enum Owner {
    /// An ordinary network: `raw` is destroyed on drop, then the allocator (if any) is freed.
    Alone(Option<Box<AllocHolder>>),
    /// A network that has made replicas: `raw` is `family.raw`, destroyed when the last of the
    /// parent and its replicas lets go of the family.
    Parent(Arc<Family>),
    /// A replica: its own `raw` is destroyed on drop, then the parent's family is let go.
    Replica(Arc<Family>),
}

/// A parent network's handle, shared by the parent `Network` and every replica of it: the
/// library's rule "destroy the replicas before their parent" holds because each replica keeps
/// the family alive. `params` keeps the other rule, "the parameters change only while no
/// replica is in a call": every call on a replica holds it for reading, every parameter change
/// on the parent (`set_params`, `set_drive`) holds it for writing.
struct Family {
    raw: NonNull<sys::sp_network>,
    // The parent's allocator, through which its replicas allocate and free too (AllocHolder
    // serialises the calls). Dropped after sp_network_destroy (see Drop).
    alloc: Option<Box<AllocHolder>>,
    params: RwLock<()>,
}

// SAFETY: shared between threads only through `Arc`: `raw` is only handed to the library by
// the one `Network` that owns the parent handle, under the rules above, and destroyed once, by
// the last owner; the allocator holder serialises its calls (a `Mutex`) and is `Send`.
unsafe impl Send for Family {}
unsafe impl Sync for Family {}

impl Drop for Family {
    fn drop(&mut self) {
        // SAFETY: the last reference: the parent `Network` and every replica are gone. The
        // allocator is still alive here.
        unsafe { sys::sp_network_destroy(self.raw.as_ptr()) };
    }
}

// SAFETY: the library has no thread affinity; a handle may be used from any one thread at a
// time. The allocator, if any, is `Send`; `Family` is `Send + Sync`. `NonNull` keeps `Network`
// `!Sync`.
unsafe impl Send for Network {}

impl Drop for Network {
    fn drop(&mut self) {
        match &self.owner {
            // SAFETY: we own the handle; the allocator (if any) is still alive here.
            Owner::Alone(_) => unsafe { sys::sp_network_destroy(self.raw.as_ptr()) },
            // The family destroys the handle after the last replica.
            Owner::Parent(_) => {}
            Owner::Replica(family) => {
                let _reading = read_lock(family);
                // SAFETY: we own the replica's handle; its parent (and the parent's allocator)
                // stays alive through `family` until after this.
                unsafe { sys::sp_network_destroy(self.raw.as_ptr()) }
            }
        }
    }
}

fn read_lock(family: &Family) -> RwLockReadGuard<'_, ()> {
    family.params.read().unwrap_or_else(PoisonError::into_inner)
}

fn write_lock(family: &Family) -> RwLockWriteGuard<'_, ()> {
    family.params.write().unwrap_or_else(PoisonError::into_inner)
}

/// Held during a call on a network: the family's read lock for a replica, nothing otherwise.
fn reading(owner: &Owner) -> Option<RwLockReadGuard<'_, ()>> {
    match owner {
        Owner::Replica(family) => Some(read_lock(family)),
        _ => None,
    }
}

impl fmt::Debug for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Network")
            .field("size", &self.size())
            .field("frame", &self.frame())
            .field("now", &self.now())
            .finish()
    }
}

impl Network {
    /// # Safety
    /// `raw` is a non-NULL handle from a successful create/load, owned by nobody else;
    /// `alloc` is the allocator it was created with, if any.
    pub(crate) unsafe fn from_parts(raw: *mut sys::sp_network, alloc: Option<Box<AllocHolder>>) -> Network {
        let raw = NonNull::new(raw).expect("the library returned SP_OK and a NULL handle");
        Network { raw, owner: Owner::Alone(alloc) }
    }

    /// Takes ownership of a handle created through the C interface (with the default
    /// allocator, or one that outlives the network).
    ///
    /// # Safety
    /// `raw` must be a valid handle that nothing else will use or destroy.
    pub unsafe fn from_raw(raw: NonNull<sys::sp_network>) -> Network {
        Network { raw, owner: Owner::Alone(None) }
    }

    /// The handle, for calls into `sparseprop-sys`; it stays owned by `self`.
    pub fn as_ptr(&self) -> *const sys::sp_network {
        self.raw.as_ptr()
    }

    /// The handle, for mutating calls into `sparseprop-sys`; it stays owned by `self`.
    pub fn as_mut_ptr(&mut self) -> *mut sys::sp_network {
        self.raw.as_ptr()
    }

    /// Calls `f` with the handle, holding the family's read lock if `self` is a replica (its
    /// parent's parameters cannot change during the call). `f` must only read the network
    /// when called from a `&self` method.
    ///
    /// Every public method takes the lock once, for the whole of its work: a method that makes
    /// several C calls (`run_append`'s chunks, `save`'s two calls) holds one guard across all
    /// of them ([`Network::guarded`]), so that a parent's change cannot land between them and
    /// make the replica's call fail halfway. No method calls another that takes the lock
    /// while it holds it: a second read lock on the same thread can deadlock when a writer is
    /// waiting.
    fn with<R>(&self, f: impl FnOnce(*mut sys::sp_network) -> R) -> R {
        let (_reading, net) = self.guarded();
        f(net)
    }

    /// The family's read guard (for a replica) and the handle, for a method that makes several
    /// C calls under one guard. Call only the library (no method of `self`) while holding it.
    fn guarded(&self) -> (Option<RwLockReadGuard<'_, ()>>, *mut sys::sp_network) {
        (reading(&self.owner), self.raw.as_ptr())
    }

    /// Calls `f` with the handle of a parent whose parameters `f` changes: waits until no
    /// replica is in a call, and no replica starts one until `f` returns.
    fn changing_params<R>(&mut self, f: impl FnOnce(*mut sys::sp_network) -> R) -> R {
        let _writing = match &self.owner {
            Owner::Parent(family) => Some(write_lock(family)),
            _ => None,
        };
        f(self.raw.as_ptr())
    }

    /// Number of neurons.
    pub fn size(&self) -> u32 {
        self.with(|net| unsafe { sys::sp_network_size(net) })
    }

    /// The event loop the engine runs now (`Frame::Phase` or `Frame::Time`).
    pub fn frame(&self) -> Frame {
        let raw = self.with(|net| unsafe { sys::sp_network_frame(net) });
        Frame::from_raw(raw).unwrap_or(Frame::Auto)
    }

    /// The network's current time in seconds.
    pub fn now(&self) -> f64 {
        self.with(|net| unsafe { sys::sp_now(net) })
    }

    // ---------------------------------------------------------------------------------
    // Running

    /// Processes exactly the next network spike (queued inputs due at or before it first).
    /// `Status::State` when no neuron will ever spike: with no input queued nothing changes;
    /// queued inputs that bring no spike are applied first (`now()` moves to the last one), as
    /// `sp_step` says.
    pub fn step(&mut self) -> Result<Spike> {
        let mut s = Spike::default();
        check(self.with(|net| unsafe { sys::sp_step(net, &mut s as *mut Spike as *mut sys::sp_spike) }))?;
        Ok(s)
    }

    /// Processes every event before `t_end` and returns the spikes (`sp_run`, called until
    /// the run ends; not `sp_run_until`, which is [`run_until_spiked`](Network::run_until_spiked)).
    ///
    /// On an error (`Status::Capacity` from a full recording tape, `Status::Numeric`) the
    /// spikes processed before it stay processed but are not returned: use
    /// [`run_append`](Network::run_append) to keep them.
    pub fn run_until(&mut self, t_end: f64) -> Result<Vec<Spike>> {
        let mut out = Vec::new();
        self.run_append(t_end, &mut out)?;
        Ok(out)
    }

    /// Processes every event before `t_end`, appending the spikes to `out`; returns how many
    /// were appended. On an error, `out` holds every spike processed before it, those of the
    /// failing call included (after `Status::Capacity` or `Status::Numeric`, the events before
    /// the refused one stay processed, as `sp_run` says).
    pub fn run_append(&mut self, t_end: f64, out: &mut Vec<Spike>) -> Result<usize> {
        let start = out.len();
        // One guard for every chunk: a replica's parent waits for the whole run.
        let (_reading, net) = self.guarded();
        loop {
            out.reserve(RUN_CHUNK);
            let len = out.len();
            let spare = out.capacity() - len;
            let mut count = 0usize;
            // SAFETY: the library writes at most `spare` (> 0) spikes into the spare capacity.
            let status = unsafe {
                sys::sp_run(net, t_end, out.as_mut_ptr().add(len) as *mut sys::sp_spike, spare, &mut count)
            };
            // (`count` stays 0 where the library does not write it.)
            assert!(count <= spare, "sp_run reported more spikes than the buffer holds");
            // SAFETY: the first `count` spare slots were initialised by the library.
            unsafe { out.set_len(len + count) };
            check(status)?;
            if count < spare {
                return Ok(out.len() - start);
            }
        }
    }

    /// Processes events before `t_end` into `buf`; stops early when `buf` is full (then
    /// `now()` is the last spike's time and calling again goes on). Returns the number of
    /// spikes written; `buf.len()` means there may be more. An empty `buf` is refused
    /// (use `count_until` to count without storing). On an error the spikes processed in
    /// this call stay processed, but their number is not returned: use
    /// [`run_append`](Network::run_append) where that matters.
    pub fn run_into(&mut self, t_end: f64, buf: &mut [Spike]) -> Result<usize> {
        if buf.is_empty() {
            return Err(Error::new(
                Status::Argument,
                "run_into needs a non-empty buffer (count_until counts only)",
            ));
        }
        let mut count = 0usize;
        check(self.with(|net| unsafe {
            sys::sp_run(net, t_end, buf.as_mut_ptr() as *mut sys::sp_spike, buf.len(), &mut count)
        }))?;
        assert!(count <= buf.len(), "sp_run reported more spikes than the buffer holds");
        Ok(count)
    }

    /// Processes every event before `t_end` and returns the number of spikes, storing none.
    pub fn count_until(&mut self, t_end: f64) -> Result<usize> {
        let mut count = 0usize;
        check(self.with(|net| unsafe { sys::sp_run(net, t_end, ptr::null_mut(), 0, &mut count) }))?;
        Ok(count)
    }

    /// The spikes one `step` at a time. Ends when the network falls silent (`step`'s
    /// `Status::State`: no neuron will ever spike and no input is queued). Any other error is
    /// yielded once and then the iterator ends; so is the `Status::State` of a replica whose
    /// parent's parameters changed since its last `rewind` (a refusal, not silence: the
    /// iterator tells the two apart by asking the library whether the replica still reports
    /// voltages, which a stale replica refuses too). Endless for a network that keeps firing:
    /// bound it with `take` or `take_while`.
    pub fn spikes(&mut self) -> Spikes<'_> {
        Spikes { net: self, done: false }
    }

    /// `step` for [`Spikes`]: `None` when the network has fallen silent.
    fn step_unless_silent(&mut self) -> Option<Result<Spike>> {
        // One guard for the step and the probe below: the parent cannot change its
        // parameters between them.
        let (_reading, net) = self.guarded();
        let mut s = Spike::default();
        let status = unsafe { sys::sp_step(net, &mut s as *mut Spike as *mut sys::sp_spike) };
        let error = match Status::from_raw(status) {
            None => return Some(Ok(s)),
            // (The message now, before the probe replaces it.)
            Some(status) => Error::last(status),
        };
        if error.status != Status::State {
            return Some(Err(error));
        }
        if !self.is_replica() {
            return None;
        }
        // A replica's `State` is silence, or the refusal of a stale replica (its parent's
        // parameters changed since its last rewind: see "Data parallelism: replicas" in the
        // header). The library refuses a stale replica's voltages too, with `State`, and
        // reports a current one's (neuron 0 exists: n >= 1). No message text is parsed.
        let mut v = 0.0;
        let stale = unsafe { sys::sp_voltage(net, 0, &mut v) } == sys::SP_ERR_STATE;
        stale.then_some(Err(error))
    }

    /// Queues an external input event on `channel` at time `t >= now()`.
    pub fn input(&mut self, channel: u32, t: f64) -> Result<()> {
        check(self.with(|net| unsafe { sys::sp_input(net, channel, t) }))
    }

    /// Queues the input events `(channels[e], times[e])` in one call (`sp_input_many`), in that
    /// order (times in any order): all or nothing.
    pub fn input_many(&mut self, channels: &[u32], times: &[f64]) -> Result<()> {
        if channels.len() != times.len() {
            return Err(Error::new(
                Status::Argument,
                format!("channels has {} entries but times has {}", channels.len(), times.len()),
            ));
        }
        check_named(
            self.with(|net| unsafe {
                sys::sp_input_many(net, channels.as_ptr(), times.as_ptr(), times.len())
            }),
            &[("n", "times.len()")],
        )
    }

    /// Runs until every neuron in `watch` has spiked once, or `t_end` (`sp_run_until`): one call
    /// per sample of a training loop. Stops right after the spike that completes the set
    /// (`now() < t_end` then); a network that falls silent ends at `t_end`, which is not an
    /// error. Returns the spikes processed. See `Spike::triggered` / `input_triggered` for
    /// which spikes carry gradients.
    ///
    /// `max_spikes` bounds the spikes processed: when `max_spikes` spikes have been processed
    /// and the set is still incomplete, it stops with `Status::Capacity`. Pass `usize::MAX` for
    /// no bound: the buffer grows as needed (it is never allocated at `max_spikes` up front).
    /// `max_spikes == 0` is refused with `Status::Argument` (the library's `cap == 0` means
    /// "count only", which has no use here).
    ///
    /// Errors carry the spikes processed before the error in [`ErrorWith::value`]: after
    /// `Status::Capacity` (the bound, or a full recording tape) and `Status::Numeric` they stay
    /// processed, `now()` is past them, and a new call (watching the neurons that have not
    /// spiked yet) goes on. Errors that change nothing (`Argument`, `Unsupported`, `State`)
    /// carry no spikes: they can only come before the first spike (a replica whose parent
    /// changed its parameters refuses at the start with `State`; the parent's changes wait for
    /// the whole call, so none lands between the library calls it makes). [`run_until_spiked_append`](Network::run_until_spiked_append) appends to
    /// a vector of yours instead.
    pub fn run_until_spiked(
        &mut self,
        t_end: f64,
        watch: &[u32],
        max_spikes: usize,
    ) -> std::result::Result<Vec<Spike>, ErrorWith<Vec<Spike>>> {
        let mut out = Vec::new();
        match self.run_until_spiked_append(t_end, watch, max_spikes, &mut out) {
            Ok(_) => Ok(out),
            Err(error) => Err(ErrorWith { error, value: out }),
        }
    }

    /// `run_until_spiked`, appending the spikes to `out`; returns how many were appended. On an
    /// error, `out` holds every spike processed before it (see `run_until_spiked`).
    pub fn run_until_spiked_append(
        &mut self,
        t_end: f64,
        watch: &[u32],
        max_spikes: usize,
        out: &mut Vec<Spike>,
    ) -> Result<usize> {
        if max_spikes == 0 {
            return Err(Error::new(
                Status::Argument,
                "max_spikes = 0: must be at least 1 (usize::MAX for no bound)",
            ));
        }
        let start = out.len();
        // The watched neurons that have not spiked yet, once the first chunk is full.
        let mut remaining: Option<Vec<u32>> = None;
        // One guard for every chunk: a replica's parent waits for the whole call, so a stale
        // replica's `Status::State` can only come from the first chunk, before any spike.
        let (_reading, net) = self.guarded();
        loop {
            let room = max_spikes - (out.len() - start);
            out.reserve(room.min(RUN_CHUNK));
            let len = out.len();
            let cap = (out.capacity() - len).min(room);
            let w = remaining.as_deref().unwrap_or(watch);
            let mut count = 0usize;
            // SAFETY: the library writes at most `cap` (> 0) spikes into the spare capacity.
            let status = unsafe {
                sys::sp_run_until(
                    net,
                    t_end,
                    w.as_ptr(),
                    w.len(),
                    out.as_mut_ptr().add(len) as *mut sys::sp_spike,
                    cap,
                    &mut count,
                )
            };
            // (`count` stays 0 where the library does not write it.)
            assert!(count <= cap, "sp_run_until reported more spikes than the buffer holds");
            // SAFETY: the first `count` spare slots were initialised by the library.
            unsafe { out.set_len(len + count) };
            match Status::from_raw(status) {
                None => return Ok(out.len() - start),
                // The buffer filled before the set completed, below the bound: go on with the
                // neurons still to spike (the header's "call again"). A full tape stops a
                // later call with no spike processed.
                Some(Status::Capacity) if count == cap && cap < room => {
                    let spiked = &out[len..];
                    let mut left: Vec<u32> = w.to_vec();
                    left.sort_unstable();
                    left.dedup();
                    left.retain(|j| !spiked.iter().any(|s| s.neuron == *j));
                    if left.is_empty() {
                        return Ok(out.len() - start);
                    }
                    remaining = Some(left);
                }
                // The bound reached with the set incomplete: the library's message speaks of
                // its buffer, which the caller never sees.
                Some(Status::Capacity) if count == cap && cap == room => {
                    return Err(Error::new(
                        Status::Capacity,
                        format!(
                            "max_spikes = {max_spikes}: that many spikes were processed and the \
                             watched set is still incomplete; they stay processed (now() is past \
                             them): call again, or pass a larger max_spikes"
                        ),
                    ));
                }
                Some(other) => return Err(Error::last_named(other, &[("n_watch", "watch.len()")])),
            }
        }
    }

    /// The voltage of `neuron` at `now()`.
    pub fn voltage(&self, neuron: u32) -> Result<f64> {
        let mut v = 0.0;
        check(self.with(|net| unsafe { sys::sp_voltage(net, neuron, &mut v) }))?;
        Ok(v)
    }

    /// All voltages at `now()` into `out`, which must hold exactly `size()` values.
    pub fn voltages_into(&self, out: &mut [f64]) -> Result<()> {
        check_named(
            self.with(|net| unsafe { sys::sp_voltages(net, out.as_mut_ptr(), out.len()) }),
            &[("n", "out.len()")],
        )
    }

    /// All voltages at `now()`.
    pub fn voltages(&self) -> Result<Vec<f64>> {
        let (_reading, net) = self.guarded();
        let mut v = vec![0.0; unsafe { sys::sp_network_size(net) } as usize];
        check(unsafe { sys::sp_voltages(net, v.as_mut_ptr(), v.len()) })?;
        Ok(v)
    }

    /// Sets the drive of `neuron` from `now()` on. On a parent with replicas, waits until no
    /// replica is in a call (see [`Replicas`]); a replica refuses (`Status::Unsupported`).
    pub fn set_drive(&mut self, neuron: u32, drive: f64) -> Result<()> {
        check(self.changing_params(|net| unsafe { sys::sp_set_drive(net, neuron, drive) }))
    }

    /// Back to t = 0 and the initial state; drops queued inputs, ends any recording, keeps
    /// parameters, gradients and connectivity.
    pub fn rewind(&mut self) -> Result<()> {
        check(self.with(|net| unsafe { sys::sp_rewind(net) }))
    }

    // ---------------------------------------------------------------------------------
    // Training

    /// How many values parameter array `p` has.
    pub fn param_count(&self, p: Param) -> Result<usize> {
        self.with(|net| unsafe { param_count(net, p) })
    }

    /// The values of parameter array `p` into `out` (exactly `param_count(p)` values).
    pub fn params_into(&self, p: Param, out: &mut [f64]) -> Result<()> {
        check_named(
            self.with(|net| unsafe { sys::sp_get_params(net, p.to_raw(), out.as_mut_ptr(), out.len()) }),
            &[("len", "out.len()")],
        )
    }

    pub fn params(&self, p: Param) -> Result<Vec<f64>> {
        let (_reading, net) = self.guarded();
        let mut v = vec![0.0; unsafe { param_count(net, p) }?];
        check(unsafe { sys::sp_get_params(net, p.to_raw(), v.as_mut_ptr(), v.len()) })?;
        Ok(v)
    }

    /// Replaces parameter array `p` (exactly `param_count(p)` values). On a parent with
    /// replicas, waits until no replica is in a call (see [`Replicas`]); a replica refuses
    /// (`Status::Unsupported`).
    pub fn set_params(&mut self, p: Param, values: &[f64]) -> Result<()> {
        check_named(
            self.changing_params(|net| unsafe {
                sys::sp_set_params(net, p.to_raw(), values.as_ptr(), values.len())
            }),
            &[("len", "values.len()")],
        )
    }

    /// The accumulated gradient of parameter array `p` into `out`.
    pub fn grads_into(&self, p: Param, out: &mut [f64]) -> Result<()> {
        check_named(
            self.with(|net| unsafe { sys::sp_get_grads(net, p.to_raw(), out.as_mut_ptr(), out.len()) }),
            &[("len", "out.len()")],
        )
    }

    pub fn grads(&self, p: Param) -> Result<Vec<f64>> {
        let (_reading, net) = self.guarded();
        let mut v = vec![0.0; unsafe { param_count(net, p) }?];
        check(unsafe { sys::sp_get_grads(net, p.to_raw(), v.as_mut_ptr(), v.len()) })?;
        Ok(v)
    }

    pub fn zero_grads(&mut self) -> Result<()> {
        check(self.with(|net| unsafe { sys::sp_zero_grads(net) }))
    }

    /// Adds `src`'s accumulated gradients to this network's (`sp_grads_accumulate`); the two
    /// must share parameters: one is the other's parent, or both are replicas of one parent
    /// (see [`Replicas`]), else `Status::Argument`.
    pub fn accumulate_grads(&mut self, src: &Network) -> Result<()> {
        // One read lock, of the replica's family (if the two are of different families, the
        // library refuses them before reading any parameter).
        let _reading = match (&self.owner, &src.owner) {
            (Owner::Replica(family), _) | (_, Owner::Replica(family)) => Some(read_lock(family)),
            _ => None,
        };
        check_named(
            unsafe { sys::sp_grads_accumulate(self.raw.as_ptr(), src.raw.as_ptr()) },
            &[("dst", "self")],
        )
    }

    /// Starts recording from `now()` for a backward pass, with room for `max_spikes` spikes
    /// (while recording, it starts over). A network with the compact layout (the library's
    /// README, Memory layouts: from 2^26 neurons, LIF or QIF with one drive, seeded initial
    /// voltages, no refractory period) refuses it with `Status::Unsupported`.
    pub fn record(&mut self, max_spikes: usize) -> Result<()> {
        check(self.with(|net| unsafe { sys::sp_record(net, max_spikes) }))
    }

    /// Adds the gradients of a loss L to the accumulated ones and ends the recording.
    /// `dl_dt[s]` = dL/dt for the s-th recorded spike (one per recorded spike);
    /// `dl_dv_end`: dL/dV of every neuron at `now()` (`size()` values), if L depends on it.
    pub fn backward(&mut self, dl_dt: &[f64], dl_dv_end: Option<&[f64]>) -> Result<()> {
        let (_reading, net) = self.guarded();
        let end = match dl_dv_end {
            None => ptr::null(),
            Some(v) => {
                let n = unsafe { sys::sp_network_size(net) };
                if v.len() as u64 != n as u64 {
                    return Err(Error::new(
                        Status::Argument,
                        format!("dl_dv_end has {} entries, expected n = {n}", v.len()),
                    ));
                }
                v.as_ptr()
            }
        };
        check_named(
            unsafe { sys::sp_backward(net, dl_dt.as_ptr(), dl_dt.len(), end) },
            &[("n_spikes", "dl_dt.len()")],
        )
    }

    // ---------------------------------------------------------------------------------
    // Saving and loading

    /// Parameters, connectivity and the full dynamic state, so that `load` and running on
    /// continue bit-identically. A recording in progress and the accumulated gradients are
    /// not saved.
    pub fn save(&self) -> Result<Vec<u8>> {
        // One guard for both calls: a replica's parent cannot change the parameters (and so
        // make the second call refuse) between the size query and the write.
        let (_reading, net) = self.guarded();
        let mut len = 0usize;
        check(unsafe { sys::sp_save(net, ptr::null_mut(), 0, &mut len) })?;
        let mut buf = vec![0u8; len];
        let written = unsafe { save_into(net, &mut buf) }?;
        buf.truncate(written);
        Ok(buf)
    }

    /// Saves into `buf`; returns the number of bytes written.
    pub fn save_into(&self, buf: &mut [u8]) -> Result<usize> {
        self.with(|net| unsafe { save_into(net, buf) })
    }

    /// A network from bytes written by `save`.
    pub fn load(bytes: &[u8]) -> Result<Network> {
        let mut out: *mut sys::sp_network = ptr::null_mut();
        check(unsafe { sys::sp_load(bytes.as_ptr().cast(), bytes.len(), ptr::null(), &mut out) })?;
        Ok(unsafe { Network::from_parts(out, None) })
    }

    /// Like `load`, with all memory from `allocator`.
    pub fn load_with_allocator(bytes: &[u8], allocator: Box<dyn Allocator>) -> Result<Network> {
        let holder = AllocHolder::new(allocator);
        let mut out: *mut sys::sp_network = ptr::null_mut();
        check(unsafe { sys::sp_load(bytes.as_ptr().cast(), bytes.len(), holder.raw(), &mut out) })?;
        Ok(unsafe { Network::from_parts(out, Some(holder)) })
    }

    /// Writes `save`'s bytes to a file (created or truncated). Allocates a temporary buffer of
    /// 1 MiB through the network's allocator (a custom one too), freed before it returns;
    /// `Status::NoMem` if that allocation fails.
    pub fn save_file(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = c_path(path.as_ref())?;
        check_file(self.with(|net| unsafe { sys::sp_save_file(net, path.as_ptr()) }), &path)
    }

    pub fn load_file(path: impl AsRef<Path>) -> Result<Network> {
        let path = c_path(path.as_ref())?;
        let mut out: *mut sys::sp_network = ptr::null_mut();
        check_file(unsafe { sys::sp_load_file(path.as_ptr(), &mut out) }, &path)?;
        Ok(unsafe { Network::from_parts(out, None) })
    }

    /// Whether the network was created with a custom allocator (a replica: its parent).
    pub fn has_custom_allocator(&self) -> bool {
        match &self.owner {
            Owner::Alone(alloc) => alloc.is_some(),
            Owner::Parent(family) | Owner::Replica(family) => family.alloc.is_some(),
        }
    }

    /// Whether this network is a replica (made by [`replica`](Network::replica) or
    /// [`Replicas`]).
    pub fn is_replica(&self) -> bool {
        matches!(self.owner, Owner::Replica(_))
    }

    /// A new replica of this network (`sp_network_replica`): it shares this network's
    /// parameters (a replica of a replica is one of the root parent) and has its own state,
    /// starting as `rewind` leaves a network. See [`Replicas`] for the rules; they hold
    /// whatever is done with the replica: the parent's handle lives until the parent `Network`
    /// and every replica are dropped, in any order, and the parameters change (through the
    /// parent's `set_params` or `set_drive`) only while no replica is in a call.
    ///
    /// `Status::Unsupported` for a network with the compact layout.
    pub fn replica(&mut self) -> Result<Network> {
        let mut raw = ptr::null_mut();
        // (A parent's own `&mut` borrow keeps its parameters from changing during the call.)
        check(self.with(|net| unsafe { sys::sp_network_replica(net, &mut raw) }))?;
        let raw = NonNull::new(raw).expect("the library returned SP_OK and a NULL handle");
        let family = match &mut self.owner {
            Owner::Parent(family) | Owner::Replica(family) => family.clone(),
            Owner::Alone(alloc) => {
                let family = Arc::new(Family { raw: self.raw, alloc: alloc.take(), params: RwLock::new(()) });
                self.owner = Owner::Parent(family.clone());
                family
            }
        };
        // A fresh handle owned by nobody else; it frees through the parent's allocator, which
        // `family` keeps alive.
        Ok(Network { raw, owner: Owner::Replica(family) })
    }
}

/// `sp_param_count`.
///
/// # Safety
/// `net` is a live handle, used under the rules of `Network::with`.
unsafe fn param_count(net: *mut sys::sp_network, p: Param) -> Result<usize> {
    let mut len = 0usize;
    check(unsafe { sys::sp_param_count(net, p.to_raw(), &mut len) })?;
    Ok(len)
}

/// `sp_save` into `buf`; the number of bytes written.
///
/// # Safety
/// `net` is a live handle, used under the rules of `Network::with`.
unsafe fn save_into(net: *mut sys::sp_network, buf: &mut [u8]) -> Result<usize> {
    let mut len = 0usize;
    check_named(
        unsafe { sys::sp_save(net, buf.as_mut_ptr().cast(), buf.len(), &mut len) },
        &[("cap", "buf.len()")],
    )?;
    assert!(len <= buf.len(), "sp_save reported more bytes than the buffer holds");
    Ok(len)
}

fn c_path(path: &Path) -> Result<CString> {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path
        .to_str()
        .ok_or_else(|| Error::new(Status::Argument, format!("path {path:?} is not valid UTF-8")))?
        .as_bytes()
        .to_vec();
    CString::new(bytes)
        .map_err(|_| Error::new(Status::Argument, format!("path {path:?} contains a NUL byte")))
}

/// Iterator over a network's spikes, from `Network::spikes`.
pub struct Spikes<'a> {
    net: &'a mut Network,
    done: bool,
}

impl Iterator for Spikes<'_> {
    type Item = Result<Spike>;

    fn next(&mut self) -> Option<Result<Spike>> {
        if self.done {
            return None;
        }
        let next = self.net.step_unless_silent();
        if !matches!(next, Some(Ok(_))) {
            self.done = true;
        }
        next
    }
}

impl std::iter::FusedIterator for Spikes<'_> {}

/// A parent network and replicas sharing its parameters (`sp_network_replica`): each replica
/// has its own state, input queue, tape and gradients, and reads the parent's connectivity,
/// weights, drives and initial voltages (about 44 bytes per neuron instead of a full copy).
/// Data parallelism: hand the replicas (`replicas_mut`, each one `Send`) to scoped threads,
/// then `accumulate` their gradients into the parent and change the parameters through
/// `parent_mut`. A replica picks up changed parameters at its next `rewind` (before it:
/// `Status::State`).
///
/// The library's rules hold whatever safe code does with the networks (move them out with
/// `std::mem::replace`, swap them between sets, drop them in any order), because they are
/// kept by the networks themselves, not by this container's borrows:
///
/// - *Replicas are destroyed before their parent*: every replica holds a reference-counted
///   owner of its parent's handle, which is destroyed after the parent `Network` and all of
///   its replicas have been dropped.
/// - *Parameters change only while no replica is in a call*: every call on a replica holds its
///   family's lock for reading, and the parent's `set_params` and `set_drive` take it for
///   writing, so they wait for the replicas' calls in progress to return (and block new ones
///   until they are done). A call is the whole method, however many library calls it makes
///   (every chunk of `run_until`, `run_append` and `run_until_spiked`, both calls of `save`):
///   a change never lands in the middle of one. Used as intended, the borrows of this container make that wait
///   empty: `parent_mut` cannot coexist with a replica borrowed from `replicas_mut`.
///
/// A parent and its replicas may run at the same time (running only reads the parameters).
/// `Network::replica` makes single replicas, under the same rules.
#[derive(Debug)]
pub struct Replicas {
    replicas: Vec<Network>,
    parent: Network,
}

impl Replicas {
    /// Takes `parent` and makes `count` replicas of it. On failure (`Status::Unsupported` for
    /// a network with the compact layout, `Status::NoMem`, also for a `count` whose handles
    /// alone do not fit in memory) the error gives `parent` back, with no replica left.
    pub fn new(mut parent: Network, count: usize) -> std::result::Result<Replicas, ErrorWith<Network>> {
        let mut replicas = Vec::new();
        if replicas.try_reserve_exact(count).is_err() {
            let error =
                Error::new(Status::NoMem, format!("count = {count}: no room for that many replica handles"));
            return Err(ErrorWith { error, value: parent });
        }
        for _ in 0..count {
            match parent.replica() {
                Ok(r) => replicas.push(r),
                Err(error) => {
                    drop(replicas);
                    return Err(ErrorWith { error, value: parent });
                }
            }
        }
        Ok(Replicas { replicas, parent })
    }

    /// The parent (reading its parameters and gradients).
    pub fn parent(&self) -> &Network {
        &self.parent
    }

    /// The parent, to change parameters.
    pub fn parent_mut(&mut self) -> &mut Network {
        &mut self.parent
    }

    /// The replicas, e.g. one per scoped thread.
    pub fn replicas_mut(&mut self) -> &mut [Network] {
        &mut self.replicas
    }

    /// Adds every replica's gradients to the parent's (in replica order) and zeroes the
    /// replicas' gradients (`sp_grads_accumulate`, `sp_zero_grads`).
    ///
    /// Each replica is one library call, all or nothing, but the whole is not: when replica `k`
    /// fails (`Status::Numeric`, a sum that is not finite), replicas `0..k` have been added to
    /// the parent and zeroed, and replica `k` and the later ones are unchanged. The error's
    /// message says which replica failed.
    pub fn accumulate(&mut self) -> Result<()> {
        let n = self.replicas.len();
        for (k, r) in self.replicas.iter_mut().enumerate() {
            if let Err(e) = self.parent.accumulate_grads(r) {
                let done = if k == 0 {
                    "no replica was added".to_string()
                } else {
                    format!("replicas 0 to {} were added to the parent and zeroed", k - 1)
                };
                let message = format!(
                    "replica {k} of {n}: {} ({done}; replica {k} and later are unchanged)",
                    e.message
                );
                return Err(Error::new(e.status, message));
            }
            r.zero_grads()?;
        }
        Ok(())
    }

    /// Drops the replicas and gives the parent back.
    pub fn into_parent(self) -> Network {
        let Replicas { replicas, parent } = self;
        drop(replicas);
        parent
    }
}
