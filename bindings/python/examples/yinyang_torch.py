"""Yin-Yang classification trained with torch.optim.Adam through sparseprop.torch: the C example
tests/examples/yinyang (see its README) written with PyTorch: the C program's recipe before
2026-11-30 18:00 (its --silent-tmax 0 --select acc), with the options of the same names.

    SPARSEPROP_LIB=build/src/libsparseprop.so PYTHONPATH=bindings/python \\
        python3 bindings/python/examples/yinyang_torch.py --runs 5

Everything that decides the training is the C program's: the data set (its SplitMix64
generator, seeds 42/41/40 for train/validation/test), the initial weights (the same generator
and Box-Muller normals from --seed), the shuffling, the 5-H-3 LIF network (inputs x, y, 1 - x,
1 - y as latencies and a bias spike; explicit CSR synapses; delta or current-based synapses),
the first-spike cross-entropy with its regulariser, the dL/dV "pushes" for silent neurons,
Adam with its step decay and early stopping on validation accuracy; the options have the C
program's names and defaults (--model current or delta). What differs: the loss is ordinary
torch code differentiated by autograd, the gradients come through
``sparseprop.torch.spike_times`` (one network per sample of a mini-batch, so no backward pass
re-runs a forward pass), Adam is ``torch.optim.Adam`` (the same update, rounded differently),
and the samples run one after the other on one thread.
"""
from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch

import sparseprop
import sparseprop.torch as spt

N_IN, N_OUT = 5, 3
R_SMALL, R_BIG = 0.1, 0.5
MASK64 = (1 << 64) - 1


class SplitMix64:
    """The C example's generator, bit for bit (integer arithmetic modulo 2^64)."""

    def __init__(self, seed: int) -> None:
        self.state = seed & MASK64

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def uniform(self) -> float:
        """Uniform in [0, 1) with 53 random bits."""
        return (self.next() >> 11) * 2.0 ** -53

    def normal(self) -> float:
        """Box-Muller, as the C program draws it (libm's log and cos)."""
        u1 = 1.0 - self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2.0 * math.log(u1)) * math.cos(6.283185307179586 * u2)


def yinyang_class(x: float, y: float) -> int:
    d_right = math.hypot(x - 1.5 * R_BIG, y - R_BIG)
    d_left = math.hypot(x - 0.5 * R_BIG, y - R_BIG)
    if d_right < R_SMALL or d_left < R_SMALL:
        return 2
    yin = (d_right <= R_SMALL or (R_SMALL < d_left <= 0.5 * R_BIG)
           or (y > R_BIG and d_right > 0.5 * R_BIG))
    return 0 if yin else 1


