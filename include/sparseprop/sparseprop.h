/*
 * sparseprop.h - the public C interface of libsparseprop.
 *
 * libsparseprop simulates and trains sparse recurrent networks of integrate-and-fire neurons
 * exactly (SparseProp, Engelken, NeurIPS 2023): spike times are computed in closed form
 * between events, and a network spike costs O(K log N) instead of O(N). Precision: a LIF or
 * QIF neuron firing on its own (no input) spikes within 8 ulps of its exact spike time plus
 * 4 x 2^-52 tau (the rounding of its spike time is never fed back), the exact time being that
 * of the state it holds: v0's rounding to a state at creation comes on top once (QIF: a phase,
 * whose half ulp is up to 2^-52 tau/sqrt(I) in time, beyond 4 x 2^-52 tau for I below 1/16:
 * 6.7 times the bound for a first spike at I = 1e-6); its reset state is rounded at each spike,
 * which adds up like a random walk, about sqrt(k)/2 x 2^-52 tau after k spikes, beyond that
 * bound only for free periods much shorter than tau (LIF at I = 10^6: 27 times it after 10^5
 * spikes; README.md, State representation); each input rounds its targets' states once, a
 * relative error of about 1e-16 (of I - V for LIF; for the phase models a rounding of the
 * phase, which an input at V stretches in time by G(V)/G(V + w), G = F + I: an EIF neuron
 * kicked by w = -0.6 from V = 1.55, high on its upswing, 74 times, an error of 6e-14 to 1e-13
 * tau measured in its next spike). EIF and custom models have no closed form:
 * their tabulated period is off by about 1e-15 of it (more near the bifurcation:
 * SP_MODEL_EIF), and a free-running neuron's spike times drift by that much each period;
 * where the drives differ, a neuron's phase is also rounded at each of its spikes to the
 * network's clock, which runs up to 8 times the shortest interval between a neuron's spikes
 * (its drive's period plus t_ref, over the drives some neuron runs at now), but at least 1/8 of
 * the longest and at most 32 tau (each re-base of the clock is an O(n) pass, and a recorded
 * event: sp_record): a neuron spiking every P drifts by up to about 2^-53 times that span over
 * P, of P per period, i.e. 8 x 2^-53 unless the intervals differ by more than 64 times; one
 * slower than the span drifts by about 2^-53 P/span from the re-bases, at most 8 x 2^-53
 * except beyond 256 tau (measured: period 0.142 tau beside 6.4 tau, below what the spike
 * times' rounding resolves, as alone; 0.0019 tau beside 6.4 tau, 4.9e-15 against the bound's
 * 4.6e-14. Versions up to 0.2.0 ran the clock to 8 of the longest periods: 3.6e-15 and
 * 6.8e-14).
 *
 * How each function is documented: a block before it, in this order,
 *   sp_name - what it does, then its semantics;
 *   Parameters: each argument, what it must be and whether it may be NULL;
 *   Returns:    SP_OK, then each failure status with the conditions that give it;
 *   On failure: what is left unchanged (by default: everything, see Conventions);
 *   Allocates:  never, or what and through which allocator;
 *   Threads:    whether the call may run concurrently (see Thread safety).
 * SP_ERR_ARGUMENT for "net is NULL" is listed once here instead: every function taking a
 * network handle and returning sp_status refuses NULL with it.
 *
 * Conventions
 *  - Every call that can fail returns sp_status (SP_OK = 0). Output parameters come last and
 *    are written only on success; a failed create leaves *out == NULL.
 *  - sp_last_error() returns a human-readable message for the last failure in the calling
 *    thread ("" after a success), naming the offending field and value.
 *  - A failed call leaves the network exactly as it was. Documented exceptions: sp_step on a
 *    network whose queued inputs produce no spike at all, and sp_run (rarely sp_step) stopped
 *    by SP_ERR_CAPACITY or SP_ERR_NUMERIC after some events, which stay processed (sp_run
 *    reports the spikes among them in *count); see those functions. And with current-based
 *    synapses (tau_syn > 0) a step or run refused after its first look at the queue had to
 *    recompute more than 128 of the spike times kept as lower bounds (README.md, Models and
 *    conventions): those stay recomputed, so sp_save's bytes differ there, while every later
 *    call returns what it would have (the call would recompute them first).
 *  - Arrays are caller-owned pointer + length; the library never keeps them after the call.
 *  - Config structs start with uint32_t struct_size; fields are only ever appended; a zero
 *    field means the documented default. Initialise with sp_network_desc_init(). Appends come
 *    in 8-byte units (a 4-byte field with a 4-byte reserved one) so that a struct never ends in
 *    padding and every published layout has its own size: see SP_NETWORK_DESC_SIZE_V1.
 *  - Enumerations only name constants; the types that cross the boundary are fixed-width
 *    integers: sp_status and sp_param (passed by value) are int32_t, sp_model and sp_frame
 *    uint32_t like the description fields that hold them. (The C type of an enum is
 *    implementation-defined: unsigned int with GCC and Clang, int with MSVC, a byte with
 *    -fshort-enums; and in C++ a value outside an enum's range is undefined behaviour.) Any
 *    value of the type may be passed: an unknown one is refused with SP_ERR_ARGUMENT, and
 *    sp_status_name() names it "SP_UNKNOWN_STATUS".
 *  - sp_network_destroy(NULL) is a no-op.
 *
 * Units: time in seconds; voltages dimensionless with threshold 1 and reset 0 (LIF) or
 * threshold +inf and reset -inf (QIF). A synaptic input of weight w makes the voltage jump
 * by w (delta synapses, no delay).
 *
 * Event semantics
 *  1. Events are processed in time order. At equal times: queued external inputs first, in
 *     the order they were queued; then spikes, lowest neuron index first. Spike times are
 *     exact before they are rounded to the reported double: two spikes whose exact times
 *     differ by less than the rounding are reported at the same t in the order of their
 *     exact times (the index decides only exact ties). "Exact" is from the engine's states,
 *     which carry the rounding of earlier events (about 1e-16 relative per input): spikes
 *     closer than that may come in either order. In the time frame (sp_network_frame) the
 *     queue holds each neuron's spike time as a double, so there spikes whose times round to
 *     the same double come in index order, whatever their exact order (a spike time that
 *     rounds before sp_now() counts as sp_now(): such a neuron spikes then, in index order with
 *     the others due then). An input queued at a reported spike time t
 *     is processed before that spike (inputs first), even when the spike's exact time was a
 *     little earlier: it can cancel a LIF neuron's spike or make it triggered (rule 2).
 *  2. An input that takes a neuron to threshold makes it spike at that same time, after the
 *     current event's deliveries are complete and after every input queued at that instant
 *     (ordered with any other neuron spiking then as rule 1 says: its exact time is t, so in
 *     the phase frame one due on its own whose exact time is before t comes first, one whose
 *     exact time is after t later, whatever the indices); until it has spiked it ignores
 *     further input at that instant. A LIF
 *     neuron at threshold at that instant (V = 1, due on its own) still takes its inputs: one
 *     that lowers V takes it off threshold (it spikes when its own crossing comes: still at t,
 *     with flags 0, where that rounds to t), one that raises it or leaves it (a weight of 0, or
 *     a positive one too small to move V) makes the spike triggered, whose time then has no
 *     gradient (also for a weight of 0, although finite differences of the neuron's own
 *     parameters then move it). Both are to rounding: an input of weight >= 0 before or after
 *     which the neuron's spike time rounds to t, or one that reaches a neuron a drive change at
 *     t kept due, triggers its spike, also where V reads a rounding below 1 (its exact crossing
 *     just after the double t; tests/core/test_inputs_at_own_spike.c). A negative weight too
 *     small to move V may count either way. (EIF and custom models: a kick, even of weight 0,
 *     goes through the voltage and back, whose rounding can move the crossing by a rounding of
 *     the phase, so an input a double or two before a spike may trigger it at the input's
 *     time.)
 *     A QIF
 *     neuron due at that instant is at V = +inf, which no finite input changes: it ignores the
 *     inputs at that instant and spikes on its own (flags 0); so does an EIF or custom neuron
 *     spiking at V = +inf whose phase is at its spike to rounding then, or whose own spike
 *     time, as the next step would report it, is that instant (its voltage +inf: one unit of
 *     phase earlier EIF's V is only about V_T + 36 D_T, and an input still counts), in either
 *     frame, also after sp_run to exactly that time or a drive change then.
 *     With a finite v_spike they take the inputs as LIF's at V = 1. A QIF input never takes a
 *     neuron to threshold: one that leaves V finite but huge makes it spike on its own (flags
 *     0), as soon after as V's blow-up takes, which may round to the input's time.
 *  3. A neuron that spiked at time t ignores every input arriving at times in
 *     [t, t + t_ref] (with t_ref = 0: the same instant only, self-synapses included; the end
 *     is t + t_ref summed in double), so cascades of simultaneous spikes always end. With
 *     t_ref > 0 its voltage is held at reset
 *     until t + t_ref. Current-based synapses (tau_syn > 0) are the exception: no input is
 *     ignored (see tau_syn).
 *  4. Results are deterministic: the same description and the same calls give bit-identical
 *     spikes on the same build, whatever the thread or process, on one machine, in the
 *     default floating-point environment (round to nearest: a thread that changes the rounding
 *     mode with fesetround, or flushes subnormals to zero, may get results that differ in the
 *     last bits). Across machines see "Vector math" in the Experimental section at the end of
 *     this header. Calls split differently give the same spikes too: a run in several sp_run
 *     calls, also one ending exactly at a spike's time (the spike then comes with the next
 *     call), or in sp_step calls, gives the spikes of one call, bit for bit. (Except in the
 *     time frame for a neuron whose state gives its spike time only to worse than 1e-9
 *     relative, such as a QIF drive so tiny that its phase has lost its digits: a call ending at
 *     that spike makes it reset from the instant's clock, not its own.)
 *
 * Thread safety: a network handle must not be used by two threads at once; different handles
 * are independent. The library has no global mutable state except the thread-local message
 * behind sp_last_error() and the vector-math choice, made once per process (see the end).
 * In the blocks below, "Threads: one at a time per handle" means this rule; functions without
 * a handle may be called from any thread at any time.
 *
 * Memory: every allocation happens in sp_network_create, sp_load, sp_load_file and sp_record,
 * through the description's allocator (sp_load: the one passed; sp_load_file: the default),
 * which defaults to the C library's (aligned_alloc/free), plus a temporary 1 MiB buffer in
 * sp_save_file (through the network's allocator, freed before it returns; the C library's
 * own FILE of the open file comes from its malloc); also
 * sp_network_replica (the replica's state, through the parent's allocator) and
 * sp_grads_accumulate (gradient storage for a dst that never recorded). sp_network_destroy
 * frees everything through the same allocator. Stepping, running, inputs, drive changes,
 * sp_save into a caller buffer and the backward pass never allocate. (One allocation is the C
 * library's: loaded with dlopen, as the Python and Julia bindings load it, the library gets a
 * thread's thread-local storage, the message behind sp_last_error(), from glibc's malloc at
 * that thread's first call into it, and glibc ends the process if that malloc fails. A thread
 * that must not allocate later makes one call first, e.g. sp_last_error(). Linked at build
 * time, the storage comes with the thread.)
 * Stack: every call runs in a 16 KiB thread stack (glibc's PTHREAD_STACK_MIN) below 2 KiB of
 * the caller's own frames (release build, x86-64, measured by running each in such threads).
 * The deepest calls load, create or refuse an EIF or custom network (about 8.5-8.7 KiB, the
 * tables and their kick maps; 8.4 to refuse a custom F, whose message once took 10.4 KiB, an
 * outside check); glibc keeps a thread's descriptor and static TLS in the same 16 KiB (about
 * 4.4 KiB for a C program linking this library and libc). The dynamic loader's
 * lazy binding of a C library function at its first call in the process takes a few KiB
 * more: link with -Wl,-z,now or set LD_BIND_NOW=1, or make the calls once in a thread with a
 * bigger stack first.
 */
