# Tests of SparseProp.jl against the real library (set SPARSEPROP_LIB to its path, e.g.
# build/src/libsparseprop.so). Run with: julia --project=bindings/julia/SparseProp -e
# 'using Pkg; Pkg.test()'.

using Test
using SparseArrays
using SparseProp

const SP = SparseProp

# The status of the SparsePropError f() throws (the library refused), or OK. Anything else
# thrown, e.g. the binding's own ArgumentError, fails the test.
function status_of(f)
    try
        f()
    catch e
        e isa SparsePropError && return e.status
        rethrow()
    end
    return SP.OK
end

# The message of the SparsePropError f() throws.
function message_of(f)
    try
        f()
    catch e
        e isa SparsePropError && return e.message
        rethrow()
    end
    return ""
end

# The paper's balanced LIF network (src/ARCHITECTURE.md, Benchmarks): I = 1 + tau sqrt(K) J0 nu,
# w = -J0 / sqrt(K), K = 100, tau = 10 ms; stationary rate about 3.4 Hz.
function balanced(; n, K = 100, tau = 0.01, J0 = 1.0, nu = 1.0, seed = 1, init_seed = 2,
                  frame = :auto)
    return Network(; model = :lif, n = n, tau = tau, drive = 1 + tau * sqrt(K) * J0 * nu,
                   k = K, seed = seed, weight = -J0 / sqrt(K), init_seed = init_seed,
                   frame = frame)
end

# Fail early, with a hint, when the library cannot be loaded.
try
    SP.version()
catch e
    error("cannot call libsparseprop (\"$(SP.libsparseprop())\"); set SPARSEPROP_LIB (or " *
          "SparseProp.set_library!) to the built library, e.g. build/src/libsparseprop.so: " *
          sprint(showerror, e))
end

@testset "SparseProp.jl" begin

@testset "struct layouts match the C header" begin
    # offsetof()/sizeof() measured with the C compiler on LP64 Linux (see src/capi.jl).
    offsets(T) = [Int(fieldoffset(T, i)) for i in 1:fieldcount(T)]
    @test isbitstype(SP.sp_network_desc)
    @test sizeof(SP.sp_synapses) == 48
    @test offsets(SP.sp_synapses) == [0, 8, 16, 24, 32, 40]
    @test sizeof(SP.sp_allocator) == 24
    @test offsets(SP.sp_allocator) == [0, 8, 16]
    @test sizeof(SP.sp_network_desc) == 208
    @test offsets(SP.sp_network_desc) ==
          [0, 4, 8, 16, 24, 32, 40, 88, 96, 144, 152, 160, 168, 176, 184, 188, 192, 200]
    @test fieldnames(SP.sp_network_desc) ==
          (:struct_size, :model, :n, :tau, :drive, :drives, :recurrent, :n_inputs, :inputs,
           :v0, :init_seed, :t_ref, :input_capacity, :allocator, :frame, :reserved, :tau_syn,
           :model_params)
    # No end padding: the last field ends at the struct's end (header's layout rule).
    @test fieldoffset(SP.sp_network_desc, 18) + 8 == sizeof(SP.sp_network_desc)
    @test SP.SP_NETWORK_DESC_SIZE_V1 == fieldoffset(SP.sp_network_desc, 17)
    @test SP.SP_NETWORK_DESC_SIZE_V2 == sizeof(SP.sp_network_desc)
    @test SP.SP_NETWORK_DESC_SIZE_MIN == fieldoffset(SP.sp_network_desc, 15)
    @test sizeof(SP.sp_spike) == 16
    @test offsets(SP.sp_spike) == [0, 8, 12]
end

@testset "version and defaults" begin
    v = SP.version()
    @test v.major == 0 && v.minor >= 1
    @test SP.version_string() == string(v)
    @test SP.status_name(SP.ERR_ARGUMENT) == "SP_ERR_ARGUMENT"
    @test SP.status_name(SP.OK) == "SP_OK"
    for s in instances(SPStatus)                       # the Julia values are the C values
        @test SP.status_name(s) == "SP_" * string(s)
    end
    d = SP.default_desc()
    @test d.struct_size == sizeof(SP.sp_network_desc)
    @test d.drives == C_NULL && d.v0 == C_NULL && d.allocator == C_NULL
    @test SP.memory(n = 100, drive = 1.1, k = 10, weight = -0.1) > 0
end

