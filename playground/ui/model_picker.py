"""The model picker: a model id field with a searchable model list, and suffix toggles.

The field holds the base id; NanoGPT's suffixes live in a small popup behind the "Suffixes"
button, and `ModelId` composes the final id. Suffixes typed into the field are moved into the
toggles when editing finishes. Any text is accepted: the list only helps.
"""

from __future__ import annotations

import html
from datetime import datetime

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPixmap,
    QResizeEvent,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QCompleter,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyle,
    QStyleOption,
    QToolButton,
    QTreeView,
    QWidget,
)

from playground.core.client import ModelInfo
from playground.core.errors import InvalidParameter
from playground.core.model_id import ROUTING_ALIASES, ROUTING_LABELS, WEB_SEARCH_PROVIDERS, ModelId
from playground.core.models import ModelList
from playground.ui.routing_editor import ProviderBox
from playground.ui.widgets import choice_combo, mark, select_data

ID, NAME, CONTEXT = range(3)  # then the prices
COLUMN_CAP = 340  # px; longer ids and names are elided in the list
POPUP_ROWS = 12
BUTTON_TEXT_WIDTH = 170  # px of suffix text shown on the button before eliding
STATUS_MIN_CHARS = 16  # the status may shrink to this many characters (then it is elided)
STATUS_SHARE = 0.5  # at most this share of the picker's width goes to the status
FIELD_TIP = ("<p><b>model</b></p><p>Type to search the model list by id or name (Down shows "
             "it), or type any id. Suffixes such as <code>:online</code> go in Suffixes; typed "
             "ones move there when you press Enter.</p>")


def context_text(tokens: int | None) -> str:
    """128000 -> "128k ctx", 1048576 -> "1M ctx"."""
    if tokens is None:
        return ""
    if tokens >= 1_000_000:
        return f"{round(tokens / 1_000_000, 1):g}M ctx"
    if tokens >= 1000:
        return f"{round(tokens / 1000)}k ctx"
    return f"{tokens} ctx"


def usd(value: float | None) -> str:
    if value is None:
        return "?"
    return f"${value:.2f}" if round(value, 2) == value else f"${value:.4g}"


def price_text(info: ModelInfo) -> str:
    """"$0.15 / $0.60 per 1M" (prompt / completion); empty when neither is known."""
    if info.prompt_price is None and info.completion_price is None:
        return ""
    return f"{usd(info.prompt_price)} / {usd(info.completion_price)} per 1M"


def info_tip(info: ModelInfo) -> str:
    lines = [f"<b>{html.escape(info.name or info.id)}</b>", html.escape(info.id)]
    if info.context_length:
        output = f", up to {info.max_output_tokens:,} out" if info.max_output_tokens else ""
        lines.append(f"{info.context_length:,} tokens of context{output}")
    if prices := price_text(info):
        lines.append(f"{prices} tokens (prompt / completion)")
    return "<br>".join(lines)


def list_status(listing: ModelList, key_missing_for: str | None = None
                ) -> tuple[str, str] | None:
    """What to say about where the listed models come from, as (text, tooltip); None for a
    list fresh from the server. `key_missing_for` names a connection that needs an API key
    to list its models and has none."""
    saved = (f"cached list from {_local(listing.saved_at)}" if listing.saved_at
             else "cached list" if listing.models else None)
    typed = "Any model id can still be typed."
    if key_missing_for:
        return (f"listing {key_missing_for}'s models needs an API key (File \u2192 Settings); "
                f"{saved or 'no models cached yet'}",
                f"Save an API key for {key_missing_for} in File \u2192 Settings to list its "
                f"models. {typed}")
    if listing.fresh:
        return None
    if listing.error is not None:
        why = f"The server did not list its models: {listing.error}."
        if saved:
            return f"offline ({saved})", f"{why} The list shown is the one saved last time."
        return f"could not list models: {listing.error}", f"{why} {typed}"
    if saved:
        return saved, "The list saved when the server last answered."
    return "no models cached yet", f"The server has not listed its models yet. {typed}"


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def arrow_icon(widget: QWidget) -> QIcon:
    """The style's small drop-down arrow, as drawn on a combo box."""
    style = widget.style()
    size = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    option = QStyleOption()
    option.initFrom(widget)
    option.rect = pixmap.rect()
    painter = QPainter(pixmap)
    style.drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorArrowDown, option, painter, widget)
    painter.end()
    return QIcon(pixmap)


class StatusLabel(QLabel):
    """One line of text that is elided to the room it gets; `text()` stays whole."""

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        least = self.fontMetrics().horizontalAdvance("x" * STATUS_MIN_CHARS)
        return QSize(min(hint.width(), least), hint.height())

    def paintEvent(self, event: QPaintEvent) -> None:
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight,
                                              rect.width())
        painter = QPainter(self)
        self.style().drawItemText(painter, rect, int(self.alignment()), self.palette(),
                                  self.isEnabled(), shown, self.foregroundRole())


