"""
    SparseProp

Exact event-driven simulation and training of sparse networks of integrate-and-fire neurons,
through libsparseprop's C interface.

Indices are 1-based everywhere on the Julia side: neurons are `1:n`, input channels are
`1:n_inputs`, CSR `row_ptr` starts at 1 and `targets` are in `1:n` (exactly the `colptr` /
`rowval` of a `SparseMatrixCSC` whose column `j` holds source `j`'s outgoing synapses). The
binding subtracts 1 before calling C and adds 1 to every neuron index it returns.

The library is `ENV["SPARSEPROP_LIB"]` when set at load time, else `libsparseprop` from the
system search path.
"""
module SparseProp

export Network, SparsePropError, Status, nneurons, step!, run!, advance!, input!,
       set_drive!, voltage, voltages, voltages!, rewind!, frame, params, set_params!, grads,
       zero_grads!, record!, backward!, savefile, loadfile
# Not exported (they clash with common names; call them qualified): now, save, load,
# memory, version, status_name.

include("capi.jl")

function __init__()
    lib = get(ENV, "SPARSEPROP_LIB", "")
    # A relative path would otherwise be resolved against whatever the directory is when the
    # first ccall runs.
    _LIBPATH[] = isempty(lib) ? "libsparseprop" : (occursin('/', lib) ? abspath(lib) : lib)
    return nothing
end

# ---------------------------------------------------------------------------------------------
# Errors

"""
    Status

The `sp_status` codes, named without the `SP_` prefix: `OK`, `ERR_ARGUMENT`, `ERR_NOMEM`,
`ERR_UNSUPPORTED`, `ERR_STATE`, `ERR_CAPACITY`, `ERR_IO`, `ERR_FORMAT`, `ERR_NUMERIC`.
"""
@enum Status::Cint begin
    OK = 0
    ERR_ARGUMENT = 1
    ERR_NOMEM = 2
    ERR_UNSUPPORTED = 3
    ERR_STATE = 4
    ERR_CAPACITY = 5
    ERR_IO = 6
    ERR_FORMAT = 7
    ERR_NUMERIC = 8
end

"""
    SparsePropError(status::Status, message::String)

Thrown by every call that fails: `status` is the library's code, `message` its description of
what was wrong (`sp_last_error()`), or the binding's own for arguments it rejects before
calling the library (with `status == ERR_ARGUMENT`).
"""
struct SparsePropError <: Exception
    status::Status
    message::String
end

function Base.showerror(io::IO, e::SparsePropError)
    print(io, "SparsePropError: SP_", e.status)   # an Enum prints as its name
    isempty(e.message) || print(io, ": ", e.message)
    return nothing
end

_argerr(msg::AbstractString) = SparsePropError(ERR_ARGUMENT, String(msg))

# The message is thread-local in C. No yield point separates the failing ccall from this one, so
# the task cannot have migrated to another thread in between.
@noinline function _throw_status(rc::Cint)
    p = sp_last_error()
    msg = p == C_NULL ? "" : unsafe_string(p)
    for s in instances(Status)
        Integer(s) == rc && throw(SparsePropError(s, msg))
    end
    error("libsparseprop returned unknown status $rc: $msg")
end

@inline function check(rc::Cint)
    rc == 0 || _throw_status(rc)
    return nothing
end

"""
    status_name(s::Status) -> String

The C name of a status, e.g. `"SP_ERR_ARGUMENT"` (from the library).
"""
status_name(s::Status) = unsafe_string(sp_status_name(Integer(s)))

"""
    version() -> VersionNumber

The version of the library actually loaded.
"""
function version()
    v = Int(sp_version_number())
    return VersionNumber(v ÷ 10000, (v ÷ 100) % 100, v % 100)
end

"""
    version_string() -> String

The loaded library's version string, e.g. `"0.1.0"`.
"""
version_string() = unsafe_string(sp_version_string())

# ---------------------------------------------------------------------------------------------
# The network handle