@testset "balanced LIF network rate" begin
    n = 4000
    net = balanced(n = n)
    @test simulation_frame(net) in (:phase, :time)
    @test nneurons(net) == n
    advance!(net, 1.0)                      # burn-in
    T = 4.0
    times, neurons = run!(net, 1.0 + T)
    rate = length(times) / (n * T)
    @test 2.5 < rate < 4.5                  # about 3.4 Hz
    @test issorted(times)
    @test all(t -> 1.0 <= t < 1.0 + T, times)
    @test all(i -> 1 <= i <= n, neurons)    # 1-based
    @test SP.now(net) == 1.0 + T
    close(net)
end

@testset "step! and run! agree" begin
    T = 0.2
    a = balanced(n = 200)
    b = balanced(n = 200)
    c = balanced(n = 200)
    ra = run!(a, T; bufsize = 7)            # many refills of a small buffer
    rc = run!(c, T)
    st = Float64[]
    sn = Int[]
    while true
        s = step!(b)
        s.t < T || break
        push!(st, s.t)
        push!(sn, s.neuron)
    end
    @test length(ra.times) > 20
    @test st == ra.times                    # bit-identical: results are deterministic
    @test sn == ra.neurons
    @test rc.times == ra.times && rc.neurons == ra.neurons
    d = balanced(n = 200)
    @test advance!(d, T) == length(ra.times)
    v = voltages(a)
    @test length(v) == 200
    @test v[17] ≈ voltage(a, 17)
    w = zeros(200)
    @test voltages!(w, a) === w && w == v
    @test all(x -> x <= 1.0, v)
    rewind!(a)
    @test SP.now(a) == 0.0
    @test run!(a, T).neurons == ra.neurons
end

@testset "phase and time frames agree" begin
    kw = (n = 300, tau = 0.01, drive = 1.1, k = 30, seed = 5, weight = -0.05, init_seed = 9)
    p = Network(; kw..., frame = :phase)
    t = Network(; kw..., frame = :time)
    @test simulation_frame(p) == :phase
    @test simulation_frame(t) == :time
    rp = run!(p, 0.3)
    rt = run!(t, 0.3)
    @test length(rp.times) > 20
    @test rp.neurons == rt.neurons
    @test length(rp.times) == length(rt.times) && isapprox(rp.times, rt.times; rtol = 1e-10)
    set_drive!(p, 1, 1.3)                   # drives now differ: time frame
    @test simulation_frame(p) == :time
end

@testset "external inputs" begin
    # Three quiet neurons (drive 0.5 never reaches threshold 1); channel 1 -> neuron 2
    # (weight 1.5), channel 2 -> neuron 1 (weight 0.1).
    net = Network(n = 3, drive = 0.5, v0 = zeros(3), n_inputs = 2,
                  input_row_ptr = [1, 2, 3], input_targets = [2, 1],
                  input_weights = [1.5, 0.1])
    @test getparams(net, :input_weights) == [1.5, 0.1]
    @test status_of(() -> step!(net)) == SP.ERR_STATE      # nothing will ever happen
    input!(net, 2, 0.005)
    input!(net, 1, 0.01)
    s = step!(net)
    @test s.neuron == 2
    @test s.t == 0.01
    @test SP.now(net) == 0.01
    # Neuron 1 got +0.1 at 5 ms: above the free solution 0.5 (1 - exp(-t/tau)).
    @test voltage(net, 1) > 0.5 * (1 - exp(-1.0))
    @test isapprox(voltage(net, 2), 0.0; atol = 1e-12)        # just reset
    @test status_of(() -> input!(net, 3, 0.02)) == SP.ERR_ARGUMENT   # no channel 3 (C)
    @test_throws ArgumentError input!(net, 0, 0.02)                    # 1-based (binding)
    @test status_of(() -> input!(net, 1, 0.001)) == SP.ERR_ARGUMENT  # in the past
end

