"""Amounts in words up to 10^15 (1 000 000 tỷ): hand-written goldens and two independent readings.

The goldens were written by hand from the conventions the invoice already follows (vn-money's: linh,
mốt/tư after a tens of 2-9, lăm after any tens, "không trăm" and "không <group>" for an inner hole once
something larger was said), with tỷ counted as a unit that takes a whole number before it.
"""

from __future__ import annotations

import pytest
import vn_money
from hypothesis import given
from hypothesis import strategies as st

from services.billing.domain.amounts import amount_in_words, read_number

GOLDEN = [
    (0, "Không đồng"),
    (7, "Bảy đồng"),
    (10, "Mười đồng"),
    (101, "Một trăm linh một đồng"),
    (1_000_005, "Một triệu không nghìn không trăm linh năm đồng"),
    (999_999_999, "Chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín đồng"),
    (1_000_000_000, "Một tỷ đồng"),
    (1_000_000_005, "Một tỷ không triệu không nghìn không trăm linh năm đồng"),
    (999_000_000_000, "Chín trăm chín mươi chín tỷ đồng"),
    (1_000_000_000_000, "Một nghìn tỷ đồng"),
    # the reported case: the tỷ group is not a hole of its own ("… nghìn tỷ không tỷ …" was wrong)
    (2_000_000_000_005, "Hai nghìn tỷ không triệu không nghìn không trăm linh năm đồng"),
    (2_000_000_005_000, "Hai nghìn tỷ không triệu không trăm linh năm nghìn đồng"),
    (1_001_000_000_000, "Một nghìn không trăm linh một tỷ đồng"),
    (1_015_000_000_021, "Một nghìn không trăm mười lăm tỷ không triệu không nghìn không trăm hai mươi mốt đồng"),
    (12_345_678_901_234, "Mười hai nghìn ba trăm bốn mươi lăm tỷ sáu trăm bảy mươi tám triệu chín trăm linh một "
                         "nghìn hai trăm ba mươi tư đồng"),
    (100_000_000_000_000, "Một trăm nghìn tỷ đồng"),
    (999_999_000_000_001, "Chín trăm chín mươi chín nghìn chín trăm chín mươi chín tỷ không triệu không nghìn "
                          "không trăm linh một đồng"),
    (1_000_000_000_000_000, "Một triệu tỷ đồng"),
]


@pytest.mark.parametrize(("vnd", "expected"), GOLDEN)
def test_reads_golden_amounts(vnd: int, expected: str) -> None:
    assert amount_in_words(vnd) == expected


def chunked_reading(n: int) -> str:
    """Independent reading: vn-money (right below 10^12) per 9-digit chunk, the chunks joined by "tỷ".

    A lower chunk is read as vn-money reads it after "một tỷ" (its holes spoken), the prefix cut off.
    """
    if n < 10**9:
        return vn_money.to_words(n)
    billions, rest = divmod(n, 10**9)
    head = f"{chunked_reading(billions)} tỷ"
    if rest == 0:
        return head
    tail = vn_money.to_words(10**9 + rest).removeprefix("một tỷ ")
    return f"{head} {tail}"


UNITS = {"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5, "sáu": 6,
         "bảy": 7, "tám": 8, "chín": 9}


def parse_reading(words: str) -> int:
    """The number a reading says, computed back from its words (the last "tỷ" multiplies all before it)."""
    tokens = words.split()
    if "tỷ" in tokens:
        cut = len(tokens) - 1 - tokens[::-1].index("tỷ")
        return parse_reading(" ".join(tokens[:cut])) * 10**9 + parse_reading(" ".join(tokens[cut + 1:]))
    total, group = 0, 0
    for i, token in enumerate(tokens):
        if token in ("triệu", "nghìn"):
            total += group * (10**6 if token == "triệu" else 10**3)
            group = 0
        elif token == "trăm":
            group += UNITS[tokens[i - 1]] * 100 - UNITS[tokens[i - 1]]
        elif token == "mươi":
            group += UNITS[tokens[i - 1]] * 10 - UNITS[tokens[i - 1]]
        elif token == "mười":
            group += 10
        elif token != "linh":
            group += UNITS[token]
    return total + group


AMOUNTS = st.one_of(st.integers(0, 10**15), st.integers(0, 15).flatmap(lambda e: st.integers(0, 10**e)),
                    st.lists(st.sampled_from([0, 1, 5, 10, 15, 21, 100, 104, 999]), min_size=1, max_size=5)
                    .map(lambda groups: int("".join(f"{g:03d}" for g in groups))))


@given(AMOUNTS)
def test_reading_agrees_with_a_chunked_reading(n: int) -> None:
    assert read_number(n) == chunked_reading(n)


@given(AMOUNTS)
def test_reading_says_the_amount(n: int) -> None:
    assert parse_reading(read_number(n)) == n


@given(st.integers(0, 10**12 - 1))
def test_below_a_thousand_ty_reads_as_vn_money_does(n: int) -> None:
    assert read_number(n) == vn_money.to_words(n)

