"""The sidebar of the teaching page: the settings, and Step / Play / Reset.

Every slider shows its value at rest and changes nothing by being drawn (:func:`ValueSlider`).
Mesa's own ``ModelController`` is not used for Step / Play / Reset: it keeps "playing" and
"running" in its own state, set only by its own buttons, so after Play to the end a negotiation
rebuilt from new settings stayed greyed out (a changed key does not renew that state);
:func:`NegotiationController` reads both from the model it shows.
"""

from __future__ import annotations

import html
import os
import time
import warnings
from collections.abc import Callable

import solara
import solara.lab

with warnings.catch_warnings():  # Solara's hook linter flags Mesa's own tab view, unused here
    warnings.filterwarnings("ignore", message=".*ComponentsView.*", category=UserWarning)
    from mesa.visualization.utils import force_update, update_counter

from negosim.abm import DiplomacyModel
from negosim.app import comparison, state
from negosim.engine.protocols import PROTOCOLS
from negosim.io.scenario_file import list_scenarios
from negosim.model.scenario import Scenario
from negosim.model.strategies import strategy_names

SCENARIO = os.environ.get("NEGOSIM_APP_SCENARIO", "package_2007")

settings = solara.reactive(state.Settings(scenario=SCENARIO))
"""Everything set in the sidebar; every view reads it."""


@solara.component
def ValueSlider(
    label: str,
    value: float,
    low: float,
    high: float,
    step: float,
    on_change: Callable[[float], None],
    name: str,
    note: str = "",
):
    """A slider that shows its value at rest (``id="ns-value-NAME"``) and changes nothing by
    being drawn: its grid holds the value exactly (:func:`state.slider_step`) and a value
    equal to the one shown is not a change (:func:`state.moved_by_hand`)."""

    def moved(new: float) -> None:
        if state.moved_by_hand(value, new):
            on_change(float(new))

    extra = f" <i>{html.escape(note)}</i>" if note else ""
    solara.HTML(
        tag="div",
        unsafe_innerHTML=(
            f"<div class='ns-slider-label'>{html.escape(label)}: "
            f"<b id='ns-value-{html.escape(name)}'>{value:g}</b>{extra}</div>"
        ),
    )
    solara.SliderFloat(
        "",
        value=value,
        min=min(low, value),
        max=max(high, value),
        step=state.slider_step(value, min(low, value), step),
        on_value=moved,
    )


def _fix(target: str) -> Callable[[float], None]:
    """A setter that fixes ``target`` at a slider's value."""
    return lambda value: settings.set(settings.value.with_change(target, value))


def _note(sc: Scenario, target: str) -> str:
    """``"uncertain: sampled per run"`` for a number the scenario leaves uncertain."""
    return "uncertain: sampled per run" if target in {u.target for u in sc.uncertainty} else ""


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
            ValueSlider(
                f"{param} (concession exponent)" if param == "e" else param,
                value if value is not None else 1.0,
                0.05,
                10.0,
                0.05,
                set_param,
                f"{actor}.strategy.{param}",
            )
        spec = sc.actor(actor)
        with solara.Details("ideal point and salience per issue"):
            for issue in sc.issue_specs:
                if issue.id not in spec.salience:
                    continue
                letter = state.issue_letters(sc)[sc.issue_index(issue.id)]
                for fld, lo, hi, now in (
                    ("position", issue.low, issue.high, spec.position[issue.id]),
                    ("salience", 0, 100, spec.salience[issue.id]),
                ):
                    target = f"{actor}.{fld}.{issue.id}"
                    ValueSlider(
                        f"{fld} {letter}",
                        float(now),
                        lo,
                        hi,
                        1.0,
                        _fix(target),
                        target,
                        _note(sc, target),
                    )


@solara.component
def MoveControls():
    """Sliders for each move's window, its opening (``earliest``) and its closing
    (``latest``), and its value ``to``."""
    sc = state.scenario_of(settings.value)
    with (
        solara.Card("Unilateral moves", margin=0, elevation=1),
        solara.Details("window and value of each move"),
    ):
        for move in sc.all_moves:
            issue = sc.issue(move.issue)
            solara.Text(f"{move.id} ({', '.join(move.actors)}, {move.issue})")
            for fld, label, value, lo, hi, step in (
                ("earliest", "opens at (share of the time)", move.earliest, 0.0, move.latest, 0.01),
                ("latest", "closes at (share of the time)", move.latest, move.earliest, 1.0, 0.01),
                ("to", f"to ({issue.low:g}..{issue.high:g})", move.to, issue.low, issue.high, 0.5),
            ):
                target = f"moves.{move.id}.{fld}"
                ValueSlider(
                    label,
                    float(value),
                    float(lo),
                    float(hi),
                    step,
                    _fix(target),
                    target,
                    _note(sc, target),
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
        on_value=lambda v: settings.set(state.with_protocol(s, v)),
        classes=["ns-protocol"],
    )
    solara.Select(
        "information",
        values=state.information_choices(s),
        value=s.information,
        on_value=lambda v: settings.set(state.replace_settings(s, information=v)),
        classes=["ns-information"],
    )
    ValueSlider(
        "deadline (rounds)",
        float(s.rounds or sc.rounds),
        2,
        200,
        1,
        lambda v: settings.set(state.replace_settings(s, rounds=round(v))),
        "rounds",
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
        on_click=lambda: settings.set(comparison.baseline_of(s)),
        classes=["ns-back"],
    )


# ---------------------------------------------------------------------- Step / Play / Reset
PLAY_INTERVAL = 0.3
"""Seconds between two rounds while playing."""


@solara.component
def NegotiationController(model: solara.Reactive, parameters: dict):
    """Reset, Play/Pause and Step of the negotiation in ``model``.

    Whether Play and Step are on is read from the model shown (``running``), so a fresh
    negotiation (a setting changed, or Reset) can be stepped at once; a fresh negotiation
    starts paused. Play steps the model it started with, and stops when that one ends or
    is replaced.
    """
    update_counter.get()  # redrawn with every round played: Step goes grey at the end
    playing = solara.use_reactive(False)
    shown = model.value
    solara.use_effect(lambda: playing.set(False), [shown])

    def play() -> None:
        while playing.value and model.value is shown and shown.running:
            time.sleep(PLAY_INTERVAL)
            if playing.value and model.value is shown and shown.running:
                shown.step()
                force_update()
        if model.value is shown:
            playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value, shown], prefer_threaded=True)

    def step() -> None:
        shown.step()
        force_update()

    def reset() -> None:
        playing.set(False)
        model.set(DiplomacyModel(**parameters))

    with solara.Row(justify="space-between"):
        solara.Button("Reset", color="primary", on_click=reset, classes=["ns-reset"])
        solara.Button(
            "❚❚" if playing.value else "▶",
            color="primary",
            on_click=lambda: playing.set(not playing.value),
            disabled=not shown.running,
            classes=["ns-play"],
        )
        solara.Button(
            "Step",
            color="primary",
            on_click=step,
            disabled=playing.value or not shown.running,
            classes=["ns-step"],
        )