@testset "errors" begin
    err = try
        Network(n = 0, drive = 1.5)
        nothing
    catch e
        e
    end
    @test err isa SparsePropError
    @test err.status == SP.ERR_ARGUMENT
    @test !isempty(err.message)
    @test occursin("SP_ERR_ARGUMENT", sprint(showerror, err))

    # Rejected by the binding (Base exceptions), before the library could read past an array.
    @test_throws ArgumentError Network(n = -1)
    @test_throws ArgumentError Network(drive = 1.5)                     # no n, no matrix
    @test_throws DimensionMismatch Network(n = 3, drives = [1.5, 1.5])
    @test_throws DimensionMismatch Network(n = 3, drive = 1.5, v0 = zeros(4))
    @test_throws ArgumentError Network(n = 3, drive = 1.5, drives = ones(3))
    @test_throws ArgumentError Network(n = 3, drive = 1.5, tau = 0.0)   # not the C default
    @test_throws ArgumentError Network(n = 3, drive = 1.5, model = :nope)
    @test_throws ArgumentError Network(n = 3, drive = 1.5, frame = :nope)
    @test_throws DimensionMismatch Network(n = 2, drive = 1.5, row_ptr = [1, 2, 3],
                                           targets = [2])
    @test_throws DimensionMismatch Network(n = 2, drive = 1.5, row_ptr = [1, 2],
                                           targets = [2])
    @test_throws DimensionMismatch Network(n = 2, drive = 1.5, row_ptr = [1, 2, 3],
                                           targets = [2, 1], weights = [0.1])
    @test_throws ArgumentError Network(n = 2, drive = 1.5, row_ptr = [1, 2, 3],
                                       targets = [2, 3])
    @test_throws ArgumentError Network(n = 2, drive = 1.5, row_ptr = [0, 1, 2],
                                       targets = [1, 0])
    @test_throws ArgumentError Network(n = 2, drive = 1.5, row_ptr = [1, 3, 2],
                                       targets = [2, 1])
    @test_throws ArgumentError Network(n = 2, drive = 1.5, targets = [2, 1])
    @test_throws ArgumentError Network(n = 2, drive = 1.5, weights = [0.1, 0.2])
    @test_throws ArgumentError Network(n = 2, drive = 1.5, row_ptr = [1, 2, 3])
    @test_throws ArgumentError Network(n = 2, drive = 1.5, row_ptr = [1.0, 2.0, 3.0],
                                       targets = [2, 1])
    @test_throws ArgumentError Network(n = 2, drive = 1.5, row_ptr = [1, 2, 3],
                                       targets = [2, 1], weights = ["a", "b"])
    @test_throws ArgumentError Network(n = 2^33, drive = 1.5)           # not a uint32
    @test_throws ArgumentError Network(n = 2, drive = 1.5, k = 1, seed = -1)
    @test_throws ArgumentError Network(n = 2, drive = 1.5, init_seed = -1)
    @test_throws ArgumentError Network(n = 2, drive = 1.5, n_inputs = 1,
                                       input_targets = [1])             # no input_row_ptr
    @test_throws DimensionMismatch Network(n = 2, drive = 1.5, n_inputs = 1,
                                           input_row_ptr = [1, 2], input_targets = [1, 2])
    @test_throws ArgumentError Network(n = 2, drive = 1.5, k = 1, row_ptr = [1, 2, 3],
                                       targets = [2, 1])
    @test_throws ArgumentError Network(n = 2, drive = 1.5, row_ptr = [1, 2, 3],
                                       targets = [2, 1], weights = [0.1, 0.2], weight = 0.1)
    # Rejected by the library.
    @test status_of(() -> Network(n = 3, model = :qif, drive = -0.5)) == SP.ERR_UNSUPPORTED
    # EIF with the defaults (V_T = 1, D_T = 0.1) needs I > 0.9; a custom model needs f.
    @test status_of(() -> Network(n = 3, model = :eif, drive = 0.8)) == SP.ERR_UNSUPPORTED
    @test status_of(() -> Network(n = 3, model = :custom, drive = 1.5)) == SP.ERR_ARGUMENT
    @test status_of(() -> Network(n = 3, model = :custom, drive = 1.5, v_spike = 1.0,
                                  f = v -> v > 0.5 ? error("undefined") : -v)) ==
          SP.ERR_UNSUPPORTED
    @test status_of(() -> Network(n = 3, drive = NaN)) == SP.ERR_ARGUMENT
    @test status_of(() -> Network(n = 3, drive = 1.5, tau = -1.0)) == SP.ERR_ARGUMENT

    net = Network(n = 3, drive = 1.5, n_inputs = 1, input_k = 1, input_weight = 0.1,
                  input_capacity = 2)
    @test_throws DimensionMismatch voltages!(zeros(2), net)
    @test_throws ArgumentError voltages!(view(zeros(6), 1:2:6), net)   # not contiguous
    @test_throws ArgumentError voltage(net, 4)
    @test_throws ArgumentError voltage(net, 0)
    @test_throws ArgumentError set_drive!(net, 4, 1.2)
    @test_throws ArgumentError getparams(net, :bogus)
    @test_throws DimensionMismatch setparams!(net, :drives, ones(2))
    @test_throws ArgumentError record!(net, -1)
    @test_throws ArgumentError record!(net, 0)                          # the tape needs room
    @test_throws ArgumentError run!(net, 0.01; bufsize = 0)
    @test getparams(net, :drives) == fill(1.5, 3)                        # all left unchanged
    @test SP.now(net) == 0.0
    @test status_of(() -> backward!(net, Float64[])) == SP.ERR_STATE   # nothing recorded
    # The library's message names the C function; the binding gives its own.
    @test occursin("call record! before running", message_of(() -> backward!(net, Float64[])))
    let parent = Network(n = 3, drive = 1.2), r = replica(parent)
        setparams!(parent, :drives, fill(1.3, 3))
        @test occursin("call rewind! on it first", message_of(() -> run!(r, 0.01)))
    end
    # C fields and constants: the keywords and symbols; neurons and elements counted from 1.
    @test startswith(message_of(() -> Network(n = 3, model = :eif, drive = 1.2, v_spike = -1.0)),
                     "v_spike = -1: ")
    @test startswith(message_of(() -> Network(n = 3, drives = [1.1, 1.2, 1.3], frame = :phase)),
                     "frame = :phase: ")
    @test startswith(message_of(() -> setparams!(Network(n = 3, drive = 1.2), :drives,
                                                 [1.2, 1.2, NaN])), ":drives[3] = nan: ")
    @test SP._in_binding_words("model = SP_MODEL_CUSTOM: needs model_params (sp_run_until)") ==
          "model = :custom: needs the model parameters (run_until!)"
    @test SP._in_binding_words("times[0] = 0.5: neuron 9's v0[10]; 2^-40") ==
          "times[1] = 0.5: neuron 10's v0[11]; 2^-40"
    @test SP._in_binding_words("channels[1] = 3: must be less than n_inputs = 3") ==
          "channels[2] = 4: must be at most n_inputs = 3"
    @test SP._in_binding_words("cannot open for reading (x): '/d/sp_load/net[0].bin'") ==
          "cannot open for reading (x): '/d/sp_load/net[0].bin'"     # the caller's path
    # ...also cut short by the library's message buffer, given the call's path.
    @test SP._in_binding_words("cannot open (x): '/d/sp_load/ne", (), "/d/sp_load/net.bin") ==
          "cannot open (x): '/d/sp_load/ne"
    let long = "/nonexistent-dir/sp_record/" * "d"^600 * "/net.bin"
        @test occursin("/sp_record/", message_of(() -> loadfile(long)))
    end
    let net = Network(n = 3, drive = 1.2, n_inputs = 2, input_k = 1, input_weight = 0.1)
        @test startswith(message_of(() -> input!(net, 3, 0.5)), "channel = 3: must be at most ")
    end
    # The C function's parameters: the function's arguments.
    @test startswith(message_of(() -> input!(net, [1, 1, 1], [0.1, 0.2, 0.3])),
                     "length(times) = 3: the input queue has room for 2 more events")
    @test SP._in_binding_words("n = 3: room (n_inputs = 1)", (r"^n = " => "length(times) = ",)) ==
          "length(times) = 3: room (n_inputs = 1)"
    let parent = Network(n = 3, drive = 1.2)
        @test startswith(message_of(() -> setparams!(replica(parent), :drives, fill(1.3, 3))),
                         "this network is a replica: ")
        @test startswith(message_of(() -> run_until!(parent, 1.0, Int[])), "length(watch) = 0: ")
        record!(parent, 100)
        ts = first(run!(parent, 0.01))
        @test message_of(() -> backward!(parent, ones(length(ts) + 1))) ==
              "length(dl_dt) = $(length(ts) + 1): $(length(ts)) spikes were recorded"
    end
    let mixed = Network(n = 50, drives = [0.5; fill(5.0, 49)])
        # (Beyond the binding's first chunk of the spike buffer: the limit and the total.)
        @test message_of(() -> run_until!(mixed, 10.0, [1]; max_spikes = 5000)) ==
              "max_spikes = 5000 reached and 1 watched neurons have not spiked yet: the 5000 " *
              "spikes are processed (in this error's spikes); call again, or pass a larger " *
              "max_spikes"
    end
    input!(net, 1, 0.001)
    input!(net, 1, 0.002)
    @test status_of(() -> input!(net, 1, 0.003)) == SP.ERR_CAPACITY
    @test status_of(() -> SP.load(UInt8[1, 2, 3])) == SP.ERR_FORMAT
    @test status_of(() -> loadfile(joinpath(mktempdir(), "missing.sp"))) == SP.ERR_IO
    advance!(net, 0.1)
    @test status_of(() -> run!(net, 0.05)) == SP.ERR_ARGUMENT          # before now()
    @test SP.now(net) == 0.1                                            # unchanged
