//! Raw declarations of the libsparseprop C interface (`sparseprop/sparseprop.h`, version
//! 0.3.0). Every item mirrors the header one to one; the header's comments are the
//! documentation. Use the `sparseprop` crate for a safe interface.
//!
//! C enums are declared as integer type aliases plus constants (as bindgen does), because a
//! Rust `enum` receiving a value outside its variants is undefined behaviour.
#![no_std]
#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_void};
use core::marker::{PhantomData, PhantomPinned};

// ---------------------------------------------------------------------------------------
// Version and errors

pub const SP_VERSION_MAJOR: u32 = 0;
pub const SP_VERSION_MINOR: u32 = 3;
pub const SP_VERSION_PATCH: u32 = 0;
pub const SP_VERSION_STRING: &core::ffi::CStr = c"0.3.0";
pub const SP_VERSION_NUMBER: u32 = SP_VERSION_MAJOR * 10000 + SP_VERSION_MINOR * 100 + SP_VERSION_PATCH;

// The header's enumerations are names for fixed-width integers: sp_status is int32_t, the
// others uint32_t.
pub type sp_status = i32;
pub const SP_OK: sp_status = 0;
pub const SP_ERR_ARGUMENT: sp_status = 1;
pub const SP_ERR_NOMEM: sp_status = 2;
pub const SP_ERR_UNSUPPORTED: sp_status = 3;
pub const SP_ERR_STATE: sp_status = 4;
pub const SP_ERR_CAPACITY: sp_status = 5;
pub const SP_ERR_IO: sp_status = 6;
pub const SP_ERR_FORMAT: sp_status = 7;
pub const SP_ERR_NUMERIC: sp_status = 8;

pub type sp_model = u32;
pub const SP_MODEL_LIF: sp_model = 1;
pub const SP_MODEL_QIF: sp_model = 2;
pub const SP_MODEL_EIF: sp_model = 3;
pub const SP_MODEL_CUSTOM: sp_model = 4;

pub type sp_frame = u32;
pub const SP_FRAME_AUTO: sp_frame = 0;
pub const SP_FRAME_PHASE: sp_frame = 1;
pub const SP_FRAME_TIME: sp_frame = 2;

pub type sp_param = i32;
pub const SP_PARAM_WEIGHTS: sp_param = 1;
pub const SP_PARAM_INPUT_WEIGHTS: sp_param = 2;
pub const SP_PARAM_DRIVES: sp_param = 3;
pub const SP_PARAM_V0: sp_param = 4;

// sp_spike.flags
pub const SP_SPIKE_TRIGGERED: u32 = 1;
pub const SP_SPIKE_INPUT_TRIGGERED: u32 = 2;

// ---------------------------------------------------------------------------------------
// Types

/// Opaque network handle.
#[repr(C)]
pub struct sp_network {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sp_synapses {
    pub row_ptr: *const u64,
    pub targets: *const u32,
    pub weights: *const f64,
    pub k: u32,
    pub seed: u64,
    pub weight: f64,
}

pub type sp_alloc_fn = unsafe extern "C" fn(ctx: *mut c_void, size: usize, align: usize) -> *mut c_void;
pub type sp_free_fn = unsafe extern "C" fn(ctx: *mut c_void, ptr: *mut c_void, size: usize);

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sp_allocator {
    pub alloc: Option<sp_alloc_fn>,
    pub free: Option<sp_free_fn>,
    pub ctx: *mut c_void,
}

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sp_network_desc {
    pub struct_size: u32,
    pub model: u32,
    pub n: u32,
    pub tau: f64,
    pub drive: f64,
    pub drives: *const f64,
    pub recurrent: sp_synapses,
    pub n_inputs: u32,
    pub inputs: sp_synapses,
    pub v0: *const f64,
    pub init_seed: u64,
    pub t_ref: f64,
    pub input_capacity: u32,
    pub allocator: *const sp_allocator,
    pub frame: u32,
    pub reserved: u32,
    pub tau_syn: f64,
    pub model_params: *const sp_model_params,
    /// 32-bit targets only: pads `model_params` to 8 bytes (the header's layout rule); 0.
    #[cfg(target_pointer_width = "32")]
    pub reserved2: u32,
}

/// A model's right-hand side F(v) (custom models), or its derivative.
pub type sp_model_fn = Option<unsafe extern "C" fn(v: f64, ctx: *mut c_void) -> f64>;

#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct sp_model_params {
    pub struct_size: u32,
    pub reserved: u32,
    pub v_reset: f64,
    pub v_spike: f64,
    pub delta_t: f64,
    pub v_t: f64,
    pub f: sp_model_fn,
    pub df: sp_model_fn,
    pub ctx: *mut c_void,
}

