# The PyTorch Yin-Yang example (examples/yinyang_torch.py) against the C example
# (tests/examples/yinyang), which shares no code with it: the same data set point for point,
# and a short training run that follows the C program's epoch by epoch.
import importlib.util
import re
import subprocess
import sys

import numpy as np
import pytest

from conftest import PACKAGE_ROOT


def load():
    pytest.importorskip("torch", reason="python3-torch is not installed")
    path = PACKAGE_ROOT / "examples" / "yinyang_torch.py"
    spec = importlib.util.spec_from_file_location("yinyang_torch", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def c_example(build):
    exe = build / "tests" / "examples" / "yinyang" / "yinyang"
    if not exe.exists():
        pytest.skip(f"{exe} not built (meson setup -Dtests=false?)")
    return exe


def test_dataset_is_the_c_examples(c_example):
    out = subprocess.run([str(c_example), "--print-data", "300"], check=True,
                         capture_output=True, text=True).stdout.split()
    c = np.array(out, dtype=np.float64).reshape(-1, 3)
    xy, label = load().dataset(300, 42)
    assert np.array_equal(c[:, :2], xy)  # %.17g round-trips doubles exactly
    assert np.array_equal(c[:, 2].astype(np.int64), label)


def test_dataset_shape():
    example = load()
    xy, label = example.dataset(3000, 7)
    r = np.hypot(xy[:, 0] - 0.5, xy[:, 1] - 0.5)
    assert (r <= 0.5).all()
    # Classes drawn uniformly: each near 1/3 (binomial std ~0.009).
    assert np.allclose(np.bincount(label, minlength=3) / 3000, 1 / 3, atol=0.04)
    # The dots (class 2) are the two discs of radius 0.1 at (0.25, 0.5) and (0.75, 0.5).
    d = np.minimum(np.hypot(xy[:, 0] - 0.25, xy[:, 1] - 0.5), np.hypot(xy[:, 0] - 0.75,
                                                                       xy[:, 1] - 0.5))
    assert ((d < 0.1) == (label == 2)).all()
    # Outside the dots, yin (0) is the upper half outside the right half-disc of radius 0.25
    # plus the left one (and vice versa): check the points far from the curve.
    upper = xy[:, 1] > 0.5
    in_left = np.hypot(xy[:, 0] - 0.25, xy[:, 1] - 0.5) < 0.25
    in_right = np.hypot(xy[:, 0] - 0.75, xy[:, 1] - 0.5) < 0.25
    yin = np.where(upper, ~in_right, in_left)
    assert ((label != 2) <= (yin == (label == 0))).all()


# Every option spelled out, so that both programs run the same recipe whatever their defaults.
SHORT = {
    "current": ["--hidden", "40", "--tau", "0.02", "--tau-syn", "0.005", "--t-early", "0",
                "--t-late", "1.5", "--t-bias", "0", "--t-max", "2", "--t-ref", "10",
                "--drive-hidden", "0", "--drive-out", "0", "--w-in", "0.375,0.195",
                "--w-out", "0.2325,0.025", "--tau0", "0.025", "--tau1", "0.32",
                "--alpha", "3e-3", "--missing-push", "0.2", "--lr", "5e-4",
                "--lr-decay", "0.97", "--train", "640", "--seed", "1"],
    "delta": ["--hidden", "30", "--tau", "0.02", "--tau-syn", "0", "--t-early", "0.05",
              "--t-late", "1", "--t-bias", "0", "--t-max", "4", "--t-ref", "10",
              "--drive-hidden", "3", "--drive-out", "2", "--w-in", "0,0.5", "--w-out", "0,0.03",
              "--tau0", "0.05", "--tau1", "3", "--alpha", "0", "--missing-push", "1",
              "--lr", "2e-3", "--lr-decay", "0.9", "--train", "480", "--seed", "2"],
}
SHORT["pushes"] = SHORT["current"] + ["--hidden-push", "0.05", "--out-drive-floor", "0.3"]
SIZES = ["--batch", "32", "--epochs", "3", "--patience", "10", "--val", "200", "--test", "200"]
# The C program's loss and model selection before 2026-11-30 18:00, which the torch example has
# (its silent outputs at t_max and --select loss are C-only so far).
C_ONLY = ["--silent-tmax", "0", "--select", "acc"]
EPOCH = re.compile(r"seed \d+ epoch +(\d+) +train loss ([\d.]+) acc ([\d.]+) \(silent label "
                   r"(\d+).*val loss ([\d.]+) acc ([\d.]+)")


@pytest.mark.parametrize("model", ["current", "delta", "pushes"])
def test_short_training_follows_the_c_example(c_example, model):
    # Same initial weights, shuffling, loss, pushes and Adam: the accuracies and silent-label
    # counts are equal and the losses agree to print precision (the two sum gradients in
    # different orders, so over many epochs the runs drift apart like two rounding modes).
    argv = SHORT[model] + SIZES
    out = subprocess.run([str(c_example), *argv, *C_ONLY, "--threads", "2"], check=True,
                         capture_output=True, text=True).stdout
    c_log = [m.groups() for m in map(EPOCH.match, out.splitlines()) if m]
    c_test = float(re.search(r"test accuracy ([\d.]+)", out).group(1))
    example = load()
    o, args = example.options_from(argv)
    res = example.train(o, args.seed, verbose=False)
    assert len(c_log) == len(res["history"]) == 3
    for (epoch, c_tl, c_ta, c_sl, c_vl, c_va), (tl, ta, sl, vl, va) in zip(c_log,
                                                                          res["history"]):
        assert (float(c_ta), int(c_sl), float(c_va)) == (round(ta, 4), sl, round(va, 4)), epoch
        assert float(c_tl) == pytest.approx(tl, abs=1.5e-4) and \
            float(c_vl) == pytest.approx(vl, abs=1.5e-4), epoch
    assert res["test"] == pytest.approx(c_test, abs=1e-9)
    assert res["history"][-1][4] > 0.6  # it learns (chance is 1/3; 0.67 and 0.78 here)
