"""The opponent-model contract: what an actor knows of another before the talks (a
:class:`Prior`) and what it learns from that actor's offers (an :class:`OpponentModel`).

A model keeps its beliefs in a ``state`` dict of arrays with the runs axis first, so the
table can drop finished runs from it like a strategy's state (every array whose first axis
is as long as the runs is cut; anything else, such as the prior kept under ``"prior"``, is
left alone). One model object serves any number of observers: it holds only its parameters.

The rules of the built-in models, with their sources: ``docs/protocols.md``, "Opponent
models".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from negosim.model.errors import ArgumentError
from negosim.model.names import snake_case
from negosim.model.preferences import LOSSES, issue_loss


@dataclass(frozen=True, eq=False)
class Prior:
    """What every actor knows of another actor before the talks: the scenario's point
    estimates (the same in every run) and how uncertain they are.

    The arrays are copied as floats and made read-only. Two priors are equal only if they
    are the same object (numpy arrays have no single truth value to compare by).

    Attributes
    ----------
    position
        ``(I,)`` point estimate of the ideal point.
    position_sd
        ``(I,)`` its uncertainty, in scale units (0 = known).
    weight
        ``(I,)`` point-estimate salience weights, normalised to sum 1.
    weight_sd
        ``(I,)`` uncertainty of the weights (0 = known).
    low, high
        ``(I,)`` the issue scales.
    loss
        ``"linear"`` or ``"quadratic"``: the value of an outcome is
        ``v(x) = 1 - f(|x - c| / (high - low))`` with ``f(d) = d`` or ``d**2``.
    rounds
        The deadline ``T`` (relative time ``tau = t / (T - 1)``).
    """

    position: np.ndarray
    position_sd: np.ndarray
    weight: np.ndarray
    weight_sd: np.ndarray
    low: np.ndarray
    high: np.ndarray
    loss: str = "linear"
    rounds: int = 1

    def __post_init__(self) -> None:
        fields = ("position", "position_sd", "weight", "weight_sd", "low", "high")
        arrays = {key: np.atleast_1d(np.array(getattr(self, key), dtype=float)) for key in fields}
        shape = arrays["position"].shape
        for key, value in arrays.items():
            if value.ndim != 1 or value.shape != shape:
                raise ArgumentError(
                    f"Prior.{key}",
                    f"must be one number per issue, shape {shape}, got {value.shape}",
                )
            value.setflags(write=False)
            object.__setattr__(self, key, value)
        if not np.all(arrays["high"] > arrays["low"]):
            raise ArgumentError("Prior.high", "every issue scale needs high > low")
        if self.loss not in LOSSES:
            raise ArgumentError(
                "Prior.loss", f"must be one of {', '.join(LOSSES)}, got {self.loss!r}"
            )
        object.__setattr__(self, "rounds", int(self.rounds))

    @property
    def issues(self) -> int:
        return self.position.shape[0]

    @property
    def span(self) -> np.ndarray:
        """``(I,)`` issue ranges ``high - low``."""
        return self.high - self.low


class OpponentModel:
    """Base class of opponent models: learn another actor's preferences from its offers.

    Subclasses set ``name`` (default: the class name in snake case) and ``citation``, and
    implement the five methods below, every one vectorized over the runs (axis 0).

    Examples
    --------
    >>> class Stubborn(OpponentModel):
    ...     "Believes the prior whatever is offered."
    ...     def start(self, prior, runs):
    ...         return {"prior": prior, "seen": np.zeros(runs, dtype=int)}
    ...     def update(self, state, offer, t):
    ...         state["seen"] += 1
    ...     def positions(self, state):
    ...         return np.broadcast_to(state["prior"].position, (len(state["seen"]), 1))
    ...     def weights(self, state):
    ...         return np.ones((len(state["seen"]), 1))
    >>> Stubborn.name
    'stubborn'
    """

    name: ClassVar[str] = "opponent_model"
    citation: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in vars(cls):  # an unnamed subclass must not pass as its parent
            cls.name = snake_case(cls.__name__)

    def start(self, prior: Prior, runs: int) -> dict[str, Any]:
        """The state before any offer: arrays with the runs axis first (``runs`` rows)."""
        raise NotImplementedError

    def update(self, state: dict[str, Any], offer: np.ndarray, t: int) -> None:
        """Learn from one offer ``(R, I)`` the opponent made at round ``t`` (in place)."""
        raise NotImplementedError

    def positions(self, state: dict[str, Any]) -> np.ndarray:
        """``(R, I)`` believed ideal points."""
        raise NotImplementedError

    def weights(self, state: dict[str, Any]) -> np.ndarray:
        """``(R, I)`` believed salience weights, summing to 1 in every run."""
        raise NotImplementedError

    def utility(self, state: dict[str, Any], packages: np.ndarray) -> np.ndarray:
        """Believed utility of packages ``(R, I)`` -> ``(R,)``, or ``(R, P, I)`` ->
        ``(R, P)``. Default: the linear-additive utility of :meth:`positions` and
        :meth:`weights` with the prior's loss."""
        prior: Prior = state["prior"]
        position, weight = self.positions(state), self.weights(state)
        if packages.ndim == 3:
            position, weight = position[:, None], weight[:, None]
        gap = (packages - position) / prior.span
        return 1.0 - np.sum(weight * issue_loss(gap, prior.loss), axis=-1)

    def params(self) -> dict[str, Any]:
        """The parameters the model was built with, by their keyword (a ``start`` parameter is
        kept as ``start_from``: :meth:`start` is a method)."""
        out = dict(vars(self))
        if "start_from" in out:
            out["start"] = out.pop("start_from")
        return out

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({params})"

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.params() == other.params()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted((k, str(v)) for k, v in self.params().items()))))