end

@testset "EIF and custom models" begin
    net = Network(n = 200, model = :eif, drive = 1.1, k = 20, seed = 1, weight = -0.1,
                  init_seed = 3)
    times, neurons = run!(net, 0.5)
    @test length(times) > 50
    # F = -V with threshold 1 is LIF (times within 1e-12).
    lif = Network(n = 200, drive = 1.1, k = 20, seed = 1, weight = -0.1, init_seed = 3)
    cus = Network(n = 200, model = :custom, f = v -> -v, v_reset = 0.0, v_spike = 1.0,
                  drive = 1.1, k = 20, seed = 1, weight = -0.1, init_seed = 3)
    (ta, na), (tb, nb) = run!(lif, 0.5), run!(cus, 0.5)
    @test na == nb
    @test all(abs.(ta .- tb) .<= 1e-12 .* max.(ta, 0.01))
    # Saved with its tables: loads and continues without the function.
    c = SP.load(SP.save(cus))
    @test run!(c, 0.8) == run!(cus, 0.8)
    close(net); close(lif); close(cus); close(c)
    # f throwing at one call only, anywhere in the library's passes over it: always refused,
    # naming the exception (the first versions could make the network, or crash).
    calls = Ref(0)
    Network(n = 6, model = :custom, f = v -> (calls[] += 1; -v), v_spike = 1.0, drive = 1.2)
    total = calls[]
    for odd in 1:97:total
        count = Ref(0)
        g = v -> (count[] += 1; count[] == odd ? error("odd call $odd") : -v)
        e = try
            Network(n = 6, model = :custom, f = g, v_spike = 1.0, drive = 1.2)
            nothing
        catch err
            err
        end
        @test e isa SparsePropError && e.status == SP.ERR_UNSUPPORTED &&
              occursin("odd call $odd", e.message)
    end