/// The smallest `struct_size` accepted (everything before `frame`).
pub const SP_NETWORK_DESC_SIZE_MIN: usize = core::mem::offset_of!(sp_network_desc, frame);
/// The 0.1 layout of `sp_network_desc`.
pub const SP_NETWORK_DESC_SIZE_V1: usize = core::mem::offset_of!(sp_network_desc, reserved) + 4;
/// The 0.2 layout of `sp_network_desc` (this version's).
pub const SP_NETWORK_DESC_SIZE_V2: usize = core::mem::offset_of!(sp_network_desc, model_params) + 8;
/// The largest `struct_size` accepted.
pub const SP_NETWORK_DESC_SIZE_MAX: usize = 1024;

#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct sp_spike {
    pub t: f64,
    pub neuron: u32,
    /// 0, or `SP_SPIKE_*` bits (named `reserved`, always 0, in 0.1).
    pub flags: u32,
}

impl sp_synapses {
    /// No synapses (all fields zero/NULL).
    pub const NONE: sp_synapses = sp_synapses {
        row_ptr: core::ptr::null(),
        targets: core::ptr::null(),
        weights: core::ptr::null(),
        k: 0,
        seed: 0,
        weight: 0.0,
    };
}

impl sp_network_desc {
    /// An all-zero description; pass it to `sp_network_desc_init` before use.
    pub const fn zeroed() -> sp_network_desc {
        sp_network_desc {
            struct_size: 0,
            model: 0,
            n: 0,
            tau: 0.0,
            drive: 0.0,
            drives: core::ptr::null(),
            recurrent: sp_synapses::NONE,
            n_inputs: 0,
            inputs: sp_synapses::NONE,
            v0: core::ptr::null(),
            init_seed: 0,
            t_ref: 0.0,
            input_capacity: 0,
            allocator: core::ptr::null(),
            frame: 0,
            reserved: 0,
            tau_syn: 0.0,
            model_params: core::ptr::null(),
            #[cfg(target_pointer_width = "32")]
            reserved2: 0,
        }
    }
}

// Layout as the LP64/LLP64 C ABIs give it (the `layout` test also compares with a C
// compiler's view of the header).
#[cfg(target_pointer_width = "64")]
const _: () = {
    use core::mem::{offset_of, size_of};
    assert!(size_of::<sp_synapses>() == 48);
    assert!(offset_of!(sp_synapses, k) == 24);
    assert!(offset_of!(sp_synapses, seed) == 32);
    assert!(offset_of!(sp_synapses, weight) == 40);
    assert!(size_of::<sp_allocator>() == 24);
    assert!(size_of::<sp_spike>() == 16);
    assert!(offset_of!(sp_network_desc, tau) == 16);
    assert!(offset_of!(sp_network_desc, recurrent) == 40);
    assert!(offset_of!(sp_network_desc, inputs) == 96);
    assert!(offset_of!(sp_network_desc, frame) == 184);
    assert!(offset_of!(sp_network_desc, reserved) == 188);
    assert!(SP_NETWORK_DESC_SIZE_MIN == 184);
    assert!(SP_NETWORK_DESC_SIZE_V1 == 192);
    assert!(offset_of!(sp_network_desc, tau_syn) == 192);
    assert!(offset_of!(sp_network_desc, model_params) == 200);
    assert!(SP_NETWORK_DESC_SIZE_V2 == 208);
    assert!(size_of::<sp_network_desc>() == 208);
    assert!(size_of::<sp_model_params>() == 64);
};

