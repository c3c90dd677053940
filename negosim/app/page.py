"""The teaching page (Solara): one negotiation step by step, the Pareto view, the Monte Carlo
and what a change of settings changed.

Served by :func:`negosim.app.serve` (``solara run negosim.app.page``). The sidebar
(:mod:`negosim.app.controls`) holds the settings and Step / Play / Reset, which drive a
:class:`~negosim.abm.DiplomacyModel`; the views redraw on Mesa's update counter. The scenario
comes from ``NEGOSIM_APP_SCENARIO``.
"""

from __future__ import annotations

import html
import math
import time
import warnings

import solara
import solara.lab

with warnings.catch_warnings():  # Solara's hook linter flags Mesa's own tab view, unused here
    warnings.filterwarnings("ignore", message=".*ComponentsView.*", category=UserWarning)
    from mesa.visualization.utils import update_counter

from negosim.abm import DiplomacyModel
from negosim.app import comparison, figures, reasons, state, svg
from negosim.app.controls import Controls, NegotiationController, settings
from negosim.engine.summary import SHARE_COLUMNS
from negosim.model.ratification import DEAL_MARGIN

NO_SWEEP = "(no sweep)"
runs = solara.reactive(state.DEFAULT_RUNS)
sweep_target = solara.reactive(NO_SWEEP)
view = solara.reactive("One negotiation")


# ---------------------------------------------------------------------- small HTML helpers
def _num(value: float, digits: int) -> str:
    return (
        "—"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else (f"{value:.{digits}f}")
    )


def _table(header: list[str], rows: list[list[tuple[str, str | None]]]) -> str:
    """An HTML table; each cell is ``(text, id or None)`` so tests can read it."""
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td id='{cid}'>{html.escape(text)}</td>" if cid else f"<td>{html.escape(text)}</td>"
            for text, cid in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table class='ns-table'><tr>{head}</tr>{body}</table>"


CSS = """
.ns-table { border-collapse: collapse; font-size: 13px; margin: 4px 0 10px 0; }
.ns-table th, .ns-table td { border-bottom: 1px solid #ddd; padding: 2px 8px; text-align: left; }
.ns-big { font-size: 18px; margin: 4px 0; }
.ns-line { font-size: 15px; background: #f4f7fb; padding: 6px 10px;
           border-left: 4px solid #0072B2; }
"""