#ifndef SPARSEPROP_H
#define SPARSEPROP_H

#include <stddef.h>
#include <stdint.h>

/* 1 on targets with 32-bit pointers, where sp_network_desc pads its pointer appended in 0.2 to
   8 bytes (reserved2); 0 elsewhere. */
#if (defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ == 4) ||                  \
    (!defined(__SIZEOF_POINTER__) && defined(_WIN32) && !defined(_WIN64)) ||     \
    (!defined(__SIZEOF_POINTER__) && !defined(_WIN32) && defined(UINTPTR_MAX) && \
     UINTPTR_MAX == 0xFFFFFFFFu)
#  define SP_POINTER_IS_32_BITS_ 1
#else
#  define SP_POINTER_IS_32_BITS_ 0
#endif

#ifndef SP_API
#  if defined(_WIN32)
#    if defined(SP_BUILDING_LIBRARY)
#      define SP_API __declspec(dllexport)
#    else
#      define SP_API
#    endif
#  elif defined(__GNUC__)
#    define SP_API __attribute__((visibility("default")))
#  else
#    define SP_API
#  endif
#endif

/* C++ callers see every function as noexcept: no exception ever leaves the library. */
#ifndef SP_NOEXCEPT
#  if defined(__cplusplus) && __cplusplus >= 201103L
#    define SP_NOEXCEPT noexcept
#  else
#    define SP_NOEXCEPT
#  endif
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------- */
/* Version and errors                                                                        */

/* The version of this header; SP_VERSION_NUMBER is MAJOR*10000 + MINOR*100 + PATCH. */
#define SP_VERSION_MAJOR 0
#define SP_VERSION_MINOR 3
#define SP_VERSION_PATCH 0
#define SP_VERSION_STRING "0.3.0"
#define SP_VERSION_NUMBER (SP_VERSION_MAJOR * 10000 + SP_VERSION_MINOR * 100 + SP_VERSION_PATCH)

/* sp_version_number, sp_version_string - the version of the library actually linked.
 *
 * Returns:    MAJOR*10000 + MINOR*100 + PATCH; the string "MAJOR.MINOR.PATCH", static (never
 *             freed). Compare with SP_VERSION_NUMBER to detect a header/library mismatch.
 * Allocates:  never.
 * Threads:    any thread.
 */
SP_API uint32_t sp_version_number(void) SP_NOEXCEPT;
SP_API const char *sp_version_string(void) SP_NOEXCEPT;

typedef int32_t sp_status;
enum sp_status_code {
  SP_OK = 0,
  SP_ERR_ARGUMENT = 1,    /* NULL where not allowed, index out of range, non-finite number,
                             inconsistent sizes, invalid connectivity */
  SP_ERR_NOMEM = 2,       /* an allocation failed */
  SP_ERR_UNSUPPORTED = 3, /* a valid request this model or configuration does not support */
  SP_ERR_STATE = 4,       /* not valid now: e.g. backward with no tape, stepping a network in
                             which no neuron will ever spike and no input is queued */
  SP_ERR_CAPACITY = 5,    /* a fixed capacity (tape, input queue) would be exceeded */
  SP_ERR_IO = 6,          /* a file could not be read or written */
  SP_ERR_FORMAT = 7,      /* bytes are not a valid or compatible saved network */
  SP_ERR_NUMERIC = 8      /* finite values the engine cannot compute with: a non-finite state,
                             voltage or gradient would arise, a value is outside the numeric
                             range (LIF weights, drives and voltages, EIF and custom-model
                             weights, and tau, at most 1e100 in magnitude; tau at least
                             1e-100 s; t_ref at most 1e100 s and 1e15 tau), or a neuron's
                             free period is below the time resolution
                             (under 2^-30 tau, or at now(): it would spike at one instant
                             forever) */
};

/* sp_status_name - the name of a status, e.g. "SP_ERR_ARGUMENT".
 *
 * Parameters: s, any int32_t value.
 * Returns:    the constant's name; "SP_UNKNOWN_STATUS" for any other value. Static (never
 *             freed).
 * Allocates:  never.
 * Threads:    any thread.
 */
SP_API const char *sp_status_name(sp_status s) SP_NOEXCEPT;

/* sp_last_error - the message of the last failed call in this thread.
 *
 * Every function returning sp_status sets it: to a message naming the offending field and
 * value when it fails, to "" when it succeeds; the other functions leave it as it is.
 *
 * Returns:    a NUL-terminated message; "" when the last call succeeded. The pointer stays
 *             valid until the next library call in this thread.
 * Allocates:  never (the message lives in a thread-local buffer; loaded with dlopen, the
 *             thread's first call into the library may get that buffer from the C library's
 *             malloc: see Memory at the top).
 * Threads:    any thread; each thread has its own message.
 */
SP_API const char *sp_last_error(void) SP_NOEXCEPT;

/* ---------------------------------------------------------------------------------------- */
/* Describing and creating a network                                                         */

typedef struct sp_network sp_network; /* opaque */

typedef uint32_t sp_model;
enum sp_model_code {
  /* Leaky integrate-and-fire: tau dV/dt = -V + I, spike at V = 1, reset to 0. Any finite
     drive: I > 1 fires on its own with period tau ln(I/(I-1)); I <= 1 fires only when
     driven by input. */
  SP_MODEL_LIF = 1,
  /* Quadratic integrate-and-fire (theta neuron): tau dV/dt = V^2 + I, spike at V = +inf,
     reset to -inf, period pi tau / sqrt(I). Requires I > 0 (SP_ERR_UNSUPPORTED otherwise). */
  SP_MODEL_QIF = 2,
  /* Exponential integrate-and-fire: tau dV/dt = -V + I + D_T exp((V - V_T)/D_T), spike at
     V = +inf (or at a finite v_spike), reset V_r. Dimensionless like LIF: the defaults
     (model_params NULL) are V_r = 0, V_T = 1, D_T = 0.1, v_spike = +INFINITY, so threshold-
     like V_T and reset match LIF's 1 and 0. From millivolts (tau dV/dt = -(V - E_L) + D_T
     exp((V - V_T)/D_T) + R I): with s = V_T - V_r, V' = (V - V_r)/s, D_T' = D_T/s, V_T' = 1,
     V_r' = 0, I' = (E_L - V_r + R I)/s, weights w' = w/s. Oscillatory for I > V_T - D_T
     (0.9 with the defaults); excitable drives are refused (SP_ERR_UNSUPPORTED), and so are
     drives less than 1e-12 M above the bifurcation, M = |I| + |V_T| + D_T, when v_spike is
     above V_T: I - V_T + D_T < 1e-12 M, computed as (I - V_T) + D_T in double (with the
     defaults, drives below about 0.9 + 2e-12, the double 0.9 among them; the message gives
     I - (V_T - D_T)). There the error bound below passes 1e-4 of the period and the table no
     longer resolves the bottleneck at V_T; every drive above the rule is tabulated, measured
     with |V_T|/D_T and |V_T - V_r|/D_T up to 1e9 (closer to the 2^40 limit below, drives
     above the rule can be refused too, in scattered places: README, EIF and custom models).
     A reset so far above V_T that the free period,
     about e^-(V_r - V_T)/D_T tau there, is below 2^-30 tau (with the defaults V_r above about
     3.1) is SP_ERR_NUMERIC, naming v_reset.
     Exact by tabulation: the phase (time since reset, per tau) and its inverse are tabulated
     once per distinct drive at creation to about 1e-15 (for I - (V_T - D_T) of order D_T and
     voltages and D_T of order 1; close to the bifurcation, or with D_T, V_T or I far from
     order 1, the period's error grows up to about 1e-16 (M/(I - V_T + D_T) + |V_T|/D_T), M as
     above: the rounding of F + I near V_T, a small difference of larger terms, and that of V
     in the exponential's rise, an ulp of V_T against its width D_T (measured 1.6e-12 at D_T =
     I - V_T + D_T = 1e-6, 1.2e-10 with V_T = 10^6, I - V_T + D_T = 0.1; at most 0.28 of the
     first term over 1,400 random parameter sets 1e-12 M to 1e-5 M above the bifurcation;
     README, EIF and custom models), and a free-running neuron's spike times drift by that
     much per period); an input of weight w
     maps the phase phi to phi(V(phi) + w) (any weight, either sign); an input that carries V to the
     threshold or past the point where the rest of the blow-up is below rounding fires the
     neuron at that instant (as LIF inputs that reach 1). Any finite v_spike above v_reset, up
     to 1e100, is accepted: beyond the start of the closed-form tail (about V_T + 14 D_T) the
     rest of the way is that tail less its part beyond v_spike. At most 64 distinct drives, fixed at
     creation: sp_set_drive and SP_PARAM_DRIVES accept only drives the network was created
     with (SP_ERR_UNSUPPORTED otherwise; create with every drive a neuron will use). The
     tables count in sp_network_memory (about 16 KB per drive for the defaults (a custom F:
     about 40-65 KB, measured), plus 36 KB per
     drive for the kick map of the recurrent weight whenever it is shared, i.e. not one weight
     per synapse: also with procedural or no recurrent synapses. The map makes such inputs
     cheaper and is rebuilt, not saved: at creation, loading, and sp_set_params of that
     weight, a few milliseconds per drive) and are saved with the network (format version 4).
     Gradients with respect to the drives are computed as for the other models, but a step
     along them is refused unless it lands on drives the network was created with. */
  SP_MODEL_EIF = 3,
  /* Any one-variable model tau dV/dt = F(V) + I with F the callback model_params->f (ctx
     passed through), reset v_reset, spike at the finite v_spike or at +inf (v_spike =
     +INFINITY: F must then blow up at least like V^2, so that V reaches +inf in finite time).
     Tabulated as EIF (same rules: at most 64 distinct drives, inputs past the threshold fire
     at once, saved with the tables). F + I must be positive on [v_reset, v_spike) (an
     oscillatory neuron; excitable ones are refused with SP_ERR_UNSUPPORTED) and below reset
     down to v_reset - 16 (v_spike - v_reset) (or v_reset - 16 max(1, |v_reset|) for the
     blow-up), below which inhibition is clamped to that voltage (an input that would carry V
     below it leaves V there, and has no gradient). F is called only while sp_network_create and
     sp_network_memory run (many times, from the calling thread; several threads creating networks
     with one F call it at the same time, so such an F must allow that), never while running and
     never by sp_load, which rebuilds the network from the saved tables: it must be a smooth,
     deterministic function that returns finite values (a callback that cannot be tabulated to
     rounding is refused with SP_ERR_UNSUPPORTED) and must not call into the library. The tables
     see F only at their nodes: each range (reset to threshold or to the tail's start, the clamp
     region, the tail in 1/V) starts as 32 equal pieces of 20 nodes and is halved where the fit
     needs it, so a feature of F much narrower than about 1/1000 of its range (a sharp bump between
     nodes, measured missed at widths of 1e-3 and below) can go unseen, and the period is then that
     of F without it: F must be smooth on that scale. With v_spike = +INFINITY it is also called
     far up the blow-up (V of 1e4 and more), where an exponential F may overflow to +INFINITY:
     accepted there (the phase left beyond is below rounding). The blow-up's tail is tabulated in
     1/V from just above max(v_reset, 0), as a smooth function of 1/V: an F that is already steep
     there (e.g. exp(V/1e-8) with reset -1) is refused at creation (SP_ERR_UNSUPPORTED, with a
     message saying so); so can a blow-up that is not smooth in 1/V (|V|^2.5, V^2 log V): shift V
     up, or give a finite v_spike. (Integer powers, |V|^7 and |V|^12 with reset 0, are
     tabulated.) sp_network_memory refuses most of these as well, but not those that only
     the finished table's own check finds (an F steep at the tail's start, a finite
     v_spike so far up that the phase there moves by less than its rounding, e.g. EIF's F as
     a callback at v_spike = 5, where F + I is about 2e16 times its value at reset, while
     F = -V + V^2/2 is accepted up to v_spike = 1e10: lower v_spike, or let F blow up).
     Accuracy: about 1e-15 of the period away from the bifurcation, for voltages of order 1
     (far from it, about ulp(V)/(F + I) there); the tabulation loses
     accuracy where F + I comes close to 0 (a drive just above the bifurcation), e.g. F = -V
     with threshold 1: 3e-14 at I - 1 = 1e-5, 2e-11 at 1e-8, 8e-9 at 1e-10, 4e-3 at 1e-13,
     3e-2 at 1e-14 and 7e-2 at 2.2e-16, where it is still accepted: unlike EIF's, a custom
     model's bifurcation is not known, and no drive near it is refused (SP_MODEL_LIF, in
     closed form, has no such loss). F = -V with threshold 1 and reset 0
     reproduces SP_MODEL_LIF within 1e-12 relative for I - 1 >= 1e-6 (tested at the paper's
     drives), and EIF's F written as a custom callback SP_MODEL_EIF (against the reference's
     EIF, tested). */
  SP_MODEL_CUSTOM = 4
};

