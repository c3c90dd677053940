"""Small scenario builders for the tests."""

from __future__ import annotations

from typing import Any

import negosim as ns


def bilateral(
    positions: list[list[float]],
    saliences: list[list[float]],
    reservations: tuple[float | None, float | None] = (None, None),
    *,
    rounds: int = 50,
    discount: tuple[float | None, float | None] = (None, None),
    scale: tuple[float, float] = (0.0, 100.0),
    status_quo: list[float] | None = None,
    **extra: Any,
) -> ns.Scenario:
    """Two negotiators A and B over len(positions[0]) issues named i0, i1, ..."""
    n = len(positions[0])
    issues = [
        {"id": f"i{k}", "label": f"issue {k}", "scale": list(scale),
         "status_quo": (status_quo or [scale[0]] * n)[k]}
        for k in range(n)
    ]  # fmt: skip
    actors = []
    for name, pos, sal, res, disc in zip("AB", positions, saliences, reservations, discount, strict=True):
        actor: dict[str, Any] = {
            "id": name, "power": 1.0,
            "position": {f"i{k}": float(v) for k, v in enumerate(pos)},
            "salience": {f"i{k}": float(v) for k, v in enumerate(sal)},
        }  # fmt: skip
        if res is not None:
            actor["reservation"] = res
        if disc is not None:
            actor["discount"] = disc
        actors.append(actor)
    doc = {"scenario": {"id": "bilateral", "title": "test", "rounds": rounds}, "issues": issues,
           "actors": actors, **extra}  # fmt: skip
    return ns.Scenario.from_dict(doc)
