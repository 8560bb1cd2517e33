"""Render the app icon's PNG sizes from its SVG with Qt's own SVG renderer (no display needed).

    .venv/bin/python packaging/render_icons.py          write resources/icons/playground-N.png
    .venv/bin/python packaging/render_icons.py --check  exit 1 if a committed PNG is out of date

Run it again after editing resources/icons/playground.svg and commit the PNGs with the SVG.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICONS = Path(__file__).resolve().parent.parent / "resources" / "icons"
SVG = ICONS / "playground.svg"
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def png_path(size: int) -> Path:
    return ICONS / f"playground-{size}.png"


def render(size: int, svg: Path = SVG) -> QImage:
    """The SVG drawn into a transparent `size`×`size` ARGB image."""
    QGuiApplication.instance() or QGuiApplication([])  # QPainter needs one for pixmaps/fonts
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    return image


def max_difference(a: QImage, b: QImage) -> int:
    """The largest per-channel difference between two images of one size (255 if sizes differ)."""
    if a.size() != b.size():
        return 255
    a = a.convertToFormat(QImage.Format.Format_RGBA8888)
    b = b.convertToFormat(QImage.Format.Format_RGBA8888)
    left, right = a.constBits().tobytes(), b.constBits().tobytes()
    return max((abs(x - y) for x, y in zip(left, right, strict=True)), default=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare the committed PNGs with a fresh render instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for size in SIZES:
        image, path = render(size), png_path(size)
        if args.check:
            if max_difference(image, QImage(str(path))) > 2:
                stale.append(path.name)
        elif not image.save(str(path)):
            print(f"render_icons: could not write {path}", file=sys.stderr)
            return 1
    if stale:
        print(f"render_icons: out of date: {', '.join(stale)}; run packaging/render_icons.py",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
