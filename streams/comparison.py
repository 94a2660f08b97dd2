"""How two linkage records compare: strong identifiers decide, else Fellegi-Sunter weights.

Deterministic first: the same NHS number, UPN or agency person id is the same child, and two
different NHS numbers are never the same child. Otherwise Fellegi-Sunter, as Splink does it:
each compared field falls into an agreement level with a match weight log2(m/u); the weights
add up; an exact surname match is worth less for a common surname (term frequency). An unborn
child's record is compared with a born child's through the mother.
"""

from __future__ import annotations

import datetime as dt
import string
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache

import jellyfish

from schemas.common import Child, RelatedPerson
from streams.bound import Bound
from streams.levels import (
    NEAR_DAYS,
    Level,
    dob_level,
    name_levels,
    postcode_level,
    sex_level,
)
from streams.model import LinkageModel, default_model
from streams.names import is_common_name, is_known_name, name_keys, one_name

__all__ = [
    "NEVER",
    "SURE",
    "Comparison",
    "Level",
    "PersonRecord",
    "Scorer",
    "compare",
    "identity",
    "names_key",
    "two_issued_ids",
]


@dataclass(slots=True, unsafe_hash=True)
class PersonRecord:
    """What linkage knows of one child in one event (identity fields only, normalised).

    Never changed once made, but not frozen: a restore makes one per record, and a frozen
    dataclass's ``__init__`` takes about four times as long (hashed by value all the same)."""

    record_id: str
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    expected_delivery_date: dt.date | None
    sex: str
    postcode: str | None
    nhs_number: str | None = None
    upn: str | None = None
    agency_person_id: str | None = None
    mother: tuple[str, str, dt.date | None] | None = None
    """(given name, family name, birth date) of the mother, where the event names her."""

    @classmethod
    def of(
        cls,
        record_id: str,
        *,
        given_name: str,
        family_name: str,
        date_of_birth: dt.date | None,
        expected_delivery_date: dt.date | None,
        sex: str,
        postcode: str | None,
        nhs_number: str | None = None,
        upn: str | None = None,
        agency_person_id: str | None = None,
        mother: tuple[str, str, dt.date | None] | None = None,
    ) -> PersonRecord:
        """A record with its names normalised for comparison. Its names, postcode and dates
        are shared with every other record's equal ones (an index of a million records holds
        a few thousand distinct names: one copy each, as a restore shares them)."""
        intern = sys.intern
        return cls(
            record_id,
            intern(_norm(given_name)),
            intern(_norm(family_name)),
            _shared_day(date_of_birth),
            _shared_day(expected_delivery_date),
            sex,
            intern(postcode.replace(" ", "")) if postcode else None,
            nhs_number,
            upn,
            agency_person_id,
            (intern(_norm(mother[0])), intern(_norm(mother[1])), _shared_day(mother[2]))
            if mother
            else None,
        )

    @classmethod
    def from_child(
        cls, record_id: str, child: Child, agency: str, mother: RelatedPerson | None = None
    ) -> PersonRecord:
        """The identity of a child as one agency recorded it."""
        return cls.of(
            record_id,
            given_name=child.given_name,
            family_name=child.family_name,
            date_of_birth=child.date_of_birth,
            expected_delivery_date=child.expected_delivery_date,
            sex=child.sex.value,
            postcode=child.postcode,
            nhs_number=child.nhs_number,
            upn=child.upn,
            agency_person_id=f"{agency}:{child.person_id}" if child.person_id else None,
            mother=(mother.given_name, mother.family_name, mother.date_of_birth)
            if mother
            else None,
        )

    def strong_ids(self) -> Iterator[tuple[str, str]]:
        """The strong identifiers this record carries, as (kind, value): NHS number, UPN and
        agency person id, each naming one child (the one definition: linkage's rules and
        blocks and the twins guard's bridge read it)."""
        for kind, value in (
            ("nhs", self.nhs_number),
            ("upn", self.upn),
            ("pid", self.agency_person_id),
        ):
            if value:
                yield kind, value

    def blocking_keys(self) -> list[str]:
        """Keys under which candidates for this record are found (a list built in one go:
        every record's keys are made as it arrives, so this is on the hot path)."""
        keys = [f"{kind}:{value}" for kind, value in self.strong_ids()]
        add = keys.append
        fam, giv = _phonetic(self.family_name), _phonetic(self.given_name)
        if self.date_of_birth:
            days, months, year_day, month_day = _dob_parts(self.date_of_birth)
            initials = "".join(sorted(self.given_name[:1] + self.family_name[:1]))
            letters = _given_letters(self.given_name)
            home = self.postcode
            fams = _family_sounds(self.family_name)
            for day in days:  # a birth date alone is too coarse a block: ~N/6,500 records
                add(f"dob-giv:{day}:{giv}")  # family name changed
                add(f"dob-init:{day}:{initials}")  # typos; names swapped
                if home:  # both names changed, same home
                    add(f"dob-pc:{day}:{home}")
                for part in fams:  # a nickname or a mistyped given name; one part of two
                    for letter in letters:
                        add(f"fam-dob:{day}:{part}:{letter}")
            sounds = _name_sounds(self.given_name)
            for ym in months:
                for sound in sounds:  # a nickname, a day mistyped; names exchanged too
                    add(f"names-ym:{min(fam, sound)}:{max(fam, sound)}:{ym}")
                if home:  # any given names (a typo, none), a day mistyped, one home
                    add(f"fam-ympc:{fam}:{ym}:{home}")
            if home:  # family name and birth date both mistyped, one home
                add(f"giv-pc:{giv}:{home}")
                add(f"fam-mdpc:{fam}:{month_day}:{home}")  # a given name and the year mistyped
                add(f"fam-ydpc:{fam}:{year_day}:{home}")  # a given name and the month mistyped
            add(f"names-yd:{fam}:{giv}:{year_day}")  # a mistyped month
            add(f"names-md:{fam}:{giv}:{month_day}")  # a mistyped year
        if self.mother:  # an unborn child, or a child whose mother is named
            add(f"mother:{_phonetic(self.mother[1])}:{self.mother[2]}")
        return keys


