"""The colours a label is drawn in, from its one colour in the ontology: the fill, an
outline and a caption text that reads on it. Neo4j Browser's style sheet and the Mermaid
diagram of docs/schema.md both take them from here.

The caption text is whichever of white or near-black contrasts more with the fill, by the
WCAG 2 formula (relative luminance). The shipped ontology's colours are chosen so that it
reaches 4.5:1 (WCAG AA for small text) on every label and so that the labels stay apart
for the three kinds of colour blindness (tests/test_palette.py computes both).
"""

from __future__ import annotations

DARK_TEXT = "#1F2024"
LIGHT_TEXT = "#FFFFFF"


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def luminance(color: str) -> float:
    """WCAG 2's relative luminance of ``#RRGGBB``."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else float(((s + 0.055) / 1.055) ** 2.4)

    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    """WCAG 2's contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def node_colors(color: str) -> tuple[str, str, str]:
    """(fill, outline, caption text) for a label colour: a darker outline, and whichever of
    white or near-black reads better on the fill."""
    fill = color.upper()
    border = "#" + "".join(f"{int(c * 0.8):02X}" for c in _rgb(fill))
    dark, light = contrast(fill, DARK_TEXT), contrast(fill, LIGHT_TEXT)
    return fill, border, LIGHT_TEXT if light > dark else DARK_TEXT
