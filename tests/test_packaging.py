"""The package as users get it: a plain (non-editable) install carries the bundled scenarios."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.slow
def test_wheel_loads_bundled_scenarios_by_name(tmp_path):
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
    )
    if build.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{build.stderr[-2000:]}")
    wheel = next(tmp_path.glob("negosim-*.whl"))
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        zf.extractall(site)
    assert "negosim/_bundled_scenarios/package_2007.toml" in names
    code = (
        "import negosim as ns, pathlib;"
        "assert 'package_2007' in ns.list_scenarios();"
        "sc = ns.load_scenario('package_2007');"
        f"assert pathlib.Path(ns.io.scenario_file.bundled_dir()).is_relative_to({str(site)!r});"
        "print(len(sc.actors))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "38"  # 33 + the five EU states of 2007 party to Kosovo only