/* Connectivity from a set of sources (neurons or input channels) to the network's neurons.
 *
 * Explicit (row_ptr != NULL): CSR by source. row_ptr has n_sources + 1 entries, starts at 0
 * and never decreases; targets[row_ptr[j] .. row_ptr[j+1]) are source j's targets (each < n,
 * repeats and self-connections allowed), at most 2^32 - 1 of them per row; weights has
 * row_ptr[n_sources] entries, or is NULL for one shared `weight`. k must be 0.
 *
 * Procedural (row_ptr == NULL, k > 0): every source projects to exactly k distinct targets,
 * never itself for recurrent synapses, all with weight `weight`. The targets are regenerated
 * at every spike from (seed, source) by the generator documented in README.md
 * ("Connectivity", Procedural), so they store nothing per synapse (the generator's scratch is
 * 20 bytes per unit of the largest k, once per network and replica) and are the same on every
 * platform and version.
 * k is at most n - 1 for recurrent synapses, n for input channels.
 *
 * None (row_ptr == NULL, k == 0): no synapses.
 *
 * With row_ptr == NULL, targets and weights must be NULL too (a stray array is refused, as it
 * usually means a forgotten row_ptr). `weight` must be finite (LIF, EIF, custom: within the
 * numeric range) even when `weights`, or no synapses (inputs with n_inputs == 0 included), make
 * it unused: it is kept and saved. */
typedef struct sp_synapses {
  const uint64_t *row_ptr;
  const uint32_t *targets;
  const double *weights;
  uint32_t k;
  uint64_t seed;
  double weight;
} sp_synapses;

/* A caller-supplied allocator (see Memory at the top). Both functions must be set. The library
 * copies the struct when a network is created or loaded (it need not outlive the call), and
 * calls the functions from the thread of the call that allocates or frees: replicas of one
 * parent use the parent's allocator from their own threads (sp_network_replica, sp_record,
 * sp_grads_accumulate, sp_network_destroy), so an allocator shared by replicas running on
 * several threads must be thread-safe; the library does not serialise the calls. The calls
 * come from inside the library's: the functions must not call into the library. */
typedef struct sp_allocator {
  /* Returns size bytes aligned to align (a power of two, at most 64), or NULL. */
  void *(*alloc)(void *ctx, size_t size, size_t align);
  /* Frees a block returned by alloc; size is the size that was requested. */
  void (*free)(void *ctx, void *ptr, size_t size);
  void *ctx;
} sp_allocator;

/* Parameters of the models that have more than a drive (appended to the description in 0.2,
   see sp_network_desc.model_params), read by SP_MODEL_EIF and SP_MODEL_CUSTOM. Every field a
   model reads must be set (there is no per-field default: pass model_params = NULL for EIF's
   defaults V_r = 0, v_spike = +INFINITY, D_T = 0.1, V_T = 1). Refused with SP_ERR_ARGUMENT,
   naming the field: struct_size other than sizeof(sp_model_params), reserved not 0, v_reset
   not finite or above 1e100 in magnitude, v_spike not above v_reset (or above 1e100 and not
   +INFINITY); EIF: delta_t not above 1e-100, above 1e6 or below 2^-40 max(|v_t|,
   |v_t - v_reset|) (9.1e-13 for the defaults: the exponential's rise, a few D_T wide, must be
   resolved by the phase table), v_t not finite, f, df or ctx set; custom: f NULL. df is not
   used by this version (the tables need F only). (Its size is checked exactly. Where doubles
   are 8-byte aligned and pointers 4 bytes, as on armhf, it ends in 4 bytes of padding: a
   later version that appends fields names that room first, so that its size differs from
   this one's on every target.) */
typedef double (*sp_model_fn)(double v, void *ctx);
/* clang-format off */
typedef struct sp_model_params {
  uint32_t struct_size; /* sizeof(sp_model_params) as the caller compiled it */
  uint32_t reserved;    /* set to 0 */
  double v_reset;       /* voltage after a spike */
  double v_spike;       /* voltage at which the neuron spikes; +INFINITY: at the finite-time
                           blow-up of V */
  double delta_t;       /* EIF: slope factor D_T (> 0) */
  double v_t;           /* EIF: soft threshold V_T */
  sp_model_fn f;        /* custom models: F in tau dV/dt = F(V) + I */
  sp_model_fn df;       /* custom models: dF/dV, or NULL */
  void *ctx;            /* custom models: passed to f and df */
} sp_model_params;
/* clang-format on */

/* A network's description, read by sp_network_create and sp_network_memory (and only during
   those calls: the arrays it points to are copied). Initialise with sp_network_desc_init. */
/* clang-format off */
typedef struct sp_network_desc {
  uint32_t struct_size;       /* sizeof(sp_network_desc) as the caller compiled it */
  uint32_t model;             /* an sp_model value; required */
  uint32_t n;                 /* neurons, 1 to 2^31 */
  double tau;                 /* membrane time constant in seconds, 1e-100 to 1e100 (0: 0.01) */
  double drive;               /* drive I of every neuron when drives == NULL */
  const double *drives;       /* n drives, or NULL */
  sp_synapses recurrent;      /* neuron -> neuron */
  uint32_t n_inputs;          /* external input channels */
  sp_synapses inputs;         /* channel -> neuron (no synapses when n_inputs == 0) */
  const double *v0;           /* n initial voltages (LIF: below 1; EIF and custom: below
                                 a finite v_spike; custom: a v0 below the clamp voltage of
                                 SP_MODEL_CUSTOM starts at that voltage, as an input there
                                 would leave it, while SP_PARAM_V0 keeps the value given), or
                                 NULL: oscillatory neurons start at a phase drawn uniformly
                                 from their free period (init_seed), the others at reset */
  uint64_t init_seed;
  double t_ref;               /* absolute refractory period in seconds, 0 to min(1e100, 1e15 tau)
                                 (0: none); any such length, e.g. longer than a run for
                                 first-spike-only readouts. LIF beyond about 560 tau: the
                                 refractory end is the rounded spike time plus t_ref, and
                                 that rounding (an ulp of t per spike) accumulates over a
                                 neuron's spikes (README.md, State representation) */
  uint32_t input_capacity;    /* queued external input events (0: 4096; none without inputs);
                                 at most 2^24 in a network that is saved (sp_save) */
  const sp_allocator *allocator; /* NULL: the C library's aligned_alloc/free */
  uint32_t frame;             /* EXPERIMENTAL, for testing: an sp_frame value forcing the
                                 event loop (0: SP_FRAME_AUTO, the engine's choice); see
                                 "Frames" in the Experimental section at the end */
  uint32_t reserved;          /* set to 0; ignored. The former end padding, named so that no
                                 later field can land in it */
  /* Appended in 0.2 (SP_NETWORK_DESC_SIZE_V2). */
  double tau_syn;             /* LIF synaptic current time constant in seconds, 0 (the
                                 default): delta synapses. > 0: current-based synapses,
                                 tau dV/dt = -V + I + J, tau_syn dJ/dt = -J, an input of weight
                                 w raising J by w tau/tau_syn (the same total voltage effect as
                                 a delta synapse of weight w); V is continuous (no input makes
                                 a neuron spike at its time, none is ignored: V is held at 0
                                 for t_ref while J integrates; a neuron reaching V = 1 at t
                                 spikes at t even if an input at t lowers J; its reset, and
                                 the end of its hold, are at the exact crossing (plus t_ref),
                                 not at t rounded: README.md, State representation); time
                                 frame only. Refused:
                                 negative, NaN or infinite (SP_ERR_ARGUMENT),
                                 other models (SP_ERR_UNSUPPORTED), tau_syn/tau outside 1e-4
                                 to 1e4 (SP_ERR_UNSUPPORTED; the quotient as rounded in
                                 double: tau_syn = 1e-6 with tau = 0.01 gives
                                 9.9999999999999991e-05 and is refused; tau_syn = 1e-4
                                 with tau = 1 is accepted), less than 2^-12 from 1 but not
                                 1 (SP_ERR_NUMERIC: the two exponentials cancel; near that
                                 edge an input of weight w leaves an error of about
                                 1e-16 |w| / |tau_syn/tau - 1| in V, so in the next spike
                                 time that error over dV/dt at the crossing: about 1e-16 tau
                                 / |tau_syn/tau - 1| where the input's own current carries V
                                 over threshold fast, more where slowly (2.1e-12 tau just
                                 inside 1 - 2^-12 at drive 0.9, w = 1); relative to the time
                                 from the input to the spike, about 1e-15 / |tau_syn/tau - 1|
                                 for weights of order 1, and large for a large w (2.7e-7 at
                                 w = 1e6)), t_ref above 480
                                 times the faster time constant, a forced phase frame
                                 (SP_ERR_UNSUPPORTED), any
                                 weight or drive above 1e6 in magnitude (SP_ERR_NUMERIC, also
                                 in sp_set_params and sp_set_drive: V is a difference of terms
                                 of the order of the weights and the drive) */
  const sp_model_params *model_params; /* parameters of SP_MODEL_EIF (NULL: its defaults) and
                                 SP_MODEL_CUSTOM (required: its F); read only during
                                 sp_network_create/sp_network_memory. LIF and QIF read none:
                                 non-NULL is refused with SP_ERR_UNSUPPORTED */
#if SP_POINTER_IS_32_BITS_
  uint32_t reserved2;         /* 32-bit targets only: set to 0; ignored. Pads model_params to
                                 8 bytes, the unit of the layout rule below */
#endif
} sp_network_desc;
/* clang-format on */

