"""HardHeaded's frequency opponent model on the discrete engine (issue 29): the batched model
equals a scalar reference written from GENIUS's Java, and a party that learns it breaks the
ties of its bids by it (a negotiation worked out by hand).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from negosim.analysis import domains
from negosim.cli import main as cli
from negosim.engine.discrete import Bidder, FrequencyModel, negotiate, outcome_space
from negosim.io import write_genius
from negosim.model.domains import CategoricalIssue, Profile, TableEvaluator, make_domain
from negosim.model.errors import ArgumentError


class JavaFrequencyModel:
    """One run of GENIUS's ``negotiator.boaframework.opponentmodel.HardHeadedFrequencyModel``
    as its Java reads, line by line: ``init`` (weights ``1 / I``, every evaluation 1,
    ``goldenValue = learnCoef / I``), ``updateModel`` (nothing before the second offer; the
    issues whose value did not change; ``totalSum``, ``maximumWeight``; ``setWeight`` issue by
    issue, which is ``AdditiveUtilitySpace.setWeight``: set, ``normalizeChildren``, and the old
    weight back when the sum leaves (0.98, 1.02); then ``learnValueAddition`` on each offered
    value) and ``getBidEvaluation`` (``AdditiveUtilitySpace.getUtility`` of
    ``EvaluatorDiscrete``'s ``eval / max eval``, capped at 1)."""

    def __init__(self, sizes, learn_coef=0.2):
        self.amount = len(sizes)
        self.learn_coef = learn_coef
        self.learn_value_addition = 1
        self.golden = learn_coef / self.amount
        self.weight = [1.0 / self.amount] * self.amount
        self.evaluation = [[1] * size for size in sizes]
        self.history = []

    def update_model(self, bid):
        self.history.append(tuple(bid))
        if len(self.history) < 2:
            return
        previous, current = self.history[-2], self.history[-1]
        diff = [0 if previous[i] == current[i] else 1 for i in range(self.amount)]
        unchanged = sum(1 for d in diff if d == 0)
        total_sum = 1.0 + self.golden * unchanged
        maximum_weight = 1.0 - self.amount * self.golden / total_sum
        for i in range(self.amount):
            weight = self.weight[i]
            if diff[i] == 0 and weight < maximum_weight:
                new_weight = (weight + self.golden) / total_sum
            else:
                new_weight = weight / total_sum
            self.set_weight(i, new_weight)
        for i in range(self.amount):
            self.evaluation[i][current[i]] = (
                self.learn_value_addition + self.evaluation[i][current[i]]
            )

    def set_weight(self, i, weight):
        old = self.weight[i]
        self.weight[i] = weight
        self.normalize_children()
        total = 0.0
        for w in self.weight:
            total += w
        if not (total > 0.98 and total < 1.02):
            self.weight[i] = old

    def normalize_children(self):
        renormal_corr = 0.05
        weight_sum = 0.0
        for w in self.weight:
            weight_sum += w
        if self.amount == 1:
            self.weight[0] = 1.0
            return
        for k in range(self.amount):
            diff = weight_sum - 1.0
            corrected = weight_sum + renormal_corr * self.amount
            current = self.weight[k]
            new_weight = current - (diff * (current + renormal_corr) / corrected)
            if new_weight < 0:
                new_weight = 0.0
            self.weight[k] = new_weight

    def bid_evaluation(self, bid):
        utility = 0.0
        for i in range(self.amount):
            utility += self.weight[i] * (self.evaluation[i][bid[i]] / max(self.evaluation[i]))
        return 1.0 if utility > 1 else utility


@st.composite
def offer_sequences(draw):
    """Issue sizes and, per run, a sequence of offers that repeats values often (unchanged
    issues, capped weights, equal counts: the model's ties)."""
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=9))
    runs = draw(st.integers(1, 4))
    sequences = []
    for _ in range(runs):
        length = draw(st.integers(0, 14))
        sequences.append(
            [[draw(st.integers(0, size - 1)) for size in sizes] for _ in range(length)]
        )
    return sizes, sequences


