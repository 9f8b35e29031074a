"""Helpers shared by the program's smoke tests (cli_test.py, bench_test.py)."""
import subprocess
import sys


def run(exe, *args):
    """Runs the program; returns (exit status, stdout, stderr)."""
    p = subprocess.run([exe, *args], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def expect(cond, what):
    """Fails the test with a message unless cond holds."""
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