/* struct_size values (sizes on 64-bit targets in brackets; the macros are exact everywhere).
   The layout rule: a later version appends its fields after `reserved` in 8-byte units (a
   4-byte field, or a pointer on a 32-bit target, comes with a 4-byte reserved one: reserved2
   after model_params there), so the struct never ends in padding and
   each version has its own size. `reserved` itself never gets a meaning: 0.1 callers compiled
   without it may have left those bytes indeterminate.
     SP_NETWORK_DESC_SIZE_MIN   the smallest accepted: everything before `frame` [184]
     SP_NETWORK_DESC_SIZE_V1    the layout of 0.1, up to `reserved` [192]
     SP_NETWORK_DESC_SIZE_V2    this version's layout, 0.2, up to `model_params` [208]
     SP_NETWORK_DESC_SIZE_MAX   the largest accepted [1024]
   sp_network_create and sp_network_memory read exactly struct_size bytes. Fields past
   struct_size (a caller compiled against an older header) take their defaults. They refuse
     - struct_size below MIN or above MAX, or not a multiple of 8 (the layout's unit):
       SP_ERR_ARGUMENT (an uninitialised description);
     - a non-zero byte past the layout this library knows (a caller compiled against a newer
       header that sets fields this version cannot honour): SP_ERR_UNSUPPORTED. Zero bytes
       there are accepted: a zero field means the default. */
#define SP_NETWORK_DESC_SIZE_MIN offsetof(sp_network_desc, frame)
#define SP_NETWORK_DESC_SIZE_V1 (offsetof(sp_network_desc, reserved) + sizeof(uint32_t))
#define SP_NETWORK_DESC_SIZE_V2 (offsetof(sp_network_desc, model_params) + 8)
#define SP_NETWORK_DESC_SIZE_MAX 1024

/* sp_network_desc_init - fill a description with the defaults.
 *
 * Sets d->struct_size and the defaults: model SP_MODEL_LIF, tau 0.01, input_capacity 4096,
 * everything else 0 or NULL (frame SP_FRAME_AUTO). Writes exactly min(struct_size,
 * SP_NETWORK_DESC_SIZE_MAX) bytes, and d->struct_size is set to that number (a struct_size
 * above the maximum becomes SP_NETWORK_DESC_SIZE_MAX; one below 4 writes that many bytes of
 * the field holding it, a size every other call refuses). Bytes past the layout this library
 * knows are zeroed, so that a caller compiled against a newer header that leaves its new
 * fields alone is accepted, and one that sets them is refused rather than silently ignored.
 *
 * Parameters: d, the description to fill; NULL: nothing happens.
 *             struct_size, pass sizeof *d; 0: nothing happens.
 * Returns:    nothing (it cannot fail).
 * Allocates:  never.
 * Threads:    any thread.
 */
SP_API void sp_network_desc_init(sp_network_desc *d, size_t struct_size) SP_NOEXCEPT;

/* sp_network_memory - the exact number of bytes sp_network_create(d) will request.
 *
 * Layouts: from n = 2^26 on (the environment variable SPARSEPROP_COMPACT_MIN_N moves this), a
 * description with model LIF or QIF, tau_syn = 0, t_ref = 0, one oscillatory drive (drives NULL
 * or all equal), v0 NULL and frame not SP_FRAME_TIME gets the compact layout: about 17.4 bytes
 * per neuron instead of about 59 (at large n; parts of fixed size add more per neuron at small
 * n: about 30 and 67 at n = 2000), the same spikes. A compact network refuses, with
 * SP_ERR_UNSUPPORTED and nothing changed: sp_set_drive, sp_set_params of SP_PARAM_DRIVES or
 * SP_PARAM_V0, sp_record, sp_backward, sp_run_until and sp_network_replica. (README.md, Memory
 * layouts.)
 *
 * sp_network_create(d) makes exactly one request of this size from the allocator (recording
 * for training allocates more later, in sp_record). d goes through the same checks as in
 * sp_network_create, all but the last two: the initial state, and the check that an EIF or
 * custom model's phase table as built passes the loader's table check (SP_ERR_UNSUPPORTED
 * "fails its own check"), are computed only at creation.
 *
 * Parameters: d, the description (not NULL).
 *             bytes, receives the size (not NULL).
 * Returns:    SP_OK; SP_ERR_ARGUMENT, SP_ERR_UNSUPPORTED or SP_ERR_NUMERIC for a description
 *             sp_network_create refuses; SP_ERR_NOMEM when the network would need more
 *             memory than can be addressed.
 * On failure: *bytes is not written.
 * Allocates:  never.
 * Threads:    any thread (d is only read).
 */
SP_API sp_status sp_network_memory(const sp_network_desc *d, size_t *bytes) SP_NOEXCEPT;

/* sp_network_create - create a network from a description.
 *
 * The network starts at now() = 0 with the voltages v0 (or the seeded phases), no queued
 * input, no recording and zero gradients. The arrays d points to are copied; the caller may
 * free them after the call.
 *
 * Parameters: d, the description (not NULL), see sp_network_desc and the struct_size rules.
 *             out, receives the handle (not NULL); destroy it with sp_network_destroy.
 * Returns:    SP_OK;
 *             SP_ERR_ARGUMENT: d NULL, a bad struct_size, an unknown model or frame, n = 0 or
 *               above 2^31, tau or t_ref not finite, tau < 0 (0 is the default, 0.01) or
 *               t_ref < 0 (a finite value
 *               beyond the numeric range gives SP_ERR_NUMERIC, below), a non-finite drive,
 *               weight or v0, a LIF v0 at or above 1, invalid connectivity (see
 *               sp_synapses), synapses with n_inputs == 0, an allocator missing one function;
 *             SP_ERR_UNSUPPORTED: a QIF drive <= 0, an EIF or custom drive that is excitable
 *               or cannot be tabulated, more than 64 distinct EIF/custom drives (the message
 *               names the drive and why), model_params on LIF or QIF, a non-zero byte past the
 *               known layout, SP_FRAME_PHASE forced without one shared oscillatory drive or
 *               (LIF) with t_ref above 512 tau;
 *             SP_ERR_NUMERIC: a value outside the numeric range (see SP_ERR_NUMERIC), an
 *               oscillatory drive whose free period is not finite or below 2^-30 tau, a
 *               non-finite initial state;
 *             SP_ERR_NOMEM: the allocator returned NULL, or more memory than can be addressed.
 * On failure: *out == NULL (when out is not NULL); nothing stays allocated.
 * Allocates:  one block of sp_network_memory(d) bytes through d->allocator (default: the C
 *             library's), freed by sp_network_destroy.
 * Threads:    any thread; the new handle may be used and destroyed by any one thread.
 */
SP_API sp_status sp_network_create(const sp_network_desc *d, sp_network **out) SP_NOEXCEPT;

/* sp_network_destroy - free a network and everything it allocated (its tape included).
 *
 * Parameters: net, a handle from sp_network_create, sp_load or sp_load_file, or NULL (a
 *             no-op). The handle is invalid afterwards.
 * Returns:    nothing.
 * Allocates:  never; frees through the allocator the network was created with.
 * Threads:    one at a time per handle, and no other call on the handle concurrently.
 */
SP_API void sp_network_destroy(sp_network *net) SP_NOEXCEPT;

/* sp_network_size - the number of neurons.
 *
 * Parameters: net, a handle or NULL.
 * Returns:    n; 0 for NULL.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API uint32_t sp_network_size(const sp_network *net) SP_NOEXCEPT;

/* ---------------------------------------------------------------------------------------- */
/* Running                                                                                   */

typedef struct sp_spike {
  double t;        /* spike time in seconds */
  uint32_t neuron; /* index of the neuron that spiked */
  uint32_t flags;  /* 0, or SP_SPIKE_* bits saying why it spiked then (this field was named
                      `reserved`, always 0, in 0.1: the layout is unchanged) */
} sp_spike;

/* sp_spike.flags. 0 is an ordinary spike: the neuron's own dynamics reached threshold, so its
   time depends smoothly on the parameters and dL/dt for it flows back through sp_backward. */
enum sp_spike_flag {
  /* An event's jump at this instant took the neuron to threshold: its time is that event's
     time (event rule 2). Caused by a network spike, dL/dt for it is passed on to that spike. */
  SP_SPIKE_TRIGGERED = 1,
  /* Set with SP_SPIKE_TRIGGERED when the chain of jumps that took it to threshold starts at an
     external input (sp_input) at this instant, directly or through spikes triggered then: its
     time is the input's time, which no parameter moves, so it carries no gradient (dL/dt for
     it adds nothing). sp_save keeps the cause of a spike due at the saved instant. */
  SP_SPIKE_INPUT_TRIGGERED = 2
};

