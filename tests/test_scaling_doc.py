"""The numbers docs/scaling.md states about the summary's influence line, recomputed."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

import negosim as ns

DOC = " ".join((Path(__file__).resolve().parent.parent / "docs" / "scaling.md").read_text().split())


def test_the_noise_of_an_influence_gap():
    """2.9 points at 2,000 runs with 30% agreement in both quarters: each quarter holds 500
    runs, so se = 100 sqrt(0.3 x 0.7 / 500 + 0.3 x 0.7 / 500) = 2.898."""
    assert "2.9 points at 2,000 runs with 30% agreement in both quarters" in DOC
    assert round(100 * math.sqrt(2 * 0.3 * 0.7 / 500), 1) == 2.9


def test_the_flagship_s_influence_line(package):
    """The line the summary prints for package_2007 (20,000 runs, seed 7), and its gap and
    standard error counted from to_frame(inputs=True): agreement in the runs with the input
    at or above its 75% quantile minus at or below its 25% quantile."""
    quoted = re.search(r'seed 7\): "(the result depends mostly on [^"]+)"', DOC).group(1)
    res = ns.simulate(package, 20_000, seed=7)
    assert quoted in " ".join(str(res.summary()).split())
    frame = res.to_frame(inputs=True)
    x = frame["input.moves.kosovo_udi.to"]
    low, high = x.quantile([0.25, 0.75])
    a, b = frame["agreed"][x <= low], frame["agreed"][x >= high]
    gap = 100 * (b.mean() - a.mean())
    se = 100 * np.sqrt(a.mean() * (1 - a.mean()) / len(a) + b.mean() * (1 - b.mean()) / len(b))
    assert f"+{gap:.1f} points" in quoted and "moves.kosovo_udi.to" in quoted
    assert "a gap with a standard error of 0.35 points" in DOC and round(se, 2) == 0.35
    # and it is the largest gap of all the sampled inputs
    others = [c for c in frame.columns if c.startswith("input.") and c != x.name]
    for column in others:
        y = frame[column]
        lo, hi = y.quantile([0.25, 0.75])
        assert abs(frame["agreed"][y >= hi].mean() - frame["agreed"][y <= lo].mean()) < gap / 100
