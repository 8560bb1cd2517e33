"""The window's menu actions, declared once: text, shortcuts, slot, menu, tip and when each
is enabled. The menus, the actions' shortcuts and Help → Keyboard Shortcuts all come from
`ACTIONS`, so a new action is one row and the F1 list cannot drift from the menus."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from PySide6.QtGui import QAction, QKeySequence

if TYPE_CHECKING:
    from collections.abc import Callable

    from PySide6.QtWidgets import QMainWindow, QMenu

#: When an action can be used: from the first frame; once `MainWindow.load()` has built what
#: it acts on; or once there is a run to undo (the run controller says when).
Enabled = Literal["always", "loaded", "undoable"]


@dataclass(frozen=True)
class ActionSpec:
    text: str  # with its mnemonic (&)
    #: The window's method it calls, or one of an object the window holds ("session.close"),
    #: looked up when triggered (the object may be made after the menus).
    slot: str
    menu: str  # the menu bar's menu it is in (menus appear in the order of first use)
    keys: tuple[str, ...] = ()  # in portable text; the first is the one shown
    #: The platform's own keys for it, which come before `keys`.
    standard: QKeySequence.StandardKey | None = None
    tip: str | None = None
    enabled: Enabled = "loaded"
    attribute: str | None = None  # the window's attribute that holds it, if any
    separator_before: bool = False
    checkable: bool = False

    @property
    def label(self) -> str:
        """Its name in the list of shortcuts."""
        return self.text.replace("&", "").rstrip("…")

    def shortcuts(self) -> list[QKeySequence]:
        """Its key sequences (the platform's own first), without repeats. Needs a
        QGuiApplication for the platform's keys."""
        sequences = [QKeySequence(key) for key in self.keys]
        if self.standard is not None:
            sequences = [*QKeySequence.keyBindings(self.standard), *sequences]
        return list(dict.fromkeys(sequences))


_FILE, _TABS, _PROMPT, _RUN, _HELP = "&File", "&Tabs", "&Prompt", "&Run", "&Help"

ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("&Open…", "dialogs.open_documents", _FILE, ("Ctrl+O",),
               tip="Every document: search by name and text, open, export, delete"),
    ActionSpec("Open &Model File…", "dialogs.open_model_file", _FILE,
               tip="Run a GGUF model file on the local engine (llama.cpp)"),
    ActionSpec("&Settings…", "dialogs.open_settings", _FILE, ("Ctrl+,",),
               QKeySequence.StandardKey.Preferences, attribute="settings_action",
               separator_before=True),
    ActionSpec("&Quit", "close", _FILE, ("Ctrl+Q",), QKeySequence.StandardKey.Quit,
               enabled="always", separator_before=True),
    ActionSpec("&New Tab", "new_tab", _TABS, ("Ctrl+T",),
               tip="A new, empty document on this tab's connection and model"),
    ActionSpec("C&lone Tab", "session.clone", _TABS, ("Ctrl+Shift+D",),
               tip="A copy of this tab's document with its settings"),
    ActionSpec("Re&name Tab", "tabs.start_rename", _TABS, ("F2",),
               tip="Rename this tab's document (or double-click its tab)"),
    ActionSpec("&Close Tab", "session.close", _TABS, ("Ctrl+W", "Ctrl+F4"),
               tip="Close the tab, keeping its document; a run still going is stopped"),
    ActionSpec("&Reopen Closed Tab", "session.reopen", _TABS, ("Ctrl+Shift+T",)),
    ActionSpec("Note&book Mode", "intents.toggle_notebook", _TABS, ("Ctrl+Shift+B",),
               tip="One editor for prompt and completions, written in place, with versions",
               attribute="notebook_action", checkable=True, separator_before=True),
    ActionSpec("Ne&xt Tab", "tabs.next", _TABS, ("Ctrl+PgDown", "Ctrl+Tab"),
               tip="Also Ctrl+Tab", separator_before=True),
    ActionSpec("&Previous Tab", "tabs.previous", _TABS,
               ("Ctrl+PgUp", "Ctrl+Shift+Backtab", "Ctrl+Shift+Tab"), tip="Also Ctrl+Shift+Tab"),
    ActionSpec("Insert &System Turn", "turns.insert_system", _PROMPT, ("Ctrl+Alt+S",),
               tip="A system turn in the template's format at the cursor"),
    ActionSpec("Insert &User Turn", "turns.insert_user", _PROMPT, ("Ctrl+Alt+U",),
               tip="A user turn in the template's format at the cursor"),
    ActionSpec("Insert &Assistant Turn", "turns.insert_assistant", _PROMPT, ("Ctrl+Alt+A",),
               tip="An assistant turn (an example answer) at the cursor"),
    ActionSpec("&Wrap Selection as User Turn", "turns.wrap_user", _PROMPT, ("Ctrl+Alt+W",),
               tip="The selected text becomes a user turn"),
    ActionSpec("Start the Assistant's &Turn", "turns.start_assistant", _PROMPT,
               ("Ctrl+Alt+Return", "Ctrl+Alt+Enter"),
               tip="The assistant's opening at the end of the prompt: Run writes its answer"),
    ActionSpec("Show Prompt as T&okens", "tokens.toggle", _PROMPT, ("Ctrl+Alt+K",),
               tip="The prompt cut into its tokens: ids on hover, a click bans or biases one",
               attribute="tokens_action", checkable=True, separator_before=True),
    ActionSpec("Make This Template the Model's &Default", "turns.set_model_default", _PROMPT,
               tip="Suggest this tab's template whenever this model is chosen",
               separator_before=True),
    ActionSpec("&Import SillyTavern Template…", "turns.import_template", _PROMPT,
               tip="An instruct template from SillyTavern (JSON), with a report of what "
                   "mapped"),
    ActionSpec("&Run", "intents.run", _RUN, ("Ctrl+Return", "Ctrl+Enter"), attribute="run_action"),
    ActionSpec("&Stop", "intents.stop", _RUN, ("Esc",), attribute="stop_action"),
    ActionSpec("&Continue", "intents.continue_run", _RUN, ("Ctrl+Shift+Return", "Ctrl+Shift+Enter"),
               tip="Append the output to the prompt and run again",
               attribute="continue_action"),
    ActionSpec("Re&generate", "intents.regenerate", _RUN, ("Ctrl+R",),
               tip="Write the last completion again, keeping the earlier versions",
               attribute="regenerate_action"),
    ActionSpec("Pre&vious Version", "intents.previous_swipe", _RUN, ("Alt+Left",),
               tip="In notebook mode: the last completion's previous version"),
    ActionSpec("Ne&xt Version", "intents.next_swipe", _RUN, ("Alt+Right",),
               tip="In notebook mode: the last completion's next version"),
    ActionSpec("&Undo Last Run", "intents.undo_run", _RUN, ("Ctrl+Shift+Z",),
               tip="Restore the prompt and output from before the last run",
               enabled="undoable", attribute="undo_action"),
    ActionSpec("&Neutralize Samplers", "params.neutralize", _RUN, ("Ctrl+Shift+N",),
               attribute="neutralize_action", separator_before=True),
    ActionSpec("Request &Preview…", "dialogs.open_preview", _RUN, ("Ctrl+Shift+P",),
               attribute="preview_action"),
    ActionSpec("Co&mpare…", "dialogs.open_compare", _RUN, ("Ctrl+K",),
               tip="Run one prompt under several settings side by side",
               attribute="compare_action"),
    ActionSpec("S&weep…", "dialogs.open_sweep", _RUN, ("Ctrl+Shift+K",),
               tip="Run a grid of settings × seeds and plot a measure over it",
               attribute="sweep_action"),
    ActionSpec("&History…", "dialogs.open_history", _RUN, ("Ctrl+H",),
               tip="Every run: search, restore, run again, export", attribute="history_action"),
    ActionSpec("Sampler &Lab…", "dialogs.open_lab", _RUN, ("Ctrl+L",),
               tip="See what each sampler stage did to one step of the last completion",
               attribute="lab_action"),
    ActionSpec("&Keyboard Shortcuts", "dialogs.open_shortcuts", _HELP, ("F1",),
               QKeySequence.StandardKey.HelpContents, enabled="always"),
    ActionSpec("&About", "dialogs.open_about", _HELP, enabled="always"),
)

