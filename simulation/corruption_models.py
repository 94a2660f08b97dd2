"""Corruption functions from the record-linkage literature (FEBRL's generator, GeCo).

Each takes a random source and a clean value and returns the corrupted value, or ``None`` when
the corruption does not apply to that value (no diminutive known, no OCR-confusable letters, a
birth date whose day and month cannot be swapped). Names keep their capitalisation.
"""

from __future__ import annotations

import datetime as dt
import random

from simulation.febrl_lookups import DIMINUTIVES, KEYBOARD_ROWS, OCR_CONFUSIONS, SOUND_ALIKES

__all__ = [
    "diminutive",
    "dob_day_month_swapped",
    "dob_one_day_off",
    "dob_one_digit_off",
    "keyboard_typo",
    "ocr_error",
    "sound_alike",
    "surname_one_part",
    "surname_spaced",
]


def _neighbours() -> dict[str, str]:
    """Keys next to each key on a QWERTY keyboard (same row and the rows above and below)."""
    out: dict[str, str] = {}
    for r, row in enumerate(KEYBOARD_ROWS):
        for c, key in enumerate(row):
            near = [row[i] for i in (c - 1, c + 1) if 0 <= i < len(row)]
            for other in (r - 1, r + 1):
                if 0 <= other < len(KEYBOARD_ROWS):
                    near += [KEYBOARD_ROWS[other][i] for i in (c - 1, c, c + 1)
                             if 0 <= i < len(KEYBOARD_ROWS[other])]  # fmt: skip
            out[key] = "".join(near)
    return out


_NEAR = _neighbours()
_SOUNDS = {name: group for group in SOUND_ALIKES for name in group}


def keyboard_typo(rng: random.Random, name: str) -> str | None:
    """One keystroke error: an adjacent key hit instead, as well, a key missed, or two swapped."""
    letters = [i for i, ch in enumerate(name) if ch.lower() in _NEAR]
    if len(name) < 3 or not letters:
        return None
    for _ in range(10):  # swapping a double letter changes nothing: draw again
        out = _keystroke(rng, name, rng.choice(letters))
        if out != name:
            return out
    return None


def _keystroke(rng: random.Random, name: str, i: int) -> str:
    """One keystroke error at position ``i``, keeping the case of the letters around it."""
    near = rng.choice(_NEAR[name[i].lower()])
    kind = rng.choice(("substitute", "insert", "delete", "transpose"))
    if kind == "substitute":
        out = name[:i] + (near.upper() if name[i].isupper() else near) + name[i + 1 :]
    elif kind == "insert":
        out = name[: i + 1] + near + name[i + 1 :]
    elif kind == "delete":
        out = name[:i] + name[i + 1 :]
    else:
        a, b = sorted((i, i + 1 if i + 1 < len(name) else i - 1))
        out = name[:a] + name[b] + name[a] + name[b + 1 :]
    return out[:1].upper() + out[1:]


def ocr_error(rng: random.Random, name: str) -> str | None:
    """A confusion a scanner makes on a form: rn read as m, l as 1, O as 0 and so on."""
    found = [(seen, read) for seen, read in OCR_CONFUSIONS if seen in name]
    if not found:
        return None
    seen, read = rng.choice(found)
    starts = [i for i in range(len(name)) if name.startswith(seen, i)]
    i = rng.choice(starts)
    return name[:i] + read + name[i + len(seen) :]


def sound_alike(rng: random.Random, name: str) -> str | None:
    """Another spelling that sounds the same (Catherine/Kathryn, Mohammed/Muhammad)."""
    group = _SOUNDS.get(name)
    return rng.choice([n for n in group if n != name]) if group else None


def diminutive(rng: random.Random, name: str) -> str | None:
    """A diminutive in common English usage (Olivia -> Liv, Henry -> Harry)."""
    options = DIMINUTIVES.get(name)
    return rng.choice(options) if options else None


def surname_one_part(rng: random.Random, surname: str) -> str | None:
    """One part of a double-barrelled surname (Green-O'Brien recorded as Green or O'Brien)."""
    parts = surname.split("-")
    return rng.choice(parts) if len(parts) > 1 else None


def surname_spaced(surname: str) -> str | None:
    """A double-barrelled surname with a space where the hyphen was."""
    return surname.replace("-", " ") if "-" in surname else None


def dob_day_month_swapped(born: dt.date) -> dt.date | None:
    """Day and month exchanged (a US-style entry), where that is a different, real date."""
    if born.day > 12 or born.day == born.month:
        return None
    return born.replace(month=born.day, day=born.month)


def dob_one_day_off(rng: random.Random, born: dt.date) -> dt.date:
    """A day either side."""
    return born + dt.timedelta(days=rng.choice((-1, 1)))


def dob_one_digit_off(rng: random.Random, born: dt.date, latest: dt.date) -> dt.date | None:
    """One digit of the day, month or last two of the year mistyped, giving a real past date."""
    text = born.strftime("%Y%m%d")
    positions = [2, 3, 4, 5, 6, 7]
    rng.shuffle(positions)
    for i in positions:
        for digit in rng.sample("0123456789", 10):
            if digit == text[i]:
                continue
            try:
                out = dt.datetime.strptime(text[:i] + digit + text[i + 1 :], "%Y%m%d").date()
            except ValueError:
                continue
            if out <= latest and (latest - out).days < 18 * 365:
                return out
    return None
