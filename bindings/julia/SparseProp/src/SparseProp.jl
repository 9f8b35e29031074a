"""
    SparseProp

Exact event-driven simulation and training of sparse networks of integrate-and-fire neurons,
through libsparseprop's C interface.

Indices are 1-based everywhere on the Julia side: neurons are `1:n`, input channels are
`1:n_inputs`, CSR `row_ptr` starts at 1 and `targets` are in `1:n`. A `SparseMatrixCSC` `W`
with `W[i, j]` = weight of the synapse from neuron `j` to neuron `i` is that CSR as it stands
(its columns are the sources): `Network(W; ...)`. The binding subtracts 1 before calling C and
adds 1 to every neuron index it returns.

The library is `ENV["SPARSEPROP_LIB"]` when set at load time, else the `libsparseprop`
preference (`SparseProp.set_library!`), else `libsparseprop` from the system search path.
"""
module SparseProp

using SparseArrays: SparseMatrixCSC, nonzeros, rowvals
import Preferences

export Network, SparsePropError, SPStatus, nneurons, step!, run!, advance!, input!,
       set_drive!, voltage, voltages, voltages!, rewind!, simulation_frame, getparams,
       setparams!, getgrads, zero_grads!, record!, backward!, savefile, loadfile,
       run_until!, replica, accumulate_grads!
# Not exported (they clash with common names; call them qualified): now, save, load,
# memory, version, status_name, set_library!. `Base.read`/`Base.write` get methods for
# Network. Old names, deprecated, are at the end of this file.

include("capi.jl")

# Where the library is: the environment variable first (one process, e.g. a test run against a
# fresh build), then the project's preference (persistent, LocalPreferences.toml), then the
# system search path. Read in __init__, i.e. at every load, never frozen at precompile time.
function _library_path()
    lib = get(ENV, "SPARSEPROP_LIB", "")
    if isempty(lib)
        pref = Preferences.load_preference(@__MODULE__, "libsparseprop", nothing)
        if pref isa AbstractString
            lib = String(pref)
        elseif pref !== nothing
            @warn "SparseProp: the libsparseprop preference $(repr(pref)) is not a string; " *
                  "ignored"
        end
    end
    isempty(lib) && return "libsparseprop"
    # A relative path would otherwise be resolved against whatever the directory is when the
    # first ccall runs.
    return occursin('/', lib) ? abspath(lib) : lib
end

function __init__()
    # (The struct mirrors in capi.jl are the 64-bit layouts: refuse to load rather than pass
    # a 32-bit library descriptions of the wrong shape.)
    Sys.WORD_SIZE == 64 ||
        error("SparseProp.jl supports 64-bit Julia only (this is $(Sys.WORD_SIZE)-bit): " *
              "the C structs' 32-bit layout differs (capi.jl)")
    _LIBPATH[] = _library_path()
    return nothing
end

"""
    SparseProp.set_library!(path)
    SparseProp.set_library!(nothing)

Stores `path` (made absolute) as the active project's `libsparseprop` preference, in the
`LocalPreferences.toml` next to its `Project.toml`; `nothing` deletes it. It takes effect the
next time SparseProp is loaded (a new Julia session); `ENV["SPARSEPROP_LIB"]`, when set, still
takes precedence. A bare name without `/` (e.g. `"libsparseprop.so.0"`) is looked up on the
system search path.
"""
function set_library!(path::AbstractString)
    lib = occursin('/', path) ? abspath(path) : String(path)
    isempty(lib) && throw(ArgumentError("set_library!: empty library name"))
    occursin('/', lib) && !isfile(lib) && throw(ArgumentError("set_library!: no file $lib"))
    Preferences.set_preferences!(@__MODULE__, "libsparseprop" => lib; force = true)
    return lib
end

function set_library!(::Nothing)
    Preferences.delete_preferences!(@__MODULE__, "libsparseprop"; force = true)
    return nothing
end

# ---------------------------------------------------------------------------------------------
# Errors

"""
    SPStatus

The `sp_status` codes, named without the `SP_` prefix: `OK`, `ERR_ARGUMENT`, `ERR_NOMEM`,
`ERR_UNSUPPORTED`, `ERR_STATE`, `ERR_CAPACITY`, `ERR_IO`, `ERR_FORMAT`, `ERR_NUMERIC` (the
members are not exported: `SparseProp.ERR_STATE`).
"""
@enum SPStatus::Cint begin
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
    SparsePropError(status::SPStatus, message::String[, spikes])

Thrown when the library refuses a call: `status` is its code, `message` its description of
what was wrong (`sp_last_error()`). What the binding can check before calling the library
throws Base exceptions instead: `ArgumentError` for a bad value, `DimensionMismatch` for an
array of the wrong length or size, `InvalidStateException` for a closed `Network`.

