"""Spelling of the names users give plug-ins (strategies, opponent models) by."""

from __future__ import annotations


def snake_case(name: str) -> str:
    """``MyStrategy`` -> ``my_strategy`` (CamelCase to the registries' spelling).

    Examples
    --------
    >>> snake_case("AbsoluteTitForTat")
    'absolute_tit_for_tat'
    """
    out = []
    for k, ch in enumerate(name):
        if ch.isupper() and k and not name[k - 1].isupper() and name[k - 1] != "_":
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
