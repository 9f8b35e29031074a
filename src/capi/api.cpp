// The C interface: argument checks, status mapping and the thread-local message. Every
// function the library exports is here, in extern "C" (the only other extern "C" is
// models/qif_batch.cpp's declaration of libmvec's functions); every entry point is noexcept
// and leaves the network unchanged when it fails.
#include <cmath>
#include <cstdio>
#include <cstring>

#include "common/error.hpp"
#include "core/network.hpp"
#include "core/run.hpp"
#include "core/run_until.hpp"
#include "grad/grad.hpp"
#include "io/save_load.hpp"
#include "sparseprop/sparseprop.h"

struct sp_network {
  sp::Network impl;
};

namespace {

sp::Network *impl(sp_network *net) { return reinterpret_cast<sp::Network *>(net); }
const sp::Network *impl(const sp_network *net) {
  return reinterpret_cast<const sp::Network *>(net);
}
sp_network *handle(sp::Network *net) { return reinterpret_cast<sp_network *>(net); }

sp_status done(sp_status s) {
  if (s == SP_OK) sp::clear_error();
  return s;
}

#define SP_REQUIRE_NET(net)                                      \
  do {                                                           \
    if (!(net)) return sp::fail(SP_ERR_ARGUMENT, "net is NULL"); \
  } while (0)

// An enum argument from a C caller as a fixed-width integer, read without a load of the enum
// type: a C caller may pass any int, and an out-of-range value read as the C++ enum is
// undefined behaviour. Every switch and comparison works on the integer.
template <class E>
uint32_t enum_bits(const E &e) {
  static_assert(sizeof(E) == sizeof(uint32_t), "a 4-byte enum");
  uint32_t v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

// The parameter kind, checked: SP_ERR_ARGUMENT for a value the header does not define.
sp_status param_kind(const sp_param &in, sp_param *out) {  // (by reference: no load)
  uint32_t code = enum_bits(in);
  if (code < SP_PARAM_WEIGHTS || code > SP_PARAM_V0)
    return sp::fail(SP_ERR_ARGUMENT,
                    "p = %d: unknown parameter kind (use SP_PARAM_WEIGHTS, "
                    "SP_PARAM_INPUT_WEIGHTS, SP_PARAM_DRIVES or SP_PARAM_V0)",
                    static_cast<int>(code));
  *out = static_cast<sp_param>(code);
  return SP_OK;
}

sp_status check_neuron(const sp::Network *net, uint32_t neuron) {
  if (neuron >= net->n)
    return sp::fail(SP_ERR_ARGUMENT, "neuron = %u: must be less than n = %u", neuron, net->n);
  return SP_OK;
}

// The network whose parameters net uses: its parent for a replica, else itself.
const sp::Network *owner(const sp::Network *net) { return net->parent ? net->parent : net; }

// A replica computes with its parent's parameters as they were at its last rewind: one whose
// parent changed them since must be rewound first.
sp_status check_replica_current(const sp::Network *net) {
  if (!net->parent || net->seen_version == net->parent->param_version) return SP_OK;
  return sp::fail(SP_ERR_STATE,
                  "net is a replica whose parent's parameters changed since its last sp_rewind "
                  "(parameter version %llu, the replica's %llu): call sp_rewind on it first",
                  static_cast<unsigned long long>(net->parent->param_version),
                  static_cast<unsigned long long>(net->seen_version));
}

// Parameters are set on the network that owns them.
sp_status check_not_replica(const sp::Network *net, const char *what) {
  if (!net->parent) return SP_OK;
  return sp::fail(SP_ERR_UNSUPPORTED,
                  "net is a replica: %s belong to its parent (set them there, with no replica "
                  "running, then sp_rewind the replicas)",
                  what);
}

// An input's time as the network keeps it: -0.0 as +0.0 (t + 0.0 changes only a zero's sign).
// An input at -0.0 is allowed at now() = 0 (-0.0 is not before it), and its event would set
// now() to -0.0: the full and compact layouts then kept the spikers' refractory ends with
// different signs, and their saved bytes differed. (A run's t_end never becomes now() unless
// it is above it.)
double canonical_time(double t) { return t + 0.0; }

// The same check for every time argument of a run.
sp_status check_t_end(const sp::Network *n, double t_end) {
  if (std::isnan(t_end) || std::isinf(t_end))
    return sp::fail(SP_ERR_ARGUMENT, "t_end = %g: must be finite", t_end);
  if (t_end < n->now)
    return sp::fail(SP_ERR_ARGUMENT, "t_end = %.17g: must not be before now() = %.17g", t_end,
                    n->now);
  return SP_OK;
}

}  // namespace

extern "C" {

SP_API uint32_t sp_version_number(void) noexcept { return SP_VERSION_NUMBER; }
SP_API const char *sp_version_string(void) noexcept { return SP_VERSION_STRING; }

SP_API const char *sp_status_name(sp_status status) noexcept {
  switch (enum_bits(status)) {
    case SP_OK: return "SP_OK";
    case SP_ERR_ARGUMENT: return "SP_ERR_ARGUMENT";
    case SP_ERR_NOMEM: return "SP_ERR_NOMEM";
    case SP_ERR_UNSUPPORTED: return "SP_ERR_UNSUPPORTED";
    case SP_ERR_STATE: return "SP_ERR_STATE";
    case SP_ERR_CAPACITY: return "SP_ERR_CAPACITY";
    case SP_ERR_IO: return "SP_ERR_IO";
    case SP_ERR_FORMAT: return "SP_ERR_FORMAT";
    case SP_ERR_NUMERIC: return "SP_ERR_NUMERIC";
  }
  return "SP_UNKNOWN_STATUS";
}

SP_API const char *sp_last_error(void) noexcept { return sp::last_error(); }

SP_API void sp_network_desc_init(sp_network_desc *d, size_t struct_size) noexcept {
  if (!d || struct_size == 0) return;
  sp_network_desc def;
  std::memset(&def, 0, sizeof def);
  def.struct_size = static_cast<uint32_t>(sizeof def);
  def.model = SP_MODEL_LIF;
  def.tau = 0.01;
  def.input_capacity = 4096;
  def.frame = SP_FRAME_AUTO;
  // Past the known layout: zeros, with struct_size kept, so that the fields of a newer
  // header reach read_desc's unknown-field check instead of being cut off here.
  size_t total = struct_size < SP_NETWORK_DESC_SIZE_MAX ? struct_size : SP_NETWORK_DESC_SIZE_MAX;
  size_t n = total < sizeof def ? total : sizeof def;
  def.struct_size = static_cast<uint32_t>(total);  // (below 4 bytes: that many of it)
  std::memcpy(d, &def, n);
  if (total > n) std::memset(reinterpret_cast<unsigned char *>(d) + n, 0, total - n);
}

SP_API sp_status sp_network_memory(const sp_network_desc *d, size_t *bytes) noexcept {
  if (!bytes) return sp::fail(SP_ERR_ARGUMENT, "bytes is NULL");
  size_t b = 0;
  sp_status s = sp::network_measure(d, &b);
  if (s == SP_OK) *bytes = b;
  return done(s);
}

SP_API sp_status sp_network_create(const sp_network_desc *d, sp_network **out) noexcept {
  if (!out) return sp::fail(SP_ERR_ARGUMENT, "out is NULL");
  *out = nullptr;
  sp::Network *net = nullptr;
  sp_status s = sp::network_create(d, &net);
  if (s == SP_OK) *out = handle(net);
  return done(s);
}

SP_API void sp_network_destroy(sp_network *net) noexcept { sp::network_destroy(impl(net)); }

SP_API uint32_t sp_network_frame(const sp_network *net) noexcept {
  return net ? impl(net)->frame : 0;
}
SP_API uint32_t sp_network_size(const sp_network *net) noexcept { return net ? impl(net)->n : 0; }

SP_API sp_status sp_step(sp_network *net, sp_spike *out) noexcept {
  SP_REQUIRE_NET(net);
  sp_status s = check_replica_current(impl(net));
  if (s != SP_OK) return s;
  return done(sp::network_step(impl(net), out));
}

SP_API sp_status sp_run(sp_network *net, double t_end, sp_spike *buf, size_t cap,
                        size_t *count) noexcept {
  SP_REQUIRE_NET(net);
  sp::Network *n = impl(net);
  sp_status s = check_t_end(n, t_end);
  if (s != SP_OK) return s;
  if (!buf && cap) return sp::fail(SP_ERR_ARGUMENT, "buf is NULL but cap = %zu", cap);
  s = check_replica_current(n);
  if (s != SP_OK) return s;
  size_t c = 0;
  s = sp::network_run(n, t_end, buf, cap, &c);
  if (count) *count = c;
  return done(s);
}

SP_API sp_status sp_run_until(sp_network *net, double t_end, const uint32_t *watch, size_t n_watch,
                              sp_spike *buf, size_t cap, size_t *count) noexcept {
  SP_REQUIRE_NET(net);
  sp::Network *n = impl(net);
  sp_status s = check_t_end(n, t_end);
  if (s != SP_OK) return s;
  if (!watch) return sp::fail(SP_ERR_ARGUMENT, "watch is NULL (n_watch = %zu)", n_watch);
  if (n_watch == 0)
    return sp::fail(SP_ERR_ARGUMENT,
                    "n_watch = 0: watch at least one neuron (sp_run runs to t_end)");
  for (size_t w = 0; w < n_watch; ++w)
    if (watch[w] >= n->n)
      return sp::fail(SP_ERR_ARGUMENT, "watch[%zu] = %u: must be less than n = %u", w, watch[w],
                      n->n);
  if (!buf && cap) return sp::fail(SP_ERR_ARGUMENT, "buf is NULL but cap = %zu", cap);
  // (No watched marks in the compact layout; refused before *count is written.)
  if (n->compact) return sp::network_refuse_compact(n, "sp_run_until");
  s = check_replica_current(n);
  if (s != SP_OK) return s;
  size_t c = 0;
  s = sp::network_run_until(n, t_end, watch, n_watch, buf, cap, &c);
  if (count) *count = c;
  return done(s);
}

SP_API double sp_now(const sp_network *net) noexcept { return net ? impl(net)->now : NAN; }

SP_API sp_status sp_input(sp_network *net, uint32_t channel, double t) noexcept {
  SP_REQUIRE_NET(net);
  sp::Network *n = impl(net);
  if (channel >= n->inputs.n_sources)
    return sp::fail(SP_ERR_ARGUMENT, "channel = %u: must be less than n_inputs = %u", channel,
                    n->inputs.n_sources);
  if (!std::isfinite(t)) return sp::fail(SP_ERR_ARGUMENT, "t = %g: must be finite", t);
  if (t < n->now)
    return sp::fail(SP_ERR_ARGUMENT, "t = %.17g: must not be before now() = %.17g", t, n->now);
  if (n->queue.full())
    return sp::fail(SP_ERR_CAPACITY, "the input queue is full (input_capacity = %u)",
                    n->queue.capacity());
  n->queue.push(canonical_time(t), channel);
  return done(SP_OK);
}

SP_API sp_status sp_input_many(sp_network *net, const uint32_t *channels, const double *times,
                               size_t count) noexcept {
  SP_REQUIRE_NET(net);
  sp::Network *n = impl(net);
  if (count && !channels) return sp::fail(SP_ERR_ARGUMENT, "channels is NULL but n = %zu", count);
  if (count && !times) return sp::fail(SP_ERR_ARGUMENT, "times is NULL but n = %zu", count);
  for (size_t e = 0; e < count; ++e) {
    if (channels[e] >= n->inputs.n_sources)
      return sp::fail(SP_ERR_ARGUMENT, "channels[%zu] = %u: must be less than n_inputs = %u", e,
                      channels[e], n->inputs.n_sources);
    if (!std::isfinite(times[e]))
      return sp::fail(SP_ERR_ARGUMENT, "times[%zu] = %g: must be finite", e, times[e]);
    if (times[e] < n->now)
      return sp::fail(SP_ERR_ARGUMENT, "times[%zu] = %.17g: must not be before now() = %.17g", e,
                      times[e], n->now);
  }
  uint32_t room = n->queue.capacity() - n->queue.size();
  if (count > room)
    return sp::fail(SP_ERR_CAPACITY,
                    "n = %zu: the input queue has room for %u more events (input_capacity = %u, "
                    "%u queued)",
                    count, room, n->queue.capacity(), n->queue.size());
  for (size_t e = 0; e < count; ++e) n->queue.push(canonical_time(times[e]), channels[e]);
  return done(SP_OK);
}

SP_API sp_status sp_voltage(const sp_network *net, uint32_t neuron, double *v) noexcept {
  SP_REQUIRE_NET(net);
  if (!v) return sp::fail(SP_ERR_ARGUMENT, "v is NULL");
  sp_status s = check_neuron(impl(net), neuron);
  if (s == SP_OK) s = check_replica_current(impl(net));
  if (s != SP_OK) return s;
  *v = sp::network_voltage(impl(net), neuron);
  return done(SP_OK);
}

SP_API sp_status sp_voltages(const sp_network *net, double *v, size_t n) noexcept {
  SP_REQUIRE_NET(net);
  const sp::Network *nw = impl(net);
  if (!v) return sp::fail(SP_ERR_ARGUMENT, "v is NULL");
  if (n != nw->n)
    return sp::fail(SP_ERR_ARGUMENT, "n = %zu: must equal the number of neurons %u", n, nw->n);
  sp_status s = check_replica_current(nw);
  if (s != SP_OK) return s;
  for (uint32_t i = 0; i < nw->n; ++i) v[i] = sp::network_voltage(nw, i);
  return done(SP_OK);
}

SP_API sp_status sp_set_drive(sp_network *net, uint32_t neuron, double drive) noexcept {
  SP_REQUIRE_NET(net);
  sp::Network *n = impl(net);
  sp_status s = check_neuron(n, neuron);
  if (s != SP_OK) return s;
  s = sp::network_check_drive(n->model, n->tau, drive, "drive");
  if (s == SP_OK) s = check_not_replica(n, "drives");
  if (s != SP_OK) return s;
  if (n->tape.recording)
    return sp::fail(SP_ERR_STATE, "cannot change a drive while recording (call sp_backward first)");
  const bool same = drive == sp::drive_of(*n, neuron);  // (changes nothing: replicas stay current)
  s = sp::network_set_drive(n, neuron, drive);
  if (s == SP_OK && !same) ++n->param_version;
  return done(s);
}

SP_API sp_status sp_rewind(sp_network *net) noexcept {
  SP_REQUIRE_NET(net);
  sp::network_replica_sync(impl(net));
  sp::network_reset_state(impl(net));
  return done(SP_OK);
}

SP_API sp_status sp_network_replica(sp_network *parent, sp_network **out) noexcept {
  if (!out) return sp::fail(SP_ERR_ARGUMENT, "out is NULL");
  *out = nullptr;
  if (!parent) return sp::fail(SP_ERR_ARGUMENT, "parent is NULL");
  sp::Network *net = nullptr;
  sp_status s = sp::network_replica(impl(parent), &net);
  if (s == SP_OK) *out = handle(net);
  return done(s);
}

SP_API sp_status sp_param_count(const sp_network *net, sp_param kind, size_t *len) noexcept {
  SP_REQUIRE_NET(net);
  if (!len) return sp::fail(SP_ERR_ARGUMENT, "len is NULL");
  sp_param p = SP_PARAM_WEIGHTS;
  sp_status s = param_kind(kind, &p);
  if (s != SP_OK) return s;
  return done(sp::params_count(owner(impl(net)), p, len));
}

SP_API sp_status sp_get_params(const sp_network *net, sp_param kind, double *out,
                               size_t len) noexcept {
  SP_REQUIRE_NET(net);
  sp_param p = SP_PARAM_WEIGHTS;
  sp_status s = param_kind(kind, &p);
  if (s != SP_OK) return s;
  return done(sp::params_get(owner(impl(net)), p, out, len));
}

SP_API sp_status sp_set_params(sp_network *net, sp_param kind, const double *in,
                               size_t len) noexcept {
  SP_REQUIRE_NET(net);
  sp_param p = SP_PARAM_WEIGHTS;
  sp_status s = param_kind(kind, &p);
  if (s == SP_OK) s = check_not_replica(impl(net), "parameters");
  if (s != SP_OK) return s;
  bool changed = false;
  s = sp::params_set(impl(net), p, in, len, &changed);
  if (changed) ++impl(net)->param_version;
  return done(s);
}

SP_API sp_status sp_record(sp_network *net, size_t max_spikes) noexcept {
  SP_REQUIRE_NET(net);
  if (impl(net)->compact) return sp::network_refuse_compact(impl(net), "sp_record");
  sp_status s = check_replica_current(impl(net));
  if (s != SP_OK) return s;
  return done(sp::tape_start(impl(net), max_spikes));
}

SP_API sp_status sp_backward(sp_network *net, const double *dl_dt, size_t n_spikes,
                             const double *dl_dv_end) noexcept {
  SP_REQUIRE_NET(net);
  if (impl(net)->compact) return sp::network_refuse_compact(impl(net), "sp_backward");
  sp_status s = check_replica_current(impl(net));
  if (s != SP_OK) return s;
  return done(sp::backward(impl(net), dl_dt, n_spikes, dl_dv_end));
}

SP_API sp_status sp_grads_accumulate(sp_network *dst, const sp_network *src) noexcept {
  if (!dst) return sp::fail(SP_ERR_ARGUMENT, "dst is NULL");
  if (!src) return sp::fail(SP_ERR_ARGUMENT, "src is NULL");
  if (dst == src) return sp::fail(SP_ERR_ARGUMENT, "dst and src are the same network");
  if (owner(impl(dst)) != owner(impl(src)))
    return sp::fail(SP_ERR_ARGUMENT,
                    "dst and src do not share one parameter set (neither is the other's parent, "
                    "nor are they replicas of one parent)");
  return done(sp::grads_accumulate(impl(dst), impl(src)));
}

SP_API sp_status sp_get_grads(const sp_network *net, sp_param kind, double *out,
                              size_t len) noexcept {
  SP_REQUIRE_NET(net);
  sp_param p = SP_PARAM_WEIGHTS;
  sp_status s = param_kind(kind, &p);
  if (s != SP_OK) return s;
  return done(sp::grads_get(impl(net), p, out, len));
}

SP_API sp_status sp_zero_grads(sp_network *net) noexcept {
  SP_REQUIRE_NET(net);
  sp::grads_zero(impl(net));
  return done(SP_OK);
}

SP_API sp_status sp_save(const sp_network *net, void *buf, size_t cap, size_t *len) noexcept {
  SP_REQUIRE_NET(net);
  if (!len) return sp::fail(SP_ERR_ARGUMENT, "len is NULL");
  // (A stale replica's state and keys belong to the parameters before the change: its bytes
  // would not load.)
  sp_status s = check_replica_current(impl(net));
  if (s != SP_OK) return s;
  return done(sp::save_network(impl(net), buf, cap, len));
}

SP_API sp_status sp_load(const void *buf, size_t len, const sp_allocator *a,
                         sp_network **out) noexcept {
  if (!out) return sp::fail(SP_ERR_ARGUMENT, "out is NULL");
  *out = nullptr;
  sp::Network *net = nullptr;
  sp_status s = sp::load_network(buf, len, a, &net);
  if (s == SP_OK) *out = handle(net);
  return done(s);
}

SP_API sp_status sp_save_file(const sp_network *net, const char *path) noexcept {
  SP_REQUIRE_NET(net);
  if (!path) return sp::fail(SP_ERR_ARGUMENT, "path is NULL");
  sp_status s = check_replica_current(impl(net));
  if (s != SP_OK) return s;
  return done(sp::save_network_file(impl(net), path));
}

SP_API sp_status sp_load_file(const char *path, sp_network **out) noexcept {
  if (!out) return sp::fail(SP_ERR_ARGUMENT, "out is NULL");
  *out = nullptr;
  if (!path) return sp::fail(SP_ERR_ARGUMENT, "path is NULL");
  sp::Network *net = nullptr;
  sp_status s = sp::load_network_file(path, &net);
  if (s == SP_OK) *out = handle(net);
  return done(s);
}

}  // extern "C"