`spikes` is `nothing`, except when `run!` or `run_until!` stops with `ERR_CAPACITY` (a full
recording tape) or `ERR_NUMERIC`: the library keeps the events it processed before it
stopped, and `spikes` holds their spikes, as those functions would have returned them (e.g.
`length(e.spikes.times)` spikes were recorded, the count `backward!` needs).
"""
struct SparsePropError <: Exception
    status::SPStatus
    message::String
    spikes::Any
end
SparsePropError(status::SPStatus, message::String) = SparsePropError(status, message, nothing)

function Base.showerror(io::IO, e::SparsePropError)
    print(io, "SparsePropError: SP_", e.status)   # an Enum prints as its name
    isempty(e.message) || print(io, ": ", e.message)
    return nothing
end

# "SP_FRAME_TIME" -> ":time", "SP_PARAM_INPUT_WEIGHTS" -> ":input_weights".
_constant(c::AbstractString) = ":" * lowercase(split(c, '_'; limit = 3)[3])

# The library counts neurons and array elements from 0, Julia from 1: "drives[2]" -> "drives[3]",
# "neuron 4" -> "neuron 5".
function _one_based(c::AbstractString)
    m = match(r"^(.*?)(\d+)(\]?)$", c)
    return m[1] * string(parse(Int, m[2]) + 1) * m[3]
end

# A channel beyond n_inputs, which only the library checks: "channel = 3: must be less than
# n_inputs" (its 0-based number) -> "channel = 4: must be at most n_inputs".
function _channel_one_based(c::AbstractString)
    m = match(r"^(.* = )(\d+): must be less than n_inputs$", c)
    return m[1] * string(parse(Int, m[2]) + 1) * ": must be at most n_inputs"
end

# The C names a library message may use, in this binding's words (whole words only, in this
# order): two phrases naming C things (a replica's handle, the header's sp_model), the functions
# it tells the caller to call, the model parameters' struct (whose fields are Network's
# keywords), the enum constants (this binding's symbols), and indices counted from 1.
const _BINDING_NAMES = (r"\bnet is a replica\b" => "this network is a replica",
                        r"\bsee sp_model in the header\b" => "see Models in the library's README",
                        r"\bsp_record\b" => "record!", r"\bsp_backward\b" => "backward!",
                        r"\bsp_rewind\b" => "rewind!", r"\bsp_set_params\b" => "setparams!",
                        r"\bsp_set_drive\b" => "set_drive!",
                        r"\bsp_zero_grads\b" => "zero_grads!", r"\bsp_run\b" => "run!",
                        r"\bsp_run_until\b" => "run_until!", r"\bsp_load\b" => "load",
                        r"\bsp_network_replica\b" => "replica",
                        r"\bmodel_params->(\w+)" => s"\1",
                        r"\bmodel_params\b" => "the model parameters",
                        r"\bSP_(?:PARAM|MODEL|FRAME)_\w+" => _constant,
                        r"\b\w+\[\d+\]" => _one_based, r"\bneuron \d+\b" => _one_based,
                        r"\bchannels?(?:\[\d+\])? = \d+: must be less than n_inputs\b" =>
                            _channel_one_based)

# A file path the message ends with (`...: '/the/path'`) is the caller's, kept as it is; given
# the call's `file`, also a start of it that the library's message buffer cut short.
# `renames`: the call's own, applied first: the C function's parameters that are not the
# method's arguments (e.g. `r"^n = " => "length(times) = "`).
function _in_binding_words(msg::String, renames = (), file = nothing)
    text, path = msg, ""
    at = endswith(msg, "'") ? findfirst(": '", msg) : nothing
    if at === nothing && file !== nothing
        at = findfirst(": '", msg)
        while at !== nothing && !startswith(file, msg[last(at)+1:end])
            at = findnext(": '", msg, last(at) + 1)
        end
    end
    if at !== nothing
        text, path = msg[1:prevind(msg, first(at))], msg[first(at):end]
    end
    for names in (renames..., _BINDING_NAMES...)
        text = replace(text, names)
    end
    return text * path
end

# The message is thread-local in C. No yield point separates the failing ccall from this one, so
# the task cannot have migrated to another thread in between.
@noinline function _throw_status(rc::Cint, spikes = nothing, renames = (), file = nothing)
    p = sp_last_error()
    msg = _in_binding_words(p == C_NULL ? "" : unsafe_string(p), renames, file)
    for s in instances(SPStatus)
        Integer(s) == rc && throw(SparsePropError(s, msg, spikes))
    end
    error("libsparseprop returned unknown status $rc: $msg")
end

@inline function check(rc::Cint, renames = ())
    rc == 0 || _throw_status(rc, nothing, renames)
    return nothing
end

# `check` for a call given the file `path` (see `_in_binding_words`).
@inline function check_file(rc::Cint, path::AbstractString)
    rc == 0 || _throw_status(rc, nothing, (), String(path))
    return nothing
end

"""
    status_name(s::SPStatus) -> String

The C name of a status, e.g. `"SP_ERR_ARGUMENT"` (from the library).
"""
status_name(s::SPStatus) = unsafe_string(sp_status_name(Integer(s)))

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

The loaded library's version string, e.g. `"0.3.0"`.
"""
version_string() = unsafe_string(sp_version_string())

# ---------------------------------------------------------------------------------------------
# The network handle