"""
    Network(; model=:lif, n, kwargs...)

A network owned by the library. It is freed by `close(net)` or, failing that, by the garbage
collector. Keyword arguments (defaults in brackets):

- `model` (`:lif`): `:lif`, `:qif` or `:eif` (the last is refused by the library for now).
- `n`: number of neurons (required).
- `tau` (`0.01`): membrane time constant in seconds.
- `drive` (`0.0`): drive `I` of every neuron, or `drives`: a vector of `n` drives.
- recurrent synapses, either procedural: `k` (`0`) distinct targets per neuron drawn from
  `seed` (`0`), all of weight `weight` (`0.0`); or explicit CSR by source: `row_ptr`
  (`n + 1` entries, starting at 1, non-decreasing), `targets` (`row_ptr[end] - 1` entries in
  `1:n`) and either `weights` (same length) or one shared `weight`.
- `n_inputs` (`0`) external input channels, wired the same way with `input_k`, `input_seed`,
  `input_weight`, or `input_row_ptr` (`n_inputs + 1` entries), `input_targets`,
  `input_weights`.
- `v0`: `n` initial voltages, or `nothing` for seeded random phases (`init_seed`, `0`).
- `t_ref` (`0.0`): absolute refractory period in seconds.
- `input_capacity` (`0`: the library default, 4096): queued input events.
- `frame` (`:auto`): `:auto`, `:phase` or `:time`.

A `SparseMatrixCSC` `W` with `W[target, source]` gives the CSR directly:
`Network(; n, drive, row_ptr=W.colptr, targets=W.rowval, weights=W.nzval)`.
"""
mutable struct Network
    ptr::Ptr{Cvoid}

    # Takes ownership of a handle returned by the library.
    function Network(ptr::Ptr{Cvoid})
        ptr == C_NULL && throw(_argerr("Network: NULL handle"))
        net = new(ptr)
        finalizer(close, net)
        return net
    end
end

function Network(; kwargs...)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _with_desc(; kwargs...) do d
        check(sp_network_create(d, out))
    end
    return Network(out[])
end

"""
    close(net::Network)

Frees the network now. Idempotent; any later use of `net` throws a `SparsePropError`.
"""
function Base.close(net::Network)
    ptr = net.ptr
    if ptr != C_NULL
        net.ptr = C_NULL
        sp_network_destroy(ptr)
    end
    return nothing
end

Base.isopen(net::Network) = net.ptr != C_NULL

# ccall converts a Network argument through this, keeping `net` rooted for the call.
function Base.unsafe_convert(::Type{Ptr{Cvoid}}, net::Network)
    ptr = net.ptr
    ptr == C_NULL && throw(_argerr("the Network is closed"))
    return ptr
end

function Base.show(io::IO, net::Network)
    if isopen(net)
        print(io, "SparseProp.Network(n = ", nneurons(net), ", frame = :", frame(net),
              ", t = ", now(net), ")")
    else
        print(io, "SparseProp.Network(closed)")
    end
    return nothing
end

"""
    copy(net::Network) -> Network

An independent network in exactly the same state (through `save`/`load`).
"""
Base.copy(net::Network) = load(save(net))

# ---------------------------------------------------------------------------------------------
# Building the description

const _MODELS = (lif = 1, qif = 2, eif = 3)
const _FRAMES = (auto = 0, phase = 1, time = 2)
const _PARAMS = (weights = 1, input_weights = 2, drives = 3, v0 = 4)

function _lookup(table::NamedTuple, key::Symbol, what::String)
    haskey(table, key) ||
        throw(_argerr("$what = :$key; expected one of " * join((":$k" for k in keys(table)), ", ")))
    return table[key]
end
_lookup(table::NamedTuple, key::Integer, what::String) = _u32(key, what)

function _u32(x::Integer, what::String)
    0 <= x <= typemax(UInt32) || throw(_argerr("$what = $x does not fit in a uint32"))
    return UInt32(x)
end

function _u64(x::Integer, what::String)
    0 <= x <= typemax(UInt64) || throw(_argerr("$what = $x does not fit in a uint64"))
    return UInt64(x)
end

_param(p::Symbol) = Cint(_lookup(_PARAMS, p, "parameter"))

# A Float64 vector of exactly `len` entries (the caller's own array when it already is one: the
# library reads it during the call only).
function _f64vec(x, len::Integer, what::String)
    x isa AbstractVector{<:Real} || throw(_argerr("$what must be a vector of reals"))
    length(x) == len || throw(_argerr("$what has $(length(x)) entries, expected $len"))
    return x isa Vector{Float64} ? x : Vector{Float64}(x)
end

