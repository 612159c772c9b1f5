"""Light and dark palettes, following the system unless the user overrides it, and the
font size as a factor of the system font (no fixed pixel sizes anywhere).

Fusion with explicit palettes looks the same on every OS and lets us pick contrast that
passes WCAG AA; the system colour scheme (QStyleHints.colorScheme) decides which one.
Fusion draws radio buttons, check boxes and sliders in shades of the window colour (near
invisible on a dark card) at a fixed 14 px, so `_ControlStyle` draws those from the palette
and sizes them from the font. A style sheet cannot: styling an indicator drops the check
mark (it wants an image file per colour) and styling a slider groove drops the tick marks.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QGuiApplication, QPainter, QPainterPath, QPalette, QPen
from PySide6.QtWidgets import (
    QApplication, QLabel, QProxyStyle, QSlider, QStyle, QStyleOption,
    QStyleOptionSlider, QWidget,
)

from desktop_app.resources import resource_path

_system_font: QFont | None = None
_style: QProxyStyle | None = None  # made once; the application owns it

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
    global _system_font, _style
    if _system_font is None:
        _system_font = QFont(app.font())
    if _style is None:  # once: it reads the palette and the font each time it draws
        _style = _ControlStyle()
        app.setStyle(_style)
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


def outline(palette: QPalette, *, enabled: bool = True) -> QColor:
    """The edge of an unchecked control: 60% text over the window colour, at least 4:1
    against the window, cards and fields in both palettes (WCAG non-text contrast is 3:1)."""
    if not enabled:
        return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    text, window = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Window)
    return QColor.fromRgbF(*(0.6 * a + 0.4 * b for a, b in zip(text.getRgbF()[:3], window.getRgbF()[:3])))


class _ControlStyle(QProxyStyle):
    """Fusion, with radio buttons, check boxes (also in lists and trees) and horizontal
    sliders one text line high and drawn from the palette: an outline that stands out from
    any surface, the accent (highlight) when on, highlighted text for the mark."""

    _ONE_LINE = frozenset({QStyle.PixelMetric.PM_IndicatorWidth, QStyle.PixelMetric.PM_IndicatorHeight,
                             QStyle.PixelMetric.PM_ExclusiveIndicatorWidth,
                             QStyle.PixelMetric.PM_ExclusiveIndicatorHeight,
                             QStyle.PixelMetric.PM_SliderLength, QStyle.PixelMetric.PM_SliderThickness})

    def __init__(self) -> None:
        super().__init__("Fusion")

    @staticmethod
    def _line(option: QStyleOption | None, widget: QWidget | None) -> int:
        if option is not None:
            return option.fontMetrics.height()
        return (widget.fontMetrics() if widget is not None else QFontMetrics(QApplication.font())).height()

    def pixelMetric(self, metric: QStyle.PixelMetric, option: QStyleOption | None = None,  # noqa: N802
                    widget: QWidget | None = None) -> int:
        if metric in self._ONE_LINE:
            return self._line(option, widget)
        if metric == QStyle.PixelMetric.PM_SliderTickmarkOffset:
            return 2  # half of QSlider's fixed 5 px for ticks: the handle stays inside the slider
        return super().pixelMetric(metric, option, widget)

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption, painter: QPainter,  # noqa: N802
                      widget: QWidget | None = None) -> None:
        P = QStyle.PrimitiveElement
        if element in (P.PE_IndicatorCheckBox, P.PE_IndicatorItemViewItemCheck, P.PE_IndicatorRadioButton):
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            _indicator(option, painter, radio=element == P.PE_IndicatorRadioButton)
            painter.restore()
            return
        super().drawPrimitive(element, option, painter, widget)

    def drawComplexControl(self, control: QStyle.ComplexControl, option: QStyleOption,  # noqa: N802
                           painter: QPainter, widget: QWidget | None = None) -> None:
        if (control == QStyle.ComplexControl.CC_Slider and isinstance(option, QStyleOptionSlider)
                and option.orientation == Qt.Orientation.Horizontal):
            painter.save()
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._slider(option, painter, widget)
            painter.restore()
            return
        super().drawComplexControl(control, option, painter, widget)

    def _slider(self, option: QStyleOptionSlider, painter: QPainter, widget: QWidget | None) -> None:
        S, State = QStyle.SubControl, QStyle.StateFlag
        pal, enabled = option.palette, bool(option.state & State.State_Enabled)
        groove = self.subControlRect(QStyle.ComplexControl.CC_Slider, option, S.SC_SliderGroove, widget)
        handle = self.subControlRect(QStyle.ComplexControl.CC_Slider, option, S.SC_SliderHandle, widget)
        edge, accent = outline(pal, enabled=enabled), _accent(pal, enabled=enabled)
        width = max(1.0, round(handle.height() / 9))
        bar = max(4.0, round(handle.height() / 3))
        track = QRectF(groove.left() + width, handle.center().y() + 0.5 - bar / 2, groove.width() - 2 * width, bar)
        painter.setPen(QPen(edge, width))
        painter.setBrush(pal.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(track, bar / 2, bar / 2)
        done = QRectF(track)  # from the minimum's end to the handle
        if option.upsideDown:
            done.setLeft(handle.center().x())
        else:
            done.setRight(handle.center().x())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(accent)
        painter.drawRoundedRect(done, bar / 2, bar / 2)
        if option.tickPosition != QSlider.TickPosition.NoTicks:
            self._ticks(option, painter, groove=groove, handle=handle, colour=edge, width=width)
        side = min(handle.width(), handle.height()) - width
        knob = QRectF(0, 0, side, side)
        knob.moveCenter(QRectF(handle).center())
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Base), width))
        painter.setBrush(accent)
        painter.drawEllipse(knob)
        if option.state & State.State_HasFocus:  # a ring in the text colour, outside the knob
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Text), width))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(knob.adjusted(-width / 2, -width / 2, width / 2, width / 2))

    @staticmethod
    def _ticks(option: QStyleOptionSlider, painter: QPainter, *, groove: QRect, handle: QRect, colour: QColor,
               width: float) -> None:
        Ticks = QSlider.TickPosition
        interval = option.tickInterval or option.singleStep or option.pageStep or 1
        available = groove.width() - handle.width()
        room = (option.rect.bottom() - handle.bottom() if option.tickPosition == Ticks.TicksBelow
                else handle.top() - option.rect.top() if option.tickPosition == Ticks.TicksAbove
                else min(handle.top() - option.rect.top(), option.rect.bottom() - handle.bottom()))
        length = max(2, min(handle.height() // 3, room - 1))
        painter.setPen(QPen(colour, width))
        for value in range(option.minimum, option.maximum + 1, interval):
            x = groove.left() + handle.width() / 2 + QStyle.sliderPositionFromValue(
                option.minimum, option.maximum, value, available, option.upsideDown)
            if option.tickPosition in (Ticks.TicksAbove, Ticks.TicksBothSides):
                painter.drawLine(QPointF(x, handle.top() - 1), QPointF(x, handle.top() - 1 - length))
            if option.tickPosition in (Ticks.TicksBelow, Ticks.TicksBothSides):
                painter.drawLine(QPointF(x, handle.bottom() + 1), QPointF(x, handle.bottom() + 1 + length))


def _accent(palette: QPalette, *, enabled: bool) -> QColor:
    return palette.color(QPalette.ColorRole.Highlight) if enabled else outline(palette, enabled=False)


def _indicator(option: QStyleOption, painter: QPainter, *, radio: bool) -> None:
    """An outlined box or circle on the field colour; filled with the accent when on, with a
    tick, a bar (partly on) or a dot in the highlighted-text colour."""
    State = QStyle.StateFlag
    pal, enabled = option.palette, bool(option.state & State.State_Enabled)
    on, partly = bool(option.state & State.State_On), bool(option.state & State.State_NoChange)
    side = min(option.rect.width(), option.rect.height())
    width = max(1.0, round(side / 9))
    box = QRectF(0, 0, side - width, side - width)
    box.moveCenter(QRectF(option.rect).center())
    focused = option.state & State.State_HasFocus and option.state & State.State_KeyboardFocusChange
    edge = _accent(pal, enabled=enabled) if on or partly or focused else outline(pal, enabled=enabled)
    painter.setPen(QPen(edge, width))
    painter.setBrush(_accent(pal, enabled=enabled) if on or partly else pal.color(QPalette.ColorRole.Base))
    if radio:
        painter.drawEllipse(box)
    else:
        painter.drawRoundedRect(box, side / 6, side / 6)
    if not (on or partly):
        return
    ink = pal.color(QPalette.ColorRole.HighlightedText)
    x, y, s = box.x(), box.y(), box.width()
    if radio:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(ink)
        painter.drawEllipse(box.center(), s * 0.18, s * 0.18)
        return
    pen = QPen(ink, max(1.5, s / 7))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if partly:
        painter.drawLine(QPointF(x + s * 0.25, y + s / 2), QPointF(x + s * 0.75, y + s / 2))
        return
    tick = QPainterPath(QPointF(x + s * 0.24, y + s * 0.52))
    tick.lineTo(x + s * 0.43, y + s * 0.71)
    tick.lineTo(x + s * 0.77, y + s * 0.31)
    painter.drawPath(tick)