"""
    Network(; model=:lif, n, kwargs...)
    Network(W::SparseMatrixCSC; kwargs...)

A network owned by the library. It is freed by `close(net)` or, failing that, by the garbage
collector. Keyword arguments (defaults in brackets):

- `model` (`:lif`): `:lif`, `:qif`, `:eif` or `:custom`.
  - `:eif`: tau dV/dt = -V + I + D_T exp((V - V_T)/D_T), spike at +inf; the keywords
    `v_reset` (`0.0`), `v_t` (`1.0`), `delta_t` (`0.1`) and `v_spike` (`Inf`) are its
    parameters in the library's dimensionless convention (V_T and the reset where LIF's
    threshold and reset are; from millivolts with s = V_T - V_r: V' = (V - V_r)/s,
    D_T' = D_T/s, V_T' = 1, V_r' = 0, I' = (E_L - V_r + R I)/s, weights w/s). Needs
    I > V_T - D_T.
  - `:custom`: tau dV/dt = F(V) + I with `f` a Julia function `Float64 -> Float64`, reset
    `v_reset` and spike at `v_spike` (finite, or `Inf` when F blows up at least like V^2).
    `f` is called only while the network is created (or measured), from the calling task,
    never while it runs nor by `load` (saved networks carry the tables); it must not call
    SparseProp (the library is in the middle of that call). An exception thrown
    by `f` is caught at the C boundary (it never unwinds through the library): that call and
    every later one of the same constructor (or `memory`) return `NaN` without calling `f`
    again, and the constructor then throws a `SparsePropError` (`ERR_UNSUPPORTED`) naming
    the exception (a network the library made all the same is freed).
  Both are exact by phase tables built at creation, one per distinct drive (at most 64):
  `set_drive!` accepts only drives the network was created with.
- `n`: number of neurons (required unless `recurrent` or `inputs` gives it).
- `tau` (`0.01`): membrane time constant in seconds, > 0 (`0` is an `ArgumentError`, not the
  C default).
- `drive` (`0.0`): drive `I` of every neuron, or `drives`: a vector of `n` drives.
- recurrent synapses, one of
  - `recurrent`: an `n`×`n` `SparseMatrixCSC` `W`, `W[i, j]` = weight of the synapse from
    neuron `j` to neuron `i` (columns are sources, as in `W * x`); every stored entry is a
    synapse, an explicitly stored zero too. `Network(W; kwargs...)` is
    `Network(; recurrent = W, kwargs...)`.
  - explicit CSR by source: `row_ptr` (`n + 1` entries, starting at 1, non-decreasing),
    `targets` (`row_ptr[end] - 1` entries in `1:n`) and either `weights` (same length) or
    one shared `weight`.
  - procedural: `k` (`0`) distinct targets per neuron drawn from `seed` (`0`), all of weight
    `weight` (`0.0`).
- external input channels, wired the same ways: `inputs`, an `n`×`n_inputs` sparse matrix
  (`inputs[i, c]` = weight from channel `c` to neuron `i`); or `n_inputs` (`0`) with
  `input_row_ptr` (`n_inputs + 1` entries), `input_targets`, `input_weights`; or with
  `input_k`, `input_seed`, `input_weight`.
- `v0`: `n` initial voltages, or `nothing` for seeded random phases (`init_seed`, `0`).
- `t_ref` (`0.0`): absolute refractory period in seconds.
- `tau_syn` (`0.0`): LIF only, current-based synapses with this synaptic time constant in
  seconds (tau dV/dt = -V + I + J, tau_syn dJ/dt = -J, an input of weight w raising J by
  w tau/tau_syn); `0.0` gives delta synapses.
- `input_capacity` (`0`: the library default, 4096): queued input events.
- `frame` (`:auto`): `:auto`, `:phase` or `:time`.

Arguments the binding can check throw `ArgumentError` (a bad value, conflicting keywords) or
`DimensionMismatch` (an array of the wrong length, a matrix of the wrong size); what only the
library checks throws `SparsePropError`.
"""
mutable struct Network
    ptr::Ptr{Cvoid}
    # A replica's parent (kept alive: the replica reads its parameters), or nothing.
    parent::Union{Nothing,Network}
    # The rest is used on a parent only (see `_release`). The replicas made from this network,
    # closed before it is, and the lock that guards the list (`replica` may be called from
    # several threads).
    replicas::Vector{WeakRef}
    lock::ReentrantLock
    # Replicas whose handles are not destroyed yet, and this network's own handle once it was
    # released while some were (then the last of them destroys it).
    live::Threads.Atomic{Int}
    orphan::Threads.Atomic{UInt}

    # Takes ownership of a handle returned by the library.
    function Network(ptr::Ptr{Cvoid}, parent::Union{Nothing,Network} = nothing)
        ptr == C_NULL && throw(ArgumentError("Network: NULL handle"))
        net = new(ptr, parent, WeakRef[], ReentrantLock(), Threads.Atomic{Int}(0),
                  Threads.Atomic{UInt}(0))
        finalizer(_release, net)
        return net
    end
end

function Network(; kwargs...)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    try
        _with_desc(; kwargs...) do d
            check(sp_network_create(d, out))
        end
    catch
        # (Made although f threw: its tables came from NaN in place of f's values.)
        out[] == C_NULL || sp_network_destroy(out[])
        rethrow()
    end
    return Network(out[])
end

Network(W::SparseMatrixCSC; kwargs...) = Network(; recurrent = W, kwargs...)

"""
    close(net::Network)

Frees the network now. Idempotent; any later use of `net` throws an
`InvalidStateException` (state `:closed`), like a closed `Channel`.
"""
function Base.close(net::Network)
    if net.parent === nothing
        lock(net.lock) do
            for r in net.replicas
                v = r.value
                v === nothing || _release(v)
            end
            empty!(net.replicas)
        end
    end
    _release(net)
    return nothing
end

# Destroys net's handle (idempotent); the finalizer. The C library's rule is "destroy the
# replicas before their parent". `close` on a parent closes the replicas it can still reach
# first, but a replica the GC has already dropped from `replicas` (weak references are cleared
# before finalizers run) may not be finalized yet: the parent's handle is then left to the
# last such replica (`orphan`), through atomics, as finalizers may run on any thread. (A
# finalized parent has no reachable replica: each replica keeps its parent alive.)
function _release(net::Network)
    ptr = net.ptr
    ptr == C_NULL && return nothing
    net.ptr = C_NULL
    root = net.parent
    if root === nothing
        # Published before `live` is read, so that the last replica, which decrements `live`
        # before it takes `orphan`, cannot miss it; exactly one of the two destroys it.
        net.orphan[] = UInt(ptr)
        if net.live[] == 0 && Threads.atomic_cas!(net.orphan, UInt(ptr), UInt(0)) == UInt(ptr)
            sp_network_destroy(ptr)
        end
    else
        sp_network_destroy(ptr)
        if Threads.atomic_sub!(root.live, 1) == 1  # (returns the old value)
            orphan = Threads.atomic_xchg!(root.orphan, UInt(0))
            orphan == 0 || sp_network_destroy(Ptr{Cvoid}(orphan))
        end
    end
    return nothing