class ModelFilter(QSortFilterProxyModel):
    """Keeps the models whose id or name contains the needle, ignoring case."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._needle = ""

    def set_needle(self, text: str) -> None:
        self.beginFilterChange()
        self._needle = text.strip().casefold()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, row: int,
                         parent: QModelIndex | QPersistentModelIndex) -> bool:
        source = self.sourceModel()
        return any(self._needle in str(source.index(row, column, parent).data()).casefold()
                   for column in (ID, NAME))


class SuffixPopup(QFrame):
    """The suffix toggles, in a popup under the Suffixes button."""

    changed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.online = self._check(":online", "Search the web and add the results to the prompt.")
        self.provider = ProviderBox(
            self, "web-search provider", "The web-search provider after <code>:online/</code>; "
            "empty uses NanoGPT's default. Other names are sent as written.", "default search")
        self.provider.set_known(WEB_SEARCH_PROVIDERS)
        self.memory = self._check(":memory", "Keep a memory of the conversation across requests.")
        self.days = QLineEdit(self)
        self.days.setPlaceholderText("days (1-365)")
        self.days.setAccessibleName("memory days")
        self._days_tip = ("How many days the memory is kept, 1 to 365 "
                          "(<code>:memory-30</code>); empty: NanoGPT's default.")
        self.thinking = self._check(":thinking", "Turn on the model's thinking (reasoning) mode.")
        self.reasoning_exclude = self._check(
            ":reasoning-exclude", "Leave the model's reasoning out of the response.")
        aliases = {canonical: [alias for alias, to in ROUTING_ALIASES.items()
                               if to == canonical and alias != label]
                   for canonical, label in ROUTING_LABELS.items()}
        self.routing = choice_combo(
            self, "routing suffix",
            "Let NanoGPT choose the provider by this preference. Cannot be combined with a "
            "provider, X-Provider or a routing object.",
            [("none", None), *((f":{label}", canonical)
                               for canonical, label in ROUTING_LABELS.items())])
        for index, canonical in enumerate(ROUTING_LABELS, start=1):
            if aliases[canonical]:
                also = ", ".join(f":{alias}" for alias in aliases[canonical])
                self.routing.setItemData(index, f"Also written {also}",
                                         Qt.ItemDataRole.ToolTipRole)
        routing_label = QLabel("Routing", self)
        routing_label.setBuddy(self.routing)

        grid = QGridLayout(self)
        grid.setContentsMargins(8, 8, 8, 8)
        grid.addWidget(self.online, 0, 0)
        grid.addWidget(self.provider, 0, 1)
        grid.addWidget(self.memory, 1, 0)
        grid.addWidget(self.days, 1, 1)
        grid.addWidget(self.thinking, 2, 0, 1, 2)
        grid.addWidget(self.reasoning_exclude, 3, 0, 1, 2)
        grid.addWidget(routing_label, 4, 0)
        grid.addWidget(self.routing, 4, 1)

        self.provider.editTextChanged.connect(self._edited)
        self.days.textChanged.connect(self._edited)
        self.routing.currentIndexChanged.connect(self._edited)
        self._refresh()

    def merged(self, typed: ModelId) -> ModelId:
        """`typed` with the toggled suffixes added; a suffix written in `typed` wins."""
        provider = self.provider.text() or None
        return ModelId(
            base=typed.base,
            thinking=typed.thinking or self.thinking.isChecked(),
            online=typed.online or self.online.isChecked(),
            online_provider=typed.online_provider if typed.online
            else provider if self.online.isChecked() else None,
            memory=typed.memory or self.memory.isChecked(),
            memory_days=typed.memory_days if typed.memory
            else self.memory_days() if self.memory.isChecked() else None,
            reasoning_exclude=typed.reasoning_exclude or self.reasoning_exclude.isChecked(),
            routing=typed.routing or self.routing.currentData(),
        )

    def memory_days(self) -> int | None:
        text = self.days.text().strip()
        if not text:
            return None
        if not text.isdigit():
            raise InvalidParameter("model", f"model: memory days {text!r} is not a whole "
                                            "number from 1 to 365")
        return int(text)

    def set_flags(self, model: ModelId | None) -> None:
        """Show `model`'s suffixes (all off for None); its base is ignored."""
        blocked = self.blockSignals(True)
        self.online.setChecked(bool(model and model.online))
        self.provider.set_text(model.online_provider or "" if model else "")
        self.memory.setChecked(bool(model and model.memory))
        self.days.setText(str(model.memory_days) if model and model.memory_days else "")
        self.thinking.setChecked(bool(model and model.thinking))
        self.reasoning_exclude.setChecked(bool(model and model.reasoning_exclude))
        select_data(self.routing, model.routing if model else None)
        self.blockSignals(blocked)
        self._refresh()

    def suffix(self) -> str:
        """The toggled suffixes as they will be appended, e.g. ":online:fast"."""
        try:
            return self.merged(ModelId("m")).compose().removeprefix("m")
        except InvalidParameter:
            return ""

    def _check(self, text: str, tip: str) -> QCheckBox:
        box = QCheckBox(text, self)
        box.setAccessibleName(f"{text} suffix")
        box.setToolTip(tip)
        box.toggled.connect(self._edited)
        return box

    def _edited(self) -> None:
        self._refresh()
        self.changed.emit()

    def _refresh(self) -> None:
        self.provider.setEnabled(self.online.isChecked())
        self.days.setEnabled(self.memory.isChecked())
        error = None
        if self.memory.isChecked():
            try:
                ModelId("m", memory_days=self.memory_days())
            except InvalidParameter as exc:
                error = exc.message
        mark(self.days, error, self._days_tip)