// ---------------------------------------------------------------------------------------
// Functions

extern "C" {
    // Version and errors
    pub fn sp_version_number() -> u32;
    pub fn sp_version_string() -> *const c_char;
    pub fn sp_status_name(s: sp_status) -> *const c_char;
    pub fn sp_last_error() -> *const c_char;

    // Describing and creating a network
    pub fn sp_network_desc_init(d: *mut sp_network_desc, struct_size: usize);
    pub fn sp_network_memory(d: *const sp_network_desc, bytes: *mut usize) -> sp_status;
    pub fn sp_network_create(d: *const sp_network_desc, out: *mut *mut sp_network) -> sp_status;
    pub fn sp_network_destroy(net: *mut sp_network);
    pub fn sp_network_frame(net: *const sp_network) -> u32;
    pub fn sp_network_size(net: *const sp_network) -> u32;

    // Running
    pub fn sp_step(net: *mut sp_network, out: *mut sp_spike) -> sp_status;
    pub fn sp_run(
        net: *mut sp_network,
        t_end: f64,
        buf: *mut sp_spike,
        cap: usize,
        count: *mut usize,
    ) -> sp_status;
    pub fn sp_run_until(
        net: *mut sp_network,
        t_end: f64,
        watch: *const u32,
        n_watch: usize,
        buf: *mut sp_spike,
        cap: usize,
        count: *mut usize,
    ) -> sp_status;
    pub fn sp_now(net: *const sp_network) -> f64;
    pub fn sp_input(net: *mut sp_network, channel: u32, t: f64) -> sp_status;
    pub fn sp_input_many(
        net: *mut sp_network,
        channels: *const u32,
        times: *const f64,
        n: usize,
    ) -> sp_status;
    pub fn sp_voltage(net: *const sp_network, neuron: u32, v: *mut f64) -> sp_status;
    pub fn sp_voltages(net: *const sp_network, v: *mut f64, n: usize) -> sp_status;
    pub fn sp_set_drive(net: *mut sp_network, neuron: u32, drive: f64) -> sp_status;
    pub fn sp_rewind(net: *mut sp_network) -> sp_status;

    // Training
    pub fn sp_param_count(net: *const sp_network, p: sp_param, len: *mut usize) -> sp_status;
    pub fn sp_get_params(net: *const sp_network, p: sp_param, out: *mut f64, len: usize) -> sp_status;
    pub fn sp_set_params(net: *mut sp_network, p: sp_param, in_: *const f64, len: usize) -> sp_status;
    pub fn sp_record(net: *mut sp_network, max_spikes: usize) -> sp_status;
    pub fn sp_backward(
        net: *mut sp_network,
        dl_dt: *const f64,
        n_spikes: usize,
        dl_dv_end: *const f64,
    ) -> sp_status;
    pub fn sp_get_grads(net: *const sp_network, p: sp_param, out: *mut f64, len: usize) -> sp_status;
    pub fn sp_zero_grads(net: *mut sp_network) -> sp_status;

    // Data parallelism: replicas
    pub fn sp_network_replica(parent: *mut sp_network, out: *mut *mut sp_network) -> sp_status;
    pub fn sp_grads_accumulate(dst: *mut sp_network, src: *const sp_network) -> sp_status;

    // Saving and loading
    pub fn sp_save(net: *const sp_network, buf: *mut c_void, cap: usize, len: *mut usize) -> sp_status;
    pub fn sp_load(
        buf: *const c_void,
        len: usize,
        a: *const sp_allocator,
        out: *mut *mut sp_network,
    ) -> sp_status;
    pub fn sp_save_file(net: *const sp_network, path: *const c_char) -> sp_status;
    pub fn sp_load_file(path: *const c_char, out: *mut *mut sp_network) -> sp_status;
}