end

Base.isopen(net::Network) = net.ptr != C_NULL

# ccall converts a Network argument through this, keeping `net` rooted for the call.
function Base.unsafe_convert(::Type{Ptr{Cvoid}}, net::Network)
    ptr = net.ptr
    ptr == C_NULL && throw(InvalidStateException("the Network is closed", :closed))
    return ptr
end

function Base.show(io::IO, net::Network)
    if isopen(net)
        print(io, "SparseProp.Network(n = ", nneurons(net), ", frame = :",
              simulation_frame(net), ", t = ", now(net), ")")
    else
        print(io, "SparseProp.Network(closed)")
    end
    return nothing
end

"""
    copy(net::Network) -> Network

An independent network in the same state (through `save`/`load`): the same spikes from here
on. Like `sp_save`, it leaves out a recording in progress and the accumulated gradients (the
copy has neither).
"""
Base.copy(net::Network) = load(save(net))

# ---------------------------------------------------------------------------------------------
# Building the description

const _MODELS = (lif = 1, qif = 2, eif = 3, custom = 4)

# What the C callback of a custom model sees during one create (or memory) call: the Julia
# function, and the first exception it threw. An exception must not unwind through C: it is
# kept, that call and every later one return NaN without calling `f` again (a value that
# changed between the library's passes over F would make it refuse for the wrong reason), and
# `_with_desc` throws after the call.
mutable struct _Callback
    f::Any
    err::Any
end

# ctx is a rooted `_Callback`.
function _custom_trampoline(v::Cdouble, ctx::Ptr{Cvoid})::Cdouble
    cb = unsafe_pointer_to_objref(ctx)::_Callback
    cb.err === nothing || return NaN
    try
        return Float64(cb.f(v))
    catch e
        cb.err = e
        return NaN
    end
end

_callback_error(cb) = SparsePropError(ERR_UNSUPPORTED,
                                      "the custom model's f threw: " * sprint(showerror, cb.err))

# The sp_model_params of the keywords (EIF with any parameter given, custom), or nothing; and
# the Julia objects it points into (kept rooted by the caller).
function _model_params(model_code, v_reset, v_spike, delta_t, v_t, f)
    if model_code == _MODELS.eif
        f === nothing || throw(ArgumentError("f is for model = :custom (EIF has its own F)"))
        all(x -> x === nothing, (v_reset, v_spike, delta_t, v_t)) && return nothing, nothing
        mp = sp_model_params(UInt32(sizeof(sp_model_params)), UInt32(0),
                             Float64(something(v_reset, 0.0)), Float64(something(v_spike, Inf)),
                             Float64(something(delta_t, 0.1)), Float64(something(v_t, 1.0)),
                             C_NULL, C_NULL, C_NULL)
        return Ref(mp), nothing
    elseif model_code == _MODELS.custom
        f === nothing && return nothing, nothing   # (the library says what is missing)
        (delta_t === nothing && v_t === nothing) ||
            throw(ArgumentError("delta_t and v_t are EIF parameters"))
        fref = _Callback(f, nothing)
        cf = @cfunction(_custom_trampoline, Cdouble, (Cdouble, Ptr{Cvoid}))
        mp = sp_model_params(UInt32(sizeof(sp_model_params)), UInt32(0),
                             Float64(something(v_reset, 0.0)), Float64(something(v_spike, Inf)),
                             0.0, 0.0, cf, C_NULL, pointer_from_objref(fref))
        return Ref(mp), fref
    end
    all(x -> x === nothing, (v_reset, v_spike, delta_t, v_t, f)) ||
        throw(ArgumentError("v_reset, v_spike, delta_t, v_t and f are for model = :eif or " *
                            ":custom"))
    return nothing, nothing
end
const _FRAMES = (auto = 0, phase = 1, time = 2)
const _PARAMS = (weights = 1, input_weights = 2, drives = 3, v0 = 4)

function _lookup(table::NamedTuple, key::Symbol, what::String)
    haskey(table, key) ||
        throw(ArgumentError("$what = :$key; expected one of " *
                            join((":$k" for k in keys(table)), ", ")))
    return table[key]
end
_lookup(table::NamedTuple, key::Integer, what::String) = _u32(key, what)

function _u32(x::Integer, what::String)
    0 <= x <= typemax(UInt32) || throw(ArgumentError("$what = $x does not fit in a uint32"))
    return UInt32(x)
end

function _u64(x::Integer, what::String)
    0 <= x <= typemax(UInt64) || throw(ArgumentError("$what = $x does not fit in a uint64"))
    return UInt64(x)
end

_param(p::Symbol) = Cint(_lookup(_PARAMS, p, "parameter"))

# A Float64 vector of exactly `len` entries (the caller's own array when it already is one: the
# library reads it during the call only).
function _f64vec(x, len::Integer, what::String)
    x isa AbstractVector{<:Real} || throw(ArgumentError("$what must be a vector of reals"))
    length(x) == len ||
        throw(DimensionMismatch("$what has $(length(x)) entries, expected $len"))
    return x isa Vector{Float64} ? x : Vector{Float64}(x)
end