end

@testset "close is idempotent" begin
    net = Network(n = 10, drive = 1.5)
    @test isopen(net)
    close(net)
    @test !isopen(net)
    @test net.ptr == C_NULL
    close(net)                                      # again: nothing happens
    @test !isopen(net)
    @test_throws InvalidStateException step!(net)
    @test_throws InvalidStateException SP.now(net)
    @test occursin("closed", sprint(show, net))
    other = Network(n = 10, drive = 1.5)
    finalize(other)                                 # what the GC would do
    @test !isopen(other)
    close(other)
end

@testset "from a SparseMatrixCSC" begin
    # 6 neurons, synapses given as (source, target, weight) triples, self-connection and a
    # stored zero included. The reference network gets the CSR built here from the triples
    # (sorted by source, then target: the order a SparseMatrixCSC stores them in).
    n = 6
    syn = [(1, 2, 0.08), (1, 5, -0.05), (2, 2, 0.04), (3, 1, -0.06), (3, 6, 0.07),
           (5, 4, 0.0), (6, 3, 0.05), (6, 1, -0.02)]
    sort!(syn; by = s -> (s[1], s[2]))
    row_ptr = [1 + count(s -> s[1] < j, syn) for j in 1:n+1]
    targets = [s[2] for s in syn]
    weights = [s[3] for s in syn]
    W = sparse([s[2] for s in syn], [s[1] for s in syn], weights, n, n)   # W[target, source]
    @test nnz(W) == length(syn)                                           # the zero is stored
    drives = [1.5, 1.3, 1.2, 1.4, 1.25, 1.35]
    v0 = [0.1, 0.5, 0.3, 0.7, 0.2, 0.9]
    a = Network(W; drives, v0)
    b = Network(; n, drives, v0, row_ptr, targets, weights)
    c = Network(; recurrent = W, drives, v0)
    @test nneurons(a) == n
    @test getparams(a, :weights) == weights                    # CSR order = nonzeros(W)
    @test getparams(a, :weights) == nonzeros(W)
    ra = run!(a, 0.1)
    rb = run!(b, 0.1)
    rc = run!(c, 0.1)
    @test length(ra.times) > 10
    @test ra.times == rb.times && ra.neurons == rb.neurons     # the same network
    @test rc.times == ra.times && rc.neurons == ra.neurons

    # Input channels: channel 1 -> neuron 2 (1.5), channel 2 -> neuron 1 (0.1), as in
    # "external inputs" above; three quiet neurons.
    Win = sparse([2, 1], [1, 2], [1.5, 0.1], 3, 2)             # Win[neuron, channel]
    net = Network(; n = 3, drive = 0.5, v0 = zeros(3), inputs = Win)
    @test getparams(net, :input_weights) == [1.5, 0.1]
    input!(net, 2, 0.005)
    input!(net, 1, 0.01)
    s = step!(net)
    @test s.neuron == 2 && s.t == 0.01
    @test status_of(() -> input!(net, 3, 0.02)) == SP.ERR_ARGUMENT      # 2 channels only
    # Recurrent and inputs together; n from the matrices.
    both = Network(sparse([2, 3, 1], [1, 2, 3], [0.1, 0.1, 0.1], 3, 3); drive = 0.5,
                   v0 = zeros(3), inputs = Win)
    @test nneurons(both) == 3
    @test getparams(both, :weights) == [0.1, 0.1, 0.1]

    @test_throws DimensionMismatch Network(sprandn(4, 5, 0.5); drive = 1.5)   # not square
    @test_throws DimensionMismatch Network(W; n = n + 1, drive = 1.5)
    @test_throws DimensionMismatch Network(; n = 4, drive = 0.5, inputs = Win)  # 3 rows
    @test_throws DimensionMismatch Network(; n = 3, drive = 0.5, inputs = Win, n_inputs = 3)
    @test_throws ArgumentError Network(W; drive = 1.5, row_ptr, targets)
    @test_throws ArgumentError Network(W; drive = 1.5, k = 2)
    @test_throws ArgumentError Network(W; drive = 1.5, weight = 0.1)
    @test_throws ArgumentError Network(; n = 3, drive = 0.5, inputs = Win, input_k = 1)
    @test_throws ArgumentError Network(; n = 3, drive = 0.5, inputs = Win,
                                       input_row_ptr = [1, 2, 3], input_targets = [2, 1])
    @test_throws ArgumentError Network(; n = 3, drive = 0.5, inputs = Win, input_weight = 0.1)
    @test_throws ArgumentError Network(sparse([1], [1], [1.0 + 2.0im], 2, 2); drive = 1.5)