/* sp_step - process exactly the next network spike.
 *
 * Queued inputs due at or before the next spike are applied first (see Event semantics).
 * While recording (sp_record), the spike and those inputs are recorded. now() becomes the
 * spike's time.
 *
 * Parameters: net, the network.
 *             out, receives the spike, or NULL.
 * Returns:    SP_OK;
 *             SP_ERR_STATE when no neuron will ever spike and no input is queued (nothing
 *               changes). If inputs are queued but applying all of them gives no spike, they
 *               are applied (now() moves to the last one) and SP_ERR_STATE is returned;
 *             SP_ERR_CAPACITY while recording (nothing changes) when the tape has no room for
 *               one more spike and the queued inputs due before it (all queued inputs when no
 *               spike is due, with the spike only if one of them has a synapse of weight >= 0:
 *               it may cause one; see sp_run); only inhibitory inputs
 *               that delay the spike past further inputs the tape cannot hold leave those
 *               before them applied;
 *             SP_ERR_NUMERIC when the next spike is a neuron's second at one instant: its
 *               free period is below the resolution of now() and it would spike there
 *               forever. Nothing changes, except with current-based synapses (tau_syn > 0),
 *               where no input is ignored: an input queued at that instant can make a neuron
 *               that spiked then due again, and the step's inputs before the refused spike
 *               then stay applied (now() at their time);
 *             SP_ERR_STATE (nothing changes) on a replica whose parent's parameters changed
 *               since its last sp_rewind.
 * On failure: *out is not written; the network is unchanged except as stated above.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_step(sp_network *net, sp_spike *out) SP_NOEXCEPT;

/* sp_run - process every event before t_end.
 *
 * Processes every event with time < t_end in order (see Event semantics), writing the spikes
 * to buf. If buf fills first, stops after the cap-th spike (now() is its time, nothing is
 * lost) and returns SP_OK with *count == cap: call again to go on. Otherwise now() becomes
 * t_end. While recording (sp_record), the events are recorded. A network in which no neuron
 * will ever spike again (and no input is queued before t_end) is a normal end: SP_OK, now()
 * becomes t_end (unlike sp_step, which has no t_end to go to and returns SP_ERR_STATE).
 * A t_end exactly at a neuron's spike time leaves that spike to the next call, which gives
 * it, and every later spike, bit for bit as one uninterrupted run would (Event semantics,
 * rule 4, which also names the one exception).
 *
 * Parameters: net, the network.
 *             t_end, finite, >= now().
 *             buf, cap, room for cap spikes; buf may be NULL with cap == 0 to count the spikes
 *               only (then it never stops early; a non-NULL buf with cap == 0 is the same and
 *               is not written: a loop that passes the room left must stop at a full buffer,
 *               not call again with cap 0 and add the count to its fill).
 *             count, receives the number of spikes processed (and written to buf when cap >
 *               0), or NULL.
 * Returns:    SP_OK;
 *             SP_ERR_ARGUMENT: t_end not finite or before now(), buf NULL with cap > 0;
 *             SP_ERR_CAPACITY while recording: a full tape stops the run before the event
 *               (input or spike) that would not fit, checked before the call changes anything
 *               for its first spike and the inputs before it (with no spike due before t_end
 *               but inputs queued before it, room for a spike too when one of them has a
 *               synapse of weight >= 0, as it may cause one, or a neuron's own spike is due
 *               within 1e-9 (relative) after t_end, which an input's rounding may bring
 *               before it, and for the re-bases that may come up to t_end); only inhibitory
 *               inputs that delay the spike past further inputs the tape cannot hold leave
 *               those before them applied, as in sp_step.
 *               Near the tape's end a run split into calls, e.g. by a small cap, may stop
 *               earlier than one call: an input that one call applies before the spike that
 *               does not fit, a call starting just before it refuses with that spike;
 *             SP_ERR_NUMERIC before a neuron's second spike at one instant (see sp_step): it
 *               never spikes at one instant forever (runaway excitation whose spikes are an
 *               ulp apart still advances time that slowly: bound such runs with cap);
 *             SP_ERR_STATE on a replica whose parent's parameters changed since its last
 *               sp_rewind (changes nothing, does not write *count).
 * On failure: SP_ERR_ARGUMENT changes nothing and does not write *count. After
 *             SP_ERR_CAPACITY or SP_ERR_NUMERIC, *count still gives the spikes processed and
 *             written, and the events before the refused one stay processed.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_run(sp_network *net, double t_end, sp_spike *buf, size_t cap,
                        size_t *count) SP_NOEXCEPT;

/* sp_run_until - run until every watched neuron has spiked, or t_end.
 *
 * The per-sample call of a training loop (e.g. watch = the output neurons of a first-spike
 * readout). Processes events in order as sp_run does, writing the spikes to buf, and stops
 * right after the spike that completes the watched set (each of watch[0 .. n_watch) has
 * spiked at least once during this call; repeats in watch count once): now() is its time,
 * and any other event at that instant is left for the next call. Without that, it stops as
 * sp_run at t_end (now() = t_end), also when no neuron will ever spike again: a normal end,
 * SP_OK. Whether the set completed: now() < t_end. While recording, the events are recorded.
 *
 * Parameters: net, the network.
 *             t_end, finite, >= now().
 *             watch, n_watch, the watched neurons (each < n), n_watch >= 1.
 *             buf, cap, room for cap spikes; buf may be NULL with cap == 0 to count only
 *               (then the buffer never stops it; a non-NULL buf with cap == 0 is the same).
 *             count, receives the number of spikes processed (and written to buf), or NULL.
 * Returns:    SP_OK (the set completed, or t_end was reached);
 *             SP_ERR_ARGUMENT: t_end not finite or before now(), watch NULL, n_watch 0, a
 *               watched neuron out of range, buf NULL with cap > 0;
 *             SP_ERR_CAPACITY when buf filled (cap spikes) before the set completed: it stops
 *               after the cap-th spike as sp_run does (now() is its time), the cap spikes stay
 *               processed (call again, watching the neurons that have not spiked yet); while
 *               recording, a full tape as in sp_run;
 *             SP_ERR_NUMERIC as sp_run;
 *             SP_ERR_UNSUPPORTED on a network with the compact layout (sp_network_memory);
 *             SP_ERR_STATE on a replica whose parent changed since its last sp_rewind.
 * On failure: SP_ERR_ARGUMENT, SP_ERR_UNSUPPORTED and SP_ERR_STATE change nothing and do not
 *             write *count. After SP_ERR_CAPACITY or SP_ERR_NUMERIC, *count still gives the
 *             spikes processed and written, and the events before the refused one stay
 *             processed.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_run_until(sp_network *net, double t_end, const uint32_t *watch, size_t n_watch,
                              sp_spike *buf, size_t cap, size_t *count) SP_NOEXCEPT;

/* sp_now - the network's current time in seconds.
 *
 * Parameters: net, a handle or NULL.
 * Returns:    now(); NaN for NULL.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API double sp_now(const sp_network *net) SP_NOEXCEPT;

/* sp_input - queue an external input event.
 *
 * The event's synapses (desc.inputs, row `channel`) are applied when it is processed, by
 * sp_step or sp_run (see Event semantics for ties). sp_rewind drops queued inputs.
 *
 * Parameters: net, the network.
 *             channel, < desc.n_inputs.
 *             t, the event's time: finite, >= now() (-0.0 is taken as 0).
 * Returns:    SP_OK;
 *             SP_ERR_ARGUMENT: channel out of range (any channel when n_inputs == 0), t not
 *               finite or before now();
 *             SP_ERR_CAPACITY when the queue (desc.input_capacity) is full.
 * On failure: nothing is queued.
 * Allocates:  never (the queue was allocated at creation).
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_input(sp_network *net, uint32_t channel, double t) SP_NOEXCEPT;

/* sp_input_many - queue n external input events in one call (a sample's whole input).
 *
 * The same as sp_input(net, channels[e], times[e]) for e = 0 .. n-1 in that order (so events
 * at equal times are applied in array order), all or nothing. The times need not be sorted.
 *
 * Parameters: net, the network.
 *             channels, times, n events (both may be NULL only when n == 0: nothing happens).
 * Returns:    SP_OK;
 *             SP_ERR_ARGUMENT: channels or times NULL with n > 0, a channel out of range, a
 *               time not finite or before now() (the message names the first such index);
 *             SP_ERR_CAPACITY when the queue (desc.input_capacity) has no room for all n.
 * On failure: nothing is queued.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_input_many(sp_network *net, const uint32_t *channels, const double *times,
                               size_t n) SP_NOEXCEPT;

/* sp_voltage - the voltage of one neuron at now() (held at reset during a refractory period).
 *
 * A neuron an input took to or past its threshold at now() whose spike is still to come (due:
 * it spikes at now() at the next step) reports the voltage the input gave it, at or above the
 * threshold (LIF: V >= 1; EIF and custom models with a finite v_spike: v_spike itself), so
 * such voltages are not valid SP_PARAM_V0 values.
 * QIF, and EIF and custom models that spike at V = +inf, report +INFINITY for a neuron whose
 * own spike time, as the next step would report it, is now() (after sp_run to exactly that
 * time, say: its phase may be a rounding short of the blow-up, where V would read finite and
 * huge, e.g. 1.8e16 for QIF or V_T + 35 D_T for EIF) or whose phase is within rounding of its
 * spike (e.g. a v0 far above V_T: the time left to the blow-up is below the phase's
 * resolution); it spikes at now(), ignoring that instant's inputs (sp_input_many). The phase
 * models (QIF, EIF, custom) keep a phase, so a voltage read from it is exact up to
 * dV/dphi = F(V) + I times the phase's rounding: a v0 of 3 with EIF's defaults (F + I about
 * 5e7) reads back as 3 + 9.4e-9 (drive 1.1). LIF
 * keeps I - V scaled by the frame's clock, so a voltage read back carries a rounding of about
 * an ulp of I (a v0 of 0.1 at drive 1.2 reads back as 0.10000000000000009, after creation as
 * after sp_rewind; the network runs from its state, not from that reading).
 *
 * Parameters: net, the network.
 *             neuron, < n.
 *             v, receives the voltage (not NULL).
 * Returns:    SP_OK; SP_ERR_ARGUMENT: v NULL, neuron out of range; SP_ERR_STATE: a replica
 *             whose parent's parameters changed since its last sp_rewind.
 * On failure: *v is not written.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_voltage(const sp_network *net, uint32_t neuron, double *v) SP_NOEXCEPT;

/* sp_voltages - all n voltages at now(), as sp_voltage gives them.
 *
 * Parameters: net, the network.
 *             v, n, an array of n doubles (not NULL); n must equal the number of neurons.
 * Returns:    SP_OK; SP_ERR_ARGUMENT: v NULL, n not the number of neurons; SP_ERR_STATE: a
 *             replica whose parent's parameters changed since its last sp_rewind.
 * On failure: v is not written.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_voltages(const sp_network *net, double *v, size_t n) SP_NOEXCEPT;

/* sp_set_drive - set the drive of one neuron from now() on.
 *
 * Its voltage at now() is kept: the neuron's state is re-expressed for the new drive from the
 * voltage sp_voltage reads before the call, so sp_voltage reads it back up to that rounding
 * (LIF: within 2^-50 max(|V|, |I|), I the new drive, also where the call re-bases the clock;
 * the phase models: as sp_voltage says, the phase's rounding times dV/dphi). A neuron held at
 * reset, or reset at now(), is re-expressed at its reset voltage exactly, which the voltage
 * read before the call may miss by its state's rounding (LIF: several ulps of I). With
 * current-based synapses the synaptic current is kept too, and V up to several ulps of the
 * largest of |I| and the two decaying terms V is the sum of (README, Current-based synapses),
 * which a large current makes larger than |V|. So a drive set
 * and set back at one instant need not restore the state bit for bit. A neuron due at now()
 * stays due: the next step spikes it at now(), in either frame, whatever the new drive. That
 * includes a neuron whose spike time is now() with no event there (sp_run to exactly its spike
 * time leaves that spike to the next call; its voltage may read 1 plus or minus the drive's
 * rounding) and one whose kept voltage is at or above threshold. The frame rule (see
 * "Frames" in the Experimental section) picks the frame for the new drives: the time frame
 * when they differ, the phase frame again when they become one shared oscillatory drive.
 * Costs O(log n), plus O(n) when the frame changes, a scan of the drives while they may all
 * be equal, and for QIF a scan of the drives for the largest (its re-base interval). Setting
 * the drive a neuron already has changes nothing (the parent's replicas stay current). The
 * co-moving frame of QIF, EIF and custom models is re-based at intervals set by the drives in
 * use (the largest for QIF; README.md, "Models and conventions"), so a drive change can move
 * the re-bases, and the other neurons' later spike times may then differ in the last bits from
 * a run without the change, even where no synapse connects them (an outside tester found 16
 * such cases in random networks of 3-7 unconnected neurons). LIF's interval, 32 tau, does not
 * depend on the drives.
 *
 * Parameters: net, the network.
 *             neuron, < n.
 *             drive, the new drive I (see sp_model for the admissible values).
 * Returns:    SP_OK;
 *             SP_ERR_ARGUMENT: neuron out of range, drive not finite;
 *             SP_ERR_UNSUPPORTED: a QIF drive <= 0; an EIF or custom drive the network has no
 *               phase table for (one not given at creation); a replica; a network with the
 *               compact layout (sp_network_memory);
 *             SP_ERR_NUMERIC: a drive outside the numeric range, or with a free period that
 *               is not finite or below 2^-30 tau or below the resolution of now() (now() +
 *               period/4 rounds to now(): a period of at most about 2 ulps of now());
 *             SP_ERR_STATE while recording (drives cannot change then), even for the drive
 *               the neuron already has. Checked after the neuron index and the value's own
 *               checks (not finite; a QIF drive <= 0; its free period against tau), before
 *               those that depend on the network (an EIF or custom drive without a table,
 *               the resolution of now()).
 * On failure: the network is unchanged.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_set_drive(sp_network *net, uint32_t neuron, double drive) SP_NOEXCEPT;

/* sp_rewind - back to t = 0 and the initial state (v0 or the seeded phases).
 *
 * Queued inputs are dropped. Parameters, gradients and connectivity are kept. Ends any
 * recording (without a backward pass; the tape stays allocated for the next sp_record). The
 * frame rule is applied again.
 *
 * Parameters: net, the network.
 * Returns:    SP_OK (SP_ERR_ARGUMENT only for a NULL net).
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_rewind(sp_network *net) SP_NOEXCEPT;

/* ---------------------------------------------------------------------------------------- */
/* Training                                                                                  */