@lru_cache(maxsize=1 << 14)
def _dob_parts(dob: dt.date) -> tuple[tuple[str, ...], tuple[str, ...], str, str]:
    """What the blocking keys take from a birth date: the date and its day-month swap (as
    ISO text), its months (``_months``), ``year:day`` and ``MM-DD`` (remembered: children
    share birth dates, ~6,500 in 18 years, and a date's text is made once)."""
    iso = dob.isoformat()
    days: tuple[str, ...] = (iso,)
    if dob.day <= 12 and dob.day != dob.month:
        days = (iso, dob.replace(month=dob.day, day=dob.month).isoformat())
    return days, _months(dob), f"{dob.year}:{dob.day}", iso[5:]


def names_key(record: PersonRecord) -> str | None:
    """The key of a born child's family and given names, as spelled: a block that says
    nothing of the birth date, where training estimates how often one child's birth dates
    differ (a key with the birth year hid every slip in the year; one on the names' sounds
    paired siblings of like names, Ella and Ellie, whose birth dates differ, and EM took some
    for one child; linkage's own blocks are finer: ``blocking_keys``)."""
    if record.date_of_birth is None or not (record.family_name and record.given_name):
        return None
    return f"names:{record.family_name}:{record.given_name}"


_DAYS: dict[dt.date, dt.date] = {}
"""Each date a record was made with, once (a calendar's worth at most)."""


def _shared_day(day: dt.date | None) -> dt.date | None:
    return day if day is None else _DAYS.setdefault(day, day)


_OCR_DIGITS = str.maketrans("0158", "olsb")  # a name has no digits: a scanner misread a letter


def _norm(name: str) -> str:
    return " ".join(name.lower().translate(_OCR_DIGITS).replace("-", " ").replace("'", "").split())


@lru_cache(maxsize=1 << 14)
def _given_letters(name: str) -> str:
    """Letters given names close to this one begin with: its first and second (a typo in
    the first letter; a diminutive from the second syllable: o-Liv-ia, Livvy) and the first
    of every full name it can be a nickname of (Bill, William). Two given names at the
    nickname or diminutive level share one, and so do most typos; so the block on family
    name and birth date need not hold every child of that family born that day (a record
    with no given name is in every letter's)."""
    if not name:  # no given name: any child of the family born that day
        return string.ascii_lowercase
    letters = {key[0] for key in name_keys(name) if key}
    if len(name) > 1 and name[1] != " ":  # and a typo in the first letter
        letters.add(name[1])
    return "".join(sorted(letters))


@lru_cache(maxsize=1 << 14)
def _name_sounds(name: str) -> tuple[str, ...]:
    """The sound (metaphone) of a given name and of every full name it can be a nickname
    of (Bill: William's too), so a nickname meets its full name in the blocks keyed on the
    given name's sound."""
    return tuple(sorted({_phonetic(key) for key in name_keys(name)})) if name else ("",)


