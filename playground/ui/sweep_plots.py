"""The sweep window's plots (pyqtgraph): a heatmap of one measure over a two-parameter grid,
with a colour bar, the value and spread on hover and a click that names the point; and a line
plot with error bars over the first parameter, one line per value of the second.

Redrawing gives the plot items new data: the items, titles and ticks are made only when the
grid or the measure changes (laying them out is what costs)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from playground.core.sweep import Axis, SweepState


class SweepPlots(pg.GraphicsLayoutWidget):  # type: ignore[misc]
    point_clicked = Signal(tuple)  # a heatmap cell's point

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
        self._labelled: tuple[Any, ...] | None = None  # the grid and measure laid out
        self._levels: tuple[float, float] | None = None
        self._y_range: tuple[float, float] | None = None  # the line plot's values so far

    def prepare(self, axes: tuple[Axis, ...], label: str) -> None:
        """Lay out the titles, the ticks and the line items for this grid and measure (they
        are the costly part of a draw), unless they are already; the window does this while
        the grid is typed, so a sweep starts without it."""
        if self._labelled == (axes, label) or not axes:
            return
        self._labelled = (axes, label)
        self.heat_plot.setVisible(len(axes) > 1)
        if len(axes) > 1:
            self.heat_plot.setTitle(f"{label} over {axes[0].name} × {axes[1].name}")
            _ticks(self.heat_plot, axes)
            # the grid never changes size during a sweep: no autorange to work out per draw
            self.heat_plot.setRange(xRange=(0, len(axes[0].values)),
                                    yRange=(0, len(axes[1].values)), padding=0)
            self.heat_plot.disableAutoRange()
        self.line_plot.setXRange(-0.3, len(axes[0].values) - 0.7, padding=0)
        self.line_plot.disableAutoRange()
        self._y_range = None
        self.line_plot.setTitle(f"{label} by {axes[0].name} (mean ± spread over seeds)")
        self.line_plot.getAxis("bottom").setTicks(
            [[(i, str(v)) for i, v in enumerate(axes[0].values)]])
        self._make_lines(axes, label)

    def show_state(self, state: SweepState, key: str, label: str) -> None:
        """Draw `state`'s measure `key` (`label` for people)."""
        self.state, self._key, self._label = state, key, label
        axes = state.axes
        if not axes:
            return
        self.prepare(axes, label)
        mean, spread, _ = state.grid_values(key)
        if len(axes) > 1 and not np.isnan(mean).all():
            levels = (float(np.nanmin(mean)), float(np.nanmax(mean)) + 1e-12)
            self.heat.setImage(mean, levels=levels)  # a point without runs (NaN) stays empty
            if levels != self._levels:  # the colour bar is redrawn only when its ends move
                self._levels = levels
                self.colors.setLevels(levels)
        x = np.arange(len(axes[0].values), dtype=float)
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
    def _make_lines(self, axes: tuple[Axis, ...], label: str) -> None:
        """One line with its error bars per value of the second parameter."""
        rows = len(axes[1].values) if len(axes) > 1 else 1
        self.line_plot.clear()
        self._lines = []
        for r in range(rows):
            name = f"{axes[1].name}={axes[1].values[r]}" if len(axes) > 1 else label
            color = pg.intColor(r, hues=max(3, rows))
            line = self.line_plot.plot([], [], pen=pg.mkPen(color, width=2), symbol="o",
                                       symbolBrush=color, name=name)
            bars = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), height=np.zeros(0),
                                   beam=0.15, pen=color)
            self.line_plot.addItem(bars)
            self._lines.append((line, bars))

    def _cell_at(self, pos: Any) -> tuple[Any, ...] | None:
        if self.state is None or len(self.state.axes) < 2:
            return None
        col, row = int(pos.x()), int(pos.y())
        first, second = self.state.axes[0].values, self.state.axes[1].values
        if 0 <= col < len(first) and 0 <= row < len(second):
            return (first[col], second[row])
        return None

    def _heat_hovered(self, event: Any) -> None:
        if event.isExit():
            self.heat.setToolTip("")
            return
        point = self._cell_at(event.pos())
        if point is None or self.state is None:
            return
        mean, spread, points = self.state.grid_values(self._key)
        r, c = divmod(points.index(point), mean.shape[1])
        value = mean[r, c]
        shown = "no runs yet" if np.isnan(value) else f"{value:.4g} ± {spread[r, c]:.2g}"
        names = [axis.name for axis in self.state.axes]
        self.heat.setToolTip(", ".join(f"{n}={v}" for n, v in zip(names, point, strict=True))
                             + f": {self._label} {shown}")

    def _heat_clicked(self, event: Any) -> None:
        point = self._cell_at(event.pos())
        if point is not None:
            self.point_clicked.emit(point)
            event.accept()


def _ticks(plot: Any, axes: tuple[Axis, ...]) -> None:
    """A heatmap's axes: each value under the middle of its cells."""
    plot.getAxis("bottom").setTicks([[(i + 0.5, str(v)) for i, v in enumerate(axes[0].values)]])
    plot.getAxis("left").setTicks([[(i + 0.5, str(v)) for i, v in enumerate(axes[1].values)]])
    plot.setLabel("bottom", axes[0].name)
    plot.setLabel("left", axes[1].name)
