# PyTorch integration: spike times as a differentiable function of the network's parameters.
"""Exact spike-time gradients inside PyTorch.

:func:`spike_times` runs a recorded simulation for given parameter tensors and returns spike
times as a tensor; its backward pass is the library's exact backward (``sp_backward``), so the
gradients compose with any PyTorch loss and optimiser::

    import torch, sparseprop, sparseprop.torch as spt
    net = sparseprop.Network(30, drive=1.2, k=5, weight=-0.05)   # procedural: one weight
    w = torch.tensor(net.params("weights"), requires_grad=True)
    t_first = spt.spike_times(net, 0.1, weights=w, first_spike_of=[0, 1, 2])
    loss = ((t_first - 0.01) ** 2).sum()
    loss.backward()                     # w.grad: dL/dw, exact for the recorded spike order

What the gradient is: exact for the spike order of the forward pass. A parameter change that
reorders, creates or removes spikes makes the loss discontinuous, and the gradient says nothing
about that (see the README's Training section). With delta synapses a spike that an input
event pushes over threshold happens at the input's time and carries no gradient; with
current-based synapses (``Network(..., tau_syn=...)``) V is continuous, every spike is a
smooth crossing and every spike time has a gradient: the setting of EventProp.

Limits:

- Gradients with respect to the input spike times are not computed by the library: the
  backward returns None for ``input_times`` (PyTorch then treats them as zero), and a warning is
  given if ``input_times`` requires a gradient. Likewise for ``t_end`` and ``missing``: a tensor
  that requires a gradient is read as a number, with a warning (with ``end_voltages``,
  dV/dt_end is the voltages' rate of change at the end, which the caller can add).
- The network's own accumulated gradients (``Network.grads``) are used as scratch space: the
  backward pass zeroes them before it runs (they then hold its gradients). The forward pass
  rewinds the network and sets its parameters; afterwards the network holds the last forward
  pass's parameters and final state. Neuron
  indices of the wrong type or range, parameter tensors of the wrong size or with non-finite
  values, parameter tensors given with a replica (whose parameters are its parent's), and a
  ``t_end`` or input time that is NaN or negative raise before the network is touched. Any
  later error (a value the library refuses for its model,
  e.g. a LIF v0 at or above 1; a bad input channel or time; a full tape) raises with the
  network rewound and every parameter as it was before the call.
- A forward pass that records leaves the network recording, for its backward pass. The next
  call that runs the network or changes it (``run``, ``step``, ``set_params``, ``inputs``,
  ...) ends that recording first, so that it neither fills the tape nor refuses parameters; the
  state, parameters and accumulated gradients stay as they are.
- A backward pass differentiates its own forward pass. If the network was used since (another
  forward pass, ``set_params``, a run, ``gradcheck``'s perturbed evaluations), it runs that
  forward pass again first, with every parameter kind as the forward pass had it (given as a
  tensor or not) and the same inputs, then puts back the parameters the network had before
  the backward pass; the network's state is then the end of that re-run.
- EIF and custom networks accept only drives given at their creation (their tables), so a
  ``drives`` tensor with other values is refused; the gradient for drives is still returned.
- CPU only; tensors on another device are copied to the CPU and the gradients copied back.
- No double backward: a backward pass that builds a graph (``create_graph=True``, e.g. for a
  gradient penalty) raises RuntimeError.
- Each forward pass's graph keeps the parameter values it ran with (float64 copies; a kind
  left None shares the network's), and the network, until a backward pass without
  ``retain_graph`` frees them, as PyTorch frees saved tensors (a loss kept for logging then
  keeps no network alive); a second backward pass through the same graph then raises
  as for any PyTorch function. Under saved-tensor hooks that copy (``save_on_cpu``,
  compression), the copies do not keep the network alive: keep a reference to it until the
  backward pass, which otherwise raises RuntimeError. A backward pass after ``net.close()``
  raises StateError.
"""
from __future__ import annotations

import copy
import math
import warnings
import weakref
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch.autograd.function import once_differentiable

