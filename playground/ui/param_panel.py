"""The sampler panel, generated from the catalog: one row per parameter (`ParamRow`), in
folding groups, with a Neutralize button.

No widget is written per parameter. The panel is fitted to a connection: what its server
ignores is greyed and not sent, its own defaults and limits are shown and enforced, and the
fields Mirostat replaces there are greyed (but still sent) while Mirostat is on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from playground.core.catalog import BY_NAME, Group, Limits, in_group
from playground.ui.list_editors import Lookup
from playground.ui.param_row import ParamRow

MIROSTAT = "mirostat_mode"


class ParamPanel(QWidget):
    """All parameters, in catalog groups, with a Neutralize button."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, ParamRow] = {}
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        header = QHBoxLayout()
        header.setContentsMargins(6, 4, 0, 0)
        self.summary = QLabel(self)
        self.summary.setObjectName("paramSummary")
        neutralize = QPushButton("Neutralize", self)
        neutralize.setToolTip("Unset every parameter: the request carries only model and prompt")
        neutralize.clicked.connect(self.neutralize)
        header.addWidget(self.summary, 1)
        header.addWidget(neutralize)
        outer.addLayout(header)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget(scroll)
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 6, 0)
        self.groups: dict[Group, CollapsibleGroup] = {}
        for group in Group:
            box = CollapsibleGroup(group.value, body)
            form = QFormLayout(box.body)
            form.setContentsMargins(4, 2, 2, 6)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            for spec in in_group(group):
                row = ParamRow(spec, box.body)
                row.changed.connect(self._row_changed)
                form.addRow(row.label, row)
                self.rows[spec.name] = row
            column.addWidget(box)
            self.groups[group] = box
        column.addStretch(1)
        scroll.setWidget(body)
        self.scroll = scroll
        outer.addWidget(scroll, 1)
        self._mirostat_replaces: tuple[str, ...] = ()
        self._align_labels()
        self._update_summary()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._align_labels()
        super().changeEvent(event)

    def _align_labels(self) -> None:
        """One label column for every group, as wide as the longest name, so the fields and
        sliders of all groups line up."""
        labels = [row.label for row in self.rows.values()]
        for label in labels:
            label.setMinimumWidth(0)
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:
            label.setMinimumWidth(width)

    def values(self) -> dict[str, Any]:
        """Every set, valid parameter, also one the connection's server ignores (greyed): what
        such a server does not receive, the dialect's translation drops and says so."""
        return {name: row.value() for name, row in self.rows.items()
                if row.error is None and row.value() is not None}

    def set_server(self, unsupported: dict[str, str], defaults: dict[str, Any]) -> None:
        """Fit the panel to a connection: grey out what its server ignores (with the reason)
        and show its own defaults as the unset hints."""
        for name, row in self.rows.items():
            row.set_unsupported(unsupported.get(name))
            row.set_default_hint(defaults.get(name))
        self._row_changed()

    def set_limits(self, limits: Mapping[str, Limits]) -> None:
        """Fit the panel to the connection's (and model's) own limits: for each field named, its
        default is the unset hint and a value above its maximum is refused with the field name
        and the range. Fields not named go back to the catalog's limits."""
        unknown = set(limits) - set(BY_NAME)
        if unknown:
            raise KeyError(f"not catalog fields: {', '.join(sorted(unknown))}")
        for name, row in self.rows.items():
            row.set_limits(limits.get(name, Limits()))
        self._row_changed()

    def set_mirostat_replaces(self, names: Iterable[str]) -> None:
        """The fields the connection's server does not use while Mirostat is on (from
        `dialects.mirostat_replaces`); they are greyed, with the reason, while it is."""
        self._mirostat_replaces = tuple(names)
        self._row_changed()

    def set_lookup(self, lookup: Lookup | None) -> None:
        """Token text to ids for the token editors; None when the connection has no tokenizer."""
        for row in self.rows.values():
            if row.list_editor is not None:
                row.list_editor.set_lookup(lookup)

    def errors(self) -> list[str]:
        """Every refused value on screen, in panel order, each message naming its field and the
        allowed range; typed text counts even before its field was left."""
        return [error for row in self.rows.values() if (error := row.error)]

    def set_values(self, values: dict[str, Any]) -> None:
        for name, row in self.rows.items():
            row.set_value(values.get(name))
        self._row_changed()

    def set_value(self, name: str, value: Any) -> None:
        """One field's value (None unsets it), the others kept."""
        self.rows[name].set_value(value)
        self._row_changed()

    def neutralize(self) -> None:
        self.set_values({})

    def _row_changed(self) -> None:
        self._update_inactive()
        self._update_summary()
        self.changed.emit()

    def _update_inactive(self) -> None:
        mirostat = self.rows[MIROSTAT]
        mode = mirostat.value() if mirostat.unsupported is None else None
        label = mirostat.spec.label(mode)
        for name in self.rows:
            on = bool(mode) and name in self._mirostat_replaces
            self.rows[name].set_inactive(
                f"{label} replaces {name}; not used while it is on" if on else None)

    def _update_summary(self) -> None:
        values = self.values()
        errors = len(self.errors())
        text = f"{len(values)} set" if values else "all unset"
        self.summary.setText(text + (f", {errors} invalid" if errors else ""))
        for group, box in self.groups.items():
            set_here = sum(1 for spec in in_group(group) if spec.name in values)
            box.set_note(f"{set_here} set" if set_here else "")


class CollapsibleGroup(QWidget):
    """A titled section that folds away with a click on its header."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(0)
        header = QHBoxLayout()
        self._title = title
        self.toggle = QToolButton(self)
        self.toggle.setText(title.replace("&", "&&"))  # a lone & would make a mnemonic
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setObjectName("groupHeader")
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setAccessibleName(f"{title} group")
        self.toggle.setToolTip(f"Show or hide the {title} parameters")
        self.toggle.toggled.connect(self._toggled)
        self.note = QLabel(self)
        self.note.setObjectName("paramSummary")
        header.addWidget(self.toggle)
        header.addWidget(self.note, 1)
        layout.addLayout(header)
        self.body = QWidget(self)
        layout.addWidget(self.body)

    def title(self) -> str:
        return self._title

    def set_note(self, text: str) -> None:
        self.note.setText(text)

    def _toggled(self, expanded: bool) -> None:
        self.body.setVisible(expanded)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded
                                 else Qt.ArrowType.RightArrow)