# ---------------------------------------------------------------------- one negotiation
@solara.component
def StepView(model: solara.Reactive):
    update_counter.get()
    m = model.value
    sc = m.scenario
    status = (
        "open" if m.running else ("agreed" if m.result().agreed[0] else "ended without agreement")
    )
    head = (
        f"<div class='ns-big'>Round <b id='ns-round'>{m.round if m.steps else '—'}</b> · "
        f"steps played <b id='ns-steps'>{m.steps}</b> of {m.rounds} · "
        f"protocol <b>{html.escape(m.protocol)}</b> · <span id='ns-status'>{status}</span></div>"
        f"<div class='ns-line' id='ns-narrative'>{html.escape(state.describe_round(m))}</div>"
    )
    solara.HTML(tag="div", unsafe_innerHTML=head)
    letters = state.issue_letters(sc)
    talkers = [d for d in m.diplomats if d.role == "negotiator"]
    settled = state.settled_issues(m)
    shown, package = state.shown_package(m)
    offer_rows = [
        [
            (f"{letters[i]}: {issue.label}", None),
            (_num(package[i] if package is not None else math.nan, 1), f"ns-offer-{issue.id}"),
            ("settled by a move" if settled[i] else "open", f"ns-issue-state-{issue.id}"),
            (_num(issue.status_quo, 0), None),
            *[(_num(d.position[i], 1), None) for d in talkers],
        ]
        for i, issue in enumerate(sc.issue_specs)
    ]
    offers = _table(
        ["issue", shown, "on the table", "status quo", *[f"ideal of {d.actor}" for d in talkers]],
        offer_rows,
    )
    people = state.negotiator_rows(m)
    people_rows = [
        [
            (r.actor, None),
            (r.strategy, f"ns-strategy-shown-{r.actor}"),
            (_num(r.utility, 3), f"ns-utility-{r.actor}"),
            (_num(r.target, 3), f"ns-target-{r.actor}"),
            (_num(r.reservation, 3), None),
            (r.response, f"ns-response-{r.actor}"),
        ]
        for r in people.itertuples()
    ]
    negotiators = _table(
        ["negotiator", "strategy", "utility of offer", "target", "reservation", "response"],
        people_rows,
    )
    verdicts = state.coalition_verdicts(m)
    coalition_rows = [
        [
            (r.coalition, None),
            (r.rule, None),
            (r.ratifies, None),
            (r.verdict, f"ns-verdict-{r.coalition}"),
            (r.voted_no.replace("_", " "), f"ns-voted-no-{r.coalition}"),
            (str(r.needed) if r.verdict == "vetoes" else "", None),
            (
                f"{r.nearest} ({state.gap_words(r.short)} short)" if r.verdict == "vetoes" else "",
                None,
            ),
        ]
        for r in verdicts.itertuples()
    ]
    coalitions = _table(
        [
            "coalition",
            "rule",
            "ratifies",
            "verdict",
            "voted no",
            "more yes needed",
            "nearest to yes",
        ],
        coalition_rows,
    )
    moves = reasons.moves_table(m)
    move_rows = [
        [
            (str(v), f"ns-move-{col}-{row['move']}" if col in ("made", "consent", "why") else None)
            for col, v in row.items()
        ]
        for row in moves.to_dict("records")
    ]
    moves_html = (
        _table(list(moves.columns), move_rows)
        + "<p style='font-size:12px'>A move settles its issue without an agreement. During "
        "the talks a move is made only if it is worth its cost, making it now beats making it "
        "later (its window closes before the next round, its cost only grows, or a rival move "
        "on its issue could come first; in the last round, waiting for the end of the talks "
        "costs nothing) and it beats what the talks point to (the mean of "
        "the latest offers, if every negotiator gains the deal margin from it and every "
        "coalition it asks would ratify it; else no deal); otherwise it waits, and if the "
        "talks end without agreement every move still open and worth its cost is made after "
        "the talks. The reservations (BATNAs) are what those moves would "
        f"give each side; a deal must give each negotiator its reservation plus {DEAL_MARGIN:g}."
        "</p>"
        if len(moves)
        else "<p>No unilateral moves in this scenario.</p>"
    )
    with solara.Columns([1, 1]):
        with solara.Column():
            title = "Package on the table" if shown == "offer" else "Final package"
            solara.HTML(tag="div", unsafe_innerHTML=f"<h4>{title}</h4>" + offers)
            solara.HTML(tag="div", unsafe_innerHTML=svg.offer_chart(m))
        with solara.Column():
            solara.HTML(tag="div", unsafe_innerHTML="<h4>Negotiators</h4>" + negotiators)
            solara.HTML(tag="div", unsafe_innerHTML=svg.utility_chart(m))
    solara.HTML(tag="div", unsafe_innerHTML="<h4>Unilateral moves</h4>" + moves_html)
    solara.HTML(tag="div", unsafe_innerHTML="<h4>Ratifiers' votes this round</h4>" + coalitions)


