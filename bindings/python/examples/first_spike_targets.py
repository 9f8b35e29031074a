"""Teach five output neurons of a recurrent LIF network to fire their first spike at target
times, with exact spike-time gradients and torch.optim.Adam.

    SPARSEPROP_LIB=build/src/libsparseprop.so PYTHONPATH=bindings/python \\
        python3 bindings/python/examples/first_spike_targets.py

The network: 60 LIF neurons (tau = 10 ms, drives above threshold, all starting at reset),
sparse random recurrent weights and 8 input channels, each firing once at a fixed time. The
trainable parameters are the recurrent weights, the input weights and the drives; the loss is
the mean squared error of neurons 0-4's first-spike times against targets 4-20 ms.
"""
from __future__ import annotations

import argparse

import numpy as np
import scipy.sparse as sps
import torch

import sparseprop
import sparseprop.torch as spt

N, N_INPUTS, T_END = 60, 8, 0.04
OUTPUTS = [0, 1, 2, 3, 4]
TARGETS = torch.tensor([0.006, 0.009, 0.012, 0.015, 0.018], dtype=torch.float64)


def build() -> sparseprop.Network:
    rng = np.random.default_rng(1)
    W = sps.random(N, N, density=0.1, format="csr", random_state=2,
                   data_rvs=lambda m: -rng.uniform(0.0, 0.1, m))
    U = sps.random(N_INPUTS, N, density=0.3, format="csr", random_state=3,
                   data_rvs=lambda m: -rng.uniform(0.0, 0.3, m))
    drives = rng.uniform(1.2, 1.5, N)
    drives[OUTPUTS] = 1.6  # every output fires at first (a silent neuron has no gradient)
    return sparseprop.Network(N, model="lif", tau=0.01, drives=drives,
                              v0=np.zeros(N), recurrent=W, inputs=U)


def train(steps: int = 150, lr: float = 1e-2, verbose: bool = True) -> list[float]:
    """Runs the training; returns the loss at every step (before that step's update)."""
    net = build()
    w = torch.tensor(net.params("weights"), requires_grad=True)
    u = torch.tensor(net.params("input_weights"), requires_grad=True)
    d = torch.tensor(net.params("drives"), requires_grad=True)
    input_times = torch.linspace(0.001, 0.015, N_INPUTS, dtype=torch.float64)
    input_channels = torch.arange(N_INPUTS)
    opt = torch.optim.Adam([w, u, d], lr=lr)
    losses = []
    for step in range(steps):
        opt.zero_grad()
        # A neuron that does not fire counts as firing at T_END (missing=T_END): the loss stays
        # finite, though with no gradient through that neuron until it fires again.
        t_first = spt.spike_times(net, T_END, weights=w, input_weights=u, drives=d,
                                  input_times=input_times, input_channels=input_channels,
                                  first_spike_of=OUTPUTS, missing=T_END)
        loss = ((t_first - TARGETS) ** 2).mean()
        loss.backward()
        opt.step()
        with torch.no_grad():
            # Keep every synapse inhibitory. An excitatory kick that takes a neuron over
            # threshold makes it fire exactly at the kick's time; when that time is an input
            # time (which has no gradient) the neuron's spike time has zero gradient and
            # training stops moving it.
            w.clamp_(max=0.0)
            u.clamp_(max=0.0)
        losses.append(loss.item())
        if verbose and (step % 15 == 0 or step == steps - 1):
            ms = ", ".join(f"{1e3 * t:.2f}" for t in t_first.tolist())
            print(f"step {step:4d}  loss {loss.item():.3e}  first spikes (ms): {ms}")
    net.close()
    return losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--lr", type=float, default=1e-2)
    args = parser.parse_args()
    losses = train(args.steps, args.lr)
    print(f"loss {losses[0]:.3e} -> {min(losses):.3e} "
          f"({losses[0] / min(losses):.0f}x lower); targets (ms): "
          + ", ".join(f"{1e3 * t:.0f}" for t in TARGETS.tolist()))


if __name__ == "__main__":
    main()
