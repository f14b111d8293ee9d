"""Masks show at most 8 characters of a key of 16 or more, nothing of a shorter one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amprealize_tui.core.credentials.masking import MASK_DOTS, mask_key
from amprealize_tui.core.credentials.types import Secret


@pytest.mark.parametrize(
    ("key", "mask"),
    [
        ("nvapi-abcdefghijklmnopqrstuvwxyz", "nvapi-ab••••"),
        ("sk-proj-0123456789abcdef", "sk-proj-••••"),
        ("0123456789abcdef", "01234567••••"),  # exactly 16: prefix shown
        ("0123456789abcde", "••••"),  # 15: nothing shown
        ("short", "••••"),
        ("", "••••"),
    ],
)
def test_mask(key: str, mask: str) -> None:
    assert mask_key(key) == mask


@given(st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=200))
def test_a_mask_never_shows_more_than_eight_characters(key: str) -> None:
    mask = mask_key(key)
    assert mask.endswith(MASK_DOTS)
    shown = mask.removesuffix(MASK_DOTS)
    assert key.startswith(shown)
    assert len(shown) == (8 if len(key) >= 16 else 0)


def test_a_secret_shows_only_its_mask() -> None:
    key = "nvapi-abcdefghijklmnopqrstuvwxyz"
    secret = Secret(key)
    assert repr(secret) == str(secret) == "Secret(nvapi-ab••••)"
    assert f"{secret}" == "Secret(nvapi-ab••••)"
    assert secret.reveal() == key
    assert repr(Secret("tiny")) == "Secret(••••)"