# 1-based CSR -> the library's 0-based arrays, checked so that C never reads past an array.
function _csr(row_ptr, targets, weights, k::Integer, n_src::Integer, n::Integer, pre::String)
    if row_ptr === nothing
        targets === nothing || throw(_argerr("$(pre)targets given without $(pre)row_ptr"))
        weights === nothing || throw(_argerr("$(pre)weights given without $(pre)row_ptr"))
        return (nothing, nothing, nothing)
    end
    k == 0 || throw(_argerr("give $(pre)row_ptr (explicit) or $(pre)k (procedural), not both"))
    targets === nothing && throw(_argerr("$(pre)row_ptr given without $(pre)targets"))
    row_ptr isa AbstractVector{<:Integer} ||
        throw(_argerr("$(pre)row_ptr must be a vector of integers"))
    targets isa AbstractVector{<:Integer} ||
        throw(_argerr("$(pre)targets must be a vector of integers"))
    length(row_ptr) == n_src + 1 ||
        throw(_argerr("$(pre)row_ptr has $(length(row_ptr)) entries, expected $(n_src + 1)"))
    rp = Vector{UInt64}(undef, length(row_ptr))
    prev = 1
    for (j, r) in enumerate(row_ptr)
        if j == 1
            r == 1 || throw(_argerr("$(pre)row_ptr[1] = $r, expected 1 (1-based offsets)"))
        elseif r < prev
            throw(_argerr("$(pre)row_ptr[$j] = $r < $(pre)row_ptr[$(j - 1)] = $prev"))
        end
        rp[j] = UInt64(r - 1)
        prev = r
    end
    nnz = Int(rp[end])
    length(targets) == nnz ||
        throw(_argerr("$(pre)targets has $(length(targets)) entries, " *
                      "expected $(pre)row_ptr[end] - 1 = $nnz"))
    tg = Vector{UInt32}(undef, nnz)
    for (s, t) in enumerate(targets)
        1 <= t <= n || throw(_argerr("$(pre)targets[$s] = $t is not in 1:$n"))
        tg[s] = UInt32(t - 1)
    end
    w = weights === nothing ? nothing : _f64vec(weights, nnz, "$(pre)weights")
    return (rp, tg, w)
end

_ptr(::Type{T}, ::Nothing) where {T} = Ptr{T}(C_NULL)
_ptr(::Type{T}, x::Vector{T}) where {T} = pointer(x)

function _synapses(rp, tg, w, k::Integer, seed::Integer, weight::Real, pre::String)
    return sp_synapses(_ptr(UInt64, rp), _ptr(UInt32, tg), _ptr(Cdouble, w),
                       _u32(k, "$(pre)k"), _u64(seed, "$(pre)seed"), Float64(weight))
end

# Builds an sp_network_desc from the keyword arguments and calls f(Ref(desc)) while every array
# it points into is rooted.
function _with_desc(f; model::Union{Symbol,Integer} = :lif, n::Integer, tau::Real = 0.01,
                    drive::Union{Nothing,Real} = nothing, drives = nothing,
                    k::Integer = 0, seed::Integer = 0, weight::Real = 0.0,
                    row_ptr = nothing, targets = nothing, weights = nothing,
                    n_inputs::Integer = 0, input_k::Integer = 0, input_seed::Integer = 0,
                    input_weight::Real = 0.0, input_row_ptr = nothing,
                    input_targets = nothing, input_weights = nothing,
                    v0 = nothing, init_seed::Integer = 0, t_ref::Real = 0.0,
                    input_capacity::Integer = 0, frame::Union{Symbol,Integer} = :auto)
    n32 = _u32(n, "n")
    nin32 = _u32(n_inputs, "n_inputs")
    drive !== nothing && drives !== nothing &&
        throw(_argerr("give drive (shared) or drives (per neuron), not both"))
    drives_c = drives === nothing ? nothing : _f64vec(drives, n, "drives")
    v0_c = v0 === nothing ? nothing : _f64vec(v0, n, "v0")
    rp, tg, w = _csr(row_ptr, targets, weights, k, n, n, "")
    irp, itg, iw = _csr(input_row_ptr, input_targets, input_weights, input_k, n_inputs, n,
                        "input_")
    # No `return` inside the preserved block: its value is the block's value.
    result = GC.@preserve drives_c v0_c rp tg w irp itg iw begin
        d = sp_network_desc(UInt32(sizeof(sp_network_desc)),
                            _lookup(_MODELS, model, "model"),
                            n32,
                            Float64(tau),
                            drive === nothing ? 0.0 : Float64(drive),
                            _ptr(Cdouble, drives_c),
                            _synapses(rp, tg, w, k, seed, weight, ""),
                            nin32,
                            _synapses(irp, itg, iw, input_k, input_seed, input_weight,
                                      "input_"),
                            _ptr(Cdouble, v0_c),
                            _u64(init_seed, "init_seed"),
                            Float64(t_ref),
                            _u32(input_capacity, "input_capacity"),
                            Ptr{sp_allocator}(C_NULL),
                            _lookup(_FRAMES, frame, "frame"))
        f(Ref(d))
    end
    return result