def _months(dob: dt.date) -> tuple[str, ...]:
    """The birth month, and the next one when a date up to ``NEAR_DAYS`` later falls in it
    (31 January and 1 February are near dates of two months)."""
    later = dob + dt.timedelta(days=NEAR_DAYS)
    month = f"{dob.year:04d}-{dob.month:02d}"
    return (month,) if later.month == dob.month else (month, f"{later.year:04d}-{later.month:02d}")


@lru_cache(maxsize=1 << 14)
def _family_sounds(name: str) -> tuple[str, ...]:
    """The sound of a family name and, for a double-barrelled one, of each later part too
    (Phillips Murray meets Murray: a record may carry one part of the two)."""
    first = _phonetic(name)
    return tuple(dict.fromkeys((first, *(_phonetic(p) for p in name.split(" ")[1:] if p))))


@lru_cache(maxsize=1 << 14)
def _phonetic(name: str) -> str:
    return jellyfish.metaphone(name.split(" ")[0]) if name else ""


@dataclass(frozen=True, slots=True)
class Comparison:
    """The comparison of two records: each field's level and weight, and the total."""

    weight: float
    levels: tuple[tuple[str, str, float], ...]
    """(field, level, weight) for every compared field."""
    rule: str = "probabilistic"
    apart: bool = False
    """Possibly related (twins or siblings): never linked without a strong identifier."""
    held: bool = False
    """Never linked on its own weight, yet not held apart: offered for review, and other
    records may still bring the two into one person."""

    @property
    def review_only(self) -> bool:
        """Held apart or held for review: never linked on its own weight."""
        return self.apart or self.held

    def explain(self) -> str:
        """Which fields agreed, how far, and what each was worth."""
        return _explain(self.rule, self.levels)


@lru_cache(maxsize=1 << 12)
def _explain(rule: str, levels: tuple[tuple[str, str, float], ...]) -> str:
    """One pair's explanation (remembered: the scorer hands out one comparison many times)."""
    parts = [f"{f}={lvl}({w:+.1f})" for f, lvl, w in levels if lvl != Level.MISSING]
    return f"{rule}: " + ", ".join(parts)


_ID_RULES = (
    ("nhs_number", "same NHS number"),
    ("upn", "same UPN"),
    ("agency_person_id", "same agency person id"),
)
SURE = 40.0
NEVER = -40.0
_SAME = tuple(Comparison(SURE, (), rule) for _, rule in _ID_RULES)
_DIFFERENT_NHS = Comparison(NEVER, (), "different NHS numbers")


def compare(a: PersonRecord, b: PersonRecord, model: LinkageModel | None = None) -> Comparison:
    """Compare two records: strong identifiers decide; otherwise add up field weights."""
    decided = _by_rule(a, b)
    if decided is not None:
        return decided
    return _two_issued_ids(a, b, _probabilistic(a, b, model or default_model()))


