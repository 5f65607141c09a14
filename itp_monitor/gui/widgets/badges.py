"""Flag badges: a pill per flag, a symbol and words, coloured by severity (never colour alone);
before them, a woman with conflicts between devices to settle has a pill saying so.

Badges wrap onto more lines when a woman has more flags than fit: a flag is never hidden.
A badge wider than its cell is shortened with "…" (the tooltip has it whole): painted
past the cell's edge, it covered the MRN beside it.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from itp_monitor.domain.flags import Flag, FlagCode
from itp_monitor.gui.models.ward import conflict_words, conflicts_of, flags_of
from itp_monitor.gui.palette import CONFLICT, SEVERITY

PAD, GAP, LINE_GAP, MARGIN = 6, 4, 3, 3


def badge_text(flag: Flag) -> str:
    return f"{SEVERITY[flag.severity.value][2]} {flag.code.heading}"


def conflict_text(open_conflicts: int) -> str:
    return f"{CONFLICT[2]} {conflict_words(open_conflicts)}"


def widest_badge(font: QFont) -> int:
    """The width of a cell that holds the longest badge of any flag whole."""
    metrics = QFontMetrics(font)
    texts = [f"{symbol} {code.heading}" for *_, symbol in SEVERITY.values() for code in FlagCode]
    texts.append(conflict_text(99))
    return max(metrics.horizontalAdvance(t) for t in texts) + 2 * PAD + 2 * MARGIN + 1


def layout_badges(
    flags: tuple[Flag, ...], font: QFont, width: int, conflicts: int = 0
) -> list[tuple[Flag | None, QRect, str]]:
    """Where each badge goes in a cell `width` wide, left to right, wrapping as needed, and
    its text: whole, or shortened so that the badge stays inside the cell. With
    `conflicts`, the conflict badge (its flag None) comes first."""
    metrics = QFontMetrics(font)
    height = metrics.height() + 4
    widest = max(width - 2 * MARGIN, 2 * PAD + 1)
    placed: list[tuple[Flag | None, QRect, str]] = []
    x, y = MARGIN, MARGIN
    badges = [(None, conflict_text(conflicts))] if conflicts else []
    for flag, text in badges + [(f, badge_text(f)) for f in flags]:
        w = metrics.horizontalAdvance(text) + 2 * PAD
        if w > widest:
            text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, widest - 2 * PAD)
            w = widest
        if x > MARGIN and x + w > width - MARGIN:
            x, y = MARGIN, y + height + LINE_GAP
        placed.append((flag, QRect(x, y, w, height), text))
        x += w + GAP
    return placed


class FlagBadgeDelegate(QStyledItemDelegate):
    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        flags, conflicts = flags_of(_plain(index)), conflicts_of(_plain(index))
        if not flags and not conflicts:
            super().paint(painter, option, index)
            return
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setClipRect(option.rect)  # nothing of a badge outside its own cell
        width = option.rect.width()
        for flag, rect, text in layout_badges(flags, option.font, width, conflicts):
            rect.translate(option.rect.topLeft())
            background, foreground, _ = CONFLICT if flag is None else SEVERITY[flag.severity.value]
            painter.setBrush(QColor(background))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
            painter.setPen(QColor(foreground))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        flags, conflicts = flags_of(_plain(index)), conflicts_of(_plain(index))
        metrics = QFontMetrics(option.font)
        if not flags and not conflicts:
            return QSize(80, metrics.height() + 10)
        width = option.rect.width() if option.rect.width() > 0 else 360
        placed = layout_badges(flags, option.font, width, conflicts)
        bottom = max(rect.bottom() for _, rect, _ in placed)
        return QSize(width, bottom + 2 * MARGIN)


def _plain(index: QModelIndex | QPersistentModelIndex) -> QModelIndex:
    """Delegates may be handed either kind of index; the models read a QModelIndex."""
    if isinstance(index, QPersistentModelIndex):
        model = index.model()
        return model.index(index.row(), index.column()) if model is not None else QModelIndex()
    return index
