"""The layers of docs/architecture.md hold: import-linter's contracts pass and can fail, the
imports left inside functions are the listed ones (each with its reason), no module grows
past the size a person can hold in mind without saying why, and the module paths of 0.1 still
work, with a warning."""

from __future__ import annotations

import ast
import importlib
import json
import re
import shutil
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest

import negosim as ns
from negosim import _moved
from negosim.engine.protocols import PROTOCOLS
from negosim.model.elements import PROTOCOL_NAMES

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "negosim"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MOST_LINES = 720  # "about 700" (issue 25); a longer module says why in its first lines

STARTUP = "startup: `negosim --help` loads neither the protocols, the analysis nor the figures"
NUMBA = "numba (optional, ~0.5 s to import) on the first compiled call"
DEPRECATED = "a deprecated alias of a front end's figure (goes in negosim 0.3)"
FUNCTION_IMPORTS = {
    ("negosim.cli", "negosim", "plot"): STARTUP,
    ("negosim.cli", "negosim.analysis.tournaments", "DEFAULT_FIELD"): STARTUP,
    ("negosim.cli", "negosim.analysis.tournaments", "generate"): STARTUP,
    ("negosim.cli", "negosim.analysis.tournaments", "tournament"): STARTUP,
    ("negosim.cli", "negosim.analysis.tournaments", "DEFAULT_WORLDS"): STARTUP,
    ("negosim.cli", "negosim.analysis.tournaments", "FewWorldsWarning"): STARTUP,
    ("negosim.cli", "negosim.engine.sampling", "sample"): STARTUP,
    ("negosim.cli", "negosim.analysis.whatif", "sensitivity"): STARTUP,
    ("negosim.cli", "negosim.analysis.whatif", "sweep"): STARTUP,
    ("negosim.cli", "negosim.analysis.whatif", "timeline"): STARTUP,
    ("negosim.cli", "negosim.engine", "memory"): STARTUP,
    ("negosim.cli", "negosim.engine.protocols", "PROTOCOLS"): STARTUP,
    ("negosim.cli", "negosim.engine.results", "wilson_interval"): STARTUP,
    ("negosim.cli", "negosim.engine.runner", "DEFAULT_CHUNK"): STARTUP,
    ("negosim.cli", "negosim.engine.runner", "PROTOCOL_CHUNK"): STARTUP,
    ("negosim.cli", "negosim.engine.runner", "default_chunk"): STARTUP,
    ("negosim.cli", "negosim.engine.runner", "simulate"): STARTUP,
    ("negosim.cli", "negosim.engine.runner", "resolve_strategies"): STARTUP,
    ("negosim.cli", "negosim.model.strategies", "strategy_names"): STARTUP,
    ("negosim.cli", "negosim.analysis", "domains"): STARTUP,
    ("negosim.cli", "negosim.engine.discrete", "outcome_space"): STARTUP,
    ("negosim.engine.protocols.eum", "negosim.engine.protocols", "eum_compiled"): NUMBA,
    ("negosim.engine.protocols.exchange_batch", "negosim.engine.protocols", "exchange_compiled"): (
        NUMBA
    ),
    ("negosim.engine.solvers.runs", "negosim.engine.solvers", "compiled"): NUMBA,
    ("negosim.analysis.tournaments", "negosim.plot", "leaderboard"): DEPRECATED,
    ("negosim.analysis.tournaments", "negosim.plot", "pairwise_heatmap"): DEPRECATED,
    ("negosim.engine", "negosim.engine", "runner"): "0.1's negosim.engine names (go in 0.3)",
}
"""(importing module, imported module, name) -> why the import waits until the function runs.
None dodges a cycle: each is a slow or optional dependency, or a deprecated alias."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> str:
    if isinstance(node, ast.Import):
        return node.names[0].name
    if not node.level:
        return node.module or ""
    base = module.split(".")[: len(module.split(".")) - node.level + is_package]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imports(*, in_functions: bool) -> set[tuple[str, str, str]]:
    """(module, imported negosim module, name) of every import of a negosim module, inside
    functions or at any depth (``import negosim.x`` gives the name ``""``)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        tree = ast.parse(path.read_text())
        scopes = [
            f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        ]
        for scope in scopes if in_functions else [tree]:
            for node in ast.walk(scope):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    target = _imported(node, module, path.name == "__init__.py")
                    if target.split(".")[0] != "negosim":
                        continue
                    names = (
                        [a.name for a in node.names] if isinstance(node, ast.ImportFrom) else [""]
                    )
                    found |= {(module, target, name) for name in names}
    return found


