"""Icons from resources/icons/*.svg, drawn in the palette's text colour (light and dark).

The SVGs use `currentColor`; Qt's SVG renderer does not know it, so the colour is put in
before rendering. The colour is read when the icon is *drawn*, not when it is made: a
theme switch while the app is open repaints every button and list item in the new colour
(an icon that baked the colour in at creation stayed black on dark until a restart).
A QLabel keeps a pixmap, not an icon: `IconLabel` renders it again when the palette, the
style or the font changes. Pixmaps are cached per (name, colour, size, ratio).
"""
from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QEvent, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QLabel, QWidget

from desktop_app.resources import resource_path


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


class _SvgEngine(QIconEngine):
    """Renders `name` at the size asked, in `colour` or else the application palette's text
    colour of the moment (the disabled text colour for a disabled widget, the highlighted
    text colour on a selected list entry)."""

    def __init__(self, name: str, colour: str | None) -> None:
        super().__init__()
        self._name, self._colour = name, colour

    def _colour_for(self, mode: QIcon.Mode) -> str:
        palette = QGuiApplication.palette()
        if mode == QIcon.Mode.Disabled:
            return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText).name()
        if mode == QIcon.Mode.Selected:  # drawn on the highlight, like the selected entry's text
            return palette.color(QPalette.ColorRole.HighlightedText).name()
        return self._colour or palette.color(QPalette.ColorRole.WindowText).name()

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:  # noqa: N802
        side = max(1, min(size.width(), size.height()))
        return _pixmap(self._name, self._colour_for(mode), side, scale)

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        ratio = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, ratio))

    def clone(self) -> QIconEngine:
        return _SvgEngine(self._name, self._colour)


def icon(name: str, colour: QColor | str | None = None) -> QIcon:
    """The icon `name`, in `colour` (default: the palette's window text when it is drawn)."""
    return QIcon(_SvgEngine(name, QColor(colour).name() if colour is not None else None))


class IconLabel(QLabel):
    """A label showing an icon one text line high (of `size_from`'s font, default its own),
    drawn again whenever the palette, style or font changes."""

    _REDRAW = frozenset({QEvent.Type.PaletteChange, QEvent.Type.FontChange, QEvent.Type.StyleChange})

    def __init__(self, name: str = "", *, size_from: QWidget | None = None, extra: int = 0,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._name, self._size_from, self._extra = name, size_from, extra
        self._render()

    @property
    def name(self) -> str:
        return self._name

    def set_icon(self, name: str) -> None:
        self._name = name
        self._render()

    def _render(self) -> None:
        if not self._name:
            self.clear()
            return
        side = (self._size_from or self).fontMetrics().height() + self._extra
        self.setPixmap(icon(self._name).pixmap(QSize(side, side), self.devicePixelRatioF()))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() in self._REDRAW:
            self._render()