end

"""
    default_desc() -> sp_network_desc

The description `sp_network_desc_init` fills in (the library's defaults).
"""
function default_desc()
    d = Ref{sp_network_desc}()
    sp_network_desc_init(d, sizeof(sp_network_desc))
    return d[]
end

"""
    memory(; kwargs...) -> Int

The exact number of bytes `Network(; kwargs...)` will allocate (same keywords).
"""
function memory(; kwargs...)
    bytes = Ref{Csize_t}(0)
    _with_desc(; kwargs...) do d
        check(sp_network_memory(d, bytes))
    end
    return Int(bytes[])
end

# ---------------------------------------------------------------------------------------------
# Running

"""
    nneurons(net) -> Int

Number of neurons.
"""
nneurons(net::Network) = Int(sp_network_size(net))

"""
    frame(net) -> Symbol

The event loop the network runs now: `:phase` or `:time`.
"""
function frame(net::Network)
    f = sp_network_frame(net)
    return f == 1 ? :phase : f == 2 ? :time : Symbol("frame", f)
end

"""
    now(net) -> Float64

The network's current time in seconds.
"""
now(net::Network) = sp_now(net)

function _neuron(i::Integer, net::Network)
    1 <= i <= typemax(UInt32) || throw(_argerr("neuron $i is not a valid 1-based index"))
    return UInt32(i - 1)
end

"""
    step!(net) -> (t = Float64, neuron = Int)

Processes exactly the next network spike (with the inputs due at or before it) and returns it,
`neuron` 1-based. Throws `SparsePropError` with `ERR_STATE` when no spike will ever come.
"""
function step!(net::Network)
    out = Ref{sp_spike}()
    check(sp_step(net, out))
    s = out[]
    return (t = s.t, neuron = Int(s.neuron) + 1)
end

"""
    run!(net, t_end; bufsize=4096) -> (times::Vector{Float64}, neurons::Vector{Int})

Processes every event before `t_end` and returns the spikes in order, neurons 1-based;
afterwards `now(net) == t_end`. `bufsize` is the number of spikes fetched per library call.
"""
function run!(net::Network, t_end::Real; bufsize::Integer = 4096)
    bufsize >= 1 || throw(_argerr("bufsize = $bufsize, expected >= 1"))
    times = Float64[]
    neurons = Int[]
    buf = Vector{sp_spike}(undef, bufsize)
    count = Ref{Csize_t}(0)
    while true
        check(sp_run(net, t_end, buf, length(buf), count))
        m = Int(count[])
        for s in 1:m
            push!(times, buf[s].t)
            push!(neurons, Int(buf[s].neuron) + 1)
        end
        # A full buffer means the library stopped early at its last spike: go on.
        m < length(buf) && break
    end
    return (times = times, neurons = neurons)
end

"""
    advance!(net, t_end) -> Int

Like `run!`, but only counts the spikes.
"""
function advance!(net::Network, t_end::Real)
    count = Ref{Csize_t}(0)
    check(sp_run(net, t_end, Ptr{sp_spike}(C_NULL), 0, count))
    return Int(count[])
end

"""
    input!(net, channel, t)

Queues an external input event on `channel` (1-based) at time `t >= now(net)`.
"""
function input!(net::Network, channel::Integer, t::Real)
    1 <= channel <= typemax(UInt32) ||
        throw(_argerr("channel $channel is not a valid 1-based index"))
    check(sp_input(net, UInt32(channel - 1), t))
    return net
end

"""
    voltage(net, i) -> Float64

The voltage of neuron `i` at `now(net)`.
"""
function voltage(net::Network, i::Integer)
    v = Ref{Cdouble}(0.0)
    check(sp_voltage(net, _neuron(i, net), v))
    return v[]
end

"""
    voltages!(v, net) -> v

Writes all voltages at `now(net)` into `v` (length `nneurons(net)`, contiguous).
"""
function voltages!(v::StridedVector{Float64}, net::Network)
    stride(v, 1) == 1 || throw(_argerr("voltages!: v must be contiguous"))
    GC.@preserve v begin
        check(sp_voltages(net, pointer(v), length(v)))
    end
    return v
end

"""
    voltages(net) -> Vector{Float64}

All voltages at `now(net)`.
"""
voltages(net::Network) = voltages!(Vector{Float64}(undef, nneurons(net)), net)

"""
    set_drive!(net, i, drive)

Sets the drive of neuron `i` from `now(net)` on.
"""
function set_drive!(net::Network, i::Integer, drive::Real)
    check(sp_set_drive(net, _neuron(i, net), drive))
    return net