typedef int32_t sp_param;
enum sp_param_code {
  SP_PARAM_WEIGHTS = 1,       /* recurrent weights in CSR order; procedural or shared: 1;
                                 no synapses (row_ptr NULL, k 0): 0 (its kept `weight` is
                                 neither read nor set here) */
  SP_PARAM_INPUT_WEIGHTS = 2, /* input weights in CSR order; procedural or shared: 1; no
                                 synapses: 0 */
  SP_PARAM_DRIVES = 3,        /* n drives */
  SP_PARAM_V0 = 4             /* n initial voltages (the state sp_rewind returns to); its
                                 gradient is w.r.t. the voltages where recording started */
};

/* sp_param_count - the number of values of a parameter kind (the len the calls below need).
 *
 * Parameters: net, the network.
 *             p, an sp_param value.
 *             len, receives the count (not NULL).
 * Returns:    SP_OK; SP_ERR_ARGUMENT: len NULL, p unknown.
 * On failure: *len is not written.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_param_count(const sp_network *net, sp_param p, size_t *len) SP_NOEXCEPT;

/* sp_get_params - copy the current values of a parameter kind.
 *
 * Parameters: net, the network.
 *             p, an sp_param value.
 *             out, len, an array of exactly sp_param_count(p) doubles (out may be NULL only
 *               when len == 0).
 * Returns:    SP_OK; SP_ERR_ARGUMENT: p unknown, len not the count, out NULL with len > 0.
 * On failure: out is not written.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_get_params(const sp_network *net, sp_param p, double *out,
                               size_t len) SP_NOEXCEPT;

/* sp_set_params - set every value of a parameter kind.
 *
 * Weights apply to the deliveries from now() on. SP_PARAM_DRIVES acts as sp_set_drive on
 * every neuron whose drive changes (voltages at now() kept, to the rounding sp_set_drive
 * states; the frame rule applied): one drive changed either way gives the same spikes after.
 * When the frame stays the time frame, the other neurons' next spike times are kept as they
 * are; a frame change recomputes every one from its state. Several drives changed at once
 * act as sp_set_drive on each in index order, except that the frame rule and the re-base
 * interval (see sp_set_drive) follow the new drives once, after all of them: so where the
 * calls one at a time would switch frames, or move a QIF, EIF or custom network's re-base to
 * between two of the changes, later spike times may differ in the last bits from theirs (1-2
 * ulps in an outside tester's QIF and EIF networks; spikes reported at one time may then also
 * come in another order, as between frames).
 * SP_PARAM_V0 sets the state sp_rewind returns to; the current state is unchanged. Values
 * are checked as in sp_network_create. Values equal bit for bit to the current ones change
 * nothing (the parent's replicas stay current, as with sp_set_drive and the drive a neuron
 * already has).
 *
 * Parameters: net, the network.
 *             p, an sp_param value.
 *             in, len, exactly sp_param_count(p) doubles (in may be NULL only when len == 0).
 * Returns:    SP_OK;
 *             SP_ERR_ARGUMENT: p unknown, len not the count, in NULL with len > 0, a value
 *               not finite, a LIF v0 at or above 1;
 *             SP_ERR_STATE while recording (parameters cannot change then);
 *             SP_ERR_UNSUPPORTED: a QIF drive <= 0; an EIF or custom drive the network has
 *               no table for (see SP_MODEL_EIF); a replica; SP_PARAM_DRIVES or SP_PARAM_V0
 *               on a network with the compact layout (sp_network_memory);
 *             SP_ERR_NUMERIC: a value outside the numeric range; a changed drive with a free
 *               period that is not finite or below 2^-30 tau or below the resolution of now().
 * On failure: no value is changed (all are checked before any is set). The checks come in this
 *             order, the first that fails giving the status: p, a replica, len and in,
 *             recording, the compact layout, then the values (so while recording, NaN values
 *             get SP_ERR_STATE).
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_set_params(sp_network *net, sp_param p, const double *in,
                               size_t len) SP_NOEXCEPT;

/* sp_record - start recording from now() for a backward pass.
 *
 * Allocates the tape once (a later call reuses it when it is large enough; a call while
 * recording restarts the recording). The tape holds max_spikes spikes. Beside them: events
 * share 2 max_spikes + 64 entries (spikes, input events, and the re-bases of the co-moving
 * frame: at most one per event, once the model's re-base span, e.g. 32 tau for LIF, for EIF and
 * custom models 8 of the shortest intervals between a neuron's spikes but at least 1/8 of the
 * longest (see the top of this file), has passed since the last), and the inputs' synapses
 * room for max_spikes + 64 of the longest input rows. So max_spikes input events fit beside
 * max_spikes spikes unless re-bases take their room (events that far apart; the up-front check
 * of sp_step, sp_run and sp_run_until counts those that may come up to the call's first spike
 * or t_end, and room for a spike that its queued inputs may cause (inputs with a synapse of
 * weight >= 0), so a call may be refused a few entries before the tape is full). Running past it fails with SP_ERR_CAPACITY before the
 * event that would not fit.
 * Drives and parameters cannot change while recording (SP_ERR_STATE). The recording ends with
 * sp_backward (on success) or sp_rewind.
 * The gradients are those of the recorded segment: the state at its start is held fixed (the
 * voltages there, whose gradient SP_PARAM_V0 reports (0 for a neuron held at reset then: its
 * voltage is the reset's until its refractory period ends), the refractory periods then
 * running, and with current-based synapses the synaptic currents, which are not parameters),
 * so a weight's or a drive's gradient counts its effect from the recording's start on.
 * Recording from t = 0 (after sp_rewind) gives the gradients of the whole run.
 * Starting a recording re-bases the co-moving clock at now() when the model's re-base span has
 * passed since the last re-base (the next event would), so that the start states have a clock
 * near 1: a change of coordinates whose rounding can make the later spike times differ in the
 * last bits from the same calls without sp_record (an outside tester: 1 ulp). At t = 0 it
 * changes nothing.
 * Size (this version): the tape takes 96 + 8 K_rec + 8 K_in bytes per spike of max_spikes
 * (K_rec, K_in: the longest recurrent and input rows; 16 more with current-based synapses),
 * plus 512 K_in + 3072 bytes and 28 n bytes (60 n with current-based synapses); the gradient
 * storage, allocated once, 16 (P_rec + P_in + 2 n) bytes (P: sp_param_count of the weights);
 * each array in them is rounded up to 64 bytes.
 *
 * Parameters: net, the network.
 *             max_spikes, 1 to 2^31 - 33: the spikes the tape must hold.
 * Returns:    SP_OK;
 *             SP_ERR_ARGUMENT: max_spikes 0 or above 2^31 - 33 (the tape's event count is
 *               32-bit; on a target with a 32-bit size_t above SIZE_MAX / 256, 2^24 - 1);
 *             SP_ERR_UNSUPPORTED: a network with the compact layout (sp_network_memory);
 *             SP_ERR_STATE: a replica whose parent's parameters changed since its last
 *               sp_rewind;
 *             SP_ERR_NOMEM: the allocator returned NULL, or the tape would need more memory
 *               than can be addressed.
 * On failure: the network is unchanged (a recording in progress goes on).
 * Allocates:  through the network's allocator: the gradient storage at the first call, and a
 *             tape whenever the current one is too small (the previous one is freed). Both
 *             are freed by sp_network_destroy.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_record(sp_network *net, size_t max_spikes) SP_NOEXCEPT;

/* sp_backward - add the gradients of a loss L over the recording to the accumulated ones.
 *
 * dl_dt[s] = dL/dt for the s-th recorded spike; dl_dv_end[i] = dL/dV_i at now() (for a neuron
 * due then, taken to threshold by an input, V is the voltage the input gave it, before the
 * clamp at a finite v_spike that sp_voltage reports for EIF and custom models, so its gradient
 * is not the derivative of that reading; its drive gradient is a difference of terms of size
 * G(v_spike) |dT_I/dI|, G = F + I, good to about 2^-52 of that: with EIF's other defaults,
 * 1e-7 at drive 1.1 and 2e-8 at 1.5 for v_spike = 3, 3 to 50 at drives 2 to 1.1 for
 * v_spike = 5; a QIF, EIF or custom neuron at its blow-up at now(), V = +inf as sp_voltage
 * reports it, has no dV: a non-zero dl_dv_end[i] for it gives SP_ERR_NUMERIC naming it).
 * Adds the gradients of L to the accumulated gradients (sp_get_grads) and ends the recording.
 * Gradients are exact for the recorded spike order, to the rounding of their terms. One case
 * where large terms cancel (an outside check against closed forms, not fixed): QIF's drive
 * gradient of the time to a spike from a state set far above sqrt(I) (at the recording's start
 * or by an input) is a difference of two terms of about T/(2I), T the time left, so good to
 * about 2^-52 T/I absolute (3e-5 relative at I = 1e-6 from V = 7; at V/sqrt(I) = 1e8 not even
 * its sign). Where a spike and an input fall at the same instant, the spike time has a kink in
 * the parameters: the gradient is the one-sided
 * derivative in the direction that keeps the recorded order (the input, delivered first, stays
 * before the spike); central finite differences straddle the kink and disagree with it.
 * So for an input at a QIF, EIF or custom neuron's own spike instant at V = +inf, which it
 * ignores (event rule 2): the input first, just before the blow-up, where it scales the time
 * left by G(V)/G(V + w): its limit as V -> +inf, 1 for QIF, exp(-w/D_T) for EIF, and for a
 * custom F exp(-kappa w) with kappa = lim d ln G/dV, which sp_network_create samples from F
 * (up to where F(V) + I overflows, or V = 1e300: kappa = 0 for F growing like a power of V, 1/D
 * for D exp(V/D), also under a power of V); for F growing faster than any exponential the
 * limit is 0 for w > 0 and +inf for w < 0, where sp_backward fails with SP_ERR_NUMERIC (a
 * gradient not finite). A network loaded from a file written before kappa was sampled takes
 * 0. With current-based synapses, an input at a
 * neuron's own crossing instant that makes dV/dt negative there (the neuron spikes anyway:
 * sp_network_desc's tau_syn) leaves that side without a crossing, and the gradient is the
 * continuous side's, the spike first: the slope before the input, the input after the spike
 * (and after its reset when t_ref = 0; a recording that ends at that spike ends before the
 * instant's external inputs, so the drift of every V at the end has the currents before them).
 * A neuron due when the recording starts (at threshold then, e.g. after sp_run to exactly its
 * spike time, or kept due by a drive change) spikes at the start, which is fixed with the
 * starting state: that spike's time has no gradient (the side that keeps it there), and the
 * neuron's SP_PARAM_V0 gradient is 0 (its state there is replaced by the reset at once); so
 * does a spike an input at the start triggers. (A LIF neuron due then whose spike an input at
 * that instant cancels does not spike then: its gradients are those of its state, as for any
 * other neuron.)
 * When the recording ended at a spike (its last recorded event is a spike at now():
 * sp_run_until completing its set, sp_step, a run stopped by its buffer, or by the tape when no
 * input came after its last spike), the end moves with that spike, and the gradient of the
 * dl_dv_end term includes it (sum_i dL/dV_i dV_i/dt times that time's gradient). For a neuron
 * that spike's cascade kicked at now(), dV_i/dt is taken before the kicks (V_i(now) is V_i
 * before them plus their weights), without the terms of the drift after them that would
 * cancel; where another spike at that instant is not of the cascade (a tie with a neuron
 * reaching threshold on its own, or a spike an input set off at that instant) it is the drift
 * after the kicks plus their time partials, exact but not protected from that cancellation:
 * for an EIF kick far up the upswing (V beyond about V_T + 20 D_T, 3 with the defaults) the
 * term is then lost (an outside check: 2e-3 to 30% off, or 0). A voltage that high is also
 * read from a phase that resolves
 * it coarsely (sp_voltage: 4.604365 for both 4.588 and 4.638), and dl_dv_end's gradients of
 * that neuron's own weight, drive and v0 inherit it (dL/dw 0.82 or 0.50 for an exact 0.7, the
 * same check). A neuron
 * that spiked at now() then (that spike, or another of its instant) is at its reset there
 * whatever the parameters: its dl_dv_end[i] adds nothing (a QIF neuron's reset reads as a huge
 * negative voltage, sp_voltage). Otherwise now() is fixed: t_end after a run to t_end, the last
 * input's time when the tape stopped a run after an input.
 * LIF with a refractory period of about 700 tau or more (less by ln(|I|/tau) for a drive I with
 * |I| > tau, whose reset's time partial carries I/tau: about 500 tau for I = -4.5e97, tau = 0.01):
 * a gradient carried across such a
 * period (to a spike after it, or a voltage) needs an adjoint beyond the range of a double
 * (it falls below 2^-1042 across the period, even where the gradient itself is of order one)
 * and sp_backward refuses it with SP_ERR_NUMERIC; losses
 * on spikes before any such period ends (first-spike readouts) are exact.
 *
 * Parameters: net, the network.
 *             dl_dt, n_spikes, n_spikes finite values; n_spikes must equal the number of
 *               spikes recorded (dl_dt may be NULL only when it is 0).
 *             dl_dv_end, n finite values dL/dV at now(), or NULL (no such term).
 * Returns:    SP_OK;
 *             SP_ERR_UNSUPPORTED: a network with the compact layout (sp_network_memory);
 *             SP_ERR_STATE when nothing is being recorded (no sp_record, or it has ended),
 *               or net is a replica whose parent's parameters changed since its sp_rewind;
 *             SP_ERR_ARGUMENT: n_spikes not the number recorded, dl_dt NULL with
 *               n_spikes > 0, a value of dl_dt or dl_dv_end not finite;
 *             SP_ERR_NUMERIC when a gradient is not finite (e.g. a product overflowing with
 *               a huge dl_dt, or the sum with the gradients accumulated before: the message
 *               then gives that earlier value), a LIF gradient is carried across a
 *               refractory period of about 700 tau or more (above), or dl_dv_end[i] is not 0
 *               for a QIF, EIF or custom neuron at its blow-up (V = +inf) at now() (checked
 *               before the sweep).
 *             The checks run in this order and the first failing one is returned: a call
 *             with nothing recorded is SP_ERR_STATE whatever its arguments.
 * On failure: nothing is accumulated and the recording is kept (the call can be repeated,
 *             e.g. with smaller dl_dt).
 * Allocates:  never (sp_record allocated everything).
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_backward(sp_network *net, const double *dl_dt, size_t n_spikes,
                             const double *dl_dv_end) SP_NOEXCEPT;

/* sp_get_grads - copy the accumulated gradients of a parameter kind.
 *
 * The gradients accumulate over sp_backward calls until sp_zero_grads; all 0 before the
 * first sp_record.
 *
 * Parameters: net, the network.
 *             p, an sp_param value.
 *             out, len, an array of exactly sp_param_count(p) doubles (out may be NULL only
 *               when len == 0).
 * Returns:    SP_OK; SP_ERR_ARGUMENT: p unknown, len not the count, out NULL with len > 0.
 * On failure: out is not written.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_get_grads(const sp_network *net, sp_param p, double *out,
                              size_t len) SP_NOEXCEPT;

/* sp_zero_grads - set every accumulated gradient to 0.
 *
 * Parameters: net, the network.
 * Returns:    SP_OK (SP_ERR_ARGUMENT only for a NULL net).
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_zero_grads(sp_network *net) SP_NOEXCEPT;

/* ---------------------------------------------------------------------------------------- */
/* Data parallelism: replicas                                                                */
/*                                                                                           */
/* A replica runs samples with its parent's parameters and a state of its own: it shares the  */
/* parent's connectivity, weights, drives and initial voltages (read, never copied) and has  */
/* its own voltages, spike and input queues, tape and accumulated gradients. B samples on T   */
/* caller threads: one replica per thread, each runs its samples (sp_rewind, sp_input_many,   */
/* sp_record, sp_run_until, sp_backward), then the caller sums the replicas' gradients into   */
/* the parent (sp_grads_accumulate, one at a time), updates the parameters there once         */
/* (sp_set_params) and every replica sees them at its next sp_rewind. The library starts no   */
/* threads. Memory: a replica costs the dynamic state only, about 44 bytes per neuron plus    */
/* its tape; a copy of a network with explicit weights costs 12 bytes per synapse more (at    */
/* N = 10^6, K = 100: a replica about 44 MB, a copy about 1.27 GB).                           */
/*                                                                                           */
/* Rules. Lifetime: destroy the replicas before their parent. Threads: each replica is a      */
/* handle of its own (one thread at a time), and replicas of one parent may run at the same   */
/* time as each other and as the parent itself, because running only reads the parameters.   */
/* The parameters change only through the parent (sp_set_params, sp_set_drive), and only     */
/* while no replica is in a call (a call that sets the values they already have changes      */
/* nothing and may run while replicas do); a replica whose parent changed them since its     */
/* last sp_rewind (or its creation) refuses to run, record, differentiate, report voltages   */
/* or be saved with SP_ERR_STATE until it is rewound. It still takes inputs (sp_input,       */
/* sp_input_many), new replicas, and its gradients (sp_get_grads, sp_zero_grads,             */
/* sp_grads_accumulate either way: they are the old parameters' gradients).                  */
/* sp_grads_accumulate writes dst and reads src: neither may be in another call then, not    */
/* even another sp_grads_accumulate reading the same src. A replica saved with sp_save loads */
/* as an ordinary network.                                                                   */

