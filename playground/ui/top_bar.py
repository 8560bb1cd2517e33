"""The window's top bar: the connection, the model and Run / Stop. Part of the first frame, so
it needs only Qt: the model field is a stand-in (the draft's model, greyed) until the window has
loaded and puts the model picker in its place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

if TYPE_CHECKING:
    from playground.ui.model_picker import ModelPicker


class TopBar(QWidget):
    def __init__(self, model: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = bar = QHBoxLayout(self)
        bar.setContentsMargins(8, 6, 8, 6)
        self.connection_box = QComboBox(self)
        self.connection_box.setAccessibleName("connection")
        self.connection_box.setToolTip("Where requests go")
        # Filled once the window has loaded, after the first show that the default sizes it at.
        self.connection_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self._model_stand_in = QLineEdit(model, self)
        self._model_stand_in.setAccessibleName("model")
        self._model_stand_in.setEnabled(False)
        self.run_button = QPushButton("Run", self)
        self.run_button.setToolTip("Run the prompt (Ctrl+Enter)")
        self.run_button.setEnabled(False)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setToolTip("Stop the run, keeping the text so far (Esc)")
        self.stop_button.setEnabled(False)
        connection_label = QLabel("&Connection", self)
        connection_label.setBuddy(self.connection_box)
        self._model_label = QLabel("&Model", self)
        self._model_label.setBuddy(self._model_stand_in)
        bar.addWidget(connection_label)
        bar.addWidget(self.connection_box)
        bar.addSpacing(8)
        bar.addWidget(self._model_label)
        bar.addWidget(self._model_stand_in, 1)
        bar.addSpacing(8)
        bar.addWidget(self.run_button)
        bar.addWidget(self.stop_button)

    def put_model_picker(self, picker: ModelPicker) -> None:
        """The model picker takes the stand-in's place (same place, same size)."""
        self._layout.replaceWidget(self._model_stand_in, picker)
        self._model_stand_in.hide()
        self._model_stand_in.deleteLater()
        self._model_label.setBuddy(picker.field)
