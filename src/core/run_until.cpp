// sp_run_until: the event loop one spike at a time (network_run with room for one spike, which
// stops right after it), the watched neurons marked in Network::marks so that a spike costs
// one look-up whatever the size of the set.
#include "core/run_until.hpp"

#include "common/error.hpp"
#include "core/run.hpp"

namespace sp {

sp_status network_run_until(Network *net, double t_end, const uint32_t *watch, size_t n_watch,
                            sp_spike *buf, size_t cap, size_t *count) {
  // (sp_run_until has refused a compact network: it has no marks.)
  size_t remaining = 0;
  for (size_t w = 0; w < n_watch; ++w) {
    uint8_t &m = net->marks[watch[w]];
    if (!(m & kMarkWatched)) ++remaining;  // (a repeated neuron counts once)
    m |= kMarkWatched;
  }
  size_t written = 0;
  sp_status s = SP_OK;
  while (remaining > 0) {
    if (cap && written == cap) {
      s = fail(SP_ERR_CAPACITY,
               "buf is full (cap = %zu) and %zu watched neurons have not spiked yet: the %zu "
               "spikes are processed; call again, or pass a larger buf",
               cap, remaining, written);
      break;
    }
    sp_spike spike;
    size_t got = 0;
    s = network_run(net, t_end, &spike, 1, &got);
    if (s != SP_OK || got == 0) break;  // (got == 0: now() is t_end)
    if (cap) buf[written] = spike;
    ++written;
    uint8_t &m = net->marks[spike.neuron];
    if (m & kMarkWatched) {
      m = static_cast<uint8_t>(m & ~kMarkWatched);
      --remaining;
    }
  }
  for (size_t w = 0; w < n_watch; ++w)
    net->marks[watch[w]] = static_cast<uint8_t>(net->marks[watch[w]] & ~kMarkWatched);
  *count = written;
  return s;
}

}  // namespace sp