# ---------------------------------------------------------------------- Pareto view
@solara.component
def ParetoView(model: solara.Reactive):
    update_counter.get()
    m = model.value
    pair = len(state.negotiators(m.scenario)) >= 2
    data = solara.use_memo(lambda: figures.pareto_data(m) if pair else None, [m])
    if data is None:
        solara.Warning("The Pareto view needs two negotiators.")
        return
    a, b = data["actors"]
    sc = m.scenario
    rows = []
    for name in ("Nash", "Kalai-Smorodinsky"):
        point = data[name]
        if point is None:
            rows.append([(name, None), ("no package beats both reservations by the margin", None)])
            continue
        rows.append(
            [
                (name, None),
                (_num(point[0], 3), None),
                (_num(point[1], 3), None),
                (state.package_words(sc, data[f"{name} package"]), None),
                ("yes" if data[f"{name} ratified"] else "no", f"ns-ratified-{name}"),
            ]
        )
    rows.append(
        [
            ("status quo", None),
            (_num(data["status_quo"][0], 3), None),
            (_num(data["status_quo"][1], 3), None),
            (state.package_words(sc, sc.status_quo), None),
            ("yes", None),
        ]
    )
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f"<p>The bargaining set of {a} and {b} in this run (their sampled ideal points and "
            "saliences). Green rings: packages every coalition would ratify (each member votes yes "
            "iff a package is worth its reservation; a member who negotiates, its reservation "
            f"plus the deal margin {DEAL_MARGIN:g}). The dotted lines are the reservations "
            "(BATNAs): what each side gets from the moves without an agreement (the open "
            "circle). The purple diamond is the offer on the table; its trail shows the offers "
            "so far.</p>"
            + _table(["point", f"utility of {a}", f"utility of {b}", "package", "ratified"], rows)
        ),
    )
    solara.FigureMatplotlib(figures.pareto_figure(m, data), format="png")


# ---------------------------------------------------------------------- Monte Carlo
@solara.lab.task(prefer_threaded=True)
def run_monte_carlo(s: state.Settings, n: int, target: str) -> dict:
    started = time.perf_counter()
    share = 1.0 if target == NO_SWEEP else 0.5

    def tick(done: float) -> None:
        run_monte_carlo.progress = 100 * share * done

    res = state.monte_carlo(s, n, tick)
    out = {"result": res, "seconds": time.perf_counter() - started, "target": target}
    if target != NO_SWEEP:
        low, high = state.sweep_targets(state.scenario_of(s))[target]
        values = state.sweep_values(low, high)
        per_point = max(1, min(n, state.SWEEP_RUNS))
        rows = []
        for k, value in enumerate(values):
            rows.append(state.sweep_point(s, target, value, per_point))
            run_monte_carlo.progress = 100 * (0.5 + 0.5 * (k + 1) / len(values))
        import pandas as pd

        out["sweep"] = pd.DataFrame(rows)
        out["per_point"] = per_point
    out["total_seconds"] = time.perf_counter() - started
    return out


