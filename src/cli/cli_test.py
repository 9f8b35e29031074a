#!/usr/bin/env python3
"""Smoke tests of the sparseprop program: exit codes and the files it writes.

usage: cli_test.py SPARSEPROP WORKDIR CASE
"""
import bisect
import csv
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET


from cli_testlib import expect, run


def summary(out):
    rows = dict(re.findall(r"^([^:\n]+):\s+(.*)$", out, re.M))
    expect("spikes" in rows and "mean rate (Hz)" in rows, "summary lines missing:\n" + out)
    return rows


def check_csv(path, n_neurons, n_spikes=None, t_max=None):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    expect(rows[0] == ["t_s", "neuron"], "CSV header is %r" % rows[0])
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
                       "--spikes-csv", csv_path, "--raster=" + svg_path)
    expect(rc == 0, "exit %d: %s" % (rc, err))
    s = summary(out)
    expect(s["model"] == "LIF" and s["spikes"] == "20000", "summary:\n" + out)
    rate = float(s["mean rate (Hz)"])
    # The balanced LIF network runs near 3.4 Hz (the paper; README, "Reading the summary");
    # N = 2000 is small.
    expect(2.0 < rate < 5.0, "LIF rate %g Hz" % rate)
    times = check_csv(csv_path, 2000, 20000)
    span = times[-1] - times[0]
    expect(abs(span - float(s["simulated seconds"])) < 0.01 * span + 0.01,
           "simulated seconds disagree with the CSV")
    check_svg(svg_path)


def case_run_qif_time(exe, work):
    csv_path, svg_path = os.path.join(work, "cli-qif.csv"), os.path.join(work, "cli-qif.svg")
    rc, out, err = run(exe, "run", "--model", "qif", "--n", "2000", "--time", "2",
                       "--burn-in", "4000", "--spikes-csv", csv_path, "--raster", svg_path)
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
                         "--quiet", "--spikes-csv", path)
        expect(rc == 0, "exit %d: %s" % (rc, err))
    data = [open(p).read() for p in paths]
    expect(data[0] == data[1], "same seeds gave different spikes")
    expect(data[0] != data[2], "different seeds gave the same spikes")
    # Seeds are decimal: 010 is ten (as 10), not octal eight.
    paths = [os.path.join(work, "cli-seed-%s.csv" % seed) for seed in ("010", "10", "8")]
    for path, seed in zip(paths, ["010", "10", "8"]):
        rc, _, err = run(exe, "run", "--n", "500", "--k", "20", "--spikes-count", "1000",
                         "--seed", seed, "--quiet", "--spikes-csv", path)
        expect(rc == 0, "--seed %s: exit %d: %s" % (seed, rc, err))
    data = [open(p).read() for p in paths]
    expect(data[0] == data[1], "--seed 010 and --seed 10 gave different spikes")
    expect(data[0] != data[2], "--seed 010 was read as octal 8")


def case_info(exe, work):
    for args in (["--version"], ["help"], ["--help"], ["help", "run"], ["run", "--help"],
                 ["help", "help"]):
        rc, out, _ = run(exe, *args)
        expect(rc == 0 and out, "%s: exit %d" % (" ".join(args), rc))
    # A subnormal is a positive number like any other (strtod's ERANGE said otherwise), so it
    # is not a usage error; but after the burn-in it cannot move the clock, and a run of 0 s is
    # refused (exit 1) with the clock's step. One that rounds to 0 is no positive number.
    rc, out, err = run(exe, "run", "--n", "200", "--k", "10", "--time", "5e-324", "--quiet")
    expect(rc == 1 and "--time 4.9406564584124654e-324 is too short to move the clock" in err
           and "the next double is" in err, "--time 5e-324: exit %d, %r" % (rc, err))
    rc, out, err = run(exe, "run", "--n", "200", "--k", "10", "--time", "1e-9", "--quiet")
    expect(rc == 0, "--time 1e-9: exit %d, %r" % (rc, err))
    rc, out, err = run(exe, "run", "--n", "200", "--k", "10", "--time", "1e-400")
    expect(rc == 2 and "positive number" in err, "--time 1e-400: exit %d, %r" % (rc, err))
    rc, out, _ = run(exe, "--version")
    expect(re.match(r"sparseprop \d+\.\d+\.\d+", out), "--version printed %r" % out)


