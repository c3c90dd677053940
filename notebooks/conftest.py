"""The notebooks run by `make test` (nbmake) shrink their run counts."""

import os

os.environ["NEGOSIM_QUICK"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