class Scorer:
    """``compare`` under one model, remembering what it found: records with the same
    identity fields (most of one child's records) compare alike, so each distinct pair of
    identities met recently is weighed once.

    The memory is bounded, whatever the size of the index: two generations of at most
    ``memory`` comparisons each; when the newer is full it becomes the older and the older
    is forgotten (forgetting costs time, never a different answer). A comparison found in
    the older generation moves to the newer, so pairs met again and again stay.
    """

    def __init__(self, model: LinkageModel, memory: int = 1 << 14) -> None:
        self.model = model
        self.bound = Bound(model)
        self.memory = memory
        self._seen: dict[tuple[object, ...], Comparison] = {}
        self._older: dict[tuple[object, ...], Comparison] = {}

    def compare(
        self, a: PersonRecord, b: PersonRecord, keys: tuple[object, ...] | None = None
    ) -> Comparison:
        """As ``compare(a, b, model)``; ``keys``: the pair's key in the memory if known,
        ``identity(a) + identity(b)``."""
        decided = _by_rule(a, b)
        if decided is not None:
            return decided
        key = keys or identity(a) + identity(b)
        found = self._seen.get(key)
        if found is None:
            found = self._remember(key, self._older.get(key) or _probabilistic(a, b, self.model))
        return _two_issued_ids(a, b, found)

    def _remember(self, key: tuple[object, ...], found: Comparison) -> Comparison:
        """Keep ``found`` in the newer generation (a full one becomes the older)."""
        if len(self._seen) >= self.memory:
            self._older, self._seen = self._seen, {}
        self._seen[key] = found
        return found

    def above(
        self,
        a: PersonRecord,
        others: Iterable[str],
        records: Mapping[str, PersonRecord],
        floor: float,
    ) -> list[tuple[str, Comparison]]:
        """``compare`` of ``a`` with each of ``others`` (record ids, of ``records``), kept
        where it weighs ``floor`` or more or holds the pair apart. A pair ``Bound`` rules out
        from the cheap fields has its names never compared: it could not be kept."""
        may_reach = None  # made for the first pair the memory does not hold
        kept, ident, model = [], identity(a), self.model
        issues = bool(a.upn or a.agency_person_id)  # else never two issued ids
        # with no strong identifier, only an unborn child and a born one are decided by rule
        ruled, born = bool(issues or a.nhs_number), a.date_of_birth is not None
        for rid in others:
            b = records[rid]
            found = _by_rule(a, b) if ruled or born is (b.date_of_birth is None) else None
            if found is None:
                # the identities made from the records at hand (cheaper than a look-up by
                # id in an index-sized dict), one flat tuple of plain values: a key the
                # memory keeps is one object, and the collector soon stops tracking it
                key = ident + identity(b)
                found = self._seen.get(key) or self._older.get(key)  # the generations turn
                if found is None:
                    may_reach = may_reach or self.bound.probe(a, floor)
                    if not may_reach(b) and not (issues and two_issued_ids(a, b)):
                        continue
                    found = self._remember(key, _probabilistic(a, b, model))
                if issues:
                    found = _two_issued_ids(a, b, found)
            if found.weight >= floor or found.apart:
                kept.append((rid, found))
        return kept

    def __len__(self) -> int:
        """Comparisons remembered now (at most twice ``memory``)."""
        return len(self._seen) + len(self._older)


def identity(r: PersonRecord) -> tuple[object, ...]:
    """The fields probabilistic comparison reads (records alike in them compare alike)."""
    return (
        r.given_name,
        r.family_name,
        r.date_of_birth,
        r.expected_delivery_date,
        r.sex,
        r.postcode,
    )


def _by_rule(a: PersonRecord, b: PersonRecord) -> Comparison | None:
    """Strong identifiers, and unborn with born children: decided by rule, or None."""
    if a.nhs_number and b.nhs_number and a.nhs_number != b.nhs_number:
        return _DIFFERENT_NHS
    if a.nhs_number and a.nhs_number == b.nhs_number:
        return _SAME[0]
    if a.upn and a.upn == b.upn:
        return _SAME[1]
    if a.agency_person_id and a.agency_person_id == b.agency_person_id:
        return _SAME[2]
    if (a.date_of_birth is None) != (b.date_of_birth is None):
        return _unborn_and_born(a, b)
    return None


def two_issued_ids(a: PersonRecord, b: PersonRecord) -> bool:
    """Two different ids of a kind issued once to a child: two UPNs (a pupil keeps one
    through school), or two ids of one agency's own. Two such ids are two children."""
    if a.upn and b.upn and a.upn != b.upn:
        return True
    one, two = a.agency_person_id, b.agency_person_id
    return bool(one and two and one != two and one.split(":")[0] == two.split(":")[0])


def _two_issued_ids(a: PersonRecord, b: PersonRecord, found: Comparison) -> Comparison:
    """``found``, held apart where the records carry two UPNs or one agency's two ids of its
    own: a school and an agency know their children, so two of their ids are two children
    however alike the details (twins, Aidan and Aiden), unless a reviewer finds a duplicate."""
    if found.apart or not two_issued_ids(a, b):
        return found
    return Comparison(found.weight, found.levels, _TWO_IDS, apart=True)


