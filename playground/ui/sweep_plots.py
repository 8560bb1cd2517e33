"""The sweep window's plots (pyqtgraph), laid out by `core.sweep.Layout`: a heatmap of one
measure over a two-parameter grid, with a colour bar, the value and spread on hover; and a line
plot with error bars over the first parameter, one line per value of the second (or per
variant). A click on a heatmap cell or a line's point names its place.

Redrawing gives the plot items new data: the items, titles and ticks are made only when the
grid or the measure changes (laying them out is what costs)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from playground.core.sweep import Layout, Place, SweepState


class SweepPlots(pg.GraphicsLayoutWidget):  # type: ignore[misc]
    place_clicked = Signal(tuple)  # a heatmap cell's or a line point's place

    def __init__(self, parent: QWidget | None = None) -> None:
        pg.setConfigOptions(antialias=False, background="w", foreground="k")
        super().__init__(parent)
        self.state: SweepState | None = None
        self._key = self._label = ""
        self.heat_plot = self.addPlot(row=0, col=0, title="Heatmap")
        self.heat = pg.ImageItem(axisOrder="row-major")
        self.heat_plot.addItem(self.heat)
        self.colors = pg.ColorBarItem(colorMap=pg.colormap.get("viridis"), interactive=False)
        self.colors.setImageItem(self.heat, insert_in=self.heat_plot)
        self.line_plot = self.addPlot(row=0, col=1, title="By the first parameter")
        self.line_plot.addLegend()
        for plot in (self.heat_plot, self.line_plot):
            plot.hideButtons()  # the ranges are set here; "auto range" would undo that
        self.heat.mouseClickEvent = self._heat_clicked
        self.heat.hoverEvent = self._heat_hovered
        self._lines: list[tuple[Any, Any]] = []  # the line plot's items, one pair per row
        self._labelled: tuple[Any, ...] | None = None  # the layout and measure laid out
        self.layout_now: Layout | None = None
        self._levels: tuple[float, float] | None = None
        self._y_range: tuple[float, float] | None = None  # the line plot's values so far

    def prepare(self, layout: Layout, label: str) -> None:
        """Lay out the titles, the ticks and the line items for this layout and measure (they
        are the costly part of a draw), unless they are already; the window does this while
        the grid is typed, so a sweep starts without it."""
        if self._labelled == (layout, label):
            return
        self._labelled, self.layout_now = (layout, label), layout
        columns, rows = len(layout.x_labels), len(layout.rows)
        self.heat_plot.setVisible(layout.is_grid)
        if layout.is_grid:
            self.heat_plot.setTitle(f"{label} over {layout.x_name} × {layout.y_name}")
            self.heat_plot.getAxis("bottom").setTicks(
                [[(i + 0.5, text) for i, text in enumerate(layout.x_labels)]])
            self.heat_plot.getAxis("left").setTicks(
                [[(i + 0.5, text) for i, text in enumerate(layout.y_labels)]])
            self.heat_plot.setLabel("bottom", layout.x_name)
            self.heat_plot.setLabel("left", layout.y_name)
            # the grid never changes size during a sweep: no autorange to work out per draw
            self.heat_plot.setRange(xRange=(0, columns), yRange=(0, rows), padding=0)
            self.heat_plot.disableAutoRange()
        self.line_plot.setXRange(-0.3, columns - 0.7, padding=0)
        self.line_plot.disableAutoRange()
        self._y_range = None
        across = f" by {layout.x_name}" if layout.x_name else ""
        self.line_plot.setTitle(f"{label}{across} (mean ± spread over seeds)")
        self.line_plot.getAxis("bottom").setTicks([list(enumerate(layout.x_labels))])
        self._make_lines(layout, label)

    def show_state(self, state: SweepState, key: str, label: str, layout: Layout) -> None:
        """Draw `state`'s measure `key` (`label` for people) as `layout` places it."""
        self.state, self._key, self._label = state, key, label
        self.prepare(layout, label)
        mean, spread = state.values(layout, key)
        if layout.is_grid and not np.isnan(mean).all():
            levels = _levels(float(np.nanmin(mean)), float(np.nanmax(mean)))
            self.heat.setImage(mean, levels=levels)  # a point without runs (NaN) stays empty
            if levels != self._levels:  # the colour bar is redrawn only when its ends move
                self._levels = levels
                self.colors.setLevels(levels)
        x = np.arange(len(layout.x_labels), dtype=float)
        for r, (line, bars) in enumerate(self._lines):
            known = ~np.isnan(mean[r])
            line.setData(x[known], mean[r][known])
            bars.setData(x=x[known], y=mean[r][known],
                         height=2 * np.nan_to_num(spread[r][known]))
        self._fit_y(mean, spread)

    def _fit_y(self, mean: np.ndarray, spread: np.ndarray) -> None:
        """Widen the line plot's value range to take the data in, never narrow it during a
        sweep: its axis is laid out again only when the range moves."""
        if np.isnan(mean).all():
            return
        low = float(np.nanmin(mean - np.nan_to_num(spread)))
        high = float(np.nanmax(mean + np.nan_to_num(spread)))
        if self._y_range is not None:
            low, high = min(low, self._y_range[0]), max(high, self._y_range[1])
        if (low, high) != self._y_range:
            self._y_range = (low, high)
            margin = (high - low) * 0.08 or abs(high) * 0.05 or 1.0
            self.line_plot.setYRange(low - margin, high + margin, padding=0)

    def _make_lines(self, layout: Layout, label: str) -> None:
        """One line with its error bars per row of the layout; a click on a point names its
        place."""
        rows = len(layout.rows)
        self.line_plot.clear()
        self._lines = []
        for r, name in enumerate(layout.rows):
            color = pg.intColor(r, hues=max(3, rows))
            line = self.line_plot.plot([], [], pen=pg.mkPen(color, width=2), symbol="o",
                                       symbolBrush=color, name=name or label)
            line.sigPointsClicked.connect(
                lambda _item, points, _event, r=r: self._line_clicked(r, points))
            bars = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), height=np.zeros(0),
                                   beam=0.15, pen=color)
            self.line_plot.addItem(bars)
            self._lines.append((line, bars))

    def _line_clicked(self, row: int, points: Any) -> None:
        if self.layout_now is not None and len(points):
            column = round(points[0].pos().x())
            self.place_clicked.emit(self.layout_now.places[row][column])

    def _place_at(self, pos: Any) -> tuple[int, int, Place] | None:
        layout = self.layout_now
        if layout is None or not layout.is_grid:
            return None
        col, row = int(pos.x()), int(pos.y())
        if 0 <= col < len(layout.x_labels) and 0 <= row < len(layout.rows):
            return row, col, layout.places[row][col]
        return None

    def _heat_hovered(self, event: Any) -> None:
        if event.isExit():
            self.heat.setToolTip("")
            return
        found = self._place_at(event.pos())
        if found is None or self.state is None or self.layout_now is None:
            return
        row, col, place = found
        mean, spread = self.state.values(self.layout_now, self._key)
        value = mean[row, col]
        shown = "no runs yet" if np.isnan(value) else f"{value:.4g} ± {spread[row, col]:.2g}"
        self.heat.setToolTip(describe(self.state, place) + f": {self._label} {shown}")

    def _heat_clicked(self, event: Any) -> None:
        found = self._place_at(event.pos())
        if found is not None:
            self.place_clicked.emit(found[2])
            event.accept()


def _levels(low: float, high: float) -> tuple[float, float]:
    """The colour scale's ends: the data's, or around a single value when every point has the
    same (a scale of zero width would show no values on its bar)."""
    if high - low > 1e-9 * max(1.0, abs(high)):
        return low, high
    half = abs(low) * 0.05 or 0.5
    return low - half, high + half


def describe(state: SweepState, place: Place) -> str:
    """A place as people read it: ``[VARIANT] temperature=0.2, min_p=0.1``."""
    variant, point = place
    names = [axis.name for axis in state.axes]
    values = ", ".join(f"{n}={v}" for n, v in zip(names, point, strict=True))
    return " ".join(part for part in (f"[{variant}]" if variant else "", values) if part)
