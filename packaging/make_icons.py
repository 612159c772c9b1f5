"""Render the installer icons from resources/icons/app.svg with Qt (no other image tools).

Run by packaging/build.py inside the build environment: `python make_icons.py OUT_DIR`.
Writes app.png (512 px, Linux; macOS converts it to .icns) and app.ico (256 px, Windows).
The SVG is a line drawing in `currentColor`; an installer icon needs to stand on any
background, so it is drawn in white on a rounded coloured tile.
"""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
TILE = QColor("#2f6fb3")


def render(size: int) -> QImage:
    svg = (ROOT / "resources" / "icons" / "app.svg").read_text(encoding="utf-8").replace("currentColor", "#ffffff")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(TILE)
    painter.drawRoundedRect(QRectF(0, 0, size, size), size * 0.2, size * 0.2)
    margin = size * 0.16
    QSvgRenderer(QByteArray(svg.encode("utf-8"))).render(painter, QRectF(margin, margin, size - 2 * margin,
                                                                           size - 2 * margin))
    painter.end()
    return image


def main(out_dir: Path) -> int:
    app = QGuiApplication.instance() or QGuiApplication(["make_icons", "-platform", "offscreen"])
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [render(512).save(str(out_dir / "app.png")), render(256).save(str(out_dir / "app.ico"))]
    del app
    if not all(written):
        print("make_icons: Qt could not write app.png/app.ico", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
