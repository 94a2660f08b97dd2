"""A precision-recall picture as a self-contained SVG (hand-written: no library, no CDN)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

__all__ = ["precision_recall_svg"]

_W, _H, _PAD = 640, 440, 60
_COLOURS = ("#1b6ca8", "#c0392b", "#27ae60", "#8e44ad", "#d35400")


def precision_recall_svg(
    curves: Mapping[str, Sequence[tuple[float, float, float]]], title: str
) -> str:
    """One line per model: (recall, precision, link threshold) points, axes from the lowest
    value shown to 1."""
    points = [p for curve in curves.values() for p in curve]
    low_r = min((r for r, _, _ in points), default=0.9)
    low_p = min((p for _, p, _ in points), default=0.9)
    lo_x, lo_y = _floor(low_r), _floor(low_p)

    def xy(recall: float, precision: float) -> tuple[float, float]:
        x = _PAD + (recall - lo_x) / (1 - lo_x) * (_W - 2 * _PAD)
        y = _H - _PAD - (precision - lo_y) / (1 - lo_y) * (_H - 2 * _PAD)
        return round(x, 1), round(y, 1)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" font-family="sans-serif" font-size="12">',
        f'<rect width="{_W}" height="{_H}" fill="white"/>',
        f'<text x="{_W / 2}" y="24" text-anchor="middle" font-size="15">{escape(title)}</text>',
        *_axes(lo_x, lo_y),
    ]
    for n, (name, curve) in enumerate(curves.items()):
        colour = _COLOURS[n % len(_COLOURS)]
        coords = [xy(r, p) for r, p, _ in sorted(curve)]
        path = " ".join(f"{x},{y}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), (_, _, link) in zip(coords, sorted(curve), strict=True):
            parts.append(f'<circle cx="{x}" cy="{y}" r="3.5" fill="{colour}"/>')
            parts.append(f'<text x="{x + 5}" y="{y - 6}" fill="{colour}">{link:g}</text>')
        parts.append(
            f'<text x="{_W - _PAD}" y="{_PAD + 16 * n}" text-anchor="end" '
            f'fill="{colour}">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _floor(value: float) -> float:
    """A round lower bound for an axis (0.9, 0.95, 0.99 ...) a little below ``value``."""
    for bound in (0.999, 0.995, 0.99, 0.98, 0.95, 0.9, 0.8, 0.5):
        if value > bound:
            return bound
    return 0.0


def _axes(lo_x: float, lo_y: float) -> list[str]:
    left, right, top, bottom = _PAD, _W - _PAD, _PAD, _H - _PAD
    out = [
        f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="black"/>',
        f'<line x1="{left}" y1="{bottom}" x2="{left}" y2="{top}" stroke="black"/>',
        f'<text x="{_W / 2}" y="{_H - 18}" text-anchor="middle">pairwise recall</text>',
        f'<text x="18" y="{_H / 2}" text-anchor="middle" '
        f'transform="rotate(-90 18 {_H / 2})">pairwise precision</text>',
    ]
    for i in range(5):
        fx, fy = lo_x + (1 - lo_x) * i / 4, lo_y + (1 - lo_y) * i / 4
        x = left + (right - left) * i / 4
        y = bottom - (bottom - top) * i / 4
        out.append(f'<text x="{x}" y="{bottom + 16}" text-anchor="middle">{fx:.4g}</text>')
        out.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{fy:.4g}</text>')
        out.append(f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="#ddd"/>')
    return out
