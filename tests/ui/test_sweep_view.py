"""Run → Sweep… on the real local engine: a grid checked as typed, run, recorded, plotted."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

import numpy as np
import pytest

from playground.core.history import History
from playground.core.sweep import SweepPlans, is_sweep_group
from playground.ui.main_window import MainWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qapp, qloop):
    win = MainWindow()
    win.show()
    qloop.run_until_complete(win.start_services())
    win.prompt_edit.setPlainText("The function returns the")
    win.params.set_values({"max_tokens": 16})
    yield win
    qloop.run_until_complete(win.shutdown())
    win.close()
    win.deleteLater()


async def finished(view) -> None:
    while view.running:
        await asyncio.sleep(0.02)


def test_a_grid_runs_is_recorded_and_plotted(window, qloop, tmp_path: Path) -> None:
    window.sweep_action.trigger()
    view = window.dialogs.get("sweep")
    view.axis_values[0].setText("0.2:3:1")  # temperature 3 is refused as it is typed
    assert not view.start_button.isEnabled()
    assert "temperature: 2.2 is above the maximum 2" in view.error.text()
    view.axis_values[0].setText("0.2, 1.2")
    view.axis_values[1].setText("0, 0.1")
    view.seeds.setValue(3)
    assert view.start_button.isEnabled() and view.size_label.text() == "12 runs"
    view.start_button.click()
    assert view.running and not view.start_button.isEnabled()
    qloop.run_until_complete(asyncio.wait_for(finished(view), 60))
    assert view.progress.value() == 12 and view.start_button.isEnabled()
    assert view.progress_label.text().startswith("done in ")
    state = view.state
    assert len(state.results) == 12 and is_sweep_group(state.group)
    with History() as history:
        runs = history.group(state.group)
    assert sorted(run.variant for run in runs) == sorted(cell.key for cell in state.cells)
    assert SweepPlans().load(state.group).axes == state.axes  # it can resume from the CLI
    assert len(SweepPlans().measures(state.group)) == 12
    mean, spread = view.shown_values()
    assert mean.shape == (2, 2) and not np.isnan(mean).any()  # rows: min_p; columns: temp
    assert view.shown_layout().places[0][1] == (None, (1.2, 0)) and (spread >= 0).all()
    assert not view.variant_pick.isVisible()  # no variants, nothing to choose
    view.show_place((None, (1.2, 0.1)))
    assert view.columns.count() == 3  # one column per seed
    assert view.point_label.text() == "temperature=1.2, min_p=0.1"
    view.write_csv(tmp_path / "runs.csv")
    assert (tmp_path / "runs.csv").read_text().count("temperature=") == 12
    view.write_jsonl(tmp_path / "runs.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "runs.jsonl").read_text().splitlines()]
    assert len(lines) == 12 and {"temperature", "min_p", "seed", "text"} <= set(lines[0])


def test_a_sweep_reopens_from_history_and_resumes_only_what_it_lacks(window, qloop) -> None:
    window.sweep_action.trigger()
    view = window.dialogs.get("sweep")
    view.axis_values[0].setText("0.2, 1.2")
    view.axis_names[1].setCurrentText("(none)")
    view.seeds.setValue(3)
    view.start_button.click()
    qloop.run_until_complete(asyncio.wait_for(finished(view), 60))
    group = view.state.group
    with History() as history:
        runs = history.group(group)
        gone = [run for run in runs if run.variant.endswith("seed=2")]
        history.delete([run.id for run in gone])  # as if the app died before these ran
    window.dialogs.open_history()
    panel = window.dialogs.get("history")
    panel.refresh()
    panel.table.selectRow(0)
    assert panel.sweep_button.isEnabled()
    panel.sweep_button.click()  # a new look at the sweep, from what history holds
    assert view.state.group == group and len(view.state.results) == 4  # what history has
    assert view.resume_button.isEnabled()
    assert "2 of 6 cells without a good run" in view.progress_label.text()
    view.resume_button.click()
    qloop.run_until_complete(asyncio.wait_for(finished(view), 60))
    with History() as history:
        again = history.group(group)
    ran = [run.variant for run in again if run.id not in {r.id for r in runs}]
    assert sorted(ran) == sorted(run.variant for run in gone)  # only the missing ones
    view.load(group)
    assert view.progress_label.text().endswith("complete")
    assert not view.resume_button.isEnabled()


def test_a_sweep_that_may_cost_more_than_the_limit_asks_for_a_second_click(
        qtbot, fault_server, qloop) -> None:
    from playground.core.client import ModelInfo
    from playground.core.paths import cache_dir
    from playground.core.storage import atomic_write_json
    from tests.gui import fault_window, use

    atomic_write_json(cache_dir() / "models" / "fault-ok.json", [ModelInfo(
        "a/model", prompt_price=0.5, completion_price=1.5).to_json()])
    window = fault_window(qtbot, fault_server, ("ok",))
    qloop.run_until_complete(window.start_services())
    use(window, "fault-ok", "a/model")
    window.prompt_edit.setPlainText("hi")
    window.params.set_values({"max_tokens": 100})
    window.sweep_action.trigger()
    view = window.dialogs.get("sweep")
    view.axis_names[1].setCurrentText("(none)")
    view.axis_values[0].setText("0.2, 0.7")
    view.seeds.setValue(2)
    # 4 runs at most 1 prompt token x $0.5 + 100 x $1.5 per million: $0.000602
    assert view.size_label.text() == "4 runs · at most $0.0006"
    assert view.start_button.text() == "Start"
    view.ask_above.setValue(0.0)
    assert view.start_button.text() == "Start (up to $0.00)…"
    view.start_button.click()
    assert not view.running and view.start_button.text() == "Click again to start"
    view.start_button.click()
    assert view.running
    qloop.run_until_complete(asyncio.wait_for(finished(view), 30))
    assert len(view.state.results) == 4
    qloop.run_until_complete(window.shutdown())


def test_runs_at_once_start_from_the_connections_own_setting(window) -> None:
    from playground.core.connections import ConnectionStore

    ConnectionStore().set_concurrency("local", 6)
    window.reload_connections()
    window.sweep_action.trigger()
    assert window.dialogs.get("sweep").concurrency.value() == 6


def test_variants_each_run_the_grid_and_are_plotted_side_by_side(window, qloop,
                                                                  tmp_path: Path) -> None:
    window.sweep_action.trigger()
    view = window.dialogs.get("sweep")
    view.axis_values[0].setText("0.5, 1.5")
    view.axis_names[1].setCurrentText("(none)")
    view.seeds.setValue(2)
    view.variants_edit.setPlainText("top_k=1\ntemperature=1")
    assert not view.start_button.isEnabled()
    assert view.error.text() == ("temperature: the variant 'temperature=1' sets it, but the "
                                 "sweep sets it for every run")
    view.variants_edit.setPlainText("top_k=1\ntop_k=x")
    assert view.error.text().startswith("variant line 2: top_k:")
    view.variants_edit.setPlainText("top_k=1\n\npreset=Creative, top_k=40\n")
    assert view.start_button.isEnabled() and view.size_label.text() == "8 runs"
    assert not view.variant_pick.isVisible()  # one parameter: a line per variant
    view.start_button.click()
    qloop.run_until_complete(asyncio.wait_for(finished(view), 60))
    layout = view.shown_layout()
    assert layout.rows == ("top_k=1", "preset=Creative, top_k=40")
    mean, _ = view.shown_values()
    assert mean.shape == (2, 2) and not np.isnan(mean).any()
    with History() as history:
        runs = {run.variant: run for run in history.group(view.state.group)}
    creative = runs["[preset=Creative, top_k=40] temperature=1.5,seed=2"].request
    assert (creative["top_k"], creative["min_p"], creative["temperature"]) == (40, 0.05, 1.5)
    assert runs["[top_k=1] temperature=0.5,seed=1"].request["top_k"] == 1
    view.plots.place_clicked.emit(layout.places[1][0])  # as a click on a line's point does
    assert view.point_label.text() == "[preset=Creative, top_k=40] temperature=0.5"
    assert view.columns.count() == 2
    # top_k=1 is greedy: its variant's settings reached the engine, whatever the seed
    assert len({runs[f"[top_k=1] temperature=1.5,seed={s}"].output for s in (1, 2)}) == 1
    view.write_csv(tmp_path / "runs.csv")
    with (tmp_path / "runs.csv").open(newline="") as exported:
        head, *rows = list(csv.reader(exported))
    assert head[:5] == ["cell", "variant", "model", "temperature", "seed"] and len(rows) == 8
    assert rows[-1][1:4] == ["preset=Creative, top_k=40", "local/stdlib", "1.5"]
    group = view.state.group
    view.variants_edit.clear()
    view.load(group)  # reopened: its variants come back with it
    assert view.variants_edit.toPlainText() == "top_k=1\npreset=Creative, top_k=40"
    assert view.columns.count() == 0  # the outputs shown were of another look at it
    assert view.progress_label.text().endswith("complete")


def test_two_parameters_with_variants_show_one_variants_heatmap_at_a_time(window,
                                                                          qloop) -> None:
    window.sweep_action.trigger()
    view = window.dialogs.get("sweep")
    view.axis_values[0].setText("0.5, 1.5")
    view.axis_values[1].setText("0, 0.2")
    view.seeds.setValue(1)
    view.variants_edit.setPlainText("max_tokens=4, ignore_eos=true\nmax_tokens=12")
    assert view.size_label.text() == "8 runs" and view.variant_pick.isVisible()
    view.measure.setCurrentIndex(view.measure.findData("tokens"))
    view.start_button.click()
    qloop.run_until_complete(asyncio.wait_for(finished(view), 60))
    view.plots.place_clicked.emit(view.shown_layout().places[0][0])
    assert view.columns.count() == 1
    view.variant_pick.setCurrentText("max_tokens=4, ignore_eos=true")
    view.redraw()  # as the redraw timer does, REDRAW_MS after the last run
    short, _ = view.shown_values()
    low, high = view.plots.colors.levels()
    assert (short == 4).all() and low < 4 < high  # one value still gets a readable scale
    view.variant_pick.setCurrentText("max_tokens=12")
    long, _ = view.shown_values()
    assert short.shape == long.shape == (2, 2) and (long > 4).any()
    assert view.plots.heat_plot.isVisible()
    assert view.shown_layout().places[1][1] == ("max_tokens=12", (1.5, 0.2))
    view.start_button.click()  # the same grid again: a new sweep, whose outputs are not yet
    assert view.columns.count() == 0 and view.point_label.text().startswith("Click")
    qloop.run_until_complete(asyncio.wait_for(finished(view), 60))


def test_the_cost_limit_is_kept_for_the_next_sweep_window(window) -> None:
    from playground.ui.sweep_view import SweepView

    window.sweep_action.trigger()
    view = window.dialogs.get("sweep")
    view.ask_above.setValue(2.5)
    again = SweepView(lambda: None)
    assert again.ask_above.value() == 2.5
    again.deleteLater()
