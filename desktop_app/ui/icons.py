"""Icons from resources/icons/*.svg, drawn in the palette's text colour (light and dark).

The SVGs use `currentColor`; Qt's SVG renderer does not know it, so the colour is put in
before rendering. Pixmaps are cached per (name, colour, size).
"""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from desktop_app.resources import resource_path

_SIZES = (16, 20, 24, 32, 48)


@lru_cache(maxsize=None)
def _svg(name: str) -> str:
    return resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")


@lru_cache(maxsize=512)
def _pixmap(name: str, colour: str, size: int, ratio: float) -> QPixmap:
    renderer = QSvgRenderer(QByteArray(_svg(name).replace("currentColor", colour).encode("utf-8")))
    pixmap = QPixmap(QSize(round(size * ratio), round(size * ratio)))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, pixmap.width(), pixmap.height()))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def icon(name: str, colour: QColor | str | None = None) -> QIcon:
    """The icon `name`, in `colour` (default: the current palette's window text)."""
    palette = QGuiApplication.palette()
    normal = QColor(colour) if colour is not None else palette.color(QPalette.ColorRole.WindowText)
    disabled = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText)
    ratio = QGuiApplication.primaryScreen().devicePixelRatio() if QGuiApplication.primaryScreen() else 1.0
    result = QIcon()
    for size in _SIZES:
        result.addPixmap(_pixmap(name, normal.name(), size, ratio), QIcon.Mode.Normal)
        result.addPixmap(_pixmap(name, disabled.name(), size, ratio), QIcon.Mode.Disabled)
    return result