def test_imports_inside_functions_are_the_listed_ones():
    found = _imports(in_functions=True)
    assert found - FUNCTION_IMPORTS.keys() == set(), "a new import inside a function: list why"
    assert FUNCTION_IMPORTS.keys() - found == set(), "a listed import is gone: drop its line"


def test_no_layer_reaches_up_through_the_root_or_a_string():
    """What import-linter cannot see: an import of the root package ``negosim`` (whose lazy
    names reach every layer) or of a module named in a string (``importlib``). Only the root
    itself and the deprecated paths of ``_moved`` may do either."""
    facade = {"negosim", "negosim._moved"}
    root = {(m, name) for m, target, name in _imports(in_functions=False) if target == "negosim"}
    assert {(m, n) for m, n in root if m not in facade} == {
        ("negosim.cli", "plot"),
        ("negosim.cli", "app"),
    }  # the front end at the top may use the root's subpackages
    by_string = []
    for path in PACKAGE.rglob("*.py"):
        if _module_name(path) in facade:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and "import_module" in ast.unparse(node.func):
                by_string.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert by_string == []


def test_modules_stay_short_or_say_why():
    long = {}
    for path in PACKAGE.rglob("*.py"):
        lines = path.read_text().splitlines()
        reason = re.search(
            r"Why one module[^:]*: (.+?)(?:\n\n|\"\"\")", "\n".join(lines[:40]), re.S
        )
        if len(lines) > MOST_LINES and (reason is None or len(reason.group(1)) < 60):
            long[str(path.relative_to(ROOT))] = len(lines)
    assert long == {}


def _lint(config: Path, cwd: Path, *, path: Path | None = None) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(path or ROOT)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(config)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _layers() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c for c in config["contracts"] if c["type"] == "layers"]
    return layers["layers"]