def scratch(state: dict[str, Any], key: str, shape: tuple[int, ...], dtype: Any = float) -> Any:
    """A work array of ``shape`` kept in ``state`` between updates (made anew when the runs
    change): the updates write into it instead of allocating, which at 10^4 runs and more
    costs more than the arithmetic. Kept in a dict, so the table's dropping of finished runs
    passes it by."""
    work = state.setdefault("work", {})
    found = work.get(key)
    if found is None or found.shape != shape or found.dtype != dtype:
        found = work[key] = np.empty(shape, dtype=dtype)
    return found


def tiled(state: dict[str, Any], key: str, row: np.ndarray, runs: int) -> np.ndarray:
    """``row`` ``(I,)`` repeated for every run, ``(R, I)``, kept in ``state`` like
    :func:`scratch` (read only): arithmetic between arrays of one shape runs several times
    faster in numpy than against a broadcast row."""
    work = state.setdefault("work", {})
    found = work.get(key)
    if found is None or found.shape != (runs, row.shape[0]):
        found = work[key] = np.tile(row, (runs, 1))
    return found


def runs_first(major: np.ndarray) -> np.ndarray:
    """An array stored with its last axis first, ``(G, R, ...)``, seen runs first,
    ``(R, ..., G)`` (a view): the shape the table cuts finished runs from, over memory in
    which every step of an update is one pass over long contiguous rows (issue-major
    ``(I, R)`` for ``(R, I)`` beliefs, hypothesis-major ``(K, R, I)`` for ``(R, I, K)``)."""
    return major.transpose((*range(1, major.ndim), 0))


def major(state: dict[str, Any], key: str) -> np.ndarray:
    """``state[key]`` with its last axis first, C-contiguous: a view of an array made by
    :func:`runs_first`; after the table dropped finished runs (which leaves the runs axis
    outermost in memory), a copy, kept as the state's from then on."""
    value = state[key]
    found = value.transpose((value.ndim - 1, *range(value.ndim - 1)))
    if not found.flags.c_contiguous:
        found = np.ascontiguousarray(found)
        state[key] = runs_first(found)
    return found


def check_offer(state: dict[str, Any], offer: np.ndarray, runs: int) -> np.ndarray:
    """``offer`` as a float ``(R, I)`` array, refused with a clear message otherwise."""
    prior: Prior = state["prior"]
    offer = np.asarray(offer, dtype=float)
    if offer.shape != (runs, prior.issues):
        raise ArgumentError(
            "offer", f"must be (runs, issues) = {(runs, prior.issues)}, got {offer.shape}"
        )
    return offer


def positive_int(name: str, value: Any, least: int = 1) -> int:
    """A parameter that must be a whole number ``>= least``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < least:
        raise ArgumentError(name, f"must be a whole number >= {least}, got {value!r}")
    return int(value)


def nonnegative(name: str, value: Any, *, positive: bool = False) -> float:
    """A parameter that must be a finite number ``>= 0`` (``> 0`` with ``positive``)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ArgumentError(name, f"must be a number, got {value!r}") from None
    if not np.isfinite(number) or number < 0 or (positive and number == 0):
        raise ArgumentError(name, f"must be a finite number {'>' if positive else '>='} 0")
    return number


def choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    """A parameter that must be one of ``options``."""
    if value not in options:
        raise ArgumentError(name, f"must be one of {', '.join(map(repr, options))}, got {value!r}")
    return value
