#!/usr/bin/env python3
"""Smoke test of `sparseprop bench`: a tiny table, its CSV, the baseline check, exit codes.

usage: bench_test.py SPARSEPROP WORKDIR
"""
import csv
import os
import sys


from cli_testlib import expect, run


BAD_COMMAND_LINES = [
    ["bench", "--bogus"],
    ["bench", "extra"],
    ["bench", "--model", "eif"],
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
    ["bench", "--csv"],
]


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
    rows = [l.split() for l in lines if l.startswith(("LIF ", "QIF "))]
    forward = [r for r in rows if len(r) == 14]  # the check is two words
    backward = [r for r in rows if len(r) == 9]
    expect(len(forward) == 4 and len(backward) == 2, "table rows:\n" + out)
    for r in forward:
        expect(r[2] == "20000", "timed spikes: %r" % r)
        expect(r[12] == "300/300" and r[13] == "ok", "baseline check: %r\n%s" % (r, out))
        rate = float(r[6])
        # The paper's network: LIF near 3.4 Hz, QIF near 1.31 Hz (small N, short runs).
        lo, hi = (2.0, 5.0) if r[0] == "LIF" else (0.5, 2.5)
        expect(lo < rate < hi, "%s rate %g Hz" % (r[0], rate))
        expect(float(r[3]) > 0 and float(r[9]) > 0 and float(r[11]) > 0, "times: %r" % r)
    expect("- OK" in out and "MISMATCH" not in out, "check lines:\n" + out)
    expect("load average" in out and "VmHWM" in out, "notes missing:\n" + out)

    with open(csv_path, newline="") as f:
        table = list(csv.DictReader(f))
    expect(len(table) == 6, "CSV has %d rows" % len(table))
    for row in table:
        expect(None not in row and None not in row.values(), "ragged CSV row %r" % row)
    fw = [r for r in table if r["measure"] == "forward"]
    expect(len(fw) == 4 and all(r["check_matched"] == "300" for r in fw), "CSV forward rows")
    expect(all(float(r["peak_bytes_per_neuron"]) > float(r["network_bytes_per_neuron"]) > 0
               for r in fw), "CSV memory columns")
    bw = [r for r in table if r["measure"] == "backward"]
    expect(len(bw) == 2 and all(float(r["tape_bytes_per_event"]) > 0 for r in bw),
           "CSV backward rows")

    # --quiet: the tables only; --no-baseline: no check column content.
    rc, out, err = run(exe, "bench", "--model", "lif", "--n-list", "500", "--spikes-count", "2000",
                       "--no-baseline", "--no-backward", "--quiet")
    expect(rc == 0 and err == "", "quiet run: exit %d %r" % (rc, err))
    body = [l for l in out.splitlines() if l.strip()]
    expect(len(body) == 2 and body[1].split()[-1] == "-", "quiet output:\n" + out)

    # An unwritable CSV path is an I/O error before anything runs.
    bad = os.path.join(work, "no-such-dir", "x.csv")
    rc, _, err = run(exe, "bench", "--n-list", "500", "--csv", bad)
    expect(rc == 1 and bad in err, "unwritable --csv: exit %d, %r" % (rc, err))
    print("ok")


if __name__ == "__main__":
    main()