def _probabilistic(a: PersonRecord, b: PersonRecord, model: LinkageModel) -> Comparison:
    if a.given_name == b.given_name and a.family_name == b.family_name:  # ~half the pairs
        given = Level.EXACT if a.given_name else Level.MISSING
        family = Level.EXACT if a.family_name else Level.MISSING
    else:
        given, family = name_levels(a.given_name, a.family_name, b.given_name, b.family_name)
    day, other = (
        a.date_of_birth or a.expected_delivery_date,
        b.date_of_birth or b.expected_delivery_date,
    )
    # most pairs compared share the birth date: told without the level's memo
    dob = Level.EXACT if day == other and day is not None else dob_level(day, other)
    postcode = postcode_level(a.postcode, b.postcode)
    sex = sex_level(a.sex, b.sex)
    w = model.weights
    key = (
        given,
        model.exact_weight("given_name", a.given_name)
        if given is Level.EXACT  # term frequency: a common name agrees by chance more often
        else w["given_name"][given],
        family,
        model.exact_weight("family_name", a.family_name)
        if family is Level.EXACT
        else w["family_name"][family],
        dob,
        w["date_of_birth"][dob],
        sex,
        w["sex"][sex],
        postcode,
        w["postcode"][postcode],
        _held_by(given, family, dob, postcode, sex, a, b, model)
        if dob is Level.EXACT
        and given is not Level.EXACT
        and (postcode in _SAME_HOME or given is Level.SWAPPED)
        else None,  # each rule asks for one birth date, two given names, no different home
    )
    return _COMPARISONS.get(key) or _comparison(key)


_Key = tuple[Level, float, Level, float, Level, float, Level, float, Level, float, str | None]
"""A probabilistic comparison's levels and weights, field by field in ``_FIELDS``' order,
and the rule holding the pair back (``_held_by``): all its ``Comparison`` is made of."""
_FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "postcode")
_COMPARISONS: dict[_Key, Comparison] = {}


def _comparison(key: _Key) -> Comparison:
    """The ``Comparison`` a ``_Key`` describes, made once (bounded: past ``1 << 16``, made
    each time). Pairs of records fall into a few thousand of them, and a comparison the
    scorer remembers lives long: shared, it is no new object for the garbage collector to
    walk on every full collection."""
    given, dob, held_by = key[0], key[4], key[10]
    levels = tuple(zip(_FIELDS, key[0:10:2], key[1:10:2], strict=True))
    weight = key[1] + key[3] + key[5] + key[7] + key[9]
    rule = "probabilistic"
    if given is Level.DIFFERENT or dob is Level.DIFFERENT:
        # siblings and cousins share surname and postcode, twins the birth date too:
        # without a strong identifier such records are never one child
        weight = min(weight, 0.0)
        rule = "given names differ" if given is Level.DIFFERENT else "birth dates differ"
    if held_by is not None:
        rule = held_by
    weight = _one_weight(weight)
    made = Comparison(weight, levels, rule, apart=held_by is _GUARD, held=held_by is _HELD)
    if len(_COMPARISONS) < 1 << 16:
        _COMPARISONS[key] = made
    return made


_WEIGHTS: dict[float, float] = {}
"""Each weight a comparison has given, one float a value (bounded as ``_COMPARISONS``): a
link keeps its comparison's weight, and past the comparisons remembered a million links
would each hold a float of its own (24 bytes, and more in every index snapshot, which
marshals equal weights as one only where they are one object)."""


def _one_weight(weight: float) -> float:
    if len(_WEIGHTS) < 1 << 16:
        return _WEIGHTS.setdefault(weight, weight)
    return _WEIGHTS.get(weight, weight)


def _held_by(
    given: Level,
    family: Level,
    dob: Level,
    postcode: Level,
    sex: Level,
    a: PersonRecord,
    b: PersonRecord,
    model: LinkageModel,
) -> str | None:
    """The rule that keeps a pair from linking on its weight, if one does: the twins guard
    (held apart) or the held-for-review rule (``_GUARD``, ``_HELD``)."""
    if _possibly_related(given, family, dob, postcode, sex, a, b, model):
        return _GUARD
    if (
        family is Level.DIFFERENT
        and dob is Level.EXACT
        and _two_names_at_one_home(given, postcode, a, b, model)
    ):  # the two cheap tests first: most pairs compared differ in family name or date
        return _HELD
    return None


def _possibly_related(
    given: Level,
    family: Level,
    dob: Level,
    postcode: Level,
    sex: Level,
    a: PersonRecord,
    b: PersonRecord,
    model: LinkageModel,
) -> bool:
    """Twins or siblings born the same day: the same birth date and family name, no
    different home, and either two recorded sexes with two given names (Louis and Louise,
    Daniel and Danielle: a sex and a name both miskeyed on one child's record is far rarer
    than twins), or, at one postcode, two given names each a name in its own right. A
    record with its names exchanged is judged with them put back (Kaur Amelia is Amelia
    Kaur, and so Amelie Kaur's possible twin)."""
    if given is Level.SWAPPED and dob is Level.EXACT:
        return _put_back_related(postcode, sex, a, b, model)
    if dob is not Level.EXACT or family not in _SAME_FAMILY:
        return False
    if sex is Level.DIFFERENT and given is not Level.EXACT and postcode in _SAME_HOME:
        return True
    return _two_names_at_one_home(given, postcode, a, b, model)