/* sp_network_replica - a new network sharing parent's parameters (see above).
 *
 * The replica starts as sp_rewind leaves a network: t = 0, the initial state, no queued
 * input, no recording, zero gradients. A replica of a replica is a replica of its root
 * parent. sp_set_params and sp_set_drive on it are refused (SP_ERR_UNSUPPORTED); sp_get_params
 * and sp_param_count read the parent's.
 *
 * Parameters: parent, a network or replica (not NULL); it is only read.
 *             out, receives the handle (not NULL); destroy it with sp_network_destroy before
 *               the parent.
 * Returns:    SP_OK; SP_ERR_ARGUMENT: parent or out NULL; SP_ERR_UNSUPPORTED: a parent with
 *             the compact layout (sp_network_memory); SP_ERR_NOMEM: the allocator returned
 *             NULL.
 * On failure: *out == NULL (when out is not NULL); nothing stays allocated.
 * Allocates:  one block through the parent's allocator (the dynamic state: neurons, queues,
 *             scratch), freed by sp_network_destroy; its tape and gradients come with its
 *             first sp_record as for any network.
 * Threads:    reads the parent: not while the parent's parameters change. It may be called
 *             for one parent from several threads at once, and while the parent and its other
 *             replicas run (with an allocator that is safe to call from several threads at
 *             once, as the default is).
 */
