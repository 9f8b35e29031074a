// Starting a recording (sp_record): allocates the tape and, with the first one, the
// accumulated gradients, and remembers the state the reverse sweep starts from.
#include <cstdint>
#include <cstring>

#include "common/error.hpp"
#include "core/arena.hpp"
#include "core/network.hpp"
#include "grad/grad.hpp"

namespace sp {

// Frees the gradients' block (a first sp_record whose tape allocation failed: the network
// is left as it was).
static void grads_free(Network *net) {
  Tape &t = net->tape;
  arena_free(net->alloc, t.grad_block, t.grad_block_bytes);
  t.grad_block = nullptr;
  t.grad_block_bytes = 0;
  t.grad_w = t.grad_in = t.grad_drive = t.grad_v0 = nullptr;
}

sp_status grads_alloc(Network *net) {
  Tape &t = net->tape;
  if (t.grad_block) return SP_OK;
  Arena g;
  g.take<double>(net->recurrent.param_count());
  g.take<double>(net->inputs.param_count());
  g.take<double>(net->n);
  g.take<double>(net->n);
  // Twice: the second half keeps the gradients a failed backward pass restores.
  size_t bytes = 2 * static_cast<size_t>(g.size());
  void *block = arena_alloc(net->alloc, bytes);
  if (!block) return fail(SP_ERR_NOMEM, "allocating %zu bytes for gradients failed", bytes);
  std::memset(block, 0, bytes);
  Arena c(static_cast<unsigned char *>(block));
  t.grad_w = c.take<double>(net->recurrent.param_count());
  t.grad_in = c.take<double>(net->inputs.param_count());
  t.grad_drive = c.take<double>(net->n);
  t.grad_v0 = c.take<double>(net->n);
  t.grad_block = block;
  t.grad_block_bytes = bytes;
  return SP_OK;
}

sp_status tape_start(Network *net, size_t max_spikes) {
  if (max_spikes == 0) return fail(SP_ERR_ARGUMENT, "max_spikes = 0: must be at least 1");
  Tape &t = net->tape;
  if (max_spikes > (SIZE_MAX >> 8))
    return fail(SP_ERR_ARGUMENT, "max_spikes = %zu: too large", max_spikes);
  // Inputs and re-basings are events too: room for as many inputs as spikes.
  uint64_t events = 2ull * max_spikes + 64;
  uint64_t pre = uint64_t(max_spikes) * net->recurrent.max_row +
                 (uint64_t(max_spikes) + 64) * net->inputs.max_row;
  // Current-based synapses (models/lif_syn_engine.cpp): each spike also records the spiker's B
  // and previous refractory end; the sweep keeps (lambda_A, lambda_B) pairs, dL/dr and the
  // refractory ends per neuron, and the start state is (A, B).
  const bool syn = net->tau_syn > 0.0;
  if (syn) pre += 2ull * max_spikes;
  const uint64_t lambda_per_neuron = syn ? 4 : 1, start_per_neuron = syn ? 2 : 1;
  if (events > UINT32_MAX - 1ull)
    return fail(SP_ERR_ARGUMENT, "max_spikes = %zu: too large for one tape", max_spikes);

  const bool first_grads = t.grad_block == nullptr;
  sp_status s = grads_alloc(net);
  if (s != SP_OK) return s;

  if (!t.block || events > t.event_capacity || pre > t.pre_capacity) {
    Arena m;
    m.take<TapeEvent>(events);
    m.take<double>(pre);
    m.take<uint32_t>(net->n);
    m.take<double>(lambda_per_neuron * net->n);
    m.take<double>(start_per_neuron * net->n);
    m.take<double>(net->n);
    if (m.overflow()) {
      if (first_grads) grads_free(net);
      return fail(SP_ERR_NOMEM, "max_spikes = %zu: the tape is too large", max_spikes);
    }
    size_t bytes = static_cast<size_t>(m.size());
    void *block = arena_alloc(net->alloc, bytes);
    if (!block) {
      if (first_grads) grads_free(net);
      return fail(SP_ERR_NOMEM, "allocating %zu bytes for a tape of %zu spikes failed", bytes,
                  max_spikes);
    }
    arena_free(net->alloc, t.block, t.block_bytes);
    Arena c(static_cast<unsigned char *>(block));
    t.events = c.take<TapeEvent>(events);
    t.pre = c.take<double>(pre);
    t.trigger = c.take<uint32_t>(net->n);
    t.lambda = c.take<double>(lambda_per_neuron * net->n);
    t.start_state = c.take<double>(start_per_neuron * net->n);
    t.start_refr = c.take<double>(net->n);
    t.block = block;
    t.block_bytes = bytes;
    t.event_capacity = events;
    t.pre_capacity = pre;
  }
  // The recording starts close to t0, so its start-state derivatives use a finite clock.
  t.recording = false;
  network_rebase_near_now(net);
  t.max_spikes = max_spikes;
  t.n_events = t.n_spikes = t.n_pre = 0;
  std::memset(t.trigger, 0, sizeof(uint32_t) * net->n);
  for (uint32_t i = 0; i < net->n; ++i) {
    t.start_state[i] = net->neuron[i].state;
    t.start_refr[i] = net->refr_end[i];
    if (syn) t.start_state[net->n + i] = net->syn_aux[i].b;
  }
  t.start_t = net->now;
  t.recording = true;
  return SP_OK;
}

}  // namespace sp