# 1-based CSR -> the library's 0-based arrays, checked so that C never reads past an array.
# `names` are the user's names of the three arrays, for the messages.
function _csr(row_ptr, targets, weights, n_src::Integer, n::Integer, names::NTuple{3,String})
    rname, tname, wname = names
    row_ptr isa AbstractVector{<:Integer} ||
        throw(ArgumentError("$rname must be a vector of integers"))
    targets isa AbstractVector{<:Integer} ||
        throw(ArgumentError("$tname must be a vector of integers"))
    length(row_ptr) == n_src + 1 ||
        throw(DimensionMismatch("$rname has $(length(row_ptr)) entries, expected $(n_src + 1)"))
    rp = Vector{UInt64}(undef, length(row_ptr))
    prev = 1
    for (j, r) in enumerate(row_ptr)
        if j == 1
            r == 1 || throw(ArgumentError("$rname[1] = $r, expected 1 (1-based offsets)"))
        elseif r < prev
            throw(ArgumentError("$rname[$j] = $r < $rname[$(j - 1)] = $prev"))
        end
        rp[j] = UInt64(r - 1)
        prev = r
    end
    nnz = Int(rp[end])
    length(targets) == nnz ||
        throw(DimensionMismatch("$tname has $(length(targets)) entries, " *
                                "expected $rname[end] - 1 = $nnz"))
    tg = Vector{UInt32}(undef, nnz)
    for (s, t) in enumerate(targets)
        1 <= t <= n || throw(ArgumentError("$tname[$s] = $t is not in 1:$n"))
        tg[s] = UInt32(t - 1)
    end
    w = weights === nothing ? nothing : _f64vec(weights, nnz, wname)
    return (rp, tg, w)
end

# W[i, j] = weight of the synapse from source j to neuron i: the columns of a SparseMatrixCSC
# are the sources, so colptr / rowval / nzval are CSR by source as they stand (1-based). Every
# stored entry is a synapse, an explicitly stored zero too (a weight that training can change).
function _csr(W::SparseMatrixCSC, n_src::Integer, n::Integer, name::String)
    size(W) == (n, n_src) ||
        throw(DimensionMismatch("$name is $(size(W, 1))×$(size(W, 2)), expected $n×$n_src " *
                                "(rows are target neurons, columns are sources)"))
    m = Int(W.colptr[end]) - 1
    0 <= m <= min(length(rowvals(W)), length(nonzeros(W))) ||
        throw(ArgumentError("$name: invalid SparseMatrixCSC (colptr[end] = $(W.colptr[end]))"))
    return _csr(W.colptr, view(rowvals(W), 1:m), view(nonzeros(W), 1:m), n_src, n,
                ("$name.colptr", "rowvals($name)", "nonzeros($name)"))
end

# One kind of synapses (recurrent, or inputs with pre = "input_"): a sparse matrix `W`, explicit
# CSR arrays, or procedural (k, seed, weight); arrays in the library's layout or `nothing`.
function _synapse_arrays(W, row_ptr, targets, weights, k::Integer, weight, n_src::Integer,
                         n::Integer, pre::String, wname::String)
    if W !== nothing
        row_ptr === nothing && targets === nothing && weights === nothing && k == 0 &&
            weight === nothing ||
            throw(ArgumentError("give $wname (a sparse matrix) or $(pre)row_ptr/" *
                                "$(pre)targets/$(pre)weights or $(pre)k/$(pre)weight, " *
                                "not both"))
        return _csr(W, n_src, n, wname)
    end
    if row_ptr === nothing
        targets === nothing ||
            throw(ArgumentError("$(pre)targets given without $(pre)row_ptr"))
        weights === nothing ||
            throw(ArgumentError("$(pre)weights given without $(pre)row_ptr"))
        return (nothing, nothing, nothing)
    end
    k == 0 ||
        throw(ArgumentError("give $(pre)row_ptr (explicit) or $(pre)k (procedural), not both"))
    targets === nothing && throw(ArgumentError("$(pre)row_ptr given without $(pre)targets"))
    weights === nothing || weight === nothing ||
        throw(ArgumentError("give $(pre)weights (per synapse) or $(pre)weight (shared), " *
                            "not both"))
    return _csr(row_ptr, targets, weights, n_src, n,
                ("$(pre)row_ptr", "$(pre)targets", "$(pre)weights"))
end

_ptr(::Type{T}, ::Nothing) where {T} = Ptr{T}(C_NULL)
_ptr(::Type{T}, x::Vector{T}) where {T} = pointer(x)

function _synapses(rp, tg, w, k::Integer, seed::Integer, weight, pre::String)
    return sp_synapses(_ptr(UInt64, rp), _ptr(UInt32, tg), _ptr(Cdouble, w),
                       _u32(k, "$(pre)k"), _u64(seed, "$(pre)seed"),
                       weight === nothing ? 0.0 : Float64(weight))
end

# The number of neurons: `n`, else the rows of the `recurrent` or `inputs` matrix.
function _neuron_count(n, recurrent, inputs)
    n === nothing || return n
    recurrent === nothing || return size(recurrent, 1)
    inputs === nothing || return size(inputs, 1)
    throw(ArgumentError("the number of neurons n is required " *
                        "(unless a recurrent or inputs matrix gives it)"))
end