end

@testset "save and load" begin
    a = balanced(n = 300)
    advance!(a, 0.1)
    bytes = SP.save(a)
    @test bytes isa Vector{UInt8}
    @test !isempty(bytes)
    b = SP.load(bytes)
    @test SP.now(b) == SP.now(a)
    @test voltages(b) == voltages(a)
    path = joinpath(mktempdir(), "net.sp")
    @test savefile(path, a) == path
    c = loadfile(path)
    d = copy(a)
    ra = run!(a, 0.3)
    @test length(ra.times) > 20
    for x in (b, c, d)
        r = run!(x, 0.3)
        @test r.times == ra.times           # continues bit-identically
        @test r.neurons == ra.neurons
    end
    corrupt = copy(bytes)
    corrupt[end ÷ 2] ⊻= 0xff
    @test status_of(() -> SP.load(corrupt)) == SP.ERR_FORMAT
    @test status_of(() -> SP.load(bytes[1:end-1])) == SP.ERR_FORMAT
end

@testset "read and write" begin
    a = balanced(n = 300)
    advance!(a, 0.1)
    b = Network(n = 5, drive = 1.2, k = 2, seed = 3, weight = 0.05)
    bytes_a = SP.save(a)
    # Two networks and some trailing data in one stream: read takes exactly its bytes.
    out = IOBuffer()
    @test write(out, a) == length(bytes_a)
    @test write(out, b) == length(SP.save(b))
    write(out, "tail")
    stream = take!(out)
    @test stream[1:length(bytes_a)] == bytes_a                  # the bytes of save
    io = IOBuffer(stream)
    a2 = read(io, Network)
    b2 = read(io, Network)
    @test read(io, String) == "tail"
    @test nneurons(b2) == 5 && getparams(b2, :weights) == [0.05]
    path = joinpath(mktempdir(), "net.sp")
    @test write(path, a) == length(bytes_a)                     # Base's write(filename, x)
    a3 = read(path, Network)
    a4 = loadfile(path)                                         # the same format
    ra = run!(a, 0.3)
    @test length(ra.times) > 20
    for x in (a2, a3, a4)
        r = run!(x, 0.3)
        @test r.times == ra.times && r.neurons == ra.neurons   # continues bit-identically
    end
    # A stream that ends inside a network; bytes that are not one.
    @test_throws EOFError read(IOBuffer(bytes_a[1:end-1]), Network)
    @test_throws EOFError read(IOBuffer(bytes_a[1:10]), Network)
    @test_throws EOFError read(IOBuffer(UInt8[]), Network)
    @test status_of(() -> read(IOBuffer(zeros(UInt8, 64)), Network)) == SP.ERR_FORMAT
    corrupt = copy(bytes_a)
    corrupt[end ÷ 2] ⊻= 0xff
    @test status_of(() -> read(IOBuffer(corrupt), Network)) == SP.ERR_FORMAT