def test_the_contracts_pass():
    run = _lint(ROOT / "pyproject.toml", ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Contracts: 2 kept, 0 broken." in run.stdout


def test_a_missing_layer_line_breaks_the_layers_contract(tmp_path):
    """The contract is exhaustive: every part of the package must sit in a layer."""
    text = (ROOT / "pyproject.toml").read_text()
    assert '    "io",\n' in text and "io" in _layers()
    config = tmp_path / "pyproject.toml"
    config.write_text(text.replace('    "io",\n', "", 1))
    run = _lint(config, tmp_path)
    assert run.returncode != 0
    assert "negosim.io" in run.stdout


def test_an_upward_import_breaks_the_layers_contract(tmp_path):
    """The model importing the engine (one line added to a copy of the package)."""
    shutil.copytree(PACKAGE, tmp_path / "negosim", ignore=shutil.ignore_patterns("__pycache__"))
    elements = tmp_path / "negosim" / "model" / "elements.py"
    elements.write_text(elements.read_text() + "\nimport negosim.engine.sampling  # upward\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    run = _lint(tmp_path / "pyproject.toml", tmp_path, path=tmp_path)
    assert run.returncode != 0
    assert "negosim.model.elements -> negosim.engine.sampling" in run.stdout


@pytest.mark.parametrize("old", sorted(_moved.MOVED))
def test_the_module_paths_of_0_1_still_work_with_a_warning(old):
    code = f"import importlib, negosim; importlib.import_module({old!r})"
    run = subprocess.run(
        [sys.executable, "-W", "always::DeprecationWarning", "-c", code],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    homes = _moved.MOVED[old]
    said = f"is now {homes[0]}" if len(homes) == 1 else f"was split into {', '.join(homes)}"
    assert f"DeprecationWarning: {old} {said}" in run.stderr
    names = [n for n in dir(importlib.import_module(_moved.MOVED[old][-1])) if n[0] != "_"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(old)
        assert all(getattr(module, n) is not None for n in names[:20])
    # tools walk sys.modules and probe each module's dunders (hypothesis reads __file__):
    # an old path answers those itself, without a warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        assert getattr(module, "__file__", None) is None or module.__file__.endswith(".py")
        assert module.__name__ == old or len(_moved.MOVED[old]) == 1


API_0_1 = json.loads((ROOT / "tests" / "data" / "api_0_1.json").read_text())["modules"]
REMOVED_IN_0_2 = {
    ("negosim.validation", "check_protocol"): "the parser checks names against PROTOCOL_NAMES",
    ("negosim.sampling", "SAMPLING_STREAM"): "each sampled number has a stream of its own",
    ("negosim.protocols.exchange", "MUTABLE"): "internal, now in exchange_batch",
    ("negosim.protocols.exchange", "SUM_BLOCK"): "internal, now in exchange_batch",
    ("negosim.protocols.exchange_compiled", "NOTICE_SECONDS"): "internal, now in compiling",
}
"""Public names of 0.1 with no alias, each with the reason (also in negosim/_moved.py)."""


@pytest.mark.parametrize("old", sorted(API_0_1))
def test_every_public_name_of_0_1_is_still_found_under_its_old_path(old):
    """The public names of every moved module of 0.1 (tests/data/api_0_1.json, read from the
    0.1 source, not from the aliases) resolve through the old path, but the listed removals."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = importlib.import_module(old)
        missing = [n for n in API_0_1[old] if not hasattr(module, n)]
    assert missing == [n for n in API_0_1[old] if (old, n) in REMOVED_IN_0_2]


def test_old_names_resolve_to_the_same_objects():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from negosim.engine import simulate
        from negosim.protocols.table import Table
        from negosim.scenario import Scenario, ScenarioError, load_scenario
        from negosim.store import load_results
        from negosim.strategies.time_dependent import Boulware
    assert (Scenario, ScenarioError, load_scenario) == (
        ns.Scenario,
        ns.ScenarioError,
        ns.load_scenario,
    )
    assert (load_results, simulate) == (ns.load_results, ns.simulate)
    assert Boulware is ns.strategies.Boulware
    assert Table is importlib.import_module("negosim.engine.table").Table


def test_every_error_is_a_negosim_error():
    assert issubclass(ns.ScenarioError, ns.NegosimError)
    assert issubclass(ns.ArgumentError, ns.NegosimError)
    assert issubclass(ns.StoreError, ns.NegosimError)
    assert issubclass(ns.NegosimError, ValueError)  # callers written for ValueError still work


def test_the_engine_runs_every_protocol_a_scenario_may_name():
    """The scenario format's vocabulary (model) and the engine's registry are one list."""
    assert tuple(PROTOCOLS) == PROTOCOL_NAMES


PAGE = (ROOT / "docs" / "architecture.md").read_text()


def test_the_architecture_page_draws_the_contract_s_layers_in_order():
    diagram = PAGE.split("```")[1]
    drawn = re.findall(r"negosim/(\w+)(?:/|\.py)", diagram)
    contract = [part.strip() for layer in _layers() for part in layer.split("|")]
    assert drawn == contract


def test_the_files_the_architecture_page_names_exist():
    """Paths with a placeholder (``<name>.py``) name a folder that exists, but for the
    opponent models' folder, which the page says is to be made beside the strategies."""
    missing = []
    for path in set(re.findall(r"`(negosim/[^`\s]*)`", PAGE)):
        where = ROOT / path.split("<")[0]
        if not where.exists() and path != "negosim/model/opponents/<name>.py":
            missing.append(path)
    assert missing == []


def test_an_old_import_line_is_warned_about_by_default_where_it_is(tmp_path):
    """Python shows a DeprecationWarning by default only when it points at ``__main__``: the
    warning must name the user's file and line, and each name of a split module its new
    home (``load_scenario`` is in the formats layer, not in the model's scenario module)."""
    script = tmp_path / "old_code.py"
    script.write_text("from negosim.scenario import Scenario, load_scenario\n")
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert f"{script}:1: DeprecationWarning" in run.stderr
    assert "negosim.scenario.load_scenario is now negosim.io.scenario_file.load_scenario" in (
        run.stderr
    )
    assert "negosim.scenario.Scenario is now negosim.model.scenario.Scenario" in run.stderr


def test_old_paths_leave_the_new_packages_as_they_were():
    """Importing every old path binds nothing into the new packages: each package's
    submodule attribute is still the real module (an alias bound there would make every use
    of the module through its package warn)."""
    code = f"""
import importlib, sys, types, warnings
warnings.simplefilter("ignore", DeprecationWarning)
import negosim
for old in {sorted(API_0_1)!r}:
    importlib.import_module(old)
wrong = []
for name, module in list(sys.modules.items()):
    parent, _, child = name.rpartition(".")
    if not name.startswith("negosim.") or getattr(module, "__name__", name) != name:
        continue  # an old path's entry (its __name__ is the new one's or its own alias)
    package = sys.modules.get(parent)
    if package is not None and getattr(package, child, module) is not module:
        wrong.append(name)
print(wrong)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