# Builds an sp_network_desc from the keyword arguments and calls body(Ref(desc)) while every
# array it points into is rooted. (Not `f`: that keyword is the custom model's function, and
# Julia refuses a positional and a keyword argument of the same name.)
function _with_desc(body; model::Union{Symbol,Integer} = :lif, n::Union{Nothing,Integer} = nothing,
                    tau::Real = 0.01, drive::Union{Nothing,Real} = nothing, drives = nothing,
                    recurrent::Union{Nothing,SparseMatrixCSC} = nothing,
                    k::Integer = 0, seed::Integer = 0, weight::Union{Nothing,Real} = nothing,
                    row_ptr = nothing, targets = nothing, weights = nothing,
                    inputs::Union{Nothing,SparseMatrixCSC} = nothing,
                    n_inputs::Union{Nothing,Integer} = nothing, input_k::Integer = 0,
                    input_seed::Integer = 0, input_weight::Union{Nothing,Real} = nothing,
                    input_row_ptr = nothing, input_targets = nothing, input_weights = nothing,
                    v0 = nothing, init_seed::Integer = 0, t_ref::Real = 0.0,
                    tau_syn::Real = 0.0,
                    input_capacity::Integer = 0, frame::Union{Symbol,Integer} = :auto,
                    v_reset::Union{Nothing,Real} = nothing,
                    v_spike::Union{Nothing,Real} = nothing,
                    delta_t::Union{Nothing,Real} = nothing, v_t::Union{Nothing,Real} = nothing,
                    f = nothing)
    n = _neuron_count(n, recurrent, inputs)
    if inputs !== nothing
        n_inputs === nothing || n_inputs == size(inputs, 2) ||
            throw(DimensionMismatch("n_inputs = $n_inputs but the inputs matrix has " *
                                    "$(size(inputs, 2)) columns (one per channel)"))
        n_inputs = size(inputs, 2)
    end
    n_inputs = something(n_inputs, 0)
    n32 = _u32(n, "n")
    nin32 = _u32(n_inputs, "n_inputs")
    drive !== nothing && drives !== nothing &&
        throw(ArgumentError("give drive (shared) or drives (per neuron), not both"))
    # (The C description reads tau = 0 as its default, 0.01: a 0 given here is refused.)
    tau == 0 && throw(ArgumentError("tau = 0: must be > 0 (the default is 0.01)"))
    drives_c = drives === nothing ? nothing : _f64vec(drives, n, "drives")
    v0_c = v0 === nothing ? nothing : _f64vec(v0, n, "v0")
    rp, tg, w = _synapse_arrays(recurrent, row_ptr, targets, weights, k, weight, n, n, "",
                                "recurrent")
    irp, itg, iw = _synapse_arrays(inputs, input_row_ptr, input_targets, input_weights,
                                   input_k, input_weight, n_inputs, n, "input_", "inputs")
    # Fields are set by name on top of the library's defaults, so a field the header appends
    # later keeps its default value here.
    base = default_desc()
    model_code = _lookup(_MODELS, model, "model")
    mp, fref = _model_params(model_code, v_reset, v_spike, delta_t, v_t, f)
    # No `return` inside the preserved block: its value is the block's value.
    result = GC.@preserve drives_c v0_c rp tg w irp itg iw mp fref begin
        given = (struct_size = UInt32(sizeof(sp_network_desc)),
                 model = model_code,
                 n = n32,
                 tau = Float64(tau),
                 drive = drive === nothing ? 0.0 : Float64(drive),
                 drives = _ptr(Cdouble, drives_c),
                 recurrent = _synapses(rp, tg, w, k, seed, weight, ""),
                 n_inputs = nin32,
                 inputs = _synapses(irp, itg, iw, input_k, input_seed, input_weight, "input_"),
                 v0 = _ptr(Cdouble, v0_c),
                 init_seed = _u64(init_seed, "init_seed"),
                 t_ref = Float64(t_ref),
                 tau_syn = Float64(tau_syn),
                 input_capacity = _u32(input_capacity, "input_capacity"),
                 allocator = Ptr{sp_allocator}(C_NULL),
                 frame = _lookup(_FRAMES, frame, "frame"),
                 model_params = mp === nothing ? Ptr{sp_model_params}(C_NULL) :
                                Base.unsafe_convert(Ptr{sp_model_params}, mp))
        d = sp_network_desc((get(given, name, getfield(base, name))
                             for name in fieldnames(sp_network_desc))...)
        try
            body(Ref(d))
        catch
            # (f's own exception first: the library's refusal is its consequence.)
            fref isa _Callback && fref.err !== nothing && throw(_callback_error(fref))
            rethrow()
        end
    end
    fref isa _Callback && fref.err !== nothing && throw(_callback_error(fref))
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
    simulation_frame(net) -> Symbol

The event loop the network runs now: `:phase` (co-moving phase frame, all neurons share one
drive) or `:time` (spike times in the queue).
"""
function simulation_frame(net::Network)
    f = sp_network_frame(net)
    return f == 1 ? :phase : f == 2 ? :time : Symbol("frame", f)
end

"""
    now(net) -> Float64

The network's current time in seconds.
"""
now(net::Network) = sp_now(net)

function _neuron(i::Integer, net::Network)
    n = nneurons(net)
    1 <= i <= n || throw(ArgumentError("neuron $i is not in 1:$n"))
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
While recording, a full tape throws `ERR_CAPACITY` before the spike that would not fit; that
`SparsePropError`'s `spikes` holds the spikes processed until then, as for `ERR_NUMERIC` (a
neuron's second spike at one instant, the C header's `sp_step`).
"""
function run!(net::Network, t_end::Real; bufsize::Integer = 4096)
    bufsize >= 1 || throw(ArgumentError("bufsize = $bufsize, expected >= 1"))
    times = Float64[]
    neurons = Int[]
    buf = Vector{sp_spike}(undef, bufsize)
    count = Ref{Csize_t}(0)
    while true
        status = sp_run(net, t_end, buf, length(buf), count)
        # (A run stopped by the tape or a numeric refusal keeps the events it processed.)
        m = status in (Cint(OK), Cint(ERR_CAPACITY), Cint(ERR_NUMERIC)) ? Int(count[]) : 0
        for s in 1:m
            push!(times, buf[s].t)
            push!(neurons, Int(buf[s].neuron) + 1)
        end
        status == 0 || _throw_status(status, (times = times, neurons = neurons))
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
        throw(ArgumentError("channel $channel is not a valid 1-based index"))
    check(sp_input(net, UInt32(channel - 1), t))
    return net