def _two_names_at_one_home(
    given: Level, postcode: Level, a: PersonRecord, b: PersonRecord, model: LinkageModel
) -> bool:
    """Two given names, each a name in its own right, at one home: twins under one family
    name (``_possibly_related``); and, called for two family names on one birth date, the
    held-for-review rule: there what agrees is what twins share, and the family names, which
    would tell one child from a twin, disagree (one twin recorded under a step-parent's
    surname, Jaden Bell and Jayden Iqbal; or one child renamed and mistyped). Not held apart
    as the guard holds twins (a renamed child's other records may still join the two), but
    never linked on this pair's weight alone: it goes to review."""
    return postcode is Level.EXACT and _two_given_names(a.given_name, b.given_name, given, model)


def _put_back_related(
    postcode: Level, sex: Level, a: PersonRecord, b: PersonRecord, model: LinkageModel
) -> bool:
    """``_possibly_related`` with one record's exchanged names put back (either may be the
    one exchanged: a way round that still reads as a swap is not the right one)."""
    for x, y in ((a, _exchanged(b)), (_exchanged(a), b)):
        given, family = name_levels(x.given_name, x.family_name, y.given_name, y.family_name)
        if given is not Level.SWAPPED and _possibly_related(
            given, family, Level.EXACT, postcode, sex, x, y, model
        ):
            return True
    return False


def _exchanged(r: PersonRecord) -> PersonRecord:
    return replace(r, given_name=r.family_name, family_name=r.given_name)


_GUARD = (
    "possibly related (twins or siblings guard: same birth date, family name and postcode, "
    "two given names, or two given names and two recorded sexes)"
)
_HELD = (
    "held for review (same birth date and postcode, two given names, two family names: "
    "twins, one with a step-parent's surname, or one child renamed)"
)
_TWO_IDS = "possibly related (two UPNs, or one agency's two ids: two children to them)"
_SAME_FAMILY = frozenset({Level.EXACT, Level.CLOSE, Level.PART, Level.PHONETIC, Level.FAIR})
"""Family-name levels that agree (the model weighs each as agreement): twins share one."""
_SAME_HOME = frozenset({Level.EXACT, Level.MISSING})


def _two_given_names(a: str, b: str, level: Level, model: LinkageModel) -> bool:
    """Two different given names, each a name in its own right: in the nickname lexicon or
    common among the records the model was trained on, and neither far rarer than the other
    (a much rarer spelling near a common name is a variant of it, a typo or a diminutive,
    not a second child) unless both are on the list of common given names (Jake is 13
    times rarer than Jack in the packaged model's records, and twins are given both: an
    outside probe's pair, merged before). Two spellings of one sound count (Aidan and
    Aiden, Jaden and Jayden, Hassan and Hussain are given to twins; Lea and Leah may be one
    child's): from the names alone the two cannot be told apart, so the pair goes to review,
    never merged."""
    if level in (Level.EXACT, Level.MISSING) or (level is Level.NICKNAME and one_name(a, b)):
        return False  # a mistyped nickname (Lila for Lily) may still be a name of its own
    if not all(is_known_name(n) or model.is_common_given_name(n) for n in (a, b)):
        return False
    return not model.is_variant(a, b) or (is_common_name(a) and is_common_name(b))


_BORN_AS_DUE = SURE / 2
"""The weight of an unborn child's record and a born child's of one mother: one float for
every such link (``_WEIGHTS``)."""


def _unborn_and_born(a: PersonRecord, b: PersonRecord) -> Comparison:
    """An unborn child's record and a born child's: the same mother, born near the due date."""
    unborn, born = (a, b) if a.date_of_birth is None else (b, a)
    due, birth = unborn.expected_delivery_date, born.date_of_birth
    if not (unborn.mother and born.mother and due and birth):
        return Comparison(NEVER, (), "unborn and born with no mother to compare")
    same_mother = unborn.mother[1] == born.mother[1] and one_name(unborn.mother[0], born.mother[0])
    if same_mother and unborn.mother[2] == born.mother[2] and abs((birth - due).days) <= 42:
        return Comparison(
            _BORN_AS_DUE, (), "born to the same mother within 6 weeks of the due date"
        )
    return Comparison(NEVER, (), "unborn and born to a different mother or far from the due date")
