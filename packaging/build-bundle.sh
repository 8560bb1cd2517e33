#!/bin/sh
# Build the one-folder bundle dist/nanogpt-playground/ with PyInstaller; safe to run again.
#
#   sh packaging/build-bundle.sh
#
# Needs the project's .venv (made by `sh packaging/bootstrap.sh app` or `... test`); installs
# PyInstaller into it from PyPI when missing. The bundle runs without Python on the target
# machine (same CPU architecture, glibc no older than this machine's); copy the whole folder.
# Prints the path of the bundle's executable.
set -eu
cd "$(dirname "$0")/.."

PY=.venv/bin/python
NAME=nanogpt-playground
say() { printf '%s\n' "build-bundle: $*" >&2; }

if [ ! -x "$PY" ]; then
    say "no .venv here; run 'sh packaging/bootstrap.sh test' once to create it"
    exit 1
fi
if ! "$PY" -c 'import PyInstaller' >/dev/null 2>&1; then
    say "installing PyInstaller into .venv"
    "$PY" -m pip install --quiet --disable-pip-version-check 'pyinstaller>=6.11,<7'
fi

started=$(date +%s)
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath dist --workpath build/pyinstaller packaging/playground.spec
# Some Python builds (pyenv's, for one) leave debug info in libpython and its extension
# modules: ~30 MB. Strip only that, and only from files that have it: a full strip breaks the
# auditwheel-patched libraries that wheels vendor (numpy.libs/).
if command -v strip >/dev/null 2>&1; then
    find "dist/$NAME" -type f -name '*.so*' | while read -r lib; do
        if readelf -S "$lib" 2>/dev/null | grep -q '[.]debug_info'; then
            strip --strip-debug "$lib"
        fi
    done
fi
say "built dist/$NAME/ ($(du -sh "dist/$NAME" | cut -f1)) in $(( $(date +%s) - started )) s"
printf '%s\n' "$PWD/dist/$NAME/$NAME"