from ._capi import SP_ERR_ARGUMENT, SP_ERR_UNSUPPORTED
from .errors import (ArgumentError, SparsePropError, UnsupportedError, in_binding_words,
                     renamed)
from .network import (Network, Param, _f64_array, _float, _index_array, _refuse_bools,
                      _u64)

__all__ = ["spike_times", "SpikeTimesFunction"]

# The parameter kinds spike_times() accepts, in the order they are passed to the Function.
_KINDS = (Param.WEIGHTS, Param.INPUT_WEIGHTS, Param.DRIVES, Param.V0)


class _Spec:
    """What a forward pass does besides the parameters; the same for its re-run."""

    def __init__(self, net: Network, t_end: float, channels: np.ndarray,
                 first_spike_of: Optional[np.ndarray], missing: float, max_spikes: int,
                 stop_at: Optional[np.ndarray], end_voltages: bool) -> None:
        self.net = net
        self.t_end = float(t_end)
        self.channels = channels
        self.first_spike_of = first_spike_of
        self.missing = float(missing)
        self.max_spikes = int(max_spikes)
        # The neurons whose spikes end the simulation (sp_run_until), or None: run to t_end.
        self.stop_at = stop_at
        self.end_voltages = bool(end_voltages)
        self.record = True  # whether the forward pass records for a backward pass


def _simulate(spec: _Spec, values: Sequence[Optional[np.ndarray]], times: np.ndarray,
              record: bool = True) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
    """(spike times, neurons, voltages at the end or None), recorded for a backward pass
    unless ``record`` is False. ``values``: per kind of ``_KINDS``, the values to set, or None
    to keep the network's."""
    net = spec.net
    # Sizes and finiteness first, so that such an error leaves the network untouched.
    for kind, value in zip(_KINDS, values):
        if value is None:
            continue
        name = kind.name.lower()
        if value.shape[0] != net.param_count(kind):
            raise ArgumentError(SP_ERR_ARGUMENT, f"{name} has {value.shape[0]} values, the "
                                f"network has {net.param_count(kind)}")
        if not np.isfinite(value).all():
            bad = int(np.flatnonzero(~np.isfinite(value))[0])
            raise ArgumentError(SP_ERR_ARGUMENT, f"{name}[{bad}] = {value[bad]} is not finite")
    if net.parent is not None and any(value is not None for value in values):
        raise UnsupportedError(SP_ERR_UNSUPPORTED, "a replica's parameters are its parent's: "
                               "give parameter tensors to spike_times on the parent network")
    # The run's end and the inputs' times, which a run from t = 0 must have at or after 0.
    if not spec.t_end >= 0.0:
        raise ArgumentError(SP_ERR_ARGUMENT, f"t_end = {spec.t_end}: the forward pass runs from "
                            "t = 0, so t_end must be a time at or after 0")
    if times.size and not (times >= 0.0).all():
        bad = int(np.flatnonzero(~(times >= 0.0))[0])
        raise ArgumentError(SP_ERR_ARGUMENT, f"input_times[{bad}] = {times[bad]}: the forward "
                            "pass runs from t = 0, so an input must come at or after 0")
    net.rewind()  # also ends any recording, so the parameters can be set
    done: List[Tuple[Param, np.ndarray]] = []
    try:
        for kind, value in zip(_KINDS, values):
            if value is not None:
                before = net._param_snapshot(kind)[1]
                try:
                    net.set_params(kind, value)
                except SparsePropError as e:  # (named as this function's arguments)
                    words = ((r"\bParam\." + kind.name + r"\[", kind.name.lower() + "["),)
                    raise renamed(e, words) from None
                done.append((kind, before))
        if done:
            # v0 is the state a rewind returns to, and setting it leaves the state alone; a
            # drive change re-expresses the state, with a rounding that depends on the drives
            # before it (an outside check: two neurons tied in V and drive fired in the other
            # order after a forward pass with other drives, and a backward pass's re-run then
            # failed). A rewind after the parameters makes the start independent of history.
            net.rewind()
        if times.size:
            # (Errors named as this function's arguments: Network.inputs' checks, the library's
            # and the binding's, name its own, channels and times.)
            words = ((r"^channels\b|\bchannels(?=\[)", "input_channels"),
                     (r"^times\b|(?<=but )times\b|\btimes(?=\[)|(?<=len\()times(?=\))",
                      "input_times"))
            try:
                net.inputs(spec.channels, times)
            except SparsePropError as e:
                raise renamed(e, words) from None
            except TypeError as e:
                raise TypeError(in_binding_words(str(e), words)) from None
        if record:
            net.record(spec.max_spikes)
        if spec.stop_at is not None:
            s = net.run_until(spec.t_end, spec.stop_at)
            spikes_t, spikes_i = s.times, s.neurons
        else:
            spikes_t, spikes_i = net.run(spec.t_end)
        return spikes_t, spikes_i, (net.voltages() if spec.end_voltages else None)
    except BaseException:
        _roll_back(net, done)
        raise


