#!/usr/bin/env python3
"""extract_training_example.py README OUTPUT.c - the README's training example.

The ```c block between `<!-- training-example:begin -->` and `<!-- training-example:end -->`,
extracted by tests/abi/extract_example.py with these markers (same rules: a missing README is
a skipped test, broken markers a failing one).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "abi"))
import extract_example  # noqa: E402

extract_example.BEGIN = "<!-- training-example:begin -->"
extract_example.END = "<!-- training-example:end -->"

if __name__ == "__main__":
    sys.exit(extract_example.main(sys.argv))