end

"""
    input!(net, channels::AbstractVector, times::AbstractVector)

Queues many input events in one call (`sp_input_many`): `channels[e]` (1-based) at
`times[e]`, in this order (times in any order). All or nothing.
"""
function input!(net::Network, channels::AbstractVector{<:Integer},
                times::AbstractVector{<:Real})
    length(channels) == length(times) ||
        throw(DimensionMismatch("$(length(channels)) channels but $(length(times)) times"))
    all(c -> 1 <= c <= typemax(UInt32), channels) ||
        throw(ArgumentError("channels must be valid 1-based indices"))
    ch = UInt32[c - 1 for c in channels]
    ts = Float64[t for t in times]
    check(sp_input_many(net, ch, ts, length(ts)), (r"^n = " => "length(times) = ",))
    return net
end

"""
    run_until!(net, t_end, watch; max_spikes=nothing) -> (times, neurons, flags, completed)

Runs until every neuron in `watch` (1-based) has spiked once, or `t_end`: one call per sample
of a training loop. Stops right after the spike that completes the set; `completed` says
whether it did (otherwise `t_end` came first, which is not an error). `flags[s]` is 0 for an
ordinary spike, else `SP_SPIKE_TRIGGERED` (its time is the time of the event that kicked it
over threshold) possibly with `SP_SPIKE_INPUT_TRIGGERED` (that chain started at an input: no
gradient). The spike buffer grows as needed; with `max_spikes` (at least 1), `max_spikes`
spikes processed while the set is still incomplete throw `ERR_CAPACITY`, also when no further
spike would come before `t_end` (the library stops at the full buffer before it looks for the
next spike). A `SparsePropError` with `ERR_CAPACITY` (that limit, or a full
recording tape) or `ERR_NUMERIC` carries the spikes processed before it in `spikes`
`(times, neurons, flags)`.
"""
function run_until!(net::Network, t_end::Real, watch::AbstractVector{<:Integer};
                    max_spikes::Union{Nothing,Integer} = nothing)
    # (0 would pass a capacity of 0, which the library reads as "count only, never stop".)
    max_spikes === nothing || max_spikes >= 1 ||
        throw(ArgumentError("max_spikes = $max_spikes, expected >= 1"))
    remaining = unique(UInt32[_neuron(i, net) for i in watch])
    times = Float64[]
    neurons = Int[]
    flags = UInt32[]
    count = Ref{Csize_t}(0)
    size = 4096
    while true
        want = max_spikes === nothing ? size : min(size, max_spikes - length(times))
        buf = Vector{sp_spike}(undef, max(want, 1))
        status = sp_run_until(net, t_end, remaining, length(remaining), buf, want, count)
        m = status in (Cint(OK), Cint(ERR_CAPACITY), Cint(ERR_NUMERIC)) ? Int(count[]) : 0
        for s in 1:m
            push!(times, buf[s].t)
            push!(neurons, Int(buf[s].neuron) + 1)
            push!(flags, buf[s].flags)
        end
        # A full buffer (a full tape stops before it is full): go on with the neurons that
        # have not spiked yet.
        if status == Cint(ERR_CAPACITY) && m == want > 0 &&
           (max_spikes === nothing || length(times) < max_spikes)
            spiked = Set(UInt32(buf[s].neuron) for s in 1:m)
            filter!(i -> !(i in spiked), remaining)
            size = min(2 * size, 1 << 22)
            continue
        end
        # (The library's buffer is this call's last chunk, and its count of spikes that
        # chunk's: say the function's limit and total instead.)
        status == 0 ||
            _throw_status(status, (times = times, neurons = neurons, flags = flags),
                          (r"^buf is full \(cap = \d+\)" => "max_spikes = $max_spikes reached",
                           r"\bthe \d+ spikes are processed" =>
                               "the $(length(times)) spikes are processed (in this error's spikes)",
                           r"\bbuf\b" => "max_spikes", r"\bn_watch\b" => "length(watch)"))
        break
    end
    return (times = times, neurons = neurons, flags = flags, completed = now(net) < t_end)
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
    stride(v, 1) == 1 || throw(ArgumentError("voltages!: v must be contiguous"))
    n = nneurons(net)
    length(v) == n ||
        throw(DimensionMismatch("voltages!: v has $(length(v)) entries, expected $n"))
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
    getparams(net, p) -> Vector{Float64}

A copy of parameter `p`: `:weights` (recurrent, CSR order, i.e. the order of `nonzeros(W)`
for a network built from a sparse matrix `W`; one value when procedural or shared),
`:input_weights` (likewise), `:drives` (n) or `:v0` (n, the state `rewind!` returns to).
"""
function getparams(net::Network, p::Symbol)
    pc = _param(p)
    out = Vector{Float64}(undef, _count(net, pc))
    check(sp_get_params(net, pc, out, length(out)))
    return out
end

"""
    setparams!(net, p, values)

