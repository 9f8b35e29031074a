#!/usr/bin/env python3
"""Smoke tests of the sparseprop program: exit codes and the files it writes.

usage: cli_test.py SPARSEPROP WORKDIR CASE
"""
import csv
import os
import re
import sys
import xml.etree.ElementTree as ET


from cli_testlib import expect, run


def summary(out):
    rows = dict(re.findall(r"^([^:\n]+):\s+(.*)$", out, re.M))
    expect("spikes" in rows and "mean rate (Hz)" in rows, "summary lines missing:\n" + out)
    return rows


def check_csv(path, n_neurons, n_spikes=None, t_max=None):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    expect(rows[0] == ["time", "neuron"], "CSV header is %r" % rows[0])
    times = [float(r[0]) for r in rows[1:]]
    neurons = [int(r[1]) for r in rows[1:]]
    if n_spikes is not None:
        expect(len(times) == n_spikes, "CSV has %d spikes, want %d" % (len(times), n_spikes))
    expect(all(a <= b for a, b in zip(times, times[1:])), "CSV times decrease")
    expect(all(0 <= i < n_neurons for i in neurons), "CSV neuron out of range")
    if t_max is not None:
        expect(all(t < t_max for t in times), "CSV time past the end of the run")
    return times


def check_svg(path):
    root = ET.parse(path).getroot()
    expect(root.tag.endswith("svg"), "SVG root is " + root.tag)
    ns = "{http://www.w3.org/2000/svg}"
    texts = [t.text for t in root.iter(ns + "text")]
    expect("time (s)" in texts and "neuron" in texts, "SVG axis labels missing")
    dots = "".join(p.get("d", "") for p in root.iter(ns + "path")).count("M")
    expect(dots > 0, "SVG raster has no spikes")


def case_run_lif(exe, work):
    csv_path, svg_path = os.path.join(work, "cli-lif.csv"), os.path.join(work, "cli-lif.svg")
    rc, out, err = run(exe, "run", "--n", "2000", "--spikes-count", "20000",
                       "--spikes", csv_path, "--raster=" + svg_path)
    expect(rc == 0, "exit %d: %s" % (rc, err))
    s = summary(out)
    expect(s["model"] == "LIF" and s["spikes"] == "20000", "summary:\n" + out)
    rate = float(s["mean rate (Hz)"])
    # The balanced LIF network runs near 3.4 Hz (DESIGN.md section 3); N = 2000 is small.
    expect(2.0 < rate < 5.0, "LIF rate %g Hz" % rate)
    times = check_csv(csv_path, 2000, 20000)
    span = times[-1] - times[0]
    expect(abs(span - float(s["simulated seconds"])) < 0.01 * span + 0.01,
           "simulated seconds disagree with the CSV")
    check_svg(svg_path)


def case_run_qif_time(exe, work):
    csv_path, svg_path = os.path.join(work, "cli-qif.csv"), os.path.join(work, "cli-qif.svg")
    rc, out, err = run(exe, "run", "--model", "qif", "--n", "2000", "--time", "2",
                       "--burn-in", "4000", "--spikes", csv_path, "--raster", svg_path)
    expect(rc == 0, "exit %d: %s" % (rc, err))
    s = summary(out)
    expect(s["model"] == "QIF" and float(s["simulated seconds"]) == 2.0, "summary:\n" + out)
    rate = float(s["mean rate (Hz)"])
    expect(0.5 < rate < 2.5, "QIF rate %g Hz" % rate)  # the paper's network: about 1.31 Hz
    times = check_csv(csv_path, 2000, int(s["spikes"]))
    expect(times[-1] - times[0] <= 2.0, "spikes outside the timed 2 s")
    check_svg(svg_path)


def case_quiet(exe, work):
    rc, out, err = run(exe, "run", "--n", "500", "--k", "20", "--spikes-count", "1000",
                       "--quiet")
    expect(rc == 0 and out == "" and err == "", "--quiet printed: %r %r" % (out, err))


def case_seeds(exe, work):
    # Same seeds, same spikes; another connectivity seed, other spikes.
    paths = [os.path.join(work, "cli-seed%d.csv" % i) for i in range(3)]
    for path, seed in zip(paths, ["7", "7", "8"]):
        rc, _, err = run(exe, "run", "--n", "1000", "--spikes-count", "3000", "--seed", seed,
                         "--quiet", "--spikes", path)
        expect(rc == 0, "exit %d: %s" % (rc, err))
    data = [open(p).read() for p in paths]
    expect(data[0] == data[1], "same seeds gave different spikes")
    expect(data[0] != data[2], "different seeds gave the same spikes")


def case_info(exe, work):
    for args in (["--version"], ["help"], ["--help"], ["help", "run"], ["run", "--help"]):
        rc, out, _ = run(exe, *args)
        expect(rc == 0 and out, "%s: exit %d" % (" ".join(args), rc))
    rc, out, _ = run(exe, "--version")
    expect(re.match(r"sparseprop \d+\.\d+\.\d+", out), "--version printed %r" % out)


BAD_COMMAND_LINES = [
    [],
    ["bogus"],
    ["help", "bogus"],
    ["run", "--bogus"],
    ["run", "extra"],
    ["run", "--n"],
    ["run", "--n", "abc"],
    ["run", "--n=-5"],
    ["run", "--n", "1"],
    ["run", "--n", "100", "--k", "100"],
    ["run", "--k", "0"],
    ["run", "--model", "eif"],
    ["run", "--tau", "0"],
    ["run", "--j0", "nan"],
    ["run", "--nu", "-1"],
    ["run", "--time", "inf"],
    ["run", "--spikes-count", "0"],
    ["run", "--spikes-count", "2.5"],
    ["run", "--time", "1", "--spikes-count", "10"],
    ["run", "--seed", "-1"],
    ["run", "--quiet=yes"],
]


def case_usage_errors(exe, work):
    for args in BAD_COMMAND_LINES:
        rc, out, err = run(exe, *args)
        expect(rc == 2, "%r: exit %d, want 2" % (args, rc))
        expect("usage:" in err, "%r: no usage message on stderr" % (args,))


def case_io_error(exe, work):
    bad = os.path.join(work, "no-such-dir", "x.csv")
    rc, _, err = run(exe, "run", "--n", "100", "--k", "10", "--spikes", bad)
    expect(rc == 1 and bad in err, "unwritable --spikes: exit %d, %r" % (rc, err))


def main():
    exe, work, case = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    globals()["case_" + case.replace("-", "_")](exe, work)
    print("ok")


if __name__ == "__main__":
    main()
