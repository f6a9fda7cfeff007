"""The colours a label is drawn in, from its one colour in the ontology: the fill, an
outline and a caption text that reads on it. Neo4j Browser's style sheet and the Mermaid
diagram of docs/schema.md both take them from here."""

from __future__ import annotations

# Neo4j Browser 5's palette (colour -> outline, caption text), so that a label coloured
# from the palette looks as Browser would draw it.
_PALETTE = {
    "#A5ABB6": ("#9AA1AC", "#FFFFFF"),
    "#604A0E": ("#423204", "#FFFFFF"),
    "#C990C0": ("#B261A5", "#FFFFFF"),
    "#F79767": ("#F36924", "#FFFFFF"),
    "#57C7E3": ("#23B3D7", "#2A2C34"),
    "#F16667": ("#EB2728", "#FFFFFF"),
    "#D9C8AE": ("#C0A378", "#2A2C34"),
    "#8DCC93": ("#5DB665", "#2A2C34"),
    "#ECB5C9": ("#DA7298", "#2A2C34"),
    "#4C8EDA": ("#2870C2", "#FFFFFF"),
    "#FFC454": ("#D7A013", "#2A2C34"),
    "#DA7194": ("#CC3C6C", "#FFFFFF"),
    "#569480": ("#447666", "#FFFFFF"),
}
_DARK_TEXT = "#2A2C34"
_LIGHT_TEXT = "#FFFFFF"


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _luminance(color: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else float(((s + 0.055) / 1.055) ** 2.4)

    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def node_colors(color: str) -> tuple[str, str, str]:
    """(fill, outline, caption text) for a label colour: Browser's own pair for a colour of
    its palette, else a darker outline and whichever of white or near-black reads better."""
    fill = color.upper()
    if fill in _PALETTE:
        return (fill, *_PALETTE[fill])
    border = "#" + "".join(f"{int(c * 0.8):02X}" for c in _rgb(fill))
    lum = _luminance(fill)
    on_white = 1.05 / (lum + 0.05)
    on_dark = (lum + 0.05) / (_luminance(_DARK_TEXT) + 0.05)
    return fill, border, _LIGHT_TEXT if on_white >= on_dark else _DARK_TEXT
