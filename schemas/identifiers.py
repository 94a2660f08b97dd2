"""Checks for the identifiers agencies share: NHS number, Unique Pupil Number, UK postcode."""

from __future__ import annotations

import re

__all__ = ["check_nhs_number", "check_postcode", "check_upn", "normalise_postcode"]

_TEN_DIGITS = re.compile("[0-9]{10}")
_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
_UPN_ALPHABET = _UPN_LETTERS + "0123456789"
_POSTCODE = re.compile(
    r"^(GIR 0AA|[A-PR-UWYZ]"
    r"(?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY])"
    r" [0-9][ABD-HJLNP-UW-Z]{2})$"
)


def check_nhs_number(value: str) -> str:
    """Return the NHS number as 10 digits, or raise ValueError saying why it is not one."""
    digits = value.replace(" ", "").replace("-", "")
    if not _TEN_DIGITS.fullmatch(digits):  # ASCII: str.isdigit takes full-width ones too
        raise ValueError("NHS number must be 10 digits (0-9)")
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10 or check != int(digits[9]):
        raise ValueError("NHS number fails its check digit")
    return digits


def check_upn(value: str) -> str:
    """Return the UPN upper-cased, or raise ValueError saying why it is not one."""
    upn = value.strip().upper()
    if len(upn) != 13 or not upn[1:12].isdigit() or not (upn[12].isdigit() or upn[12].isalpha()):
        raise ValueError("UPN must be a letter, 11 digits and a digit or letter (13 characters)")
    if any(c not in _UPN_ALPHABET for c in upn[1:]):
        raise ValueError("UPN contains a character outside the UPN alphabet")
    total = sum(_UPN_ALPHABET.index(c) * w for c, w in zip(upn[1:], range(2, 14), strict=True))
    if upn[0] != _UPN_LETTERS[total % 23]:
        raise ValueError("UPN fails its check letter")
    return upn


def normalise_postcode(value: str) -> str:
    """Upper-case a postcode and put one space before the inward code."""
    compact = re.sub(r"\s+", "", value).upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def check_postcode(value: str) -> str:
    """Return the postcode normalised, or raise ValueError if it is not a UK postcode."""
    postcode = normalise_postcode(value)
    if not _POSTCODE.match(postcode):
        raise ValueError("not a UK postcode")
    return postcode