def dataset(n: int, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """n points (x, y) in [0, 1]^2 and their classes (0 yin, 1 yang, 2 dot): the class is drawn
    first, then points uniform in the big circle until one falls in it."""
    rng = SplitMix64(seed)
    xy = np.empty((n, 2))
    label = np.empty(n, dtype=np.int64)
    for i in range(n):
        goal = int(rng.uniform() * 3.0)
        while True:
            x, y = rng.uniform() * 2 * R_BIG, rng.uniform() * 2 * R_BIG
            if math.hypot(x - R_BIG, y - R_BIG) > R_BIG or yinyang_class(x, y) != goal:
                continue
            xy[i] = (x, y)
            label[i] = goal
            break
    return xy, label


@dataclass
class Options:
    """The C program's options; times in units of tau unless said otherwise. (These defaults
    are not a preset: the command line starts from PRESETS[--model], as the C program does.)"""
    hidden: int = 200
    tau: float = 0.02              # seconds
    tau_syn: float = 0.005         # seconds; 0: delta synapses
    t_early: float = 0.0
    t_late: float = 1.5
    t_bias: float = 0.0
    t_max: float = 2.0
    t_ref: float = 10.0
    drive_hidden: float = 0.0
    drive_out: float = 0.0
    train_drives: bool = True
    w_in: Tuple[float, float] = (0.375, 0.195)     # mean, std
    w_out: Tuple[float, float] = (0.2325, 0.025)
    tau0: float = 0.025
    tau1: float = 0.32
    alpha: float = 3e-3
    missing_push: float = 0.2      # dL/dV at the end for a silent label neuron, in 1/tau0
    hidden_push: float = 0.0       # dL/dV at the end for each hidden neuron silent in a sample
    out_drive_floor: float = 0.0   # output drives kept at or above it (0 too, as in C)
    lr: float = 5e-4
    lr_decay: float = 0.97
    batch: int = 32
    epochs: int = 80
    patience: int = 30
    n_train: int = 5000
    n_val: int = 1000
    n_test: int = 1000


#: --model presets: the C program's options_current() and options_delta().
PRESETS: Dict[str, Dict[str, object]] = {
    "current": dict(hidden=200, tau_syn=0.005, t_ref=0.0, t_early=0.0, t_late=1.5, t_max=2.0,
                    drive_hidden=0.0, drive_out=0.0, w_in=(0.375, 0.195), w_out=(0.2325, 0.025),
                    tau0=0.025, tau1=0.32, alpha=3e-3, missing_push=3.0, lr=5e-4,
                    lr_decay=0.97, epochs=100, patience=40),
    "delta": dict(hidden=120, tau_syn=0.0, t_ref=10.0, t_early=0.05, t_late=1.0, t_max=4.0,
                  drive_hidden=3.0, drive_out=2.0, w_in=(0.0, 0.5), w_out=(0.0, 0.03),
                  tau0=0.05, tau1=3.0, alpha=0.0, missing_push=1.0, lr=2e-3, lr_decay=0.9,
                  epochs=50, patience=12),
}


def build(o: Options) -> sparseprop.Network:
    """The 5-H-3 network with zero weights (the forward pass sets them); hidden j -> output k
    at CSR position 3j + k; channel c -> hidden j at cH + j; every neuron starts at reset."""
    h = o.hidden
    n = h + N_OUT
    row_ptr = np.array([3 * min(j, h) for j in range(n + 1)], dtype=np.uint64)
    targets = np.tile(np.arange(h, h + N_OUT, dtype=np.uint32), h)
    in_row_ptr = np.arange(N_IN + 1, dtype=np.uint64) * h
    in_targets = np.tile(np.arange(h, dtype=np.uint32), N_IN)
    return sparseprop.Network(
        n, model="lif", tau=o.tau, tau_syn=o.tau_syn, drives=np.zeros(n), v0=np.zeros(n),
        recurrent=(row_ptr, targets, np.zeros(3 * h)),
        inputs=(in_row_ptr, in_targets, np.zeros(N_IN * h)),
        t_ref=o.t_ref * o.tau, input_capacity=N_IN)


def initial_params(o: Options, seed: int) -> List[torch.Tensor]:
    """w_out (3H), w_in (5H), drives (H + 3), drawn as the C program's model_init does."""
    rng = SplitMix64(seed)
    h = o.hidden
    w_out = [o.w_out[0] + o.w_out[1] * rng.normal() for _ in range(3 * h)]
    w_in = [o.w_in[0] + o.w_in[1] * rng.normal() for _ in range(N_IN * h)]
    drives = [o.drive_hidden] * h + [o.drive_out] * N_OUT
    return [torch.tensor(w_out, dtype=torch.float64, requires_grad=True),
            torch.tensor(w_in, dtype=torch.float64, requires_grad=True),
            torch.tensor(drives, dtype=torch.float64, requires_grad=o.train_drives)]


def input_times(o: Options, xy: np.ndarray) -> np.ndarray:
    x, y = xy
    coords = np.array([x, y, 1 - x, 1 - y])
    t = o.t_early + coords * (o.t_late - o.t_early)
    return np.append(t, o.t_bias) * o.tau


def forward(o: Options, nets: List[sparseprop.Network], xy: np.ndarray,
            params: List[torch.Tensor], train: bool) -> Tuple[torch.Tensor, torch.Tensor]:
    """First spike times (rows: samples; columns: every neuron, inf for none) and, when the
    loss pushes silent neurons, the voltages where each sample ended (else an empty tensor).

    Like the C program, a sample stops once its three outputs have spiked, or at t_max."""
    w_out, w_in, drives = params
    h = o.hidden
    n = h + N_OUT
    push = train and (o.missing_push > 0 or o.hidden_push > 0)
    watch = np.arange(n) if o.hidden_push > 0 else np.arange(h, n)
    t_rows, v_rows = [], []
    for net, point in zip(nets, xy):
        out = spt.spike_times(
            net, o.t_max * o.tau, weights=w_out, input_weights=w_in, drives=drives,
            input_times=input_times(o, point), input_channels=np.arange(N_IN),
            first_spike_of=watch, stop_early=np.arange(h, n), end_voltages=push,
            max_spikes=64 * n)
        if push:
            t_rows.append(out[0])
            v_rows.append(out[1])
        else:
            t_rows.append(out)
    t = torch.stack(t_rows)
    return t, (torch.stack(v_rows) if push else torch.zeros(0))


def sample_losses(o: Options, t_all: torch.Tensor, v_end: torch.Tensor,
                  label: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """The C program's loss per sample: -log softmax(-t/tau0)[label] over the outputs that
    fired, plus alpha (exp(t_label/tau1) - 1); a silent label neuron instead gives
    log sum_fired exp(-t/tau0) + 30 (a bounded stand-in for -log 0) and a push on its final
    voltage of missing_push/tau0 (tau0 in units of tau); every hidden neuron silent in the
    sample gets a push of hidden_push on its final voltage.

    Returns (loss, pushes) per sample; training minimises their sum, the log reports the loss
    (as the C program does)."""
    h = o.hidden
    tau0, tau1 = o.tau0 * o.tau, o.tau1 * o.tau
    t = t_all[:, -N_OUT:]
    fired = torch.isfinite(t)
    t_safe = torch.where(fired, t, torch.zeros_like(t))
    minus_inf = torch.full_like(t, -math.inf)
    logits = torch.where(fired, -t_safe / tau0, minus_inf)
    any_fired = fired.any(1)
    lse = torch.logsumexp(torch.where(any_fired[:, None], logits, torch.zeros_like(t)), 1)
    lab = label[:, None]
    label_fired = fired.gather(1, lab)[:, 0]
    t_label = t_safe.gather(1, lab)[:, 0]
    ce = lse - torch.where(fired, logits, torch.zeros_like(t)).gather(1, lab)[:, 0]
    fired_loss = ce + o.alpha * (torch.exp(t_label / tau1) - 1)
    # log z with z = sum exp(-(t - t_min)/tau0), the C program's value; its gradient is
    # that of lse alone (the shift by t_min cancels out of the softmax).
    t_min = torch.where(fired, t_safe, torch.full_like(t, math.inf)).min(1).values.detach()
    silent_loss = torch.where(any_fired, lse + t_min / tau0, torch.zeros_like(lse)) + 30.0
    loss = torch.where(label_fired, fired_loss, silent_loss)
    push = torch.zeros_like(loss)
    if v_end.numel():
        v_label = v_end[:, h:].gather(1, lab)[:, 0]
        push = torch.where(label_fired, torch.zeros_like(v_label),
                           -(o.missing_push / o.tau0) * v_label)
        if o.hidden_push > 0:
            silent = ~torch.isfinite(t_all[:, :h])
            push = push - o.hidden_push * torch.where(silent, v_end[:, :h],
                                                      torch.zeros_like(v_end[:, :h])).sum(1)
    return loss, push


def correct(t_all: torch.Tensor, label: torch.Tensor) -> int:
    """The first output to fire is the class; no output spike is always wrong."""
    t = t_all[:, -N_OUT:]
    best = t.argmin(1)  # the first of equal minima, as the C program
    return int(((best == label) & torch.isfinite(t.min(1).values)).sum())


def evaluate(o: Options, nets: List[sparseprop.Network], xy: np.ndarray, label: np.ndarray,
             params: List[torch.Tensor]) -> Tuple[float, float]:
    """(accuracy, mean loss) without gradients."""
    right, total = 0, 0.0
    label_t = torch.from_numpy(label)
    with torch.no_grad():
        for start in range(0, len(xy), len(nets)):
            t, v = forward(o, nets, xy[start:start + len(nets)], params, train=False)
            lab = label_t[start:start + len(nets)]
            right += correct(t, lab)
            total += float(sample_losses(o, t, v, lab)[0].sum())
    return right / len(xy), total / len(xy)


def train(o: Options, seed: int = 1, verbose: bool = True) -> dict:
    """One training run; returns the best validation accuracy, its epoch, the test accuracy of
    those parameters, the wall time and the per-epoch log (train loss, train accuracy, silent
    label neurons, validation loss, validation accuracy)."""
    t0 = time.perf_counter()
    data = {name: dataset(n, s) for name, n, s in
            (("train", o.n_train, 42), ("val", o.n_val, 41), ("test", o.n_test, 40))}
    nets = [build(o) for _ in range(o.batch)]
    params = initial_params(o, seed)
    trained = [p for p in params if p.requires_grad]
    opt = torch.optim.Adam(trained, lr=o.lr, betas=(0.9, 0.999), eps=1e-8)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=o.lr_decay)
    xy, label = data["train"]
    label_t = torch.from_numpy(label)
    shuffle = SplitMix64(seed ^ 0x5EED5EED5EED)
    order = np.arange(len(xy))
    best = {"val": -1.0, "epoch": 0, "params": [p.detach().clone() for p in params]}
    history = []
    for epoch in range(1, o.epochs + 1):
        te = time.perf_counter()
        for q in range(len(order) - 1, 0, -1):  # Fisher-Yates, as the C program
            r = int(shuffle.uniform() * (q + 1))
            order[q], order[r] = order[r], order[q]
        total, right, silent = 0.0, 0, 0
        for start in range(0, len(xy), o.batch):
            idx = order[start:start + o.batch]
            opt.zero_grad()
            t, v = forward(o, nets, xy[idx], params, train=True)
            losses, pushes = sample_losses(o, t, v, label_t[idx])
            (losses + pushes).mean().backward()  # the batch mean of the gradients
            opt.step()
            # Output drives kept at or above the floor after each step; as in the C program,
            # also at the default floor 0 (the C help says "0: off", its code clamps at 0).
            with torch.no_grad():
                params[2][o.hidden:].clamp_(min=o.out_drive_floor)
            total += float(losses.sum())
            right += correct(t, label_t[idx])
            silent += int((~torch.isfinite(t[:, -N_OUT:].gather(1, label_t[idx][:, None]))).sum())
        sched.step()
        val, val_loss = evaluate(o, nets, *data["val"], params)
        history.append((total / len(xy), right / len(xy), silent, val_loss, val))
        if val > best["val"]:
            best = {"val": val, "epoch": epoch, "params": [p.detach().clone() for p in params]}
        if verbose:
            print(f"seed {seed} epoch {epoch:3d}  train loss {total / len(xy):.4f} "
                  f"acc {right / len(xy):.4f} (silent label {silent})  val loss {val_loss:.4f} "
                  f"acc {val:.4f}  {time.perf_counter() - te:.1f} s", flush=True)
        if epoch - best["epoch"] >= o.patience:
            break
    test, _ = evaluate(o, nets, *data["test"], best["params"])
    wall = time.perf_counter() - t0
    if verbose:
        print(f"seed {seed}: best validation {best['val']:.4f} at epoch {best['epoch']}, "
              f"test accuracy {test:.4f}, {wall:.1f} s", flush=True)
    for net in nets:
        net.close()
    return {"val": best["val"], "epoch": best["epoch"], "test": test, "wall": wall,
            "history": history}


def options_from(argv: Optional[List[str]] = None) -> Tuple[Options, argparse.Namespace]:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=sorted(PRESETS), default="current",
                    help="the C program's presets (current: EventProp's setup)")
    for name in ("hidden", "batch", "epochs", "patience"):
        ap.add_argument("--" + name.replace("_", "-"), type=int)
    for name in ("tau", "tau_syn", "t_early", "t_late", "t_bias", "t_max", "t_ref",
                 "drive_hidden", "drive_out", "tau0", "tau1", "alpha", "missing_push",
                 "hidden_push", "out_drive_floor", "lr", "lr_decay"):
        ap.add_argument("--" + name.replace("_", "-"), type=float)
    for name in ("w_in", "w_out"):
        ap.add_argument("--" + name.replace("_", "-"), metavar="MEAN,STD",
                        type=lambda s: tuple(float(v) for v in s.split(",")))
    ap.add_argument("--fixed-drives", action="store_true")
    ap.add_argument("--train", type=int, dest="n_train")
    ap.add_argument("--val", type=int, dest="n_val")
    ap.add_argument("--test", type=int, dest="n_test")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=1, help="seeds SEED..SEED+RUNS-1")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    o = replace(Options(), **PRESETS[args.model])
    given = {k: v for k, v in vars(args).items() if v is not None and hasattr(o, k)}
    o = replace(o, **given)
    if args.fixed_drives:
        o.train_drives = False
    return o, args


def main(argv: Optional[List[str]] = None) -> None:
    o, args = options_from(argv)
    tests = []
    for r in range(args.runs):
        tests.append(train(o, args.seed + r, verbose=not args.quiet)["test"])
    print(f"test accuracy over {len(tests)} run(s): mean {100 * np.mean(tests):.2f} % +- "
          f"{100 * (np.std(tests, ddof=1) if len(tests) > 1 else 0.0):.2f} % (std)")


if __name__ == "__main__":
    main()