end

"""
    rewind!(net)

Back to `t = 0` and the initial state; queued inputs are dropped and any recording ends.
Parameters, gradients and connectivity are kept.
"""
function rewind!(net::Network)
    check(sp_rewind(net))
    return net
end

# ---------------------------------------------------------------------------------------------
# Training

function _count(net::Network, p::Cint)
    len = Ref{Csize_t}(0)
    check(sp_param_count(net, p, len))
    return Int(len[])
end

"""
    params(net, p) -> Vector{Float64}

A copy of parameter `p`: `:weights` (recurrent, CSR order; one value when procedural or
shared), `:input_weights` (likewise), `:drives` (n) or `:v0` (n, the state `rewind!` returns
to).
"""
function params(net::Network, p::Symbol)
    pc = _param(p)
    out = Vector{Float64}(undef, _count(net, pc))
    check(sp_get_params(net, pc, out, length(out)))
    return out
end

"""
    set_params!(net, p, values)

Replaces parameter `p` (see `params`); `values` must have the same length.
"""
function set_params!(net::Network, p::Symbol, values::AbstractVector{<:Real})
    pc = _param(p)
    x = _f64vec(values, _count(net, pc), String(p))
    check(sp_set_params(net, pc, x, length(x)))
    return net
end

"""
    grads(net, p) -> Vector{Float64}

The accumulated gradient of the loss with respect to parameter `p` (same layout as `params`).
"""
function grads(net::Network, p::Symbol)
    pc = _param(p)
    out = Vector{Float64}(undef, _count(net, pc))
    check(sp_get_grads(net, pc, out, length(out)))
    return out
end

"""
    zero_grads!(net)

Sets every accumulated gradient to zero.
"""
function zero_grads!(net::Network)
    check(sp_zero_grads(net))
    return net
end

"""
    record!(net, max_spikes)

Starts recording from `now(net)` for a backward pass; running past `max_spikes` recorded
spikes fails with `ERR_CAPACITY`.
"""
function record!(net::Network, max_spikes::Integer)
    max_spikes >= 0 || throw(_argerr("max_spikes = $max_spikes, expected >= 0"))
    check(sp_record(net, max_spikes))
    return net
end

"""
    backward!(net, dl_dt; dl_dv_end=nothing)

Adds the gradient of a loss `L` to the accumulated gradients and ends the recording.
`dl_dt[s]` is dL/dt for the `s`-th recorded spike (one per recorded spike); `dl_dv_end`, if
given, holds dL/dV for every neuron at `now(net)`.
"""
function backward!(net::Network, dl_dt::AbstractVector{<:Real};
                   dl_dv_end::Union{Nothing,AbstractVector{<:Real}} = nothing)
    g = _f64vec(dl_dt, length(dl_dt), "dl_dt")
    gv = dl_dv_end === nothing ? nothing : _f64vec(dl_dv_end, nneurons(net), "dl_dv_end")
    GC.@preserve g gv begin
        check(sp_backward(net, pointer(g), length(g), _ptr(Cdouble, gv)))
    end
    return net
end

# ---------------------------------------------------------------------------------------------
# Saving and loading

"""
    save(net) -> Vector{UInt8}

Parameters, connectivity and the full dynamic state: `load` of these bytes continues
bit-identically.
"""
function save(net::Network)
    len = Ref{Csize_t}(0)
    check(sp_save(net, C_NULL, 0, len))
    buf = Vector{UInt8}(undef, len[])
    check(sp_save(net, buf, length(buf), len))
    len[] == length(buf) || resize!(buf, len[])
    return buf
end

"""
    load(bytes::AbstractVector{UInt8}) -> Network

A network from bytes written by `save`. Invalid or incompatible bytes throw `ERR_FORMAT`.
"""
function load(bytes::AbstractVector{UInt8})
    b = bytes isa Vector{UInt8} ? bytes : Vector{UInt8}(bytes)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check(sp_load(b, length(b), Ptr{sp_allocator}(C_NULL), out))
    return Network(out[])
end

"""
    savefile(path, net)

Writes `net` to the file `path` (same format as `save`).
"""
function savefile(path::AbstractString, net::Network)
    check(sp_save_file(net, path))
    return path
end

"""
    loadfile(path) -> Network

Reads a network written by `savefile` (or `save`).
"""
function loadfile(path::AbstractString)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check(sp_load_file(path, out))
    return Network(out[])
end

save(path::AbstractString, net::Network) = savefile(path, net)
load(path::AbstractString) = loadfile(path)

end # module
