"""Why some negotiations differ between negosim and NegMAS under the same tactic (issue 29;
docs/domains.md, "The same negotiation in NegMAS").

Plays the benchmark's exponent pairs (benchmarks/test_bench_domains_negmas.py: 40 pairs
log-uniform on [0.1, 10], seed 29, 100 rounds, every reservation 0) in NegMAS and replays
negosim's rules move by move (the engine's own Bidder, ``bidding="at_least"``,
``acceptance="next"``). For every negotiation whose outcome or round differs it prints the
first move where the two sides do different things, and classifies it:

* ``tie``: the two bids have the same utility for the mover (a different outcome of equal
  utility: negosim takes the lowest index, NegMAS another one);
* ``target``: the bids' utilities differ (the two read the target or the outcomes differently).

Run with a Python that has NegMAS and negosim, from the repository root::

    PYTHONPATH=. python benchmarks/diagnose_domains_negmas.py
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from negmas import SAOMechanism
from negmas.genius.gboa_negotiators import GBoulware
from test_bench_domains import SHAPES, _domain
from test_bench_domains_negmas import ROUNDS, _lunch, _zero_reservations, to_negmas

from negosim.engine.discrete import outcome_space


def negmas_moves(issues, ufuns, pair):
    """NegMAS's offers, ``(round, mover, outcome labels)``, its agreement and last step."""
    mechanism = SAOMechanism(issues=issues, n_steps=ROUNDS)
    for k, (ufun, e) in enumerate(zip(ufuns, pair, strict=True)):
        mechanism.add(GBoulware(name=f"p{k}", offering_params={"e": float(e)}), ufun=ufun)
    state = mechanism.run()
    ids = list(mechanism.negotiator_ids)
    offers = [(step + 1, ids.index(who), tuple(o)) for step, who, o in mechanism.extended_trace]
    agreement = None if state.agreement is None else tuple(state.agreement)
    return offers, agreement, int(state.step)


def negosim_moves(space, pair):
    """negosim's moves by its rules: (round, mover, 'offer'/'accept', outcome labels)."""
    bidders = [space.bidder(p) for p in range(2)]
    offer, moves = None, []
    for k in range(1, ROUNDS + 1):
        t = k / (ROUNDS + 1)
        for j, bidder in enumerate(bidders):
            target = bidder.target(t, np.array([pair[j]]))
            bid = int(bidder.at_least(target)[0])
            if offer is not None and space.utility[j, offer] >= space.utility[j, bid]:
                moves.append((k, j, "accept", space.labels(offer), float(target[0]), bid))
                return moves, space.labels(offer), k
            offer = bid
            moves.append((k, j, "offer", space.labels(bid), float(target[0]), bid))
    return moves, None, ROUNDS


def diagnose(name, domain):
    domain = _zero_reservations(domain)
    space = outcome_space(domain)
    issues, ufuns = to_negmas(domain)
    index = {space.labels(x): x for x in range(space.size)}
    rng = np.random.default_rng(29)
    pairs = np.exp(rng.uniform(np.log(0.1), np.log(10.0), (40, 2)))
    kinds = Counter()
    for pair in pairs:
        theirs, their_deal, their_step = negmas_moves(issues, ufuns, pair)
        ours, our_deal, our_round = negosim_moves(space, pair)
        if their_deal == our_deal and their_step == our_round:
            kinds["identical"] += 1
            continue
        our_offers = [m for m in ours if m[2] == "offer"]
        for mine, other in zip(our_offers, theirs, strict=False):
            if mine[3] != other[2]:
                mover, target = mine[1], mine[4]
                u_ours = space.utility[mover, index[mine[3]]]
                u_theirs = space.utility[mover, index[other[2]]]
                kind = "tie" if u_ours == u_theirs else "target"
                kinds[kind] += 1
                print(
                    f"{name} e={pair.round(3).tolist()}: round {mine[0]} party {mover} "
                    f"(target {target:.9f}): negosim bids {mine[3]} (u {u_ours:.9f}), "
                    f"NegMAS {other[2]} (u {u_theirs:.9f}) -> {kind}"
                )
                break
        else:
            kinds["acceptance"] += 1  # the same offers, one side accepted another move
            print(
                f"{name} e={pair.round(3).tolist()}: the same offers; negosim ends in round "
                f"{our_round} ({our_deal}), NegMAS in step {their_step} ({their_deal})"
            )
    print(f"{name}: {dict(kinds)}")
    return kinds


if __name__ == "__main__":
    diagnose("lunch (24)", _lunch())
    diagnose("576", _domain(SHAPES["576"]))