@settings(max_examples=80, deadline=None)
@given(offer_sequences(), st.sampled_from([0.2, 0.5, 1.0, 3.0]))
def test_the_batched_model_equals_genius_java_run_by_run(case, learn):
    sizes, sequences = case
    runs = len(sequences)
    batched = FrequencyModel.start(runs, sizes, learn)
    scalar = [JavaFrequencyModel(sizes, learn) for _ in range(runs)]
    every = (
        np.array(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij"))
        .reshape(len(sizes), -1)
        .T
    )  # every outcome's value indices
    for step in range(max((len(s) for s in sequences), default=0)):
        rows = np.array([r for r in range(runs) if step < len(sequences[r])], dtype=np.int64)
        if rows.size == 0:
            continue
        batched.update(rows, np.array([sequences[r][step] for r in rows]))
        for r in rows:
            scalar[r].update_model(sequences[r][step])
        for r in range(runs):  # every run, also those that did not move: exactly equal
            assert batched.weights[r].tolist() == scalar[r].weight
            beliefs = batched.belief(np.full(len(every), r), every)
            assert beliefs.tolist() == [scalar[r].bid_evaluation(x) for x in every]


def test_the_model_learns_as_the_java_says_by_hand():
    """Two issues of two values; the opponent offers (1, 0), (1, 0), (1, 1).

    First offer: only remembered. Second, both issues unchanged: g = .2 / 2 = .1, T = 1.2,
    w_max = 1 - 2 (.1) / 1.2 = .8333; each weight .5 -> (.5 + .1) / 1.2 = .5 and the sum stays
    1; counts: issue 0 value 1 -> 2, issue 1 value 0 -> 2. Third, issue 0 unchanged: T = 1.1,
    w_max = 1 - .2 / 1.1 = .8182; w_0 = (.5 + .1) / 1.1 = .54545, then normalizeChildren with
    S = 1.04545, D = .04545, S + .1 = 1.14545: w_0 = .54545 - .04545 (.59545) / 1.14545 =
    .52183, w_1 = .5 - .04545 (.55) / 1.14545 = .47817; then w_1 = .47817 / 1.1 = .43470 and
    again normalizeChildren: S = .95653, D = -.04347, S + .1 = 1.05653: w_0 = .52183 + .04347
    (.57183) / 1.05653 = .54536, w_1 = .43470 + .04347 (.48470) / 1.05653 = .45464. Counts:
    issue 0 value 1 -> 3, issue 1 value 1 -> 2. Belief of (1, 1): .54536 * 3/3 + .45464 * 2/2
    = 1; of (0, 0): .54536 / 3 + .45464 * 2/2 = .63643.
    """
    model = FrequencyModel.start(1, [2, 2])
    rows = np.array([0])
    model.update(rows, np.array([[1, 0]]))
    assert model.weights[0].tolist() == [0.5, 0.5] and model.counts[0].sum() == 4
    model.update(rows, np.array([[1, 0]]))
    assert model.weights[0] == pytest.approx([0.5, 0.5], abs=1e-15)
    assert model.counts[0].tolist() == [[1, 2], [2, 1]]
    model.update(rows, np.array([[1, 1]]))
    assert model.weights[0] == pytest.approx([0.54536, 0.45464], abs=1e-5)
    # the paper's formula alone (no renormalisation inside setWeight): .6 / 1.1, .5 / 1.1
    paper = [0.6 / 1.1, 0.5 / 1.1]
    assert paper == pytest.approx([0.5455, 0.4545], abs=1e-4)
    assert abs(model.weights[0, 0] - paper[0]) > 1e-4
    assert model.counts[0].tolist() == [[1, 3], [2, 2]]
    assert model.belief(np.array([0, 0]), np.array([[1, 1], [0, 0]])) == pytest.approx(
        [1.0, 0.63643], abs=1e-5
    )  # .54536 / 3 + .45464 = .63643


def _tie_domain():
    """x {a, b} x z {e, f}, C order: (a, e) 0, (a, f) 1, (b, e) 2, (b, f) 3.

    A cares about x only (weights 1, 0): a 1, b .5, so u_A = 1, 1, .5, .5 (two ties).
    B: x a 0, b 1; z e 0, f 1; weights 1, 1: u_B = 0, .5, .5, 1; its best is (b, f) alone.
    """
    issues = [CategoricalIssue("x", ("a", "b")), CategoricalIssue("z", ("e", "f"))]
    a = Profile("A", (1.0, 0.0), (TableEvaluator((1.0, 0.5)), TableEvaluator((1.0, 1.0))))
    b = Profile("B", (1.0, 1.0), (TableEvaluator((0.0, 1.0)), TableEvaluator((0.0, 1.0))))
    return make_domain("ties", issues, [a, b])


def test_a_tie_broken_by_the_frequency_model_changes_the_bid_and_the_deal():
    """B (a hardliner, e = 0) moves first and always offers its best, (b, f). A plays linear
    (e = 1) with P_max = 1, P_min = .5: p(t) = .5 + .5 (1 - t); T = 4, t = k / 5.

    k = 1: B offers (b, f); A's model only remembers it. A: p = .9, nearest 1 (gap .1) ->
      {(a, e), (a, f)}; its model's beliefs are all equal (weights .5, counts 1), so the lowest
      index: (a, e), as without a model. u_A(b, f) = .5 < .9: A offers (a, e).
    k = 2: B rejects (u_B = 0 < 1) and offers (b, f) again: A's model counts x b 2, z f 2
      (weights stay .5). A: p = .8, nearest 1 (.2 against .3) -> {(a, e), (a, f)}: beliefs
      .5 (1/2) + .5 (1/2) = .5 and .5 (1/2) + .5 (2/2) = .75: (a, f). Without the model:
      (a, e). u_A(b, f) = .5 < .8: A offers.
    k = 3: B rejects ((a, f): .5 < 1; (a, e): 0) and offers (b, f): counts x b 3, z f 3. A:
      p = .7, nearest .5 (.2 against .3) -> {(b, e), (b, f)}: beliefs .5 + .5 (1/3) = .667
      and 1: (b, f). Without: (b, e). A rejects (.5 < .7) and offers it.
    k = 4: with the model B accepts (b, f) (u_B = 1 >= 1): a deal in round 4, utilities .5
      and 1. Without, B rejects (b, e) (.5 < 1) and offers (b, f); A: p = .6 > .5 rejects;
      the deadline passes: no deal, each gets its reservation 0.
    """
    space = outcome_space(_tie_domain())
    kwargs = {"rounds": 4, "parties": ["B", "A"]}
    learned = negotiate(space, ["hardliner", "linear"], models=[None, "frequency"], **kwargs)
    assert learned.agreed.tolist() == [True] and learned.rounds.tolist() == [4]
    assert space.labels(int(learned.outcome[0])) == ("b", "f")
    assert learned.utility[0].tolist() == [1.0, 0.5]
    plain = negotiate(space, ["hardliner", "linear"], **kwargs)
    assert plain.agreed.tolist() == [False] and plain.rounds.tolist() == [4]
    assert plain.utility[0].tolist() == [0.0, 0.0]
    # one batch, the model in some runs only: each run as if alone
    mixed = negotiate(
        space,
        ["hardliner", np.ones(3)],
        models={"A": np.array([True, False, True])},
        **kwargs,
    )
    assert mixed.agreed.tolist() == [True, False, True]


def test_the_bidder_breaks_ties_by_a_preference_then_as_before():
    """Utilities .75, .25, 1, .5, .25, .75 (reservation .3): the blocks .25 {1, 4}, .75
    {0, 5}. A target .75 with a preference for 5: 5; a target .625, halfway between .5 and
    .75: the candidates are 3, 0 and 5 (both neighbours), and a preference for 3 gives 3 (the
    worse utility) while an indifferent one gives 0 (the better, then the lower index). At
    least .2: {1, 4}: preferring 4 gives 4."""
    bidder = Bidder.of(np.array([0.75, 0.25, 1.0, 0.5, 0.25, 0.75]), reservation=0.3)

    def likes(best):
        return lambda row, outcome: (outcome == best).astype(float)

    flat = lambda row, outcome: np.zeros(row.size)  # noqa: E731
    assert bidder.nearest(np.array([0.75]), likes(5)).tolist() == [5]
    assert bidder.nearest(np.array([0.625]), likes(3)).tolist() == [3]
    assert bidder.nearest(np.array([0.625, 0.26, 2.0]), flat).tolist() == [0, 1, 2]
    assert bidder.at_least(np.array([0.2]), likes(4)).tolist() == [4]
    assert bidder.at_least(np.array([0.6, 0.25, 0.3, 1.5]), flat).tolist() == [0, 1, 3, 2]


def test_models_are_checked_and_bilateral():
    space = outcome_space(_tie_domain())
    for models, words in [
        (["frequency"], "one model for each"),
        ([None, "bayesian"], "unknown model 'bayesian'"),
        ({"C": "frequency"}, "'C' does not negotiate"),
        ([None, np.array([True])], "3 booleans"),
    ]:
        with pytest.raises(ArgumentError, match=words):
            negotiate(space, ["linear", np.ones(3)], models=models)
    c = Profile("C", (1.0, 1.0), space.domain.profiles[1].evaluators)
    three = make_domain("three", space.domain.issues, [*space.domain.profiles, c])
    with pytest.raises(ArgumentError, match="bilateral"):
        negotiate(three, ["linear"] * 3, models=["frequency", None, None])


def test_strategy_specs_name_the_model():
    assert domains.strategy("boulware:model=frequency") == (0.2, "frequency")
    assert domains.strategy("time_dependent:e=0.5,model=frequency") == (0.5, "frequency")
    assert domains.strategy("linear") == (1.0, "none")
    assert domains.tactic("conceder:model=frequency") == 2.0
    with pytest.raises(ArgumentError, match="model"):
        domains.strategy("linear:model=bayes")


def test_the_command_line_and_the_tournament_play_the_model(tmp_path, capsys):
    """`--strategy A=linear:model=frequency` plays the hand-worked negotiation above; the
    tournament plays a strategy with the model as its own entry of the field."""
    folder = write_genius(_tie_domain(), tmp_path / "ties")
    out = tmp_path / "runs.csv"
    argv = ["run", str(folder), "--runs", "1", "--rounds", "4", "--parties", "B,A"]
    argv += ["--strategy", "B=hardliner", "--out", str(out)]
    assert cli([*argv, "--strategy", "A=linear:model=frequency"]) == 0
    capsys.readouterr()
    frame = pd.read_csv(out)
    assert frame["agreed"].tolist() == [True] and frame["rounds"].tolist() == [4]
    assert cli([*argv, "--strategy", "A=linear"]) == 0
    assert pd.read_csv(out)["agreed"].tolist() == [False]
    field = ["hardliner", "linear", "linear:model=frequency"]
    res = domains.domain_tournament(_tie_domain(), field, rounds=4)
    plays = res.plays[
        (res.plays["order"] == "B-A")
        & (res.plays["opponent"] == "hardliner")
        & (res.plays["seat"] == 1)
    ]  # A, moving second, against the hardliner B
    mine = plays.set_index("strategy")
    assert mine.loc["linear:model=frequency", "agreed"] == 1.0  # as traced above
    assert mine.loc["linear", "agreed"] == 0.0