@solara.component
def MonteCarloView(model: solara.Reactive):  # the views share one signature
    s = settings.value
    sc = state.scenario_of(s)
    targets = [NO_SWEEP, *state.sweep_targets(sc)]
    with solara.Row():
        solara.InputInt("runs", value=runs, classes=["ns-mc-runs"])
        solara.Select(
            "sweep one input", values=targets, value=sweep_target, classes=["ns-mc-sweep"]
        )
        solara.Button(
            "Run Monte Carlo",
            color="primary",
            on_click=lambda: run_monte_carlo(s, max(1, int(runs.value or 1)), sweep_target.value),
            disabled=run_monte_carlo.pending,
            classes=["ns-mc-run"],
        )
    if run_monte_carlo.pending:
        solara.ProgressLinear(run_monte_carlo.progress or True)
        solara.Text("running…")
    out = run_monte_carlo.value
    if run_monte_carlo.error:
        solara.Error(f"Monte Carlo failed: {run_monte_carlo.exception}")
    if out is None or run_monte_carlo.pending:
        solara.Info(
            f"{sc.title}: press Run to play {runs.value:,} negotiations with the settings on "
            "the left (same seed: same numbers as negosim.simulate)."
        )
        return
    res = out["result"]
    line = state.agreement_line(res)
    summary = res.summary()
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f"<div class='ns-big'>Agreement probability <b id='ns-mc-rate'>{line['rate']:.4f}</b>"
            f" (95% interval <span id='ns-mc-ci'>{line['low']:.4f}..{line['high']:.4f}</span>):"
            f" <span id='ns-mc-agreed'>{line['agreed']}</span> of "
            f"<span id='ns-mc-n'>{line['runs']}</span> runs agreed, seed {res.seed}, protocol "
            f"{html.escape(res.protocol)}; computed in "
            f"<span id='ns-mc-seconds'>{out['seconds']:.2f}</span> s.</div>"
        ),
    )
    outcomes = summary.outcomes
    q_rows = [
        [(issue, None), (_num(r["status_quo"], 0), None)]
        + [(_num(r[c], 1), f"ns-mc-{c}-{issue}") for c in ("q05", "q50", "q95")]
        + [(f"{r[c]:.1%}", f"ns-mc-{c}-{issue}") for c in SHARE_COLUMNS]
        for issue, r in outcomes.iterrows()
    ]
    move_rows = [
        [
            (move, None),
            (str(r["by"]), None),
            (str(r["issue"]), None),
            (f"{r['share']:.4f}", f"ns-mc-move-share-{move}"),
            (f"{r['ci_low']:.4f}..{r['ci_high']:.4f}", f"ns-mc-move-ci-{move}"),
            (f"{r['after']:.1%}", f"ns-mc-move-after-{move}"),
            (_num(r["mean_round"], 1), None),
        ]
        for move, r in summary.moves.iterrows()
    ]
    exits = "".join(
        f"<p>{html.escape(str(r['actor']))} ended the talks in {r['share']:.1%} of the runs.</p>"
        for _, r in summary.exits.iterrows()
    )
    with solara.Columns([1, 1]):
        with solara.Column():
            solara.HTML(
                tag="div",
                unsafe_innerHTML="<h4>Final package per issue (agreed, or by moves)</h4>"
                + _table(
                    [
                        "issue",
                        "status quo",
                        "5%",
                        "median",
                        "95%",
                        "by the deal",
                        "by a move before the deal",
                        "by a move, no deal",
                        "unchanged",
                    ],
                    q_rows,
                )
                + "<h4>Moves made (share of runs, 95% interval, share made after the talks, "
                "mean round of those made during the talks)</h4>"
                + (
                    _table(
                        ["move", "by", "issue", "share", "95% interval", "after", "mean round"],
                        move_rows,
                    )
                    if move_rows
                    else "<p>No unilateral moves in this scenario.</p>"
                )
                + exits,
            )
            solara.HTML(tag="div", unsafe_innerHTML=svg.outcome_chart(res))
        with solara.Column():
            if "sweep" in out:
                solara.HTML(
                    tag="div",
                    unsafe_innerHTML=(
                        f"<h4>Sweep of {html.escape(out['target'])} "
                        f"({out['per_point']:,} runs per point, same seed)</h4>"
                    ),
                )
                solara.FigureMatplotlib(
                    figures.sweep_figure(out["sweep"], out["target"]), format="png"
                )
            else:
                solara.Info("Choose an input to sweep, then run again.")


# ---------------------------------------------------------------------- what changed
baseline = solara.reactive(None)
"""Settings A of the "What changed" view (None: the scenario's own values)."""


@solara.lab.task(prefer_threaded=True)
def run_comparison(a: state.Settings, b: state.Settings, n: int) -> dict:
    """Both Monte Carlos on the same seed and runs, and the traced run's differing inputs."""

    def ticker(offset: float):
        return lambda done: setattr(run_comparison, "progress", offset + 50 * done)

    results = {"A": state.monte_carlo(a, n, ticker(0)), "B": state.monte_carlo(b, n, ticker(50))}
    return {"a": a, "b": b, **results, "inputs": comparison.input_differences(a, b)}


def _cell_id(quantity: str) -> str:
    return quantity.replace(" ", "-")


