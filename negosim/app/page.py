"""The teaching page (Solara): one negotiation step by step, the Pareto view, the Monte Carlo.

Served by :func:`negosim.app.serve` (``solara run negosim.app.page``). Step / Play / Reset are
Mesa's SolaraViz model controller driving a :class:`~negosim.abm.DiplomacyModel`; the views
redraw on Mesa's update counter. The scenario comes from ``NEGOSIM_APP_SCENARIO``.
"""

from __future__ import annotations

import html
import math
import os
import time
import warnings

import solara
import solara.lab

with warnings.catch_warnings():  # Solara's hook linter flags Mesa's own tab view, unused here
    warnings.filterwarnings("ignore", message=".*ComponentsView.*", category=UserWarning)
    from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from negosim.abm import DiplomacyModel
from negosim.app import figures, state, svg
from negosim.engine.protocols import PROTOCOLS
from negosim.io.scenario_file import list_scenarios
from negosim.model.strategies import strategy_names

SCENARIO = os.environ.get("NEGOSIM_APP_SCENARIO", "package_2007")
NO_SWEEP = "(no sweep)"

settings = solara.reactive(state.Settings(scenario=SCENARIO))
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


# ---------------------------------------------------------------------- controls
@solara.component
def NegotiatorControls(actor: str):
    s = settings.value
    sc = state.scenario_of(s)
    name, value = state.current_strategy(s, actor)
    param = state.strategy_param(name)

    def set_strategy(new: str) -> None:
        settings.set(s.with_strategy(actor, state.strategy_spec(new, state.strategy_default(new))))

    def set_param(new: float) -> None:
        settings.set(s.with_strategy(actor, state.strategy_spec(name, new)))

    with solara.Card(actor.replace("_", " "), margin=0, elevation=1):
        solara.Select(
            "strategy",
            values=strategy_names(),
            value=name,
            on_value=set_strategy,
            classes=[f"ns-strategy-{actor}"],
        )
        if param is not None:
            solara.SliderFloat(
                f"{param} (concession exponent)" if param == "e" else param,
                value=value if value is not None else 1.0,
                min=0.05,
                max=10.0,
                step=0.05,
                on_value=set_param,
            )
        spec = sc.actor(actor)
        with solara.Details("ideal point and salience per issue"):
            for issue in sc.issue_specs:
                if issue.id not in spec.salience:
                    continue
                for fld, lo, hi, now in (
                    ("position", issue.low, issue.high, spec.position[issue.id]),
                    ("salience", 0, 100, spec.salience[issue.id]),
                ):
                    target = f"{actor}.{fld}.{issue.id}"
                    solara.SliderInt(
                        f"{fld} {state.issue_letters(sc)[sc.issue_index(issue.id)]}",
                        value=round(now),
                        min=int(lo),
                        max=int(hi),
                        on_value=lambda v, t=target: settings.set(
                            settings.value.with_change(t, float(v))
                        ),
                    )


@solara.component
def MoveControls():
    """A slider for each move's window opening (``earliest``) and its value ``to``."""
    sc = state.scenario_of(settings.value)

    def fix(target: str, value: float) -> None:
        settings.set(settings.value.with_change(target, float(value)))

    with (
        solara.Card("Unilateral moves", margin=0, elevation=1),
        solara.Details("window opening and value of each move"),
    ):
        for move in sc.all_moves:
            issue = sc.issue(move.issue)
            solara.Text(f"{move.id} ({', '.join(move.actors)}, {move.issue})")
            solara.SliderFloat(
                "opens at (share of the time)",
                value=move.earliest,
                min=0.0,
                max=move.latest,
                step=0.01,
                on_value=lambda v, t=f"moves.{move.id}.earliest": fix(t, v),
            )
            solara.SliderFloat(
                f"to ({issue.low:g}..{issue.high:g})",
                value=move.to,
                min=float(issue.low),
                max=float(issue.high),
                step=0.5,
                on_value=lambda v, t=f"moves.{move.id}.to": fix(t, v),
            )