end

@testset "library location" begin
    # SPARSEPROP_LIB wins and is made absolute (the ccalls may run from another directory).
    withenv("SPARSEPROP_LIB" => "some/dir/libsparseprop.so") do
        @test SP._library_path() == abspath("some/dir/libsparseprop.so")
    end
    withenv("SPARSEPROP_LIB" => "libsparseprop.so.0") do       # a bare name: search path
        @test SP._library_path() == "libsparseprop.so.0"
    end
    @test SP.libsparseprop() == SP._LIBPATH[]
    @test_throws ArgumentError SP.set_library!(joinpath(mktempdir(), "missing.so"))
    @test_throws ArgumentError SP.set_library!("")
end

@testset "deprecated names" begin
    net = Network(n = 4, drives = [1.5, 1.3, 1.2, 1.4], v0 = [0.1, 0.5, 0.3, 0.7])
    zero_grads!(net)
    @test (@test_deprecated SP.params(net, :drives)) == [1.5, 1.3, 1.2, 1.4]
    @test (@test_deprecated SP.frame(net)) == simulation_frame(net)
    @test (@test_deprecated SP.set_params!(net, :v0, zeros(4))) === net
    @test getparams(net, :v0) == zeros(4)
    @test (@test_deprecated SP.grads(net, :drives)) == zeros(4)
    # The clashing names are no longer exported.
    @test !(:params in names(SparseProp)) && !(:frame in names(SparseProp))
    @test !(:Status in names(SparseProp))
    @test :getparams in names(SparseProp) && :SPStatus in names(SparseProp)
end

@testset "gradients match finite differences" begin
    # Four oscillatory neurons with different drives (time frame), explicit 1-based CSR with
    # mixed-sign weights, fixed initial voltages. L = sum of spike times in [0, T) + sum of the
    # voltages at T.
    row_ptr = [1, 3, 5, 7, 9]
    targets = [2, 3, 3, 4, 4, 1, 1, 2]
    weights = [0.08, -0.05, 0.06, -0.04, 0.07, -0.06, 0.05, -0.03]
    drives = [1.5, 1.3, 1.2, 1.4]
    v0 = [0.1, 0.5, 0.3, 0.7]
    T = 0.05
    net = Network(n = 4, tau = 0.01, drives = drives, row_ptr = row_ptr, targets = targets,
                  weights = weights, v0 = v0)
    @test getparams(net, :weights) == weights
    @test getparams(net, :drives) == drives
    @test getparams(net, :v0) == v0

    function loss(net)
        rewind!(net)
        times, neurons = run!(net, T)
        return sum(times) + sum(voltages(net)), neurons
    end

    rewind!(net)
    record!(net, 1000)
    times, order = run!(net, T)
    @test length(times) >= 5
    # A wrong length fails and leaves the recording intact.
    @test status_of(() -> backward!(net, ones(length(times) + 1))) == SP.ERR_ARGUMENT
    @test_throws DimensionMismatch backward!(net, ones(length(times)); dl_dv_end = ones(3))
    zero_grads!(net)
    backward!(net, ones(length(times)); dl_dv_end = ones(4))
    g = Dict(p => getgrads(net, p) for p in (:weights, :drives, :v0))

    h = 1e-6
    for p in (:weights, :drives, :v0)
        x0 = getparams(net, p)
        fd = similar(x0)
        for i in eachindex(x0)
            x = copy(x0)
            x[i] = x0[i] + h
            setparams!(net, p, x)
            lp, op = loss(net)
            x[i] = x0[i] - h
            setparams!(net, p, x)
            lm, om = loss(net)
            @test op == order && om == order        # same spike order: L is smooth here
            fd[i] = (lp - lm) / (2h)
        end
        setparams!(net, p, x0)
        @test any(!iszero, g[p])
        @test isapprox(g[p], fd; rtol = 1e-5, atol = 1e-8)
    end

    # Gradients accumulate until zeroed.
    rewind!(net)
    record!(net, 1000)
    times2, _ = run!(net, T)
    @test times2 == times
    backward!(net, ones(length(times2)); dl_dv_end = ones(4))
    @test getgrads(net, :weights) ≈ 2 .* g[:weights]
    zero_grads!(net)
    @test all(iszero, getgrads(net, :drives))

    # The tape has a fixed capacity: the run stops before the spike that would not fit, and
    # the exception carries the spikes the library kept (the count backward! needs).
    rewind!(net)
    record!(net, 2)
    full = try
        run!(net, T)
        nothing
    catch e
        e
    end
    @test full isa SparsePropError && full.status == SP.ERR_CAPACITY
    @test length(full.spikes.times) == 2 == length(full.spikes.neurons)
    @test full.spikes.times == times[1:2] && full.spikes.neurons == order[1:2]
    backward!(net, ones(2))
