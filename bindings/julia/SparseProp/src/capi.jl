# capi.jl - the raw C interface of libsparseprop (include/sparseprop/sparseprop.h): mirrored
# structs and one `ccall` wrapper per C function, same name, same argument order, no checking.
# The safe API in SparseProp.jl is built on these; bindings/julia/check verifies every ccall
# here (name, argument count and types) against the preprocessed header.

# The library is chosen at load time (SPARSEPROP_LIB, see __init__), not at precompile time, so
# the ccalls name it with a function call: the manual's "Non-constant Function Specifications"
# (Julia >= 1.6) evaluates `libsparseprop()` when a ccall first runs and caches the result per
# call site. A `const` path would be frozen into the precompile cache instead.
const _LIBPATH = Ref{String}("libsparseprop")
libsparseprop() = _LIBPATH[]

# The header's enumerations name constants of fixed-width types: sp_status and sp_param are
# int32_t, sp_model and sp_frame uint32_t (the description's `model` and `frame` fields).
const sp_status = Int32
const sp_param = Int32

# Layouts below mirror the C structs field for field; Julia lays out isbits structs with the C
# rules, so offsets match. Measured with the system C compiler (x86_64 / aarch64 Linux, LP64):
#   sp_synapses      size 48: row_ptr 0, targets 8, weights 16, k 24, seed 32, weight 40
#   sp_allocator     size 24: alloc 0, free 8, ctx 16
#   sp_network_desc  size 208: struct_size 0, model 4, n 8, tau 16, drive 24, drives 32,
#                    recurrent 40, n_inputs 88, inputs 96, v0 144, init_seed 152, t_ref 160,
#                    input_capacity 168, allocator 176, frame 184, reserved 188,
#                    tau_syn 192, model_params 200
#                    (no end padding; later fields are appended in 8-byte units)
#   sp_spike         size 16: t 0, neuron 8, flags 12
# test/runtests.jl asserts these; bindings/julia/check recomputes them from this file and
# compares with offsetof() from a compiled C program on every check run. 64-bit platforms only:
# on a 32-bit one the header pads model_params with a `reserved2` field that this mirror lacks.

struct sp_synapses
    row_ptr::Ptr{UInt64}
    targets::Ptr{UInt32}
    weights::Ptr{Cdouble}
    k::UInt32
    seed::UInt64
    weight::Cdouble
end

struct sp_allocator
    alloc::Ptr{Cvoid}
    free::Ptr{Cvoid}
    ctx::Ptr{Cvoid}
end

# Parameters of the models that read them (0.2); F and dF/dV are C function pointers.
struct sp_model_params
    struct_size::UInt32
    reserved::UInt32
    v_reset::Cdouble
    v_spike::Cdouble
    delta_t::Cdouble
    v_t::Cdouble
    f::Ptr{Cvoid}
    df::Ptr{Cvoid}
    ctx::Ptr{Cvoid}
end

struct sp_network_desc
    struct_size::UInt32
    model::UInt32
    n::UInt32
    tau::Cdouble
    drive::Cdouble
    drives::Ptr{Cdouble}
    recurrent::sp_synapses
    n_inputs::UInt32
    inputs::sp_synapses
    v0::Ptr{Cdouble}
    init_seed::UInt64
    t_ref::Cdouble
    input_capacity::UInt32
    allocator::Ptr{sp_allocator}
    frame::UInt32
    reserved::UInt32
    tau_syn::Cdouble
    model_params::Ptr{sp_model_params}
end

# Every 0.1 field but `reserved`, which is 0; the 0.2 fields at their defaults.
sp_network_desc(struct_size, model, n, tau, drive, drives, recurrent, n_inputs, inputs, v0,
                init_seed, t_ref, input_capacity, allocator, frame) =
    sp_network_desc(struct_size, model, n, tau, drive, drives, recurrent, n_inputs, inputs, v0,
                    init_seed, t_ref, input_capacity, allocator, frame, UInt32(0), 0.0,
                    C_NULL)

# struct_size values (header: SP_NETWORK_DESC_SIZE_*): the smallest accepted (everything
# before `frame`), the 0.1 layout, this 0.2 layout, and the largest accepted.
const SP_NETWORK_DESC_SIZE_MIN = 184
const SP_NETWORK_DESC_SIZE_V1 = 192
const SP_NETWORK_DESC_SIZE_V2 = 208
const SP_NETWORK_DESC_SIZE_MAX = 1024

struct sp_spike
    t::Cdouble
    neuron::UInt32
    flags::UInt32   # 0, or SP_SPIKE_* bits (named `reserved`, always 0, in 0.1)
end

# sp_spike.flags: an event's jump at this instant took the neuron to threshold; and that chain
# of jumps started at an external input (the spike carries no gradient).
const SP_SPIKE_TRIGGERED = UInt32(1)
const SP_SPIKE_INPUT_TRIGGERED = UInt32(2)

# Version and errors

sp_version_number() =
    ccall((:sp_version_number, libsparseprop()), UInt32, ())

sp_version_string() =
    ccall((:sp_version_string, libsparseprop()), Ptr{UInt8}, ())

sp_status_name(s) =
    ccall((:sp_status_name, libsparseprop()), Ptr{UInt8}, (sp_status,), s)

sp_last_error() =
    ccall((:sp_last_error, libsparseprop()), Ptr{UInt8}, ())

# Describing and creating a network

sp_network_desc_init(d, struct_size) =
    ccall((:sp_network_desc_init, libsparseprop()), Cvoid,
          (Ptr{sp_network_desc}, Csize_t), d, struct_size)

