"""A visible keyboard focus: a blue ring around the focused button, box or field.

Fusion (Qt's style on Linux) shows focus on push buttons, combo boxes and spin boxes barely or
not at all, so a clerk working from the keyboard (Tab to Accept, Enter) cannot see where the
next key goes. This proxy keeps the platform's style and draws a 2-pixel ring on top.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QApplication, QProxyStyle, QStyle

FOCUS_COLOUR = QColor("#1565c0")
_RINGED_CONTROLS = (QStyle.ComplexControl.CC_ComboBox, QStyle.ComplexControl.CC_SpinBox,
                    QStyle.ComplexControl.CC_ToolButton)


class FocusStyle(QProxyStyle):
    """The application's style with a focus ring on every control that has the focus."""

    @staticmethod
    def _ring(painter: QPainter, rect) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(FOCUS_COLOUR, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(QRectF(rect).adjusted(1, 1, -1, -1), 3, 3)
        painter.restore()

    def drawPrimitive(self, element, option, painter, widget=None) -> None:  # noqa: N802 - Qt
        """The focus frame (check boxes, radio buttons, list items) as the ring."""
        if element == QStyle.PrimitiveElement.PE_FrameFocusRect:
            self._ring(painter, option.rect)
            return
        super().drawPrimitive(element, option, painter, widget)

    def drawControl(self, element, option, painter, widget=None) -> None:  # noqa: N802 - Qt
        """Push buttons: the style's button, then the ring when it has the focus."""
        super().drawControl(element, option, painter, widget)
        if (element == QStyle.ControlElement.CE_PushButton
                and option.state & QStyle.StateFlag.State_HasFocus):
            self._ring(painter, option.rect)

    def drawComplexControl(self, control, option, painter, widget=None) -> None:  # noqa: N802
        """Combo boxes, spin boxes and tool buttons: the ring when they have the focus."""
        super().drawComplexControl(control, option, painter, widget)
        if control in _RINGED_CONTROLS and option.state & QStyle.StateFlag.State_HasFocus:
            self._ring(painter, option.rect)


def install_focus_style(app: QApplication) -> FocusStyle:
    """Wrap the application's current style in :class:`FocusStyle`."""
    style = FocusStyle(app.style().name())
    app.setStyle(style)
    return style