def _roll_back(net: Network, done: List[Tuple[Param, np.ndarray]]) -> None:
    """After a failed forward pass (whose exception the caller re-raises): the parameter kinds
    it set go back to their values before it, and the network is rewound. A failure here (a
    closed network) is dropped, so that the caller's exception is the one raised."""
    try:
        net.rewind()  # (ends a recording, which would refuse the parameters)
        for kind, before in reversed(done):
            net.set_params(kind, before)
        net.rewind()
    except Exception:
        pass


def _rerun(ctx: Any, spec: _Spec,
           saved: Sequence[np.ndarray]) -> List[Tuple[Param, np.ndarray]]:
    """Records the forward pass of ``ctx`` (``spec``, with its network) again, with its
    parameters of every kind: sets the kinds that changed since, and returns them with the
    values they had before, for :func:`_put_back` once the backward pass is done."""
    net = spec.net
    values: List[Optional[np.ndarray]] = []
    before: List[Tuple[Param, np.ndarray]] = []
    for kind, version, value in zip(_KINDS, ctx.versions, saved):
        if net._param_version(kind) == version:
            values.append(None)  # unchanged since the forward pass
        else:
            values.append(value)
            before.append((kind, net._param_snapshot(kind)[1]))
    try:
        _, spike_i, _ = _simulate(spec, values, ctx.input_times)
        if len(spike_i) != ctx.n_spikes or not np.array_equal(spike_i, ctx.neurons):
            raise RuntimeError("sparseprop.torch: re-running the forward pass for backward "
                               "gave different spikes (was the network changed?)")
    except BaseException:
        _put_back(net, before, failed=True)
        raise
    return before


def _put_back(net: Network, before: List[Tuple[Param, np.ndarray]], failed: bool,
              rerun: bool = True) -> None:
    """Sets the parameters a re-run changed back to the network's values before it. After a
    failure (whose exception the caller re-raises) following a re-run, first ends the recording
    that would refuse them (rewinds: the re-run's recording must not stay on, unknown to the
    binding), and gives up silently if that fails too (a closed network)."""
    if not before and not (failed and rerun):
        return
    try:
        if failed:
            net.rewind()
        for kind, value in before:
            net.set_params(kind, value)
    except Exception:
        if not failed:
            raise


def _neurons(name: str, values: Any, n: int) -> np.ndarray:
    """Neuron indices (a sequence, array or tensor of integers; one integer counts as one) as
    int64: TypeError for what is not integers (floats, strings, bools), IndexError for one
    outside [0, n)."""
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().numpy()
    _refuse_bools(name, values)
    a = np.asarray(values)
    if a.ndim > 1:  # (as for input_times: not flattened)
        raise ArgumentError(SP_ERR_ARGUMENT, f"{name} must be one-dimensional, got shape "
                            f"{a.shape}")
    if a.size and a.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold neuron indices (integers), not {a.dtype}")
    a = a.astype(np.int64).reshape(-1)
    if a.size and (a.min() < 0 or a.max() >= n):
        raise IndexError(f"{name} holds a neuron outside [0, {n})")
    return a