#: Keys that are the editors' own, not actions', listed with the actions' in Help.
EDITOR_SHORTCUTS: tuple[tuple[str, QKeySequence.StandardKey | str], ...] = (
    ("Copy output selection", QKeySequence.StandardKey.Copy),
    ("Undo typing in the prompt", QKeySequence.StandardKey.Undo),
    ("Redo typing in the prompt", "Ctrl+Y"),
)


def build_menus(window: QMainWindow,
                table: tuple[ActionSpec, ...] = ACTIONS) -> dict[ActionSpec, QAction]:
    """Create `table`'s actions on `window` (its shortcuts work anywhere in it), each in its
    menu and, if it names one, in its attribute; disabled unless enabled "always"."""
    menus: dict[str, QMenu] = {}
    made: dict[ActionSpec, QAction] = {}
    for spec in table:
        menu = menus.get(spec.menu)
        if menu is None:
            menu = menus[spec.menu] = window.menuBar().addMenu(spec.menu)
        if spec.separator_before:
            menu.addSeparator()
        action = QAction(spec.text, window)
        action.setShortcuts(spec.shortcuts())
        if spec.tip:
            action.setStatusTip(spec.tip)
            action.setToolTip(spec.tip)
        action.setCheckable(spec.checkable)
        action.triggered.connect(_caller(window, spec.slot))
        action.setEnabled(spec.enabled == "always")
        menu.addAction(action)
        window.addAction(action)
        if spec.attribute:
            setattr(window, spec.attribute, action)
        made[spec] = action
    return made


def _caller(window: QMainWindow, slot: str) -> Callable[..., object]:
    """Calls `slot` of `window` (a dotted path) when triggered; a checkable action's state is
    passed on to a method that takes it."""
    def call(*args: object) -> object:
        target: object = window
        for name in slot.split("."):
            target = getattr(target, name)
        assert callable(target)
        return target(*args[:_arity(target)])

    return call


def _arity(method: Callable[..., object]) -> int:
    import inspect

    try:
        parameters = inspect.signature(method).parameters.values()
    except ValueError:  # a Qt method (QWidget.close): it takes nothing from a trigger
        return 0
    return sum(1 for p in parameters if p.default is inspect.Parameter.empty
               and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))


def shortcuts(table: tuple[ActionSpec, ...] = ACTIONS) -> list[tuple[str, QKeySequence]]:
    """Every keyboard shortcut, for Help → Keyboard Shortcuts: each action's first key, then
    the editors' own."""
    rows = [(spec.label, keys[0]) for spec in table if (keys := spec.shortcuts())]
    return [*rows, *((label, QKeySequence(key)) for label, key in EDITOR_SHORTCUTS)]
