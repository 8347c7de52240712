#!/usr/bin/env python3
"""make_fixtures.py - regenerate the generated corpora under Fixtures/ (run from the repository root).

  fizzbuzz.txt   FizzBuzz from 1 to 100, one line each
  sevenths.txt   the repeating digits of 1/7 ("142857...") for 1,200 digits, one line
The drawings under Fixtures/ascii-art/ and Fixtures/multilingual.txt are written by hand.
"""
from pathlib import Path

root = Path(__file__).resolve().parent.parent / "Fixtures"


def fizzbuzz(n):
    return "Fizz" * (n % 3 == 0) + "Buzz" * (n % 5 == 0) or str(n)


(root / "fizzbuzz.txt").write_text("".join(fizzbuzz(n) + "\n" for n in range(1, 101)))
(root / "sevenths.txt").write_text("142857" * 200 + "\n")