def _param_tensor(name: str, value: Any) -> Optional[torch.Tensor]:
    """A parameter argument as a real tensor: a tensor as given, an array or sequence of
    numbers as a float64 tensor (a constant: no gradient); TypeError for complex values, bools or
    non-numbers, ValueError for a tensor without data (the meta device)."""
    if value is None:
        return None
    if not isinstance(value, torch.Tensor):
        _refuse_bools(name, value)
        a = np.asarray(value)
        if a.dtype.kind not in "iuf":
            raise TypeError(f"{name} must hold real numbers, not {a.dtype}")
        value = torch.as_tensor(a.astype(np.float64))
    # (Bools are not numbers here, as in Network.set_params: a bool tensor ran with weights 1.)
    if value.is_complex() or value.dtype == torch.bool:
        raise TypeError(f"{name} must hold real numbers, not {value.dtype}")
    if value.device.type == "meta":
        raise ValueError(f"{name} is on the meta device: it has no values to simulate with")
    return value


def _as_numpy(t: Optional[torch.Tensor]) -> Optional[np.ndarray]:
    if t is None:
        return None
    return t.detach().to(device="cpu", dtype=torch.float64).reshape(-1).numpy().copy()


def _incoming(ctx: Any, spec: _Spec, grad_times: torch.Tensor,
              more: Sequence[Any]) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """The backward pass's dL/dt per recorded spike and dL/dV at the end (None: all zero) from
    the incoming gradients, refused when not finite before anything changes (a re-run
    included), with a message that names the output's entry, not the library's spike index
    (an outside check got "dl_dt[3] = nan" for a NaN on first_spike_of[0])."""
    g = grad_times.detach().to(device="cpu", dtype=torch.float64).reshape(-1).numpy()
    if spec.first_spike_of is None:
        dl_dt = np.ascontiguousarray(g)
        _finite_gradient(g, np.ones(g.shape, dtype=bool), "times[{}]")
    else:
        dl_dt = np.zeros(ctx.n_spikes, dtype=np.float64)
        hit = ctx.first_index >= 0  # (a neuron that did not fire has no time to move)
        _finite_gradient(g, hit, "the first spike time of first_spike_of[{}]")
        np.add.at(dl_dt, ctx.first_index[hit], g[hit])
    dl_dv = None
    if spec.end_voltages and more and more[-1] is not None:
        dl_dv = more[-1].detach().to(device="cpu", dtype=torch.float64).reshape(-1).numpy()
        _finite_gradient(dl_dv, np.ones(dl_dv.shape, dtype=bool), "v_end[{}]")
        if not dl_dv.any():
            dl_dv = None
    return dl_dt, dl_dv


def _backward(ctx: Any, spec: _Spec, dl_dt: np.ndarray, dl_dv: Optional[np.ndarray],
              wanted: Sequence[bool]) -> Any:
    """``sp_backward`` on the recording of this forward pass (``spec``, with its network), and
    the gradients."""
    net = spec.net
    net.zero_grads()
    net.backward(dl_dt, dl_dv)
    grads: List[Optional[torch.Tensor]] = []
    for kind, want, shape in zip(_KINDS, wanted, ctx.shapes):
        if not want or shape is None:
            grads.append(None)
            continue
        size, dtype, device = shape
        grads.append(torch.from_numpy(net.grads(kind)).reshape(size).to(device=device,
                                                                         dtype=dtype))
    return (None, None, *grads)


def _finite_gradient(g: np.ndarray, used: np.ndarray, entry: str) -> None:
    """Refuses a non-finite incoming gradient on a used entry of an output, named as the
    caller sees it (``entry`` formatted with its index)."""
    bad = np.flatnonzero(used & ~np.isfinite(g))
    if bad.size:
        raise ArgumentError(SP_ERR_ARGUMENT, f"the gradient flowing into {entry.format(bad[0])} "
                            f"is {g[bad[0]]}: the loss's gradient must be finite")


