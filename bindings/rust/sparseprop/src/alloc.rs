//! Custom allocators: a Rust object behind the C `sp_allocator` hook. The library calls it
//! only inside `NetworkBuilder::build_with_allocator`, `Network::load_with_allocator`,
//! `Network::record`, `Network::accumulate_grads` (a destination that never recorded),
//! `Network::save_file` (a temporary buffer of 1 MiB, freed before it returns; a failed
//! allocation is `Status::NoMem`), when a replica is made (`Network::replica`,
//! `Replicas::new`: replicas allocate through their parent's allocator, also in `save_file`)
//! and when the network or a replica is dropped. Replicas on several threads call it from
//! those threads, one call at a time: the calls are serialised.

use std::any::Any;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Mutex, PoisonError};

use sparseprop_sys as sys;

/// Memory for one network.
///
/// # Safety
/// `alloc` must return NULL or a block of at least `size` bytes aligned to `align` (a power
/// of two, at most 64) that stays valid until `free` is called with it; `free` receives each
/// block once with the size that was requested. A panic in `alloc` is caught and reported to
/// the library as a failed allocation (NULL); a panic in `free` is caught and the block is
/// leaked. Neither ever unwinds into C. The calls may come from different threads (replicas
/// of one network running on several threads), hence `Send`, but never two at a time.
/// They are made from inside the crate's calls: they must not call into this crate or the
/// library (a call on the network being allocated for, or on its parent, deadlocks).
pub unsafe trait Allocator: Send {
    fn alloc(&self, size: usize, align: usize) -> *mut u8;
    /// # Safety
    /// `ptr` was returned by `alloc(size, _)` on this allocator and is not used afterwards.
    unsafe fn free(&self, ptr: *mut u8, size: usize);
}

/// Owns the allocator and the `sp_allocator` the library points at; lives in a `Box` (stable
/// address) at least as long as the network.
pub(crate) struct AllocHolder {
    // What the C allocator's ctx points to, from `Box::into_raw`: the library keeps that
    // pointer while the network lives, so no Box (which asserts unique access wherever it is
    // moved) owns the state meanwhile; freed in Drop, after the network.
    state: *mut AllocState,
    raw: sys::sp_allocator,
}

struct AllocState {
    // Locked for each call: replicas on several threads share their parent's allocator.
    inner: Mutex<Box<dyn Allocator>>,
}

impl AllocHolder {
    pub(crate) fn new(inner: Box<dyn Allocator>) -> Box<AllocHolder> {
        let state = Box::into_raw(Box::new(AllocState { inner: Mutex::new(inner) }));
        Box::new(AllocHolder {
            state,
            raw: sys::sp_allocator {
                alloc: Some(alloc_trampoline),
                free: Some(free_trampoline),
                ctx: state as *mut c_void,
            },
        })
    }

    pub(crate) fn raw(&self) -> *const sys::sp_allocator {
        &self.raw
    }
}

impl Drop for AllocHolder {
    fn drop(&mut self) {
        // SAFETY: from Box::into_raw in new; the network that called through it is gone.
        drop(unsafe { Box::from_raw(self.state) });
    }
}

unsafe extern "C" fn alloc_trampoline(ctx: *mut c_void, size: usize, align: usize) -> *mut c_void {
    // SAFETY: ctx is the AllocState set up in AllocHolder::new, alive while the network is.
    let holder = unsafe { &*(ctx as *const AllocState) };
    let inner = holder.inner.lock().unwrap_or_else(PoisonError::into_inner);
    match catch_unwind(AssertUnwindSafe(|| inner.alloc(size, align))) {
        Ok(p) => p as *mut c_void,
        Err(payload) => {
            drop_panic_payload(payload);
            std::ptr::null_mut()
        }
    }
}

unsafe extern "C" fn free_trampoline(ctx: *mut c_void, ptr: *mut c_void, size: usize) {
    // SAFETY: as in alloc_trampoline.
    let holder = unsafe { &*(ctx as *const AllocState) };
    // A panicking free leaks the block rather than unwinding into C.
    let inner = holder.inner.lock().unwrap_or_else(PoisonError::into_inner);
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| unsafe { inner.free(ptr as *mut u8, size) })) {
        drop_panic_payload(payload);
    }
}

/// Drops the payload of a panic caught in a callback from C. Its `Drop` may panic too, and
/// that panic must not unwind into C either (before Rust 1.81 that was undefined behaviour;
/// since, an abort): the new panic's payload is dropped in turn, and a chain of such payloads
/// that does not end is cut after a few and leaked.
pub(crate) fn drop_panic_payload(mut payload: Box<dyn Any + Send>) {
    for _ in 0..8 {
        match catch_unwind(AssertUnwindSafe(move || drop(payload))) {
            Ok(()) => return,
            Err(again) => payload = again,
        }
    }
    std::mem::forget(payload);
}
