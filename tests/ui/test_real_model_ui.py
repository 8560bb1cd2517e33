"""The window and the real model: it says when the real model is not installed and how to
install it, and File → Open Model File… serves a GGUF file on the local engine."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from playground.core import local_models
from playground.core.connections import Connection, ConnectionStore
from playground.ui.main_window import MainWindow
from playground.ui.model_file import free_name
from tests.engine.test_gguf_file import gguf_bytes
from tests.gui import next_emission, use

pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot) -> MainWindow:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    return window


def test_the_local_engine_says_when_the_real_model_is_missing_and_how(
        window: MainWindow, qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_models, "smollm2_path", lambda: None)
    use(window, "local", "local/stdlib")
    window.front.connection_changed()
    hint = window.top.real_model_hint
    assert hint.isVisible() and "not installed" in hint.text()
    hint.linkActivated.emit("how")
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.isVisible())
    assert local_models.INSTALL_HINT in box.informativeText()
    box.close()
    use(window, "nanogpt", "x")
    assert not hint.isVisible()  # only the local engine has it
    monkeypatch.setattr(local_models, "smollm2_path", lambda: Path("/installed.gguf"))
    use(window, "local", "local/stdlib")
    assert not hint.isVisible()


def test_open_model_file_serves_a_gguf_on_the_local_engine(
        window: MainWindow, qtbot, tmp_path: Path) -> None:
    use(window, "nanogpt", "x")
    window.dialogs.open_model_file()
    chooser = next(w for w in QApplication.topLevelWidgets()
                   if isinstance(w, QFileDialog) and w.objectName() == "openModelFile")
    assert chooser.isVisible() and "GGUF models (*.gguf)" in chooser.nameFilters()
    path = tmp_path / "My Model Q4.gguf"
    path.write_bytes(gguf_bytes(context=4096))
    chooser.fileSelected.emit(str(path))
    assert local_models.added_gguf() == {"My-Model-Q4": path.resolve()}
    assert window.connection_box.currentData() == "local"
    assert window.model_text() == "local/My-Model-Q4"
    assert "a context of 4096 tokens" in window.status.currentMessage()
    chooser.close()


def test_a_file_that_is_no_model_is_refused_naming_it(window: MainWindow,
                                                      tmp_path: Path) -> None:
    window.dialogs.open_model_file()
    notes = tmp_path / "notes.gguf"
    notes.write_text("not a model")
    window.dialogs._model_files.add(str(notes))
    assert window.error_label.isVisible()
    assert str(notes) in window.error_label.text()
    assert "not a GGUF file" in window.error_label.text()
    assert local_models.added_gguf() == {}


def test_a_model_name_comes_from_the_file_and_is_never_taken_twice(tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "tiny.gguf", tmp_path / "b" / "tiny.gguf"
    for path in (first, second):
        path.parent.mkdir()
        path.write_bytes(gguf_bytes())
    assert free_name(first) == "tiny"
    local_models.add_gguf(first, free_name(first))
    assert free_name(first) == "tiny"  # the same file again: its own name
    assert free_name(second) == "tiny-2"
    assert free_name(tmp_path / "stdlib.gguf") == "stdlib-2"
    assert free_name(tmp_path / "..gguf") == "model"


def test_the_lab_says_why_it_has_nothing_to_show(window: MainWindow, fault_server,
                                                 qloop) -> None:
    """No run yet: run one on the local engine. A run on another server: the lab replays
    only the local engine's, and says where the run on screen went."""
    ConnectionStore().add(Connection(name="elsewhere", base_url=fault_server.url("ok")))
    window.reload_connections()

    async def body() -> None:
        await window.start_services()
        window.lab_action.trigger()
        await window.jobs._tasks["lab"]
        lab = window.dialogs.get("lab")
        lab.redraw()
        assert lab.error.text().startswith("Run a prompt on the local engine")
        use(window, "elsewhere")
        window.prompt_edit.setPlainText("Hi")
        assert window.intents.run()
        await next_emission(window.run_finished)
        window.lab_action.trigger()
        await window.jobs._tasks["lab"]
        lab.redraw()
        assert "went to elsewhere" in lab.error.text()

    try:
        qloop.run_until_complete(body())
    finally:
        qloop.run_until_complete(window.shutdown())