@solara.component
def Controls():
    s = settings.value
    sc = state.scenario_of(s)
    scenarios = list_scenarios()
    if s.scenario not in scenarios:
        scenarios = [s.scenario, *scenarios]
    solara.Select(
        "scenario",
        values=scenarios,
        value=s.scenario,
        on_value=lambda v: settings.set(state.Settings(scenario=v, seed=s.seed)),
    )
    solara.Select(
        "protocol",
        values=list(PROTOCOLS),
        value=s.protocol or sc.protocol,
        on_value=lambda v: settings.set(state.replace_settings(s, protocol=v)),
        classes=["ns-protocol"],
    )
    solara.SliderInt(
        "deadline (rounds)",
        value=s.rounds or sc.rounds,
        min=2,
        max=200,
        on_value=lambda v: settings.set(state.replace_settings(s, rounds=int(v))),
    )
    solara.InputInt(
        "seed",
        value=s.seed,
        on_value=lambda v: settings.set(state.replace_settings(s, seed=int(v or 0))),
    )
    for actor in state.negotiators(sc):
        NegotiatorControls(actor)
    if sc.all_moves:
        MoveControls()
    solara.Button(
        "Back to the scenario's values",
        text=True,
        on_click=lambda: settings.set(state.Settings(scenario=s.scenario, seed=s.seed)),
    )


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
            (r.against, None),
        ]
        for r in verdicts.itertuples()
    ]
    coalitions = _table(["coalition", "rule", "ratifies", "verdict", "voted no"], coalition_rows)
    moves = state.moves_table(m)
    move_rows = [
        [
            (str(v), f"ns-move-{col}-{row['move']}" if col in ("made", "consent") else None)
            for col, v in row.items()
        ]
        for row in moves.to_dict("records")
    ]
    moves_html = (
        _table(list(moves.columns), move_rows)
        + "<p style='font-size:12px'>A move settles its issue without an agreement; the "
        "reservations (BATNAs) are what the moves still open would give each side.</p>"
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
            rows.append([(name, None), ("no package beats both reservations", None)])
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
            "iff a package is worth its reservation). The dotted lines are the reservations "
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
        per_point = max(1, min(n, 1000))
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
        + [(f"{r[c]:.1%}", f"ns-mc-{c}-{issue}") for c in ("by_agreement", "by_move", "unchanged")]
        for issue, r in outcomes.iterrows()
    ]
    move_rows = [
        [
            (move, None),
            (str(r["by"]), None),
            (str(r["issue"]), None),
            (f"{r['share']:.4f}", f"ns-mc-move-share-{move}"),
            (f"{r['ci_low']:.4f}..{r['ci_high']:.4f}", f"ns-mc-move-ci-{move}"),
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
                        "by agreement",
                        "by a move",
                        "unchanged",
                    ],
                    q_rows,
                )
                + "<h4>Moves made (share of runs, 95% interval, mean round)</h4>"
                + (
                    _table(
                        ["move", "by", "issue", "share", "95% interval", "mean round"], move_rows
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


# ---------------------------------------------------------------------- the page
VIEWS = {"One negotiation": StepView, "Pareto view": ParetoView, "Monte Carlo": MonteCarloView}


@solara.component
def Page():
    s = settings.value
    kwargs = solara.use_memo(s.model_kwargs, [s])
    first = solara.use_memo(lambda: DiplomacyModel(**kwargs), [])
    model = solara.use_reactive(first)
    parameters = solara.use_reactive(kwargs)  # follows kwargs: what Reset rebuilds from
    built = solara.use_ref(kwargs)
    play_interval = solara.use_reactive(300)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)

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
            ModelController(
                model,
                model_parameters=parameters,
                play_interval=play_interval,
                render_interval=render_interval,
                use_threads=use_threads,
            ).key(f"controller-{id(model.value)}")
        with solara.Card("Settings", margin=0):
            Controls()
    solara.ToggleButtonsSingle(value=view, values=list(VIEWS), classes=["ns-views"])
    VIEWS[view.value](model)