BAD_COMMAND_LINES = [
    ["bogus"],
    ["help", "bogus"],
    ["run", "--bogus"],
    ["run", "extra"],
    ["run", "--n"],
    ["run", "--n", "abc"],
    ["run", "--n=-5"],
    ["run", "--n", "1"],
    ["run", "--n", "0x10"],            # hex floats are not counts
    ["run", "--n", "4e9"],             # above the library's 2^31 (was exit 1 from the library)
    ["run", "--n", "2147483649"],
    ["run", "--n", "100", "--k", "100"],
    ["run", "--k", "0"],
    ["run", "--k", "3e9"],
    ["run", "--model", "hh"],
    ["run", "--delta-t", "0.2"],      # an EIF parameter without --model eif
    ["run", "--model", "eif", "--delta-t", "-1"],
    ["run", "--model", "eif", "--v-t", "abc"],
    ["run", "--model", "eif", "--v-t", "2"],  # drive 1.1 below V_T - D_T = 1.9: excitable
    ["run", "--tau", "0"],
    ["run", "--j0", "nan"],
    ["run", "--nu", "-1"],
    ["run", "--time", "inf"],
    ["run", "--spikes-count", "0"],
    ["run", "--spikes-count", "2.5"],
    ["run", "--time", "1", "--spikes-count", "10"],
    ["run", "--n", "1000", "--n", "2000"],  # given twice: which was meant?
    ["run", "--quiet", "--quiet"],
    ["bench", "--n-list=1e3", "--n-list", "1e4"],
    ["run", "--seed", "-1"],
    ["run", "--seed", "0x10"],         # decimal only
    ["run", "--seed", "1e3"],
    ["run", "--seed", "18446744073709551616"],
    ["run", "--init-seed", "abc"],
    ["run", "--quiet=yes"],
    ["run", "--progress=yes"],
    ["run", "--spikes", "x.csv"],      # the old name: one name, one meaning
    ["run", "--spikes-csv", ""],
    ["run", "--raster", "out.png"],    # SVG only
    ["run", "--raster", "out"],
    ["run", "--raster", ""],
    ["run", "--raster", "r.svg", "--raster-window", "0"],
    ["run", "--raster", "r.svg", "--raster-window", "-1"],
    ["run", "--raster-window", "1"],   # without --raster
    ["run", "--raster-neurons", "0-9"],
    ["run", "--raster", "r.svg", "--raster-neurons", "5-2"],
    ["run", "--raster", "r.svg", "--raster-neurons", "abc"],
    ["run", "--raster", "r.svg", "--raster-neurons", "7"],
    ["run", "--raster", "r.svg", "--raster-neurons", "-3"],
    ["run", "--n", "1000", "--raster", "r.svg", "--raster-neurons", "0-1000"],
    # Each factor is fine, the drive tau sqrt(K) J0 nu is not: the library refuses it.
    ["run", "--j0", "1e300", "--nu", "1e300"],
    ["run", "--model", "qif", "--j0", "1e-200", "--nu", "1e-200"],
    # Refused as numerically impossible (SP_ERR_NUMERIC) is a bad command line too.
    ["run", "--tau", "1e200"],
    ["run", "--j0", "1e101"],
    ["run", "--tau-syn", "0.01000001"],  # tau_syn/tau within 2^-12 of 1 but not 1
    ["run", "--tau-syn", "-1"],
    # bench asks the library about --tau-syn before any row runs.
    ["bench", "--tau-syn", "1e-9", "--n-list", "1e3", "--spikes-count", "1e3"],
    # Counts are exact: a numeral a double rounds to an integer is not one (it was taken).
    ["run", "--n", "2000.0000000000001"],
    ["run", "--burn-in", "999.99999999999999999"],
    ["run", "--n", "1e300"],
    ["run", "--n", "--quiet"],         # the value forgotten: an option is not a value
    # What would be ignored without a word (an outside user's report).
    ["--version", "extra"],
    ["help", "run", "extra"],
    ["bench", "--floor-alone", "--no-floor"],
    ["bench", "--no-baseline", "--check-spikes", "100"],
    ["bench", "--floor-alone", "--check-spikes", "100"],
]


