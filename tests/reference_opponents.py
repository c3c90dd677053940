"""An independent reference of the opponent models, one run at a time, in plain Python.

Written from the papers and GENIUS 10.4's Java as docs/protocols.md ("Opponent models")
states them, without any of negosim's code: each class takes plain numbers (the prior's
fields as lists) and keeps its beliefs in lists.

* :class:`Frequency`: HardHeaded's frequency model (van Krimpen, Looije and Hajizadeh 2013;
  GENIUS ``HardHeadedFrequencyModel.java`` ``updateModel``), values counted in bins.
* :class:`Bayesian`: the scalable Bayesian model of Hindriks and Tykhonov (2008; GENIUS
  ``BayesianOpponentModelScalable.java`` ``updateBeliefs``, ``updateWeights``,
  ``updateEvaluationFns``), value hypotheses peaked on a grid.
"""

from __future__ import annotations

import math


def loss_of(gap: float, loss: str) -> float:
    """f(d): |d| (linear) or d^2 (quadratic)."""
    return abs(gap) if loss == "linear" else gap * gap


class Frequency:
    """HardHeaded's frequency model for one run."""

    def __init__(self, prior: dict, learn_coef=0.2, bins=20, tolerance=0.005, start="prior"):
        self.p = prior
        self.n = len(prior["low"])
        self.span = [h - lo for lo, h in zip(prior["low"], prior["high"], strict=True)]
        self.l, self.B, self.tol = learn_coef, bins, tolerance
        self.w = list(prior["weight"]) if start == "prior" else [1.0 / self.n] * self.n
        self.counts = [[0] * bins for _ in range(self.n)]
        self.last = None

    def bin(self, i: int, x: float) -> int:
        b = math.floor((x - self.p["low"][i]) * (self.B / self.span[i]))
        return min(max(b, 0), self.B - 1)

    def update(self, offer: list[float]) -> None:
        n = self.n
        if self.last is not None:  # GENIUS updateModel: needs the previous bid
            unchanged = [abs(offer[i] - self.last[i]) <= self.tol * self.span[i] for i in range(n)]
            if all(unchanged):  # a repeated offer: no information on the weights, no change
                unchanged = [False] * n
            golden = self.l / n  # goldenValue
            total = 1.0 + golden * sum(unchanged)  # totalSum
            cap = 1.0 - n * golden / total  # maximumWeight
            self.w = [
                (self.w[i] + golden) / total
                if unchanged[i] and self.w[i] < cap
                else self.w[i] / total
                for i in range(n)
            ]
        for i in range(n):
            self.counts[i][self.bin(i, offer[i])] += 1
        self.last = list(offer)

    def positions(self) -> list[float]:
        out = []
        for i in range(self.n):
            top = max(self.counts[i])
            if top == 0:
                out.append(self.p["position"][i])
                continue
            centres = [
                self.p["low"][i] + (b + 0.5) * self.span[i] / self.B
                for b in range(self.B)
                if self.counts[i][b] == top
            ]
            out.append(sum(centres) / len(centres))
        return out

    def weights(self) -> list[float]:
        total = sum(self.w)
        return [w / total for w in self.w]

    def value(self, i: int, x: float) -> float:
        top = max(self.counts[i])
        if top == 0:
            return 1.0 - loss_of((x - self.p["position"][i]) / self.span[i], self.p["loss"])
        return self.counts[i][self.bin(i, x)] / top

    def utility(self, package: list[float]) -> float:
        w = self.weights()
        return sum(w[i] * self.value(i, package[i]) for i in range(self.n))


def normal_on_grid(grid: list[float], point: float, sd: float) -> list[float]:
    """The normal density around ``point`` on ``grid``, normalised; sd = 0: the nearest grid
    point(s); sd not finite: uniform."""
    if not math.isfinite(sd):
        return [1.0 / len(grid)] * len(grid)
    gaps = [(g - point) ** 2 for g in grid]
    if sd == 0:
        near = [1.0 if gap == min(gaps) else 0.0 for gap in gaps]
        return [v / sum(near) for v in near]
    dens = [math.exp(-(gap - min(gaps)) / (2 * sd * sd)) for gap in gaps]
    return [d / sum(dens) for d in dens]