def _comparison_html(out: dict) -> str:
    """The side-by-side table, the paired agreement and the traced run's differing inputs."""
    frame = comparison.compare_results(out["A"], out["B"])
    digits = {q: (1 if q.startswith("median") else 4) for q in frame.index}
    rows = [
        [(q, None)]
        + [
            (
                f"{r[c]:+.{digits[q]}f}" if c == "change" else f"{r[c]:.{digits[q]}f}",
                f"ns-cmp-{c}-{_cell_id(q)}",
            )
            for c in ("A", "B", "change")
        ]
        for q, r in frame.iterrows()
    ]
    pairs = comparison.paired_agreement(out["A"], out["B"])
    paired = ", ".join(
        f"{label} <b id='ns-cmp-pair-{_cell_id(label)}'>{count}</b>"
        for label, count in pairs.items()
    )
    inputs = out["inputs"]
    input_rows = [
        [(r.input, None), (f"{r.A:.4g}", None), (f"{r.B:.4g}", None)]
        for r in inputs.head(12).itertuples()
    ]
    more = f"<p>… and {len(inputs) - 12} more.</p>" if len(inputs) > 12 else ""
    return (
        f"<h4>{out['A'].runs:,} runs each, seed {out['A'].seed}</h4>"
        + _table(["", "A", "B", "B − A"], rows)
        + f"<p>Runs agreed (run k of A against run k of B): {paired}.</p>"
        + f"<h4>Sampled numbers of the traced run (run 0) that differ: "
        f"<span id='ns-cmp-inputs-n'>{len(inputs)}</span></h4>"
        + "<p style='font-size:12px'>Each sampled number has a random stream of its own, so "
        "on the same worlds only the numbers B fixes differ.</p>"
        + (_table(["input", "A", "B"], input_rows) + more if len(inputs) else "")
    )


@solara.component
def WhatChangedView(model: solara.Reactive):  # the views share one signature
    s = settings.value
    a = comparison.on_same_worlds(baseline.value or comparison.baseline_of(s), s)
    changes = comparison.setting_changes(a, s)
    with solara.Row():
        solara.InputInt("runs", value=runs, classes=["ns-cmp-runs"])
        solara.Button(
            "Compare A and B",
            color="primary",
            on_click=lambda: run_comparison(a, s, max(1, int(runs.value or 1))),
            disabled=run_comparison.pending,
            classes=["ns-cmp-run"],
        )
        solara.Button("Make the sidebar's settings A", on_click=lambda: baseline.set(s))
        solara.Button("A: the scenario's values", text=True, on_click=lambda: baseline.set(None))
    said = "".join(f"<li>{html.escape(line)}</li>" for line in changes)
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            "<p><b>A</b>: "
            + ("the scenario's values" if baseline.value is None else "the settings made A")
            + "; <b>B</b>: the sidebar's settings now. Both are played on the same seed and "
            "runs, so run k of A and run k of B are the same sampled world but for what B "
            "changes:</p>"
            + (
                f"<ul id='ns-cmp-changes'>{said}</ul>"
                if changes
                else "<p id='ns-cmp-changes'>nothing yet: change a setting in the sidebar.</p>"
            )
        ),
    )
    if run_comparison.pending:
        solara.ProgressLinear(run_comparison.progress or True)
    out = run_comparison.value
    if run_comparison.error:
        solara.Error(f"Comparison failed: {run_comparison.exception}")
    if out is None or run_comparison.pending:
        return
    if (out["a"], out["b"]) != (a, s):
        solara.Info("The settings changed since this comparison: press Compare again.")
    solara.HTML(tag="div", unsafe_innerHTML=_comparison_html(out))


# ---------------------------------------------------------------------- the page
VIEWS = {
    "One negotiation": StepView,
    "Pareto view": ParetoView,
    "Monte Carlo": MonteCarloView,
    "What changed": WhatChangedView,
}


@solara.component
def Page():
    s = settings.value
    kwargs = solara.use_memo(s.model_kwargs, [s])
    first = solara.use_memo(lambda: DiplomacyModel(**kwargs), [])
    model = solara.use_reactive(first)
    built = solara.use_ref(kwargs)

    def rebuild() -> None:
        if built.current is not kwargs:  # a setting changed: a fresh negotiation
            built.current = kwargs
            model.set(DiplomacyModel(**kwargs))

    solara.use_effect(rebuild, [kwargs])
    solara.Style(CSS)
    solara.Title("negosim: package deals in the classroom")
    with solara.AppBar():
        solara.AppBarTitle(f"negosim · {state.scenario_of(s).title}")
    with solara.Sidebar():
        with solara.Card("Step / Play / Reset", margin=0):
            NegotiationController(model, kwargs)
        with solara.Card("Settings", margin=0):
            Controls()
    solara.ToggleButtonsSingle(value=view, values=list(VIEWS), classes=["ns-views"])
    VIEWS[view.value](model)
