# Many create/run/save/destroy cycles: the process's resident memory stays put.
import gc

import numpy as np
import pytest
import scipy.sparse as sps

from sparseprop import Network


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.mark.skipif(not __import__("os").path.exists("/proc/self/statm"),
                    reason="needs /proc/self/statm (Linux) to read the resident set size")
def test_create_destroy_cycles_do_not_leak():
    W = sps.random(200, 200, density=0.05, format="csr", random_state=1)

    def cycle(i):
        # ~40 KB of network, a tape, spikes, a save and a load, dropped without close() every
        # other time (the finaliser must free it).
        net = Network(200, drive=1.2, recurrent=W, init_seed=i, n_inputs=1, input_k=3,
                      input_weight=0.1)
        net.inputs(0, [0.001, 0.002])
        net.record(2000)
        s = net.run(0.02)
        net.backward(np.ones(len(s.times)))
        clone = Network.from_bytes(net.to_bytes())
        clone.run(0.03)
        if i % 2:
            net.close()
            clone.close()

    for i in range(300):  # warm up allocator pools and caches
        cycle(i)
    gc.collect()
    before = rss_bytes()
    for i in range(1500):
        cycle(i)
    gc.collect()
    grown = rss_bytes() - before
    # A leaked network alone would be ~100 KB per cycle (150 MB in all).
    assert grown < 8 * 2**20, f"resident memory grew by {grown / 2**20:.1f} MiB"
