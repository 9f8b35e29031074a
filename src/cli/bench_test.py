#!/usr/bin/env python3
"""Smoke test of `sparseprop bench`: a tiny table, its CSV, the baseline check, the floor
probe, exit codes.

usage: bench_test.py SPARSEPROP WORKDIR
"""
import csv
import math
import os
import sys


from cli_testlib import expect, run


BAD_COMMAND_LINES = [
    ["bench", "--bogus"],
    ["bench", "extra"],
    ["bench", "--model", "hh"],
    ["bench", "--n-max", "999"],
    ["bench", "--n-max", "abc"],
    ["bench", "--n-list", "1000,50"],
    ["bench", "--n-list", "1000,"],
    ["bench", "--n-list", "1000", "--n-max", "1e4"],
    ["bench", "--spikes-count", "0"],
    ["bench", "--spikes", "1000"],     # the old name: --spikes-count now, as in `run`
    ["bench", "--n-max", "3e9"],       # above the library's 2^31
    ["bench", "--n-list", "1000,2147483649"],
    ["bench", "--baseline-seconds", "0"],
    ["bench", "--quiet=yes"],
    ["bench", "--no-floor=yes"],
    ["bench", "--csv"],
]


def figure(text):
    """A printed or CSV figure as a float; "-" or "" (not measured) as NaN."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def main():
    exe, work = sys.argv[1:3]
    os.makedirs(work, exist_ok=True)

    for args in (["help", "bench"], ["bench", "--help"]):
        rc, out, _ = run(exe, *args)
        expect(rc == 0 and "usage: sparseprop bench" in out, "%r: exit %d" % (args, rc))
    for args in BAD_COMMAND_LINES:
        rc, _, err = run(exe, *args)
        expect(rc == 2 and err.splitlines()[-1] == "see 'sparseprop help bench'"
               and "usage:" not in err, "%r: exit %d, want 2 and the hint: %r" % (args, rc, err))

    # Both models, two sizes, short runs: every row must be measured and pass the check.
    csv_path = os.path.join(work, "cli-bench.csv")
    rc, out, err = run(exe, "bench", "--n-list", "1000,3000", "--spikes-count", "20000",
                       "--baseline-seconds", "0.2", "--check-spikes", "300", "--csv", csv_path)
    expect(rc == 0, "exit %d:\n%s\n%s" % (rc, out, err))
    lines = out.splitlines()
    # The tables in order: forward, floor, backward; each starts at a "model ..." header.
    tables = [[]]
    for l in lines:
        if l.startswith("model "):
            tables.append([])
        if l.startswith(("LIF ", "QIF ")):
            tables[-1].append(l.split())
    expect(len(tables) == 4, "three tables expected:\n" + out)
    forward, floor, backward = tables[1:]
    expect(len(forward) == 4 and all(len(r) == 15 for r in forward)  # the check is two words
           and len(backward) == 2 and all(len(r) == 9 for r in backward), "table rows:\n" + out)
    # The floor: one row per forward row, the same spike count, every time finite and > 0, and
    # the rest ratio (eng cpu - gen) / (floor cpu - gen) of the printed times ("-" when the
    # floor's rest is not above zero, which noise can make so at this N); the slot floor (the
    # full layout here) measured, and eng/slot its ratio to the engine's CPU time.
    expect([r[:2] for r in floor] == [r[:2] for r in forward]
           and all(len(r) == 13 and r[2] == "20000" for r in floor), "floor rows:\n" + out)
    for r in floor:
        figures = [figure(x) for x in r[3:10]]
        expect(all(math.isfinite(x) and x > 0 for x in figures), "floor figures: %r" % r)
        slot_cpu, eng_slot = figure(r[11]), figure(r[12])
        expect(slot_cpu > 0 and abs(eng_slot - figures[1] / slot_cpu) <= 1e-3 * (
            figures[1] + slot_cpu) / slot_cpu + 0.006, "slot floor: %r" % r)
        eng_cpu, floor_cpu, gen = figures[1], figures[3], figures[6]
        if floor_cpu > gen:
            want = (eng_cpu - gen) / (floor_cpu - gen)
            # (the printed times have 4 significant digits)
            slack = 1e-3 * (eng_cpu + gen) / (floor_cpu - gen) + 1e-3 * (floor_cpu + gen) * abs(
                want) / (floor_cpu - gen) + 0.006
            expect(abs(figure(r[10]) - want) <= slack, "rest ratio %r, want %g" % (r, want))
        else:
            expect(r[10] == "-", "rest ratio %r" % r)
    for r in forward:
        expect(r[2] == "20000", "timed spikes: %r" % r)
        expect(r[13] == "300/300" and r[14] == "ok", "baseline check: %r\n%s" % (r, out))
        rate = float(r[6])
        # The paper's network: LIF near 3.4 Hz, QIF near 1.31 Hz (small N, short runs).
        lo, hi = (2.0, 5.0) if r[0] == "LIF" else (0.5, 2.5)
        expect(lo < rate < hi, "%s rate %g Hz" % (r[0], rate))
        # us/spike, create s, base us/sp, ratio
        expect(all(float(r[i]) > 0 for i in (3, 9, 10, 12)), "times: %r" % r)
    expect("- OK" in out and "MISMATCH" not in out, "check lines:\n" + out)
    expect("load average" in out and "VmHWM" in out, "notes missing:\n" + out)

    with open(csv_path, newline="") as f:
        table = list(csv.DictReader(f))
    expect(len(table) == 6, "CSV has %d rows" % len(table))
    for row in table:
        expect(None not in row and None not in row.values(), "ragged CSV row %r" % row)
    fw = [r for r in table if r["measure"] == "forward"]
    expect(len(fw) == 4 and all(r["check_matched"] == "300" for r in fw), "CSV forward rows")
    expect(all(float(r["create_s"]) > 0 for r in fw), "CSV create_s")
    expect(all(float(r["peak_bytes_per_neuron"]) > float(r["network_bytes_per_neuron"]) > 0
               for r in fw), "CSV memory columns")
    floor_columns = ["floor_spikes", "floor_engine_us_per_spike", "floor_engine_cpu_us_per_spike",
                     "floor_us_per_spike", "floor_cpu_us_per_spike", "floor_ratio_cpu",
                     "floor_ratio_wall", "floor_generator_cpu_s",
                     "floor_generator_cpu_us_per_spike"]
    for r in fw:
        figures = [figure(r[c]) for c in floor_columns]
        expect(all(math.isfinite(x) and x > 0 for x in figures), "CSV floor columns %r" % r)
        expect(r["floor_spikes"] == "20000", "CSV floor_spikes %r" % r["floor_spikes"])
        gen = figure(r["floor_generator_cpu_us_per_spike"])
        floor_rest = figure(r["floor_cpu_us_per_spike"]) - gen
        rest = figure(r["floor_rest_ratio_cpu"])
        if floor_rest > 0:
            eng_cpu, floor_cpu = (figure(r["floor_engine_cpu_us_per_spike"]),
                                  figure(r["floor_cpu_us_per_spike"]))
            want = (eng_cpu - gen) / floor_rest
            # (every CSV figure has 6 significant digits)
            slack = 1e-5 * ((eng_cpu + gen) + abs(want) * (floor_cpu + gen)) / floor_rest
            expect(abs(rest - want) <= slack + 1e-5 * abs(want), "CSV rest ratio %r" % r)
        else:
            expect(r["floor_rest_ratio_cpu"] == "", "CSV rest ratio %r" % r)
        slot_cpu = figure(r["floor_slot_cpu_us_per_spike"])
        want = figure(r["floor_engine_cpu_us_per_spike"]) / slot_cpu
        expect(figure(r["floor_slot_cpu_s"]) > 0 and slot_cpu > 0
               and abs(figure(r["floor_slot_ratio_cpu"]) - want) <= 3e-5 * want,
               "CSV slot floor %r" % r)
    bw = [r for r in table if r["measure"] == "backward"]
    expect(len(bw) == 2 and all(float(r["tape_bytes_per_event"]) > 0 for r in bw)
           and all(r["floor_spikes"] == "" for r in bw), "CSV backward rows")

    # --quiet: the tables only; --no-baseline: no check column content; --no-floor: no floor
    # table, and no floor figures in the CSV.
    csv_path2 = os.path.join(work, "cli-bench-nofloor.csv")
    rc, out, err = run(exe, "bench", "--model", "lif", "--n-list", "500", "--spikes-count", "2000",
                       "--no-baseline", "--no-backward", "--no-floor", "--quiet",
                       "--csv", csv_path2)
    expect(rc == 0 and err == "", "quiet run: exit %d %r" % (rc, err))
    body = [l for l in out.splitlines() if l.strip()]
    expect(len(body) == 2 and body[1].split()[-1] == "-", "quiet output:\n" + out)
    with open(csv_path2, newline="") as f:
        table = list(csv.DictReader(f))
    expect(len(table) == 1 and table[0]["floor_spikes"] == "", "--no-floor CSV %r" % table)

    # --tau-syn: the delta-synapse LIF row and then the current-synapse row (LIF-s) of the same
    # network, both measured; QIF alone with it is a usage error.
    rc, out, err = run(exe, "bench", "--tau-syn", "0.0025", "--model", "lif", "--n-list", "500",
                       "--spikes-count", "2000", "--no-backward", "--quiet")
    expect(rc == 0 and err == "", "--tau-syn run: exit %d %r" % (rc, err))
    rows = [l.split() for l in out.splitlines() if l.startswith(("LIF ", "LIF-s "))]
    expect([r[0] for r in rows] == ["LIF", "LIF-s"] and all(2.0 < float(r[6]) < 5.0 for r in rows),
           "--tau-syn rows:\n" + out)
    rc, _, err = run(exe, "bench", "--tau-syn", "0.0025", "--model", "qif")
    expect(rc == 2, "--tau-syn with --model qif: exit %d %r" % (rc, err))

    # --floor-alone: the probe after the network is destroyed (as at N = 10^9, where its states
    # do not fit beside it): a floor row with every figure measured, and the note.
    rc, out, err = run(exe, "bench", "--model", "lif", "--n-list", "2000", "--spikes-count", "5000",
                       "--no-backward", "--floor-alone", "--quiet")
    expect(rc == 0 and err == "", "--floor-alone run: exit %d %r" % (rc, err))
    rows = [l.split() for l in out.splitlines() if l.startswith("LIF ")]
    expect(len(rows) == 2 and len(rows[1]) == 13 and rows[1][2] == "5000"
           and all(math.isfinite(figure(x)) and figure(x) > 0 for x in rows[1][3:10])
           and "the probe ran alone, after the network was destroyed" in out,
           "--floor-alone rows:\n" + out)
    rc, _, err = run(exe, "bench", "--floor-alone=yes")
    expect(rc == 2, "--floor-alone=yes: exit %d %r" % (rc, err))

    # The compact layout (from n = 1 with the environment variable): no 16-byte slots, so no
    # slot floor ("-" in the table, empty in the CSV); the floor itself is measured.
    csv_path3 = os.path.join(work, "cli-bench-compact.csv")
    os.environ["SPARSEPROP_COMPACT_MIN_N"] = "1"
    try:
        rc, out, err = run(exe, "bench", "--model", "lif", "--n-list", "2000", "--spikes-count",
                           "5000", "--no-backward", "--no-baseline", "--quiet", "--csv", csv_path3)
    finally:
        del os.environ["SPARSEPROP_COMPACT_MIN_N"]
    rows = [l.split() for l in out.splitlines() if l.startswith("LIF ")]
    expect(rc == 0 and len(rows) == 2 and len(rows[1]) == 13 and rows[1][11:] == ["-", "-"]
           and math.isfinite(figure(rows[1][6])), "compact layout's floor row:\n" + out + err)
    with open(csv_path3, newline="") as f:
        table = list(csv.DictReader(f))
    expect(len(table) == 1 and table[0]["floor_slot_cpu_us_per_spike"] == ""
           and table[0]["floor_slot_ratio_cpu"] == "" and table[0]["floor_cpu_us_per_spike"],
           "compact layout's CSV %r" % table)

    # A check that fails exits 1 and says so on stderr, under --quiet too (it said nothing
    # there). N = 101 parts from the baseline after 47 LIF spikes: two spikes within rounding
    # of each other (the man page's list of such N).
    rc, out, err = run(exe, "bench", "--model", "lif", "--n-list", "101", "--spikes-count", "2000",
                       "--no-backward", "--no-floor", "--quiet")
    expect(rc == 1 and "FAIL" in out
           and "LIF N=101: the engine's spikes differ from the baseline's after" in err,
           "a failed check: exit %d, %r" % (rc, err))

    # An unwritable CSV path is an I/O error before anything runs.
    bad = os.path.join(work, "no-such-dir", "x.csv")
    rc, _, err = run(exe, "bench", "--n-list", "500", "--csv", bad)
    expect(rc == 1 and bad in err, "unwritable --csv: exit %d, %r" % (rc, err))
    print("ok")


if __name__ == "__main__":
    main()
