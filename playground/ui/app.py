"""The qasync bootstrap: one Qt application, one asyncio loop, the main window.

The window's frame is shown and painted before asyncio, qasync and the heavier modules are
imported: the window is on screen in about the time a bare PySide6 window takes, and then
finishes loading (see `MainWindow.load`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from playground import __version__

ORGANIZATION = "NanoGPT Playground"
APPLICATION = "NanoGPT Prompt Playground"
SCREENSHOT_SIZE = (1280, 800)
APP_ID = "io.github.nanogpt_playground.PromptPlayground"
#: How long --screenshot --run waits for the run before giving up.
SCREENSHOT_RUN_TIMEOUT_S = 300
#: The longest wait for the first frame before loading the rest anyway (a window that is
#: never exposed, e.g. on a hidden workspace, is never painted).
FIRST_FRAME_TIMEOUT_MS = 500


def use_settings_home() -> None:
    """With $PLAYGROUND_HOME set, window settings live there too (as an INI file), so that
    one folder holds everything the app writes."""
    from PySide6.QtCore import QSettings

    from playground.core.paths import config_dir

    if os.environ.get("PLAYGROUND_HOME"):
        QSettings.setDefaultFormat(QSettings.Format.IniFormat)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                          str(config_dir()))


def _has_display() -> bool:
    if sys.platform != "linux" or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def run_gui(*, screenshot: str | None = None, prompt: str | None = None,
            run: bool = False) -> int:
    """Open the window; with `screenshot`, save a PNG of it and exit (offscreen if needed)."""
    if not _has_display():
        if screenshot is None:
            print("playground: no display found (DISPLAY and WAYLAND_DISPLAY are unset).\n"
                  "  Run it in a desktop session, under Xvfb (xvfb-run playground), or take a\n"
                  "  screenshot headless: playground --screenshot window.png",
                  file=sys.stderr)
            return 1
        os.environ["QT_QPA_PLATFORM"] = "offscreen"

    from PySide6.QtWidgets import QApplication

    from playground.ui.main_window import MainWindow
    from playground.ui.theme import STYLE_ARGS, apply_appearance

    fresh = QApplication.instance() is None
    app = QApplication.instance() or QApplication([*sys.argv[:1], *STYLE_ARGS])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    use_settings_home()
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    appearance = apply_appearance(app, fresh=fresh)
    window = MainWindow(deferred=True)
    window.set_text_font(appearance.font())
    if screenshot is not None:
        window.resize(*SCREENSHOT_SIZE)  # the same picture whatever the last session left
    if prompt is not None:
        window.prompt_edit.setPlainText(prompt)
    window.show()
    _paint_first_frame(window)
    if not window.isVisible():  # closed at once (the draft was saved on closing)
        return 0
    from PySide6.QtGui import QIcon  # after the first frame: QIcon's enums cost ~7 ms

    from playground.core.paths import resource_dir

    icon = resource_dir() / "icons" / "playground.svg"
    app.setWindowIcon(QIcon.fromTheme(APP_ID, QIcon(str(icon))))

    import asyncio

    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    # qasync does not install asyncio's async-generator hooks; without them a closed httpx
    # stream warns "async generator ignored GeneratorExit".
    sys.set_asyncgen_hooks(firstiter=loop._asyncgen_firstiter_hook,
                           finalizer=loop._asyncgen_finalizer_hook)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)

    async def main() -> int:
        await window.load()
        await window.start_services()
        freeze_start_up_objects()
        if screenshot is None:
            await closed.wait()
            return 0
        if run:
            done = asyncio.get_running_loop().create_future()
            window.run_finished.connect(lambda result: done.done() or done.set_result(result))
            if not window.intents.run():
                print(f"playground: the run was refused: {window.error_label.text()}",
                      file=sys.stderr)
                return 1
            try:
                await asyncio.wait_for(done, SCREENSHOT_RUN_TIMEOUT_S)
            except TimeoutError:
                print("playground: the run did not finish in time", file=sys.stderr)
                return 1
        await asyncio.sleep(0.1)  # let the last frame paint
        path = Path(screenshot)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(path)):
            print(f"playground: could not save {path}", file=sys.stderr)
            return 1
        return 0

    with loop:
        try:
            code = loop.run_until_complete(main())
        except RuntimeError:
            if not closed.is_set():
                raise
            code = 0  # the window was closed before it finished loading
        finally:
            loop.run_until_complete(window.shutdown())
            window.close()
    return code


def freeze_start_up_objects() -> None:
    """Take what start-up built (modules, classes, Qt wrappers, the catalog: ~70k objects, all
    living as long as the app) out of the cyclic garbage collector's scans. Python runs a full
    collection by itself now and then, mid-stream too, and one that scans them all holds the
    window for ~40 ms, two and a half frames; frozen, they cost it nothing."""
    import gc

    gc.collect()  # start-up's own garbage goes first; what is frozen is never collected
    gc.freeze()


def _paint_first_frame(window: Any) -> None:
    """Run Qt's own event loop until `window` has painted its first frame. No asyncio loop
    exists yet, so this short local loop nests in nothing."""
    from PySide6.QtCore import QEventLoop, QTimer

    waiting = QEventLoop()
    window.first_frame.connect(waiting.quit)
    QTimer.singleShot(FIRST_FRAME_TIMEOUT_MS, waiting, waiting.quit)
    waiting.exec()