class Bayesian:
    """The scalable Bayesian model for one run."""

    def __init__(
        self,
        prior: dict,
        peaks=21,
        weight_grid=11,
        sigma=0.25,
        step=0.003,
        tolerance=0.005,
        start="prior",
    ):
        self.p = prior
        n = self.n = len(prior["low"])
        self.span = [h - lo for lo, h in zip(prior["low"], prior["high"], strict=True)]
        self.K, self.H = peaks, weight_grid
        self.sigma, self.step, self.tol = sigma, step, tolerance
        self.c = [
            [prior["low"][i] + (k / (peaks - 1)) * self.span[i] for k in range(peaks)]
            for i in range(n)
        ]
        self.omega = [h / (weight_grid - 1) for h in range(weight_grid)]
        if start == "prior":
            self.pe = [
                normal_on_grid(self.c[i], prior["position"][i], prior["position_sd"][i])
                for i in range(n)
            ]
            self.pw = [
                normal_on_grid(self.omega, prior["weight"][i], prior["weight_sd"][i])
                for i in range(n)
            ]
        else:  # GENIUS: uniform evaluators, (1 - (h + 1) / H)^3 over the weights
            self.pe = [[1.0 / peaks] * peaks for _ in range(n)]
            cubic = [(1.0 - (h + 1.0) / weight_grid) ** 3 for h in range(weight_grid)]
            self.pw = [[c / sum(cubic) for c in cubic] for _ in range(n)]
        self.learned = 0
        self.last = None

    def V(self, i: int, k: int, x: float) -> float:
        return 1.0 - loss_of((x - self.c[i][k]) / self.span[i], self.p["loss"])

    def likelihood(self, utilities: list[float], held: list[float], assumed: float) -> list:
        """exp(-((P - u) / P)^2 / (2 sigma^2)), relative to the largest where held > 0."""
        logs = [-(((assumed - u) / assumed) ** 2) / (2 * self.sigma**2) for u in utilities]
        top = max(lg for lg, p in zip(logs, held, strict=True) if p > 0)
        return [math.exp(lg - top) if p > 0 else 0.0 for lg, p in zip(logs, held, strict=True)]

    @staticmethod
    def posterior(prior: list[float], like: list[float]) -> list[float]:
        total = sum(p * q for p, q in zip(prior, like, strict=True))
        return [p * q / total for p, q in zip(prior, like, strict=True)]

    def expected_weight(self, i: int) -> float:
        return sum(p * w for p, w in zip(self.pw[i], self.omega, strict=True))

    def update(self, offer: list[float]) -> None:
        n = self.n
        if self.last is not None and all(
            abs(offer[i] - self.last[i]) <= self.tol * self.span[i] for i in range(n)
        ):
            return  # haveSeenBefore
        assumed = max(1.0 - self.step * self.learned, self.step)  # fPreviousBidUtility
        ev = [sum(self.pe[i][k] * self.V(i, k, offer[i]) for k in range(self.K)) for i in range(n)]
        if self.learned >= 1:  # updateWeights, with the current beliefs everywhere
            ew = [self.expected_weight(i) for i in range(n)]
            new = []
            for j in range(n):
                others = sum(ew[k] * ev[k] for k in range(n) if k != j)
                utilities = [om * ev[j] + others for om in self.omega]
                like = self.likelihood(utilities, self.pw[j], assumed)
                new.append(self.posterior(self.pw[j], like))
            self.pw = new
        ew = [self.expected_weight(i) for i in range(n)]  # the new weights
        new = []
        for i in range(n):  # updateEvaluationFns
            others = sum(ew[j] * ev[j] for j in range(n) if j != i)
            utilities = [others + ew[i] * self.V(i, k, offer[i]) for k in range(self.K)]
            like = self.likelihood(utilities, self.pe[i], assumed)
            new.append(self.posterior(self.pe[i], like))
        self.pe = new
        self.learned += 1
        self.last = list(offer)

    def positions(self) -> list[float]:
        return [
            sum(p * c for p, c in zip(self.pe[i], self.c[i], strict=True)) for i in range(self.n)
        ]

    def weights(self) -> list[float]:
        ew = [self.expected_weight(i) for i in range(self.n)]
        total = sum(ew)
        if total <= 0:
            return list(self.p["weight"])
        return [w / total for w in ew]

    def utility(self, package: list[float]) -> float:
        w = self.weights()
        return sum(
            w[i] * sum(self.pe[i][k] * self.V(i, k, package[i]) for k in range(self.K))
            for i in range(self.n)
        )