class SpikeTimesFunction(torch.autograd.Function):
    """The autograd Function behind :func:`spike_times` (use that; this is its machinery).

    ``apply(spec, input_times, weights, input_weights, drives, v0)``; parameters that are None
    keep the network's values and get no gradient.
    """

    @staticmethod
    def forward(ctx: Any, spec: _Spec, input_times: torch.Tensor,  # type: ignore[override]
                *params: Optional[torch.Tensor]) -> Any:
        """Rewinds, sets the parameters, queues the inputs, records and runs (see
        :func:`spike_times`); returns the spike times (and neurons, end voltages)."""
        values = [_as_numpy(p) for p in params]
        times_np = _as_numpy(input_times)
        # No tape when no gradient can be asked for (torch.no_grad, no parameter requiring
        # one): autograd then keeps no graph, so no backward pass can come.
        spike_t, spike_i, v_end = _simulate(spec, values, times_np, record=spec.record)
        # The graph holds the network only through a saved tensor (as an attribute, which
        # PyTorch keeps with the tensor), so that a backward pass without retain_graph lets it
        # go with the saved values: a loss kept for logging then keeps no network alive.
        # Saved-tensor hooks (save_on_cpu, compression, offloading) hand the backward pass a
        # copy without the attribute; the weak reference then finds the network while the
        # caller still holds it.
        ctx.spec = copy.copy(spec)
        ctx.network_ref = weakref.ref(spec.net)
        ctx.spec.net = None
        if spec.record:
            # Every kind's values as this pass ran with them, with the version that tells
            # whether the network still has them: a re-run for backward restores them all
            # (kinds left None included). A kind left None shares its snapshot with other
            # forward passes while it is unchanged.
            net = spec.net
            params_now = [net._param_snapshot(kind) if value is None
                          else (net._param_version(kind), value)
                          for kind, value in zip(_KINDS, values)]
            ctx.versions = [version for version, _ in params_now]
            # Saved as tensors (sharing the arrays' memory) so that autograd frees them with the
            # graph: after a backward pass without retain_graph, and a second backward pass
            # raises as for any PyTorch function.
            # (The network's snapshots are read-only arrays, which torch warns about: these
            # tensors are only read.)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="The given NumPy array is not writable")
                holder = torch.empty(0)
                holder.network = net
                ctx.save_for_backward(*[torch.from_numpy(value) for _, value in params_now],
                                      holder)
        ctx.input_times = times_np
        ctx.shapes = [None if p is None else (p.shape, p.dtype, p.device) for p in params]
        ctx.epoch = spec.net._epoch
        ctx.n_spikes = len(spike_t)
        if spec.record:
            spec.net._left_recording = len(spike_t)  # (ended by the network's next run, ...)
        ctx.neurons = spike_i
        # (Not input_times': with no parameter tensor the outputs are float64 on the CPU, as
        # documented; a float32 input_times once rounded them.)
        like = next((p for p in params if p is not None), None)
        dtype = like.dtype if like is not None and like.dtype.is_floating_point else torch.float64
        device = like.device if like is not None else torch.device("cpu")
        extra = ()
        if v_end is not None:
            extra = (torch.from_numpy(v_end).to(device=device, dtype=dtype),)
        if spec.first_spike_of is None:
            neurons = torch.from_numpy(spike_i.astype(np.int64)).to(device)
            ctx.mark_non_differentiable(neurons)
            return (torch.from_numpy(spike_t).to(device=device, dtype=dtype), neurons) + extra
        # The index of each watched neuron's first spike (-1: none).
        watched = spec.first_spike_of
        first = np.full(spec.net.n, -1, dtype=np.int64)
        fired, at = np.unique(spike_i, return_index=True)  # first occurrences
        first[fired] = at
        index = first[watched]
        ctx.first_index = index
        out = np.full(index.shape, spec.missing, dtype=np.float64)
        hit = index >= 0
        out[hit] = spike_t[index[hit]]  # (a run without any spike: none hit)
        t_first = torch.from_numpy(out).to(device=device, dtype=dtype)
        return (t_first,) + extra if extra else t_first

    @staticmethod
    def backward(ctx: Any, grad_times: torch.Tensor, *more: Any) -> Any:
        """``sp_backward`` with dL/dt (and dL/dV at the end) from the incoming gradients;
        returns the parameters' gradients, None for ``spec`` and ``input_times``. Not twice
        differentiable: a backward pass that builds a graph (``create_graph=True``) raises."""
        if torch.is_grad_enabled() and any(ctx.needs_input_grad[2:]):
            raise RuntimeError("sparseprop.torch.spike_times has no double backward: its "
                               "gradients are not differentiable (create_graph=True)")
        return SpikeTimesFunction._backward_once(ctx, grad_times, *more)

    @staticmethod
    @once_differentiable
    def _backward_once(ctx: Any, grad_times: torch.Tensor, *more: Any) -> Any:
        wanted = ctx.needs_input_grad[2:]
        if not any(wanted):
            return (None, None) + (None,) * len(wanted)
        before: List[Tuple[Param, np.ndarray]] = []
        if not hasattr(ctx, "versions"):
            raise RuntimeError("sparseprop.torch: this forward pass recorded nothing for a "
                               "backward pass")
        *saved, holder = ctx.saved_tensors  # (raises after a backward pass without retain_graph)
        spec: _Spec = copy.copy(ctx.spec)
        net = getattr(holder, "network", None)
        if net is None:
            net = ctx.network_ref()
        if net is None:
            raise RuntimeError("sparseprop.torch: the network of this forward pass no longer "
                               "exists (closed and dropped, or dropped): saved-tensor hooks "
                               "(such as torch.autograd.graph.save_on_cpu) copy the saved "
                               "tensor that keeps it alive, so keep a reference to the open "
                               "network until the backward pass")
        spec.net = net
        net._h()  # (StateError for a closed network, before anything else)
        dl_dt, dl_dv = _incoming(ctx, spec, grad_times, more)
        rerun = net._epoch != ctx.epoch or any(net._param_version(kind) != version
                                               for kind, version in zip(_KINDS, ctx.versions))
        if rerun:
            # The network was used since this forward pass (another forward, gradcheck's
            # perturbed runs, set_params, ...): record the same simulation again.
            before = _rerun(ctx, spec, [t.numpy() for t in saved])
        try:
            grads = _backward(ctx, spec, dl_dt, dl_dv, wanted)
        except BaseException:
            _put_back(net, before, failed=True, rerun=rerun)
            raise
        _put_back(net, before, failed=False)
        return grads


