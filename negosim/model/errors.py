"""The errors every layer raises, and the one hint they share.

Every error of negosim is a :class:`NegosimError` (a ``ValueError``) whose message is one
line naming where the problem is: the file and field path of a scenario
(:class:`ScenarioError`, ``SOURCE: FIELD: problem``), the argument of a function or a
command-line option (:class:`ArgumentError`, ``NAME: problem``), or a result store
(:class:`negosim.io.store.StoreError`). This module sits at the bottom of the package so that
the model, the formats, the engine and the front ends raise the same types.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any


class NegosimError(ValueError):
    """Any bad input negosim refuses; the message names the file, field or argument."""


class ScenarioError(NegosimError):
    """Invalid scenario input; the message names the source, the field path and the problem."""

    def __init__(self, problem: str, *, source: str = "<dict>", path: str = "") -> None:
        self.source = source
        self.path = path
        self.problem = problem
        where = f"{source}: {path}" if path else source
        super().__init__(f"{where}: {problem}")


class ArgumentError(NegosimError):
    """A bad argument of a command or a function; the message names the argument."""

    def __init__(self, name: str, problem: str) -> None:
        self.name, self.problem = name, problem
        super().__init__(f"{name}: {problem}")

    def __str__(self) -> str:  # KeyError subclasses would otherwise quote the message
        return str(self.args[0])


class UnknownNameError(ArgumentError, KeyError):
    """An argument names something that does not exist (a protocol, strategy or actor).

    It is both a ``ValueError`` (a bad argument) and a ``KeyError`` (a failed lookup), so
    callers written for either keep working.
    """


class WrongKindError(ArgumentError, TypeError):
    """An argument of a kind its function does not take (a keyword it does not know, text
    where a flag is due); also a ``TypeError``, so callers written for one keep working."""


class OutOfRangeError(ArgumentError, IndexError):
    """An argument indexes past what exists (a run beyond a batch's runs); also an
    ``IndexError``, so callers written for one keep working."""


def suggest(word: object, choices: Iterable[object]) -> str:
    """A hint `` (did you mean 'x'?)`` naming the choice closest to ``word``, or ``""``.

    Examples
    --------
    >>> suggest("alternatng", ["alternating", "mediated"])
    " (did you mean 'alternating'?)"
    >>> suggest("zzz", ["alternating"])
    ''
    >>> suggest("Co\u0302te", ["C\u00f4te"]).split(":")[0]  # one name, two Unicode forms
    " (it is 'Côte' in another Unicode form"
    """
    names = [str(c) for c in choices]
    composed = unicodedata.normalize("NFC", str(word))
    same = [c for c in names if unicodedata.normalize("NFC", c) == composed]
    if same:
        return f" (it is {same[0]!r} in another Unicode form: write both alike, e.g. composed)"
    close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def known_ids(value: Any, name: str, known: Sequence[str], kind: str) -> list[str]:
    """A sequence of ids, each one of ``known``, as a list: the check of an argument that names
    actors or issues (``order``, ``actors``, ``issue_ids`` ...).

    Raises
    ------
    ArgumentError
        Naming ``name``: for a bare string (it would be read letter by letter), a mapping, a
        set or anything else that is no sequence; an :class:`UnknownNameError` (also a
        ``KeyError``) for an id that is not in ``known``.
    """
    if isinstance(value, str | bytes | Mapping | Set) or not isinstance(value, Iterable):
        hint = f" (one {kind}: [{value!r}])" if isinstance(value, str) else ""
        raise ArgumentError(name, f"must be a sequence of {kind} ids, got {value!r}{hint}")
    ids = list(value)
    for ident in ids:
        if not isinstance(ident, str) or ident not in known:
            raise UnknownNameError(name, unknown(kind, ident, known))
    return ids


def unknown(kind: str, value: object, known: Iterable[str]) -> str:
    """The problem ``unknown KIND 'value' (did you mean ...?); known: a, b``."""
    known = list(known)
    return f"unknown {kind} {value!r}{suggest(value, known)}; known: {', '.join(known)}"