Replaces parameter `p` (see `getparams`); `values` must have the same length (else
`DimensionMismatch`).
"""
function setparams!(net::Network, p::Symbol, values::AbstractVector{<:Real})
    pc = _param(p)
    x = _f64vec(values, _count(net, pc), String(p))
    check(sp_set_params(net, pc, x, length(x)))
    return net
end

"""
    getgrads(net, p) -> Vector{Float64}

The accumulated gradient of the loss with respect to parameter `p` (same layout as
`getparams`).
"""
function getgrads(net::Network, p::Symbol)
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
    replica(net) -> Network

A network sharing `net`'s parameters (`sp_network_replica`): connectivity, weights, drives
and initial voltages are read from `net`, not copied; the replica has its own state, input
queue, tape and gradients. Run one replica per thread, sum their gradients into `net` with
`accumulate_grads!`, and change parameters on `net` only while no replica runs; a replica
picks them up at its next `rewind!` (before it, it throws `ERR_STATE`). `close(net)` closes
its replicas first, and the library's rule (replicas destroyed before their parent) holds
for finalizers too. `replica` may be called from several threads at once.
"""
function replica(net::Network)
    root = net.parent === nothing ? net : net.parent
    return lock(root.lock) do
        out = Ref{Ptr{Cvoid}}(C_NULL)
        check(sp_network_replica(net, out))
        Threads.atomic_add!(root.live, 1)
        r = Network(out[], root)
        # (Replicas collected or closed since leave their entries behind: dropped here, so a
        # parent that makes a replica per batch keeps a list of the live ones only.)
        filter!(w -> (v = w.value; v !== nothing && v.ptr != C_NULL), root.replicas)
        push!(root.replicas, WeakRef(r))
        r
    end
end

"""
    accumulate_grads!(dst, src)

Adds `src`'s accumulated gradients to `dst`'s; they must share parameters (a replica and its
parent, or two replicas of one parent).
"""
function accumulate_grads!(dst::Network, src::Network)
    check(sp_grads_accumulate(dst, src))
    return dst
end

"""
    record!(net, max_spikes)

Starts recording from `now(net)` for a backward pass; running past `max_spikes` recorded
spikes fails with `ERR_CAPACITY`.
"""
function record!(net::Network, max_spikes::Integer)
    max_spikes >= 1 || throw(ArgumentError("max_spikes = $max_spikes, expected >= 1"))
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
        check(sp_backward(net, pointer(g), length(g), _ptr(Cdouble, gv)),
              (r"\bn_spikes\b" => "length(dl_dt)",))
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
    check_file(sp_save_file(net, path), path)
    return path
end

"""
    loadfile(path) -> Network

Reads a network written by `savefile` (or `save`).
"""
function loadfile(path::AbstractString)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    check_file(sp_load_file(path, out), path)
    return Network(out[])
end

save(path::AbstractString, net::Network) = savefile(path, net)
load(path::AbstractString) = loadfile(path)

"""
    write(io::IO, net::Network) -> Int

Writes the bytes of `save(net)` to `io` and returns their number. The bytes say their own
length, so several networks (or other data) can follow each other in one stream; Base's
`write(filename, net)` works too.
"""
Base.write(io::IO, net::Network) = write(io, save(net))

# The saved format starts with 8 bytes of magic, a u32 version, a u32 reserved field and the
# payload length P (u64, little-endian); P payload bytes and an 8-byte checksum follow.
const _HEADER_BYTES = 24
const _CHECKSUM_BYTES = 8
const _MAGIC = (0x53, 0x50, 0x4e, 0x45, 0x54, 0x57, 0x4b, 0x1a)   # "SPNETWK" 0x1a

"""
    read(io::IO, Network) -> Network

Reads one network written by `write(io, net)` (or `save`, `savefile`): exactly its bytes,
so that whatever follows in `io` is left there. A stream that ends inside the network throws
`EOFError`; bytes that are not a saved network throw the `SparsePropError` (`ERR_FORMAT`) of
`load`. `read(filename, Network)` works too.
"""
function Base.read(io::IO, ::Type{Network})
    header = read(io, _HEADER_BYTES)
    length(header) == _HEADER_BYTES || throw(EOFError())
    # Not a saved network: let the library say so (the same error as load), rather than trust
    # a length field that means nothing.
    all(i -> header[i] == _MAGIC[i], 1:length(_MAGIC)) || return load(header)
    payload = UInt64(0)
    for i in _HEADER_BYTES:-1:(_HEADER_BYTES - 7)
        payload = (payload << 8) | header[i]
    end
    payload <= typemax(Int) - _HEADER_BYTES - _CHECKSUM_BYTES || return load(header)
    bytes = header
    remaining = Int(payload) + _CHECKSUM_BYTES
    # In pieces, so that a corrupted length cannot make us allocate more than the stream holds.
    while remaining > 0
        piece = read(io, min(remaining, 1 << 20))
        isempty(piece) && throw(EOFError())
        append!(bytes, piece)
        remaining -= length(piece)
    end
    return load(bytes)
end

# ---------------------------------------------------------------------------------------------
# Old names (before 0.2): deprecated. The ones that clash with other packages' exports (params,
# frame, Status) are no longer exported; call them qualified, e.g. `SparseProp.params`.

Base.@deprecate_binding Status SPStatus false
@deprecate params(net::Network, p::Symbol) getparams(net, p) false
@deprecate frame(net::Network) simulation_frame(net) false
@deprecate(set_params!(net::Network, p::Symbol, values::AbstractVector{<:Real}),
           setparams!(net, p, values))
@deprecate grads(net::Network, p::Symbol) getgrads(net, p)

end # module