def spike_times(net: Network, t_end: float, *, weights: Optional[torch.Tensor] = None,
                input_weights: Optional[torch.Tensor] = None,
                drives: Optional[torch.Tensor] = None, v0: Optional[torch.Tensor] = None,
                input_times: Union[torch.Tensor, Sequence[float], None] = None,
                input_channels: Union[int, Sequence[int], np.ndarray, torch.Tensor, None] = None,
                first_spike_of: Union[Sequence[int], np.ndarray, torch.Tensor, None] = None,
                missing: float = math.inf, max_spikes: int = 100_000,
                stop_early: Union[bool, Sequence[int], np.ndarray, None] = None,
                end_voltages: bool = False) -> Any:
    """Runs ``net`` from t = 0 to ``t_end`` as a differentiable function of its parameters.

    The forward pass rewinds the network, sets every given parameter tensor, queues the input
    events, records (tape of ``max_spikes`` spikes) and runs to ``t_end``. The backward pass
    calls the library's exact backward with the incoming dL/dt.

    Args:
        net: the network (its connectivity fixes the parameters' sizes).
        t_end: end of the simulated interval, seconds.
        weights: recurrent weights (``net.param_count("weights")`` values, CSR order; one value
            for procedural or shared weights), any shape with that many elements: a tensor,
            or a numpy array or sequence of real numbers (a constant: no gradient). Complex
            values raise TypeError.
        input_weights: input weights, likewise.
        drives: one drive per neuron.
        v0: the initial voltages (the state the rewind returns to).
        input_times: times of external input events (>= 0, < t_end to have an effect), one
            dimension (one sample per call; a scalar is one event, a 2-D array raises
            ArgumentError); no gradient
            flows to them (see the module's notes).
        input_channels: the channel of each input event, or one channel for all (default 0),
            one dimension; given without ``input_times``, ArgumentError.
        first_spike_of: None to return every spike; else neuron indices whose first spike
            time is returned, in this order.
        missing: the value returned for a watched neuron that does not spike (default inf;
            t_end or a larger time suits losses that must stay finite). Its gradient is zero.
        max_spikes: the recording tape's capacity (an integer, as ``Network.record``); more
            spikes raise CapacityError. Nothing
            is recorded when no gradient can be asked for (``torch.no_grad()``, or no
            parameter tensor requiring one).
        stop_early: True: with ``first_spike_of``, stop the simulation once every watched
            neuron has spiked (``Network.run_until``) instead of running to ``t_end``. The
            first spike times and their gradients are the same either way; only the network's
            final state differs. A sequence of neurons: stop once each of those has spiked
            (a watched neuron silent until then gets ``missing``; this also works without
            ``first_spike_of``). Default: True, but False with ``end_voltages``; True given
            without ``first_spike_of`` has nothing to wait for and raises ArgumentError.
        end_voltages: a bool (anything else raises TypeError); True also returns every
            neuron's voltage where the simulation ended, as a differentiable tensor of n
            values (its gradient enters the backward pass as dL/dV at the end). A neuron that
            never spiked has no time to move, but its final voltage does: a loss can push it
            up (e.g. a silent label neuron in a first-spike classifier). By default the
            simulation then runs to ``t_end`` and the gradient is exact. With
            ``stop_early=True`` as well, it ends at ``t_end`` when a watched neuron stays
            silent, else at the spike that completes the watched set: the voltages are taken
            there, and their gradient includes that stop time's own movement (dV/dt
            times its gradient; exact either way). QIF: a neuron that spiked at the instant
            the simulation ends (with ``stop_early``, always the one completing the set) is
            at its reset, V = -inf, read as a huge negative number (sqrt(I) tan(x/2) at its
            phase x, -pi up to rounding: -1.6e16 sqrt(I), down to about 2**50 tau / now()
            in magnitude late in a run) with a zero gradient: leave
            it out of a loss on the end voltages. EIF and custom models with a finite
            ``v_spike``: a neuron that the ending instant's last spike or input took past
            ``v_spike`` (due to spike there, when ``stop_early`` ends the run at that instant)
            reads ``v_spike``, but its gradient is that of the voltage the kick gave it (as
            ``sp_backward`` documents; LIF reads that voltage, above 1), not of the reading,
            which is locally constant: a finite-difference check disagrees there. Leave such
            a neuron out of the loss too. A neuron of a blow-up model (QIF; EIF and custom
            with ``v_spike = inf``) whose own spike falls at the ending instant reads ``inf``,
            which has no gradient: a non-zero gradient flowing into it raises
            :class:`NumericError`.

    Returns:
        With ``first_spike_of``: a tensor of ``len(first_spike_of)`` first-spike times.
        Without: ``(times, neurons)``, every spike's time (differentiable) and neuron
        (int64, not differentiable), in firing order.
        With ``end_voltages``, the voltages are appended: ``(t_first, v_end)`` or
        ``(times, neurons, v_end)``.
        Times have the dtype and device of the first of ``weights``, ``input_weights``,
        ``drives``, ``v0`` given, in that order (an array or list given counts as a float64
        CPU tensor; float64 when none is given); a float16 or bfloat16 tensor makes the times
        (and, rounded to it, the values the network runs with) float16 or bfloat16 too.

    Parameters left None keep the network's current values and get no gradient. Parameter
    tensors in float32 are simulated in float64 and their gradients cast back (the values
    simulated are the float32 numbers: an EIF or custom network, which accepts only the
    drives given at its creation, refuses a float32 ``drives`` tensor unless those drives
    are float32 numbers). The backward pass differentiates this forward pass even if the
    network was used since: it then runs it again with every parameter as it was here (see the
    module's notes).
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a sparseprop.Network, not {type(net).__name__}")
    weights = _param_tensor("weights", weights)
    input_weights = _param_tensor("input_weights", input_weights)
    drives = _param_tensor("drives", drives)
    v0 = _param_tensor("v0", v0)
    max_spikes = _u64("max_spikes", max_spikes)
    if isinstance(t_end, torch.Tensor) and t_end.requires_grad:
        warnings.warn("sparseprop.torch.spike_times: no gradient flows to t_end (it is read "
                      "as a number); it is treated as zero", stacklevel=2)
    t_end = _float("t_end", t_end)  # (TypeError for a string, as Network.run)
    if isinstance(missing, torch.Tensor) and missing.requires_grad:
        warnings.warn("sparseprop.torch.spike_times: no gradient flows to missing (it is read "
                      "as a number); it is treated as zero", stacklevel=2)
    missing = _float("missing", missing)
    if not isinstance(end_voltages, (bool, np.bool_)):  # ("no" or 0.5 are not flags)
        raise TypeError(f"end_voltages must be a bool, not {type(end_voltages).__name__}")
    if input_channels is not None and input_times is None:
        raise ArgumentError(SP_ERR_ARGUMENT, "input_channels given without input_times")
    if input_times is None:
        times_t = torch.zeros(0, dtype=torch.float64)
    elif isinstance(input_times, torch.Tensor):
        times_t = input_times
        if times_t.requires_grad:
            warnings.warn("sparseprop.torch.spike_times: no gradient flows to input_times "
                          "(the library does not compute it); it is treated as zero",
                          stacklevel=2)
    else:
        times_t = torch.as_tensor(_f64_array("input_times", input_times))
    if times_t.dim() > 1:  # a batch of samples is one call per sample, not a flattened list
        raise ArgumentError(SP_ERR_ARGUMENT, "input_times must be one-dimensional, got shape "
                            f"{tuple(times_t.shape)}")
    n_events = int(times_t.numel())
    if input_channels is None:
        channels = np.zeros(n_events, dtype=np.int64)
    else:
        if isinstance(input_channels, torch.Tensor):
            input_channels = input_channels.detach().cpu().numpy()
        channels = np.asarray(input_channels)
        if channels.ndim > 1:
            raise ArgumentError(SP_ERR_ARGUMENT, "input_channels must be one-dimensional, got "
                                f"shape {channels.shape}")
        # (Checked before one channel is spread over the events: int() of it took 0.5, True
        # and "1" as channels, an outside review found.)
        channels = _index_array("input_channels", channels.reshape(-1), np.uint32)
    if channels.size == 1 and n_events != 1:
        channels = np.full(n_events, channels[0], dtype=np.uint32)
    watched = None
    if first_spike_of is not None:
        watched = _neurons("first_spike_of", first_spike_of, net.n)
    # A bare integer would be taken for one neuron where True was meant (True == 1): refused.
    if isinstance(stop_early, (int, np.integer)) and not isinstance(stop_early, (bool, np.bool_)):
        raise TypeError(f"stop_early must be a bool or a sequence of neuron indices, not the "
                        f"integer {stop_early}: write [{stop_early}] for that neuron, True to "
                        "stop at the first_spike_of neurons")
    if isinstance(stop_early, torch.Tensor) and stop_early.dim() == 0:
        raise TypeError("stop_early must be a bool or a sequence of neuron indices, not a "
                        "0-dimensional tensor")
    if isinstance(stop_early, (bool, np.bool_)) and stop_early and watched is None:
        raise ArgumentError(SP_ERR_ARGUMENT, "stop_early=True waits for the first_spike_of "
                            "neurons, and none are given: pass the neurons to wait for "
                            "(stop_early=[...]) or first_spike_of")
    if stop_early is None:
        stop_early = not end_voltages
    stop_at = None
    if isinstance(stop_early, (bool, np.bool_)):
        if stop_early and watched is not None and watched.size:
            stop_at = watched
    else:
        stop_at = _neurons("stop_early", stop_early, net.n)
        if stop_at.size == 0:
            raise IndexError("stop_early holds no neuron")
    spec = _Spec(net, t_end, channels, watched, missing, max_spikes, stop_at, end_voltages)
    spec.record = torch.is_grad_enabled() and any(
        p is not None and p.requires_grad for p in (weights, input_weights, drives, v0))
    return SpikeTimesFunction.apply(spec, times_t, weights, input_weights, drives, v0)