end

@testset "training calls: run_until!, flags, batched inputs, replicas" begin
    # Neuron 1 (drive 1.5) fires on its own at tau ln 3 and kicks neuron 4 over; input
    # channel 1 at 1 ms kicks neuron 2 over, which kicks neuron 3 over at that instant.
    W = sparse([4, 3], [1, 2], [2.0, 2.0], 4, 4)
    Win = sparse([2], [1], [2.0], 4, 1)
    net = Network(W; tau = 0.01, drives = [1.5, 0.5, 0.5, 0.5], v0 = zeros(4), inputs = Win)
    input!(net, [1], [0.001])
    out = run_until!(net, 0.02, [4, 2])
    @test out.completed
    @test out.neurons == [2, 3, 1, 4]
    both = SparseProp.SP_SPIKE_TRIGGERED | SparseProp.SP_SPIKE_INPUT_TRIGGERED
    @test out.flags == [both, both, 0, SparseProp.SP_SPIKE_TRIGGERED]
    @test out.times[3] ≈ 0.01 * log(3) rtol = 1e-14
    rewind!(net)
    @test !run_until!(net, 0.002, [4]).completed
    @test_throws SparsePropError input!(net, [1, 2], [0.1, 0.2])

    @test_throws ArgumentError run_until!(net, 0.02, [4]; max_spikes = 0)
    # A limit reached throws ERR_CAPACITY with the spikes processed until then.
    rewind!(net)
    input!(net, [1], [0.001])
    capped = try
        run_until!(net, 0.02, [4]; max_spikes = 1)
        nothing
    catch e
        e
    end
    @test capped isa SparsePropError && capped.status == SP.ERR_CAPACITY
    @test capped.spikes.neurons == [2] && capped.spikes.times == [0.001]

    # Replicas: the same gradients as the parent computing the same sample. The loss is the
    # time of neuron 1's own spike (the 3rd; the triggered ones carry no gradient), tau ln(I /
    # (I - 1)) with I = 1.5: dL/dI_1 = tau (1/I - 1/(I - 1)).
    r = replica(net)
    for m in (net, r)
        rewind!(m)
        input!(m, [1], [0.001])
        record!(m, 16)
        o = run_until!(m, 0.02, [4])
        @test o.neurons[3] == 1
        backward!(m, [s == 3 ? 1.0 : 0.0 for s in 1:length(o.neurons)])
    end
    g = getgrads(net, :drives)
    @test g[1] ≈ 0.01 * (1 / 1.5 - 1 / 0.5) rtol = 1e-9
    accumulate_grads!(net, r)
    @test getgrads(net, :drives) ≈ 2 .* g
    @test_throws SparsePropError setparams!(r, :drives, [1.5, 0.5, 0.5, 0.5])
    setparams!(net, :drives, [1.4, 0.5, 0.5, 0.5])
    @test_throws SparsePropError advance!(r, 1.0)
    rewind!(r)
    @test advance!(r, 0.02) >= 1
    close(net)
    @test !isopen(r)
end

end # @testset
