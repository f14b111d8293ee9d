"""The committed screenshots are current, and no SVG anywhere shows a test key beyond its mask."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.settings_helpers import FAKE_KEYS

REPO = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPO / "screenshots"
MASK_PREFIX = 8  # masking.mask_key shows at most the first 8 characters


def visible_text(svg: str) -> str:
    """The text an SVG shows, tags dropped and entities decoded, so that a key split over several
    <text> runs of one line is still found."""
    return html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")


# What must never show: each fake key past its mask's prefix, and (for a key cut short, e.g. by
# a narrow field) the phrase every fake key carries after that prefix.
LEAK_MARKERS = (*(key[MASK_PREFIX:] for key in FAKE_KEYS), "not-a-real-key")


def leaks(svg: str) -> list[str]:
    text = visible_text(svg)
    return [marker for marker in LEAK_MARKERS if marker in text]


def all_svgs() -> list[Path]:
    return sorted([*SCREENSHOTS.glob("*.svg"), *(REPO / "tests").rglob("*.svg")])


def test_every_listed_screenshot_exists() -> None:
    from scripts.screenshots import SHOTS

    assert sorted(p.stem for p in SCREENSHOTS.glob("*.svg")) == sorted(s.name for s in SHOTS)


async def test_screenshots_are_current(tmp_path: Path) -> None:
    """Regenerating gives byte-identical files; if not: `python scripts/screenshots.py`."""
    from scripts.screenshots import capture_all

    fresh = await capture_all(tmp_path)
    stale = [p.name for p in fresh if p.read_bytes() != (SCREENSHOTS / p.name).read_bytes()]
    assert stale == [], f"outdated screenshots {stale}: run `python scripts/screenshots.py`"


@pytest.mark.parametrize("path", all_svgs(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_svg_shows_a_test_key_beyond_its_mask(path: Path) -> None:
    assert leaks(path.read_text(encoding="utf-8")) == []


def test_the_scan_sees_a_key_split_across_text_runs() -> None:
    """Guard against a vacuous pass: a planted key is found even when styled in pieces."""
    key = FAKE_KEYS[0]
    svg = (
        f'<svg><text class="r1" x="0">{key[:12]}</text>'
        f'<text class="r2" x="12">{key[12:]}&#160;</text></svg>'
    )
    assert leaks(svg) == [key[MASK_PREFIX:], "not-a-real-key"]
    assert leaks(f"<svg><text>{key[:MASK_PREFIX]}••••</text></svg>") == []


def test_svgs_to_scan_include_screenshots_and_snapshots() -> None:
    names = {p.relative_to(REPO).parts[0] for p in all_svgs()}
    assert names == {"screenshots", "tests"}
