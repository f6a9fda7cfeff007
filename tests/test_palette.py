"""The colours of the generated Browser style sheet: every label's caption reads on its fill
(WCAG 2 AA, 4.5:1), the labels stay apart for people with each of the three kinds of
colour blindness, and casegraph's own nodes are small and pale.

Computed here from the ``.grass`` text, with the published formulas: WCAG 2's relative
luminance and contrast ratio; the colour-blindness simulation of Machado, Oliveira and
Fernandes (2009, severity 1.0) on linear sRGB; distances in CIELAB (CIE76, D65).
"""

from __future__ import annotations

import itertools
import math
import re

import pytest

from loader.browser.files import grass
from loader.model.ontology import SYSTEM_LABELS, load_ontology

ONTOLOGY = load_ontology()
AA = 4.5
APART = 12.0  # CIE76 distance; about 2.3 is the smallest difference one can see
SIMULATIONS = {
    "normal vision": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
}


def _rules() -> dict[str, dict[str, str]]:
    rules: dict[str, dict[str, str]] = {}
    for selector, body in re.findall(r"(\S+) \{\n(.*?)\n\}", grass(ONTOLOGY), re.S):
        pairs = (line.strip().rstrip(";").split(": ", 1) for line in body.splitlines())
        rules[selector] = {key: value for key, value in pairs}
    return rules


def _linear(color: str) -> tuple[float, ...]:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    return tuple(channel(int(color[i : i + 2], 16)) for i in (1, 3, 5))


def _luminance(rgb: tuple[float, ...]) -> float:
    return 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(_linear(a)), _luminance(_linear(b))), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _lab(rgb: tuple[float, ...]) -> tuple[float, float, float]:
    r, g, b = (min(max(c, 0.0), 1.0) for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _seen(color: str, matrix: tuple[tuple[float, ...], ...]) -> tuple[float, float, float]:
    rgb = _linear(color)
    return _lab(tuple(sum(m * c for m, c in zip(row, rgb, strict=True)) for row in matrix))


def test_the_formulas_give_the_published_figures() -> None:
    assert _contrast("#FFFFFF", "#000000") == pytest.approx(21.0)
    assert _contrast("#777777", "#FFFFFF") == pytest.approx(4.48, abs=0.01)  # WebAIM's example
    # red and green, far apart for most people, nearly one colour without red cones
    red, green = "#CC0000", "#5A7A00"
    normal = math.dist(
        _seen(red, SIMULATIONS["normal vision"]), _seen(green, SIMULATIONS["normal vision"])
    )
    protan = math.dist(
        _seen(red, SIMULATIONS["protanopia"]), _seen(green, SIMULATIONS["protanopia"])
    )
    assert normal > 40
    assert protan < normal / 2


def test_every_caption_reads_on_its_label() -> None:
    rules = _rules()
    low = {}
    for label in ONTOLOGY.labels:
        rule = rules[f"node.{label}"]
        ratio = _contrast(rule["color"], rule["text-color-internal"])
        if ratio < AA:
            low[label] = round(ratio, 2)
    assert low == {}, f"caption contrast below {AA}:1"


def test_labels_stay_apart_for_every_kind_of_colour_vision() -> None:
    rules = _rules()
    fills = {label: rules[f"node.{label}"]["color"] for label in ONTOLOGY.labels}
    assert len(set(fills.values())) == len(fills)
    close = []
    for (a, fa), (b, fb) in itertools.combinations(sorted(fills.items()), 2):
        for vision, matrix in SIMULATIONS.items():
            distance = math.dist(_seen(fa, matrix), _seen(fb, matrix))
            if distance < APART:
                close.append((a, b, vision, round(distance, 1)))
    assert close == []


def test_casegraph_own_nodes_are_small_and_pale() -> None:
    rules = _rules()
    default = int(rules["node"]["diameter"].removesuffix("px"))
    for label in SYSTEM_LABELS:
        rule = rules[f"node.{label}"]
        assert int(rule["diameter"].removesuffix("px")) <= default / 2
        assert _luminance(_linear(rule["color"])) > 0.8
        assert _contrast(rule["color"], rule["text-color-internal"]) >= AA
    for label in ONTOLOGY.labels:
        assert "diameter" not in rules[f"node.{label}"]