def case_usage_errors(exe, work):
    # No arguments at all: the usage itself is the help wanted.
    rc, _, err = run(exe)
    expect(rc == 2 and "usage:" in err, "no arguments: exit %d, %r" % (rc, err))
    for args in BAD_COMMAND_LINES:
        rc, out, err = run(exe, *args)
        expect(rc == 2, "%r: exit %d, want 2 (%r)" % (args, rc, err))
        # The error and a one-line hint, not the error buried under the whole usage.
        lines = err.splitlines()
        command = args[0] if args[0] in ("run", "bench") else None
        hint = "see 'sparseprop help%s'" % (" " + command if command else "")
        expect(len(lines) == 2 and lines[1] == hint and "usage:" not in err,
               "%r: stderr is not an error and the hint %r:\n%s" % (args, hint, err))
        expect(lines[0].startswith("sparseprop"), "%r: error line %r" % (args, lines[0]))
        expect(out == "", "%r: printed on stdout: %r" % (args, out))
    rc, _, err = run(exe, "run", "--n", "1000", "--n=2000")
    expect(rc == 2 and "option --n given twice" in err, "--n twice: exit %d, %r" % (rc, err))
    for args in (["bench", "--bogus"], ["bench", "--spikes", "10"]):
        rc, _, err = run(exe, *args)
        expect(rc == 2 and err.splitlines()[-1] == "see 'sparseprop help bench'",
               "%r: exit %d, %r" % (args, rc, err))
    # Any spelling of zero is the default, delta synapses.
    for zero in ("0", "0.0", "0e0"):
        rc, _, err = run(exe, "run", "--n", "500", "--k", "20", "--spikes-count", "100",
                         "--tau-syn", zero, "--quiet")
        expect(rc == 0, "--tau-syn %s: exit %d, %r" % (zero, rc, err))
    # What an out-of-range count and a forgotten value say.
    rc, _, err = run(exe, "run", "--n", "1e300")
    expect("--n must be between 2 and" in err, "--n 1e300 message: %r" % err)
    rc, _, err = run(exe, "run", "--n", "--quiet")
    expect("--n needs a value" in err, "--n --quiet message: %r" % err)
    # Exact spellings of integers are counts.
    for count in ("2e3", "2000.0", "2.000e3", "0.2e4"):
        rc, out, err = run(exe, "run", "--n", count, "--k", "10", "--spikes-count", "10",
                           "--burn-in", "0")
        expect(rc == 0 and summary(out)["N"] == "2000", "--n %s: exit %d, %r" % (count, rc, err))
    # What the renamed option says.
    rc, _, err = run(exe, "run", "--spikes", "x.csv")
    expect("--spikes-csv" in err and "--spikes-count" in err, "--spikes message: %r" % err)
    rc, _, err = run(exe, "run", "--raster", "out.png")
    expect("SVG" in err and "out.png" in err, "--raster out.png message: %r" % err)
    # A library refusal names the options behind the drive when the drive is refused, only then.
    rc, _, err = run(exe, "run", "--j0", "1e300", "--nu", "1e300")
    expect("drive" in err and "--j0, --nu" in err, "refused drive message: %r" % err)
    rc, _, err = run(exe, "run", "--tau-syn", "0.01000001")
    expect("tau_syn" in err and "--j0" not in err, "refused tau_syn message: %r" % err)
    rc, _, err = run(exe, "run", "--model", "qif", "--tau-syn", "0.0025")
    expect("--tau-syn is for LIF only" in err, "refused QIF --tau-syn message: %r" % err)