class ModelPicker(QWidget):
    """Chooses the model id: a searchable list of known models, free text, and suffixes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._models: list[ModelInfo] = []
        self._by_id: dict[str, ModelInfo] = {}
        self.field = QLineEdit(self)
        self.field.setAccessibleName("model")
        self.field.setMinimumWidth(160)
        show_all = self.field.addAction(arrow_icon(self.field),
                                        QLineEdit.ActionPosition.TrailingPosition)
        show_all.setText("Show all models")
        show_all.setToolTip("Show all models (Down)")
        show_all.triggered.connect(lambda: self.show_list(""))
        self.source = QStandardItemModel(self)
        self.filter = ModelFilter(self)
        self.filter.setSourceModel(self.source)
        self.completer = QCompleter(self.filter, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setMaxVisibleItems(POPUP_ROWS)
        self.completer.setWidget(self.field)
        self.list_view = self._list_view()
        self.completer.setPopup(self.list_view)
        self.status = StatusLabel(self)
        self.status.setAccessibleName("model list status")
        self.status.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.status.hide()
        self.suffix_button = QToolButton(self)
        self.suffix_button.setAccessibleName("model suffixes")
        self.suffix_button.clicked.connect(self.show_suffixes)
        self.suffixes = SuffixPopup(self)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.field, 1)
        row.addWidget(self.status)
        row.addWidget(self.suffix_button)

        self.completer.activated.connect(self._picked)
        self.field.textEdited.connect(self.show_list)
        self.field.textChanged.connect(self._edited)
        self.field.editingFinished.connect(self._absorb)
        self.field.installEventFilter(self)
        self.suffixes.changed.connect(self._edited)
        self._refresh()

    # --- API ----------------------------------------------------------------------------

    def set_model_list(self, listing: ModelList, *, key_missing_for: str | None = None
                       ) -> None:
        """List `listing`'s models and say truly where they come from. `key_missing_for` is
        the label of a connection that needs an API key to list its models and has none."""
        self._models = list(listing.models)
        self._by_id = {info.id: info for info in self._models}
        self.source.removeRows(0, self.source.rowCount())
        for info in self._models:
            cells = [QStandardItem(text) for text in
                     (info.id, info.name or "", context_text(info.context_length),
                      price_text(info))]
            cells[CONTEXT].setTextAlignment(Qt.AlignmentFlag.AlignRight
                                            | Qt.AlignmentFlag.AlignVCenter)
            for cell in cells:
                cell.setToolTip(info_tip(info))
                cell.setEditable(False)
            self.source.appendRow(cells)
        self._size_columns()
        self._show_status(list_status(listing, key_missing_for))
        self._refresh()

    def models(self) -> list[ModelInfo]:
        return list(self._models)

    def set_placeholder(self, text: str) -> None:
        """What an empty field stands for: the connection's default model."""
        self.field.setPlaceholderText(text)

    def set_model_text(self, text: str) -> None:
        """Show a full model id: the base in the field, its suffixes in the toggles. Text
        that does not parse is kept as written (and reported by `model_id`)."""
        try:
            model = ModelId.parse(text) if text.strip() else None
        except InvalidParameter:
            model = None
        blocked = self.blockSignals(True)
        self.field.setText(model.base if model else text.strip())
        self.suffixes.set_flags(model)
        self.blockSignals(blocked)
        self._edited()

    def model_id(self) -> ModelId | None:
        """The composed model, None when the field is empty; raises InvalidParameter."""
        text = self.field.text().strip()
        return self.suffixes.merged(ModelId.parse(text)) if text else None

    def model_text(self) -> str:
        """The composed id, "" when the field is empty; raises InvalidParameter."""
        model = self.model_id()
        return model.compose() if model else ""

    def error(self) -> str | None:
        try:
            self.model_id()
        except InvalidParameter as exc:
            return exc.message
        return None

    def info_for(self, model: str) -> ModelInfo | None:
        """The listed model `model` names (as written, or by its base id)."""
        found = self._by_id.get(model)
        if found is None:
            try:
                found = self._by_id.get(ModelId.parse(model).base)
            except InvalidParameter:
                return None
        return found

    def selected_info(self) -> ModelInfo | None:
        """The listed model the id names (as composed, or by its base)."""
        text = self.field.text().strip()
        try:
            model = self.model_id()
        except InvalidParameter:
            return self._by_id.get(text)
        if model is None:
            return None
        return self._by_id.get(model.compose()) or self._by_id.get(model.base)

    # --- list and popup -----------------------------------------------------------------

    def show_list(self, needle: str) -> None:
        """Open the model list filtered by `needle` (all models for "")."""
        self.filter.set_needle(needle)
        if not self.filter.rowCount():
            self.list_view.hide()
            return
        width = max(self.field.width(), self._list_width())
        self.completer.complete(QRect(0, 0, width, self.field.height()))

    def show_suffixes(self) -> None:
        popup = self.suffixes
        popup.adjustSize()
        corner = self.suffix_button.mapToGlobal(QPoint(0, self.suffix_button.height()))
        screen = QGuiApplication.screenAt(corner) or QGuiApplication.primaryScreen()
        right = screen.availableGeometry().right()
        popup.move(min(corner.x(), right - popup.width()), corner.y())
        popup.show()
        popup.online.setFocus()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """A long status gives way to the model field: it is elided past its share."""
        least = self.status.minimumSizeHint().width()
        self.status.setMaximumWidth(max(least, int(event.size().width() * STATUS_SHARE)))
        super().resizeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (watched is self.field and event.type() == QEvent.Type.KeyPress
                and isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Down
                and not self.list_view.isVisible()):
            self.show_list(self.field.text())
            return True
        return super().eventFilter(watched, event)

    def _list_view(self) -> QTreeView:
        view = QTreeView()
        view.setRootIsDecorated(False)
        view.setHeaderHidden(True)
        view.setUniformRowHeights(True)
        view.setAllColumnsShowFocus(True)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        view.header().setStretchLastSection(False)
        view.header().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        view.setAccessibleName("model list")
        return view

    def _size_columns(self) -> None:
        """Fit the columns to the longest text (capped), measured once per model list."""
        view = self.list_view
        metrics = view.fontMetrics()
        padding = 3 * view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin) + 16
        for column in range(self.source.columnCount()):
            texts = (self.source.item(row, column).text()
                     for row in range(self.source.rowCount()))
            widest = max((metrics.horizontalAdvance(text) for text in texts), default=0)
            view.header().resizeSection(column, min(widest + padding, COLUMN_CAP))

    def _list_width(self) -> int:
        view = self.list_view
        scrollbar = view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
        return int(view.header().length() + scrollbar + 2 * view.frameWidth() + 2)

    def _show_status(self, status: tuple[str, str] | None) -> None:
        text, tip = status or ("", "")
        self.status.setText(text)
        self.status.setToolTip(f"<p>{html.escape(text)}</p><p>{html.escape(tip)}</p>"
                               if text else "")
        self.status.setAccessibleDescription(f"{text}. {tip}" if text else "")
        self.status.setVisible(bool(text))

    def _picked(self, text: str) -> None:
        self.field.setText(text)
        self._absorb()

    def _absorb(self) -> None:
        """Move suffixes typed into the field into the toggles."""
        try:
            model = self.model_id()
        except InvalidParameter:
            return
        if model is not None and model.base != self.field.text().strip():
            blocked = self.blockSignals(True)
            self.field.setText(model.base)
            self.suffixes.set_flags(model)
            self.blockSignals(blocked)
            self._refresh()

    def _edited(self) -> None:
        self._refresh()
        self.changed.emit()

    def _refresh(self) -> None:
        info = self.selected_info()
        mark(self.field, self.error(), info_tip(info) if info else FIELD_TIP)
        suffix = self.suffixes.suffix()
        shown = self.fontMetrics().elidedText(suffix, Qt.TextElideMode.ElideRight,
                                              BUTTON_TEXT_WIDTH)
        self.suffix_button.setText(f"{shown or 'Suffixes'} \u25be")
        self.suffix_button.setToolTip(
            f"Suffixes: <code>{suffix}</code>" if suffix else
            "Suffixes appended to the model id: web search, memory, thinking, routing.")
