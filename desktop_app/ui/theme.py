"""Light and dark palettes, following the system unless the user overrides it, and the
font size as a factor of the system font (no fixed pixel sizes anywhere).

Fusion with explicit palettes looks the same on every OS and lets us pick contrast that
passes WCAG AA; the system colour scheme (QStyleHints.colorScheme) decides which one.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from desktop_app.resources import resource_path

_system_font: QFont | None = None

# (window, base, alternate, text, mid, highlight, highlighted text, link, error)
# Surfaces rise in light: window < cards (alternate base) < fields and lists (base), so an
# input never has the colour of the card it sits on, in either scheme.
_LIGHT = ("#eceef2", "#ffffff", "#f7f8fa", "#1b1d21", "#b9bec8", "#2f5fb3", "#ffffff", "#1f5bb8", "#b3261e")
_DARK = ("#17191d", "#2c3037", "#212429", "#e6e7ea", "#5a606b", "#7aa7ff", "#0d1117", "#8fb8ff", "#ffb4ab")


def _palette(colours: tuple[str, ...]) -> QPalette:
    window, base, alternate, text, mid, highlight, highlighted, link, error = (QColor(c) for c in colours)
    p = QPalette()
    R = QPalette.ColorRole
    for role, colour in ((R.Window, window), (R.Base, base), (R.AlternateBase, alternate),
                         (R.WindowText, text), (R.Text, text), (R.ButtonText, text), (R.ToolTipText, text),
                         (R.Button, alternate), (R.ToolTipBase, base), (R.Mid, mid),
                         (R.Midlight, alternate), (R.Dark, mid.darker(130)), (R.Light, base),
                         (R.Shadow, QColor("#000000")), (R.Highlight, highlight),
                         (R.HighlightedText, highlighted), (R.Link, link), (R.LinkVisited, link),
                         (R.BrightText, error), (R.PlaceholderText, QColor("#a3a8b1")
                                                if window.lightness() < 128 else QColor("#5f646d"))):
        p.setColor(role, colour)
    dim = QColor(text)
    dim.setAlpha(110)
    for role in (R.WindowText, R.Text, R.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, dim)
    return p


def effective_scheme(theme: str) -> str:
    """"light" or "dark": the override, or what the system says."""
    if theme in ("light", "dark"):
        return theme
    hints = QGuiApplication.styleHints()
    return "dark" if hints.colorScheme() == Qt.ColorScheme.Dark else "light"


def apply(app: QApplication, *, theme: str, font_scale: float) -> None:
    """Style, palette, stylesheet and font size for the whole application."""
    global _system_font
    if _system_font is None:
        _system_font = QFont(app.font())
    app.setStyle("Fusion")
    scheme = effective_scheme(theme)
    app.setPalette(_palette(_DARK if scheme == "dark" else _LIGHT))
    font = QFont(_system_font)
    size = _system_font.pointSizeF() if _system_font.pointSizeF() > 0 else 10.0
    font.setPointSizeF(size * font_scale)
    app.setFont(font)
    app.setStyleSheet(resource_path("styles", "app.qss").read_text(encoding="utf-8"))
    for widget in app.allWidgets():  # after the style sheet, which re-polishes fonts
        if isinstance(widget, ScaledLabel):
            widget._refont()


class ScaledLabel(QLabel):
    """A label whose font is a multiple of the application font (headings, big numbers);
    it follows the user's font-size setting because it re-derives on every font change."""

    def __init__(self, text: str = "", *, scale: float = 1.0, bold: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self._scale, self._bold = scale, bold
        self._refont()  # explicit, so `apply` re-derives it when the text size changes

    def _refont(self, *_args: object) -> None:
        font = QFont(QApplication.font())
        font.setPointSizeF(font.pointSizeF() * self._scale)
        font.setBold(self._bold)
        self.setFont(font)


def heading(text: str, *, level: int = 1, parent: QWidget | None = None) -> ScaledLabel:
    label = ScaledLabel(text, scale={1: 1.6, 2: 1.25, 3: 1.1}.get(level, 1.0), bold=True, parent=parent)
    label.setAccessibleName(text)
    label.setWordWrap(True)
    return label


def palette_colour(widget: QWidget | QObject, role: QPalette.ColorRole) -> QColor:
    pal = widget.palette() if isinstance(widget, QWidget) else QGuiApplication.palette()
    return pal.color(role)