def case_raster(exe, work):
    """--raster-neurons and --raster-window choose what the raster shows; the rate panel's
    bins agree with the spikes of the CSV."""
    csv_path, svg_path = os.path.join(work, "cli-window.csv"), os.path.join(work, "cli-window.svg")
    n, first, last, window = 2000, 100, 149, 0.5
    rc, out, err = run(exe, "run", "--n", str(n), "--spikes-count", "20000", "--spikes-csv",
                       csv_path, "--raster", svg_path, "--raster-neurons", "%d-%d" % (first, last),
                       "--raster-window", str(window))
    expect(rc == 0, "exit %d: %s" % (rc, err))
    with open(csv_path, newline="") as f:
        spikes = [(float(t), int(i)) for t, i in list(csv.reader(f))[1:]]
    t_end = spikes[-1][0]  # a spike-count run ends on its last spike
    root = ET.parse(svg_path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    # The raster: one "M" per dot, exactly the CSV's spikes of those neurons in the window.
    dots = "".join(p.get("d", "") for p in root.iter(ns + "path")).count("M")
    want = sum(1 for t, i in spikes if first <= i <= last and t >= t_end - window)
    expect(dots == want, "raster has %d dots, the CSV %d" % (dots, want))
    texts = [t.text for t in root.iter(ns + "text")]
    expect(str(first) in texts, "neuron axis labels: %r" % texts)
    expect("neurons 100-149" in texts[0], "title %r" % texts[0])
    expect("rate (Hz)" in texts, "no rate panel label")
    # The rate panel: every bin's rate is its spike count (all N neurons) / (N x bin width).
    bins = []
    for g in root.iter(ns + "g"):
        if g.get("class") != "rate":
            continue
        for rect in g.iter(ns + "rect"):
            m = re.match(r"([-\d.e+]+) to ([-\d.e+]+) s: ([-\d.e+]+) Hz", rect.find(ns + "title").text)
            bins.append(tuple(float(x) for x in m.groups()))
    expect(90 <= len(bins) <= 101, "%d rate bins for 100 per window" % len(bins))
    # Geometry: the dots inside the raster's frame, the bars inside the rate panel's, below it.
    frames = [[float(r.get(k)) for k in ("x", "y", "width", "height")]
              for r in root.findall(ns + "rect") if r.get("fill") == "none"]
    expect(len(frames) == 2 and frames[0][1] + frames[0][3] < frames[1][1], "panel frames %r"
           % frames)
    def inside(frame, x, y):
        fx, fy, fw, fh = frame
        return fx - 0.01 <= x <= fx + fw + 0.01 and fy - 0.01 <= y <= fy + fh + 0.01
    marks = re.findall(r"M([\d.]+) ([\d.]+)v([\d.]+)",
                       "".join(p.get("d", "") for p in root.iter(ns + "path")))
    expect(all(inside(frames[0], float(x), float(y)) and inside(frames[0], float(x),
                                                                float(y) + float(v))
               for x, y, v in marks), "a raster mark outside its panel")
    for g in root.iter(ns + "g"):
        for r in g.iter(ns + "rect") if g.get("class") == "rate" else []:
            x, y, w, h = (float(r.get(k)) for k in ("x", "y", "width", "height"))
            expect(inside(frames[1], x, y) and inside(frames[1], x + w, y + h),
                   "a rate bar outside its panel: %r" % ((x, y, w, h),))
    times = [t for t, _ in spikes]
    for b0, b1, hz in bins:
        count = bisect.bisect_left(times, b1) - bisect.bisect_left(times, b0)
        cover = min(b1, t_end) - b0
        # The boundaries are printed with 12 digits: a spike on one may land in the next bin.
        expect(abs(hz * n * cover - count) <= 1.001, "bin %g-%g s: %g Hz but %d spikes"
               % (b0, b1, hz, count))
    expect(sum(hz * n * (min(b1, t_end) - b0) for b0, b1, hz in bins) > 0.9 * sum(
        1 for t in times if t >= t_end - window), "the rate bins miss spikes")
    # A window longer than the run: its bins are longer than the run, whose one bin is drawn
    # (the quarter-bin rule is then a quarter of the run), at the run's mean rate. It used to
    # leave the panel empty.
    rc, out, err = run(exe, "run", "--n", str(n), "--spikes-count", "20000", "--quiet",
                       "--raster", svg_path, "--raster-window", "1e6")
    expect(rc == 0, "exit %d: %s" % (rc, err))
    root = ET.parse(svg_path).getroot()
    rates = [float(re.search(r"([-\d.e+]+) Hz", r.find(ns + "title").text).group(1))
             for g in root.iter(ns + "g") if g.get("class") == "rate" for r in g.iter(ns + "rect")]
    mean = len(times) / (n * (t_end - times[0]))
    expect(len(rates) == 1 and abs(rates[0] - mean) <= 0.01 * mean,
           "window 1e6 s: rate bars %r, the run's mean rate %g Hz" % (rates, mean))


def case_raster_cap(exe, work):
    """A window holding more than the raster's 50000 dots shows its last 50000, from the first
    of them, and says so on stderr."""
    csv_path, svg_path = os.path.join(work, "cli-cap.csv"), os.path.join(work, "cli-cap.svg")
    rc, out, err = run(exe, "run", "--n", "2000", "--spikes-count", "60000", "--spikes-csv",
                       csv_path, "--raster", svg_path, "--raster-neurons", "0-1999",
                       "--raster-window", "100")
    expect(rc == 0, "exit %d: %s" % (rc, err))
    times = check_csv(csv_path, 2000, 60000)
    root = ET.parse(svg_path).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    dots = "".join(p.get("d", "") for p in root.iter(ns + "path")).count("M")
    expect(dots == 50000, "%d dots, want the last 50000" % dots)
    m = re.search(r"note: the raster holds at most 50000 spikes: it shows ([\d.e+-]+) s "
                  r"\(from t = ([\d.e+-]+) s\)", err)
    expect(m is not None, "no note on stderr: %r" % err)
    expect(abs(float(m.group(2)) - times[-50000]) <= 1e-8 * times[-50000],
           "shown from %s, the 50000th last spike is at %.9g" % (m.group(2), times[-50000]))
    # Dots dropped earlier in the run (this window held more than 50000 spikes at some point),
    # none of the final window: the whole window, no note.
    rc, out, err = run(exe, "run", "--n", "2000", "--spikes-count", "200000", "--spikes-csv",
                       csv_path, "--raster", svg_path, "--raster-neurons", "0-1999",
                       "--raster-window", "7.41")
    expect(rc == 0 and "note" not in err, "exit %d: %s" % (rc, err))
    times = check_csv(csv_path, 2000, 200000)
    in_window = sum(1 for t in times if t >= times[-1] - 7.41)
    dots = "".join(p.get("d", "") for p in ET.parse(svg_path).getroot().iter(ns + "path")).count(
        "M")
    expect(in_window <= 50000 and dots == in_window,
           "%d dots, the window holds %d spikes" % (dots, in_window))


def case_progress(exe, work):
    # --progress: report lines with an ETA even though stderr is a pipe. The first comes after
    # 2 s of wall time, so a run that ends sooner prints none: the run is made ten times
    # longer until it lasts long enough (3e6 spikes take about 1 s on a fast machine).
    for count in ("3e6", "3e7", "3e8"):
        start = time.monotonic()
        rc, out, err = run(exe, "run", "--n", "10000", "--spikes-count", count, "--progress")
        expect(rc == 0, "exit %d: %s" % (rc, err))
        if time.monotonic() - start > 4:
            break
    lines = err.splitlines()
    expect(lines and all(re.match(r"^(burn-in|run): \d+ spikes \(\d+\.\d%\), [\d.e+]+ Hz, "
                                  r"ETA (\d+s|\d+m\d\ds|\d+h\d\dm)$", l) for l in lines),
           "progress lines:\n" + err)
    expect("\r" not in err and "\033" not in err, "terminal controls in a pipe: %r" % err)
    rc, out, err = run(exe, "run", "--n", "1000", "--spikes-count", "1000", "--quiet",
                       "--progress")
    expect(rc == 0 and out == "" and err == "", "--quiet --progress printed %r %r" % (out, err))


def help_options(exe, command):
    rc, out, _ = run(exe, "help", command)
    expect(rc == 0, "help %s: exit %d" % (command, rc))
    return set(re.findall(r"^\s+(--[a-z0-9-]+)", out, re.M))


def case_man(exe, work):
    """The hand-written man page lists exactly the options `help` lists."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sparseprop.1")) as f:
        man = f.read().replace("\\-", "-")
    run_part, bench_part = man.split(".SH BENCH OPTIONS")
    run_part = run_part.split(".SH RUN OPTIONS")[1]
    bench_part = bench_part.split(".SH EXIT STATUS")[0]
    for command, part in (("run", run_part), ("bench", bench_part)):
        in_help = help_options(exe, command)
        in_man = set(re.findall(r"^\.B[IR]? (--[a-z0-9-]+)", part, re.M))
        expect(in_help == in_man, "%s: only in help %r, only in the man page %r"
               % (command, sorted(in_help - in_man), sorted(in_man - in_help)))


def case_man_version(exe, work):
    """The man page's title line names the version `sparseprop --version` prints."""
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sparseprop.1")) as f:
        title = [line for line in f if line.startswith(".TH ")]
    rc, out, _ = run(exe, "--version")
    expect(rc == 0 and out.startswith("sparseprop "), "--version: exit %d, %r" % (rc, out))
    version = out.split()[1]
    expect(len(title) == 1 and ('"sparseprop %s"' % version) in title[0],
           "the man page's .TH line %r does not name version %s" % (title, version))


def case_io_error(exe, work):
    bad = os.path.join(work, "no-such-dir", "x.csv")
    rc, _, err = run(exe, "run", "--n", "100", "--k", "10", "--spikes-csv", bad)
    expect(rc == 1 and bad in err, "unwritable --spikes-csv: exit %d, %r" % (rc, err))
    # An existing output is not emptied when another output cannot be opened.
    keep = os.path.join(work, "cli-keep.csv")
    with open(keep, "w") as f:
        f.write("precious\n")
    rc, _, err = run(exe, "run", "--n", "100", "--k", "10", "--spikes-csv", keep, "--raster",
                     os.path.join(work, "no-such-dir", "x.svg"))
    expect(rc == 1 and open(keep).read() == "precious\n",
           "a refused --raster: exit %d, the CSV now %r" % (rc, open(keep).read()[:40]))
    # An output the failed run created is removed, not left empty: a refused --raster, and a
    # network that falls silent (no spike in 1e9 s) after the outputs were opened.
    fresh = os.path.join(work, "cli-fresh.csv")
    for extra in (["--raster", os.path.join(work, "no-such-dir", "x.svg")],
                  ["--j0", "1e-300", "--nu", "1e-300"]):
        if os.path.exists(fresh):
            os.remove(fresh)
        rc, _, err = run(exe, "run", "--n", "100", "--k", "10", "--quiet", "--spikes-csv", fresh,
                         *extra)
        expect(rc == 1 and not os.path.exists(fresh),
               "failed run %r: exit %d, %r, the CSV left behind: %s"
               % (extra, rc, err, os.path.exists(fresh)))
    # Through a dangling symbolic link the created file is the link's target: a failed run
    # removes that and leaves the link (it removed the link and left an empty target).
    link, target = os.path.join(work, "cli-link.csv"), os.path.join(work, "cli-link-target.csv")
    for p in (link, target):
        if os.path.lexists(p):
            os.remove(p)
    os.symlink("cli-link-target.csv", link)
    rc, _, err = run(exe, "run", "--n", "100", "--k", "10", "--quiet", "--spikes-csv", link,
                     "--j0", "1e-300", "--nu", "1e-300")
    expect(rc == 1 and os.path.islink(link) and not os.path.lexists(target),
           "failed run through a dangling link: exit %d, link kept %s, target left %s"
           % (rc, os.path.islink(link), os.path.lexists(target)))
    # A raster window the clock cannot resolve at the run's end is an error, not an axis drawn
    # past the end (1e-300: bin indices beyond an int64, too); the raster is not left behind.
    svg = os.path.join(work, "cli-tiny-window.svg")
    for window in ("1e-17", "1e-300"):
        if os.path.exists(svg):
            os.remove(svg)
        rc, _, err = run(exe, "run", "--n", "2000", "--spikes-count", "1000", "--quiet",
                         "--raster", svg, "--raster-window", window)
        expect(rc == 1 and "--raster-window " + window in err and not os.path.exists(svg),
               "--raster-window %s: exit %d, %r, SVG left: %s"
               % (window, rc, err, os.path.exists(svg)))
    # One file for both outputs (also through another spelling of its path) is a usage error,
    # leaving nothing behind.
    both = os.path.join(work, "cli-both.svg")
    rc, _, err = run(exe, "run", "--n", "100", "--k", "10", "--spikes-csv", both, "--raster",
                     os.path.join(work, ".", "cli-both.svg"))
    expect(rc == 2 and "the same file" in err and not os.path.exists(both),
           "one file for both outputs: exit %d, %r" % (rc, err))
    # It is replaced by a run that succeeds (truncated, not appended to).
    rc, _, err = run(exe, "run", "--n", "100", "--k", "10", "--spikes-count", "50", "--quiet",
                     "--spikes-csv", keep)
    expect(rc == 0 and open(keep).read().startswith("t_s,neuron\n"), "rewritten CSV")
    check_csv(keep, 100, 50)
    # A write error on standard output is an I/O error (exit 1), as on any output.
    if os.path.exists("/dev/full"):
        with open("/dev/full", "w") as full:
            p = subprocess.run([exe, "run", "--n", "100", "--k", "10", "--spikes-count", "50"],
                               stdout=full, stderr=subprocess.PIPE, text=True)
        expect(p.returncode == 1 and "standard output" in p.stderr,
               "stdout on /dev/full: exit %d, %r" % (p.returncode, p.stderr))


def main():
    exe, work, case = sys.argv[1:4]
    os.makedirs(work, exist_ok=True)
    globals()["case_" + case.replace("-", "_")](exe, work)
    print("ok")


if __name__ == "__main__":
    main()
