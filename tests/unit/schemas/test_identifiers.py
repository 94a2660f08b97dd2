"""NHS number, UPN and postcode checks."""

import pytest

from schemas.identifiers import check_nhs_number, check_postcode, check_upn


def test_nhs_number_accepts_the_primer_example_in_any_spacing() -> None:
    assert check_nhs_number("943 476 5919") == "9434765919"
    assert check_nhs_number("943-476-5919") == "9434765919"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("9434765918", "check digit"),
        ("94347659", "10 digits"),
        ("94347659AB", "10 digits"),
        ("9990000040", "check digit"),  # remainder 10: no valid check digit exists
    ],
)
def test_nhs_number_rejects(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_nhs_number(value)


def test_upn_accepts_the_primer_example() -> None:
    assert check_upn("b801200005001") == "B801200005001"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("A801200005001", "check letter"),
        ("B80120000500", "13 characters"),
        ("B8012000050I1", "13 characters"),
    ],
)
def test_upn_rejects(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_upn(value)


@pytest.mark.parametrize(
    ("value", "normal"),
    [
        ("rm1 3bb", "RM1 3BB"),
        ("RM13BB", "RM1 3BB"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("GIR0AA", "GIR 0AA"),
    ],
)
def test_postcode_normalises(value: str, normal: str) -> None:
    assert check_postcode(value) == normal


@pytest.mark.parametrize("value", ["RM1 3CI", "QQ1 1AA", "RM1", "12345", "RM1 3B"])
def test_postcode_rejects(value: str) -> None:
    with pytest.raises(ValueError, match="UK postcode"):
        check_postcode(value)


@pytest.mark.parametrize(
    "digits",
    ["\uff19" * 10, "999999999\u0669", "99999999\u00b29"],  # full-width, Arabic, superscript
)
def test_an_nhs_number_is_ten_ascii_digits_not_any_unicode_digits(digits: str) -> None:
    # an outside probe: full-width digits were accepted and stored as they were, beside the
    # same number in ASCII: two spellings of one child's number
    with pytest.raises(ValueError, match="10 digits"):
        check_nhs_number(digits)
    assert check_nhs_number("999 999 9999") == "9999999999"