SP_API sp_status sp_network_replica(sp_network *parent, sp_network **out) SP_NOEXCEPT;

/* sp_grads_accumulate - add src's accumulated gradients to dst's.
 *
 * For every parameter kind, dst's gradients += src's (src's are unchanged: zero them with
 * sp_zero_grads before its next samples). dst and src must share one parameter set: one is
 * the other's parent, or both are replicas of one parent. A src that never recorded adds
 * nothing. The sums are rounded like any: samples split over replicas and accumulated give
 * gradients that can differ in the last bits (about 1e-15 relative, an outside check measured
 * 8e-15) from the same samples run in turn on one network, which adds each sample's terms into
 * its running sums; the same split and order of accumulation give the same bits.
 *
 * Parameters: dst, src, the networks (not NULL, not the same).
 * Returns:    SP_OK;
 *             SP_ERR_ARGUMENT: dst or src NULL, the same network, or not sharing parameters;
 *             SP_ERR_NUMERIC: a sum would not be finite;
 *             SP_ERR_NOMEM: dst had no gradient storage yet (it never recorded) and the
 *               allocator returned NULL.
 * On failure: dst's gradients are unchanged.
 * Allocates:  dst's gradient storage if it never recorded and src did (as sp_record would).
 * Threads:    neither dst nor src may be in another call.
 */
SP_API sp_status sp_grads_accumulate(sp_network *dst, const sp_network *src) SP_NOEXCEPT;

/* ---------------------------------------------------------------------------------------- */
/* Saving and loading                                                                        */

/* sp_save - serialise a network into a caller buffer (or measure it).
 *
 * Writes parameters, connectivity and the full dynamic state (queued inputs included), so
 * that load + run continues bit-identically, in the versioned format of FORMAT.md (src/io/ in
 * the source, share/doc/sparseprop when installed). Not
 * saved: a recording in progress and the accumulated gradients. EIF and custom networks are
 * saved with their phase tables (format version 4), so that sp_load needs no callback.
 *
 * Parameters: net, the network.
 *             buf, cap, the destination and its size; buf == NULL: only *len = bytes
 *               needed (cap is ignored).
 *             len, receives the bytes written or needed (not NULL).
 * Returns:    SP_OK; SP_ERR_ARGUMENT: len NULL; SP_ERR_CAPACITY: cap below the bytes needed;
 *             SP_ERR_STATE: a replica whose parent's parameters changed since its last sp_rewind;
 *             SP_ERR_UNSUPPORTED: an input_capacity above 2^24, more than a saved network may
 *               have (sp_load would refuse the bytes), also when only measuring.
 * On failure: buf and *len are not written.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_save(const sp_network *net, void *buf, size_t cap, size_t *len) SP_NOEXCEPT;

/* sp_load - create a network from bytes written by sp_save.
 *
 * The new network continues exactly where the saved one was (no recording, zero gradients).
 *
 * Parameters: buf, len, the saved bytes (buf not NULL); the library does not keep them.
 *             a, the allocator for the new network, or NULL (the C library's).
 *             out, receives the handle (not NULL); destroy it with sp_network_destroy.
 * Returns:    SP_OK;
 *             SP_ERR_ARGUMENT: buf or out NULL, an allocator missing one function;
 *             SP_ERR_FORMAT: bytes that are not a valid saved network (wrong magic, a newer
 *               format version, truncated or extended, a checksum mismatch, a field out of
 *               range, a network sp_network_create would refuse, such as an EIF table for a
 *               drive less than 1e-12 M above the bifurcation, which earlier builds could
 *               save (SP_MODEL_EIF); but a request for the phase frame with drives that do
 *               not allow it loads, as SP_FRAME_AUTO, the request a drive change leaves,
 *               sp_set_drive);
 *             SP_ERR_NOMEM: the allocator returned NULL.
 * On failure: *out == NULL (when out is not NULL); nothing stays allocated.
 * Allocates:  through a: the network (as sp_network_create), one block; the bytes are
 *             decoded in place, without a temporary copy. Its size follows the file's fields,
 *             not only its length: every neuron's state is in the file, but the input queue's
 *             capacity (up to 2^24 entries) is a number, so a crafted file of a few hundred
 *             bytes can ask for some 335 MB (an outside fuzzer's). With bytes from an untrusted
 *             source, pass an allocator that caps the size. The checksum detects corruption,
 *             not tampering: a crafted file that passes the checks loads (src/io/FORMAT.md
 *             lists them; an EIF or custom table's series coefficients changed within their
 *             bounds, its header still agreeing with them, are used as saved).
 * Threads:    any thread.
 */
SP_API sp_status sp_load(const void *buf, size_t len, const sp_allocator *a,
                         sp_network **out) SP_NOEXCEPT;

/* sp_save_file - write sp_save's bytes to a file (created or truncated).
 *
 * Parameters: net, the network.
 *             path, the file name (not NULL).
 * Returns:    SP_OK;
 *             SP_ERR_ARGUMENT: path NULL;
 *             SP_ERR_STATE: a replica whose parent's parameters changed since its last sp_rewind;
 *             SP_ERR_UNSUPPORTED: an input_capacity above 2^24 (as sp_save);
 *             SP_ERR_NOMEM: the temporary buffer could not be allocated;
 *             SP_ERR_IO: the file could not be opened (also when the C library cannot allocate
 *               its FILE), written or closed.
 * On failure: the network is unchanged; after SP_ERR_IO the file may exist, truncated or
 *             partly written (after the other errors it is not opened).
 * Allocates:  a temporary buffer of 1 MiB through the network's allocator, freed before it
 *             returns: the bytes are streamed to the file (checksum included) in pieces of
 *             that size, so saving needs no memory the size of the network. The file itself
 *             is a C library stream (fopen, unbuffered), whose FILE the C library allocates
 *             with its own malloc, outside the network's allocator.
 * Threads:    one at a time per handle.
 */
SP_API sp_status sp_save_file(const sp_network *net, const char *path) SP_NOEXCEPT;

/* sp_load_file - create a network from a file written by sp_save_file.
 *
 * As sp_load on the file's bytes: the same checks, the same network (no recording, zero
 * gradients). A regular file that is empty or cut short is SP_ERR_FORMAT, as its bytes are.
 *
 * Parameters: path, the file name (not NULL).
 *             out, receives the handle (not NULL); destroy it with sp_network_destroy.
 * Returns:    SP_OK;
 *             SP_ERR_ARGUMENT: path or out NULL;
 *             SP_ERR_IO: the file cannot be opened (also when the C library cannot allocate
 *               its FILE) or read, or is not a regular file (a directory, a device such as
 *               /dev/null, a FIFO: refused before anything is read, and without waiting for
 *               a FIFO's writer);
 *             SP_ERR_FORMAT, SP_ERR_NOMEM: as sp_load.
 * On failure: *out == NULL (when out is not NULL); nothing stays allocated.
 * Allocates:  through the C library's allocator: the network, and a read buffer of 1.125 MiB
 *             (1 MiB, and an eighth of that for the same-instant flags read ahead; freed
 *             before it returns). The file is streamed straight into the network
 *             (checksum computed on the way, every value checked as sp_load checks it), so
 *             loading needs no memory the size of the file besides the network itself. The
 *             file is read once; a file whose payload fails a check is read to its end first,
 *             so that a corrupted one is reported as a checksum mismatch. A crafted file can ask for
 *             a network far bigger than itself, as with sp_load; sp_load_file has no
 *             allocator argument: for untrusted files, read them and use sp_load with one.
 * Threads:    any thread.
 */
SP_API sp_status sp_load_file(const char *path, sp_network **out) SP_NOEXCEPT;

/* ---------------------------------------------------------------------------------------- */
/* Experimental: may change or go in a minor version                                         */
/*                                                                                           */
/* Knobs and introspection meant for testing and diagnosis; a program that only simulates    */
/* and trains needs none of them.                                                            */

/* Frames: which event loop runs a network (sp_network_frame says which). The frame rule,
   applied at creation, sp_rewind and every drive change (so the frame depends only on the
   request and the drives): SP_FRAME_TIME when forced, otherwise SP_FRAME_PHASE exactly when
   the network allows it: one shared drive with every neuron oscillatory, delta synapses
   (tau_syn = 0) and, for LIF, t_ref up to 512 tau. Forcing SP_FRAME_PHASE needs such a network
   at creation (SP_ERR_UNSUPPORTED otherwise); a later drive change that makes the
   drives differ (or not oscillatory) releases it: the request becomes SP_FRAME_AUTO (and is
   saved so) and the time frame takes over. Forcing (desc.frame) is mostly for testing. */
typedef uint32_t sp_frame;
enum sp_frame_code {
  SP_FRAME_AUTO = 0,
  /* One shared drive, every neuron oscillatory: the queue is keyed on the co-moving phase
     (u for LIF), a spike touches only its targets. LIF: t_ref <= 512 tau (forcing it with a
     longer refractory period is SP_ERR_UNSUPPORTED; SP_FRAME_AUTO picks the time frame). */
  SP_FRAME_PHASE = 1,
  /* Anything: the queue is keyed on each neuron's next spike time (+inf if none). */
  SP_FRAME_TIME = 2
};

/* sp_network_frame - the frame the engine runs now.
 *
 * Parameters: net, a handle or NULL.
 * Returns:    SP_FRAME_PHASE or SP_FRAME_TIME; 0 for NULL.
 * Allocates:  never.
 * Threads:    one at a time per handle.
 */
SP_API uint32_t sp_network_frame(const sp_network *net) SP_NOEXCEPT;

/* Vector math. x86-64 builds with glibc's libmvec (meson option vector_math, on by default
   where it links) compute QIF phase transitions four at a time with libmvec's AVX2 tan and
   atan when the CPU has AVX2, chosen at run time; elsewhere, with -Dvector_math=disabled or
   with the environment variable SPARSEPROP_VECTOR_MATH=off (or 0), the scalar libm functions.
   The two agree to a few units in the last place, and that is all that differs:
     - LIF networks: bit-identical spikes, states and gradients on either path.
     - QIF in the time frame: bit-identical spikes; gradients may differ in the last bits.
     - QIF in the phase frame, where an event's targets all get one kick (a shared weight and
       no repeated target, e.g. procedural connectivity): spike times and gradients may differ
       in the last bits. Like any perturbation of a chaotic network the difference then grows:
       in tests/abi/test_vector_math.c the first 1000 spikes of a 400-neuron network (about
       10 tau) agree within 1e-12 s (measured: about 1e-16 s) and the gradients within a
       relative 1e-8 (measured: about 1e-13).
   SPARSEPROP_VECTOR_MATH is read once per process, when the first QIF network is created or
   loaded (never by a step or run). Results
   across machines can also differ through libm itself (glibc picks FMA variants of exp, log,
   tan and atan by CPU), which this library does not control. */

#ifdef __cplusplus
}
#endif

#endif /* SPARSEPROP_H */