sp_network_memory(d, bytes) =
    ccall((:sp_network_memory, libsparseprop()), sp_status,
          (Ptr{sp_network_desc}, Ptr{Csize_t}), d, bytes)

sp_network_create(d, out) =
    ccall((:sp_network_create, libsparseprop()), sp_status,
          (Ptr{sp_network_desc}, Ptr{Ptr{Cvoid}}), d, out)

sp_network_destroy(net) =
    ccall((:sp_network_destroy, libsparseprop()), Cvoid, (Ptr{Cvoid},), net)

sp_network_frame(net) =
    ccall((:sp_network_frame, libsparseprop()), UInt32, (Ptr{Cvoid},), net)

sp_network_size(net) =
    ccall((:sp_network_size, libsparseprop()), UInt32, (Ptr{Cvoid},), net)

# Running

sp_step(net, out) =
    ccall((:sp_step, libsparseprop()), sp_status, (Ptr{Cvoid}, Ptr{sp_spike}), net, out)

sp_run(net, t_end, buf, cap, count) =
    ccall((:sp_run, libsparseprop()), sp_status,
          (Ptr{Cvoid}, Cdouble, Ptr{sp_spike}, Csize_t, Ptr{Csize_t}),
          net, t_end, buf, cap, count)

sp_now(net) =
    ccall((:sp_now, libsparseprop()), Cdouble, (Ptr{Cvoid},), net)

sp_run_until(net, t_end, watch, n_watch, buf, cap, count) =
    ccall((:sp_run_until, libsparseprop()), sp_status,
          (Ptr{Cvoid}, Cdouble, Ptr{UInt32}, Csize_t, Ptr{sp_spike}, Csize_t, Ptr{Csize_t}),
          net, t_end, watch, n_watch, buf, cap, count)

sp_input(net, channel, t) =
    ccall((:sp_input, libsparseprop()), sp_status, (Ptr{Cvoid}, UInt32, Cdouble),
          net, channel, t)

sp_input_many(net, channels, times, n) =
    ccall((:sp_input_many, libsparseprop()), sp_status,
          (Ptr{Cvoid}, Ptr{UInt32}, Ptr{Cdouble}, Csize_t), net, channels, times, n)

sp_voltage(net, neuron, v) =
    ccall((:sp_voltage, libsparseprop()), sp_status, (Ptr{Cvoid}, UInt32, Ptr{Cdouble}),
          net, neuron, v)

sp_voltages(net, v, n) =
    ccall((:sp_voltages, libsparseprop()), sp_status, (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t),
          net, v, n)

sp_set_drive(net, neuron, drive) =
    ccall((:sp_set_drive, libsparseprop()), sp_status, (Ptr{Cvoid}, UInt32, Cdouble),
          net, neuron, drive)

sp_rewind(net) =
    ccall((:sp_rewind, libsparseprop()), sp_status, (Ptr{Cvoid},), net)

# Training

sp_param_count(net, p, len) =
    ccall((:sp_param_count, libsparseprop()), sp_status, (Ptr{Cvoid}, sp_param, Ptr{Csize_t}),
          net, p, len)

sp_get_params(net, p, out, len) =
    ccall((:sp_get_params, libsparseprop()), sp_status,
          (Ptr{Cvoid}, sp_param, Ptr{Cdouble}, Csize_t), net, p, out, len)

sp_set_params(net, p, values, len) =
    ccall((:sp_set_params, libsparseprop()), sp_status,
          (Ptr{Cvoid}, sp_param, Ptr{Cdouble}, Csize_t), net, p, values, len)

sp_record(net, max_spikes) =
    ccall((:sp_record, libsparseprop()), sp_status, (Ptr{Cvoid}, Csize_t), net, max_spikes)

sp_backward(net, dl_dt, n_spikes, dl_dv_end) =
    ccall((:sp_backward, libsparseprop()), sp_status,
          (Ptr{Cvoid}, Ptr{Cdouble}, Csize_t, Ptr{Cdouble}), net, dl_dt, n_spikes, dl_dv_end)

sp_get_grads(net, p, out, len) =
    ccall((:sp_get_grads, libsparseprop()), sp_status,
          (Ptr{Cvoid}, sp_param, Ptr{Cdouble}, Csize_t), net, p, out, len)

sp_zero_grads(net) =
    ccall((:sp_zero_grads, libsparseprop()), sp_status, (Ptr{Cvoid},), net)

# Data parallelism: replicas

sp_network_replica(parent, out) =
    ccall((:sp_network_replica, libsparseprop()), sp_status, (Ptr{Cvoid}, Ptr{Ptr{Cvoid}}),
          parent, out)

sp_grads_accumulate(dst, src) =
    ccall((:sp_grads_accumulate, libsparseprop()), sp_status, (Ptr{Cvoid}, Ptr{Cvoid}), dst, src)

# Saving and loading

sp_save(net, buf, cap, len) =
    ccall((:sp_save, libsparseprop()), sp_status,
          (Ptr{Cvoid}, Ptr{Cvoid}, Csize_t, Ptr{Csize_t}), net, buf, cap, len)

sp_load(buf, len, a, out) =
    ccall((:sp_load, libsparseprop()), sp_status,
          (Ptr{Cvoid}, Csize_t, Ptr{sp_allocator}, Ptr{Ptr{Cvoid}}), buf, len, a, out)

sp_save_file(net, path) =
    ccall((:sp_save_file, libsparseprop()), sp_status, (Ptr{Cvoid}, Cstring), net, path)

sp_load_file(path, out) =
    ccall((:sp_load_file, libsparseprop()), sp_status, (Cstring, Ptr{Ptr{Cvoid}}), path, out)
