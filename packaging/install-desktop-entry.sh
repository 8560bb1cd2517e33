#!/bin/sh
# Install the desktop entry, the icons (every hicolor size and the SVG) and the AppStream
# metadata, so the app appears in the desktop's menu and software centre. Safe to run again.
#
#   sh packaging/install-desktop-entry.sh [--exec COMMAND]
#
# Installs under $PREFIX/share (default PREFIX: ~/.local, for one user; /usr/local for all).
# The menu entry runs `playground` from PATH; --exec names another command, e.g. the bundle:
#   sh packaging/install-desktop-entry.sh --exec "$PWD/dist/nanogpt-playground/nanogpt-playground"
set -eu
cd "$(dirname "$0")/.."

APP_ID=io.github.nanogpt_playground.PromptPlayground
PREFIX=${PREFIX:-$HOME/.local}
SHARE=$PREFIX/share
say() { printf '%s\n' "install-desktop-entry: $*" >&2; }

EXEC=playground
case "${1:-}" in
    --exec)
        [ $# -eq 2 ] || { say "usage: $0 [--exec COMMAND]"; exit 2; }
        case "$2" in
            *[\"\`\$\\%\&\|]*) say "the command may not contain \" \` \$ \\ % & or |"; exit 2 ;;
        esac
        EXEC="\"$2\""  # quoted as the desktop entry spec says, so spaces are fine
        ;;
    "") ;;
    *) say "usage: $0 [--exec COMMAND]"; exit 2 ;;
esac

install -d "$SHARE/applications" "$SHARE/metainfo" "$SHARE/icons/hicolor/scalable/apps"
sed "s|^Exec=.*|Exec=$EXEC|" "packaging/$APP_ID.desktop" > "$SHARE/applications/$APP_ID.desktop"
chmod 644 "$SHARE/applications/$APP_ID.desktop"
install -m 644 "packaging/$APP_ID.metainfo.xml" "$SHARE/metainfo/$APP_ID.metainfo.xml"
install -m 644 resources/icons/playground.svg "$SHARE/icons/hicolor/scalable/apps/$APP_ID.svg"
for png in resources/icons/playground-*.png; do
    size=${png##*-}
    size=${size%.png}
    install -D -m 644 "$png" "$SHARE/icons/hicolor/${size}x${size}/apps/$APP_ID.png"
done

# Refresh the desktop's caches where the tools exist; a session picks the files up anyway.
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q "$SHARE/applications" || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$SHARE/icons/hicolor/index.theme" ]; then
    gtk-update-icon-cache -q -t "$SHARE/icons/hicolor" || true
fi

case "$EXEC" in
    playground) command -v playground >/dev/null 2>&1 ||
        say "note: 'playground' is not on PATH; pass --exec with its full path, e.g. --exec \"$PWD/.venv/bin/playground\"" ;;
esac
say "installed $APP_ID under $SHARE"
