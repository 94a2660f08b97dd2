"""National code lists as enums: the Avro symbols, and ``.code`` for the published code."""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = [
    "CinFactor",
    "CinReferralSource",
    "ClosureReason",
    "CpCategory",
    "PlacementType",
    "RagRating",
    "ReasonCeased",
    "ReasonNewEpisode",
]


class _Prefixed(StrEnum):
    """A code list whose Avro symbols put a letter prefix before codes that start with a digit."""

    @property
    def code(self) -> str:
        """The code as published (RS3E -> 3E, F16A -> 16A)."""
        return re.sub(r"^[A-Z]+(?=\d)", "", self.value)


class CinReferralSource(_Prefixed):
    """Children in Need census referral source (RS6 police, RS3E A&E, RS2A school...)."""

    RS1A = "RS1A"
    RS1B = "RS1B"
    RS1C = "RS1C"
    RS1D = "RS1D"
    RS2A = "RS2A"
    RS2B = "RS2B"
    RS3A = "RS3A"
    RS3B = "RS3B"
    RS3C = "RS3C"
    RS3D = "RS3D"
    RS3E = "RS3E"
    RS3F = "RS3F"
    RS4 = "RS4"
    RS5A = "RS5A"
    RS5B = "RS5B"
    RS5C = "RS5C"
    RS5D = "RS5D"
    RS6 = "RS6"
    RS7 = "RS7"
    RS8 = "RS8"
    RS9 = "RS9"
    RS10 = "RS10"


class CinFactor(_Prefixed):
    """Children in Need census factor identified at assessment (F3A domestic violence...)."""

    F1A = "F1A"
    F1B = "F1B"
    F1C = "F1C"
    F2A = "F2A"
    F2B = "F2B"
    F2C = "F2C"
    F3A = "F3A"
    F3B = "F3B"
    F3C = "F3C"
    F4A = "F4A"
    F4B = "F4B"
    F4C = "F4C"
    F5A = "F5A"
    F5B = "F5B"
    F5C = "F5C"
    F6A = "F6A"
    F6B = "F6B"
    F6C = "F6C"
    F7A = "F7A"
    F8B = "F8B"
    F8C = "F8C"
    F8D = "F8D"
    F8E = "F8E"
    F8F = "F8F"
    F9A = "F9A"
    F10A = "F10A"
    F11A = "F11A"
    F12A = "F12A"
    F13A = "F13A"
    F14A = "F14A"
    F15A = "F15A"
    F16A = "F16A"
    F17A = "F17A"
    F18B = "F18B"
    F18C = "F18C"
    F19B = "F19B"
    F19C = "F19C"
    F20 = "F20"
    F21 = "F21"
    F22A = "F22A"
    F23A = "F23A"
    F24A = "F24A"


class ClosureReason(StrEnum):
    """Children in Need case closure reason (RC8 no further action, RC9 early help...)."""

    RC1 = "RC1"
    RC2 = "RC2"
    RC3 = "RC3"
    RC4 = "RC4"
    RC5 = "RC5"
    RC6 = "RC6"
    RC7 = "RC7"
    RC8 = "RC8"
    RC9 = "RC9"


class CpCategory(StrEnum):
    """Category of a child protection plan."""

    NEG = "NEG"
    PHY = "PHY"
    SAB = "SAB"
    EMO = "EMO"
    MUL = "MUL"


class PlacementType(StrEnum):
    """SSDA903 placement type (U1-U6 foster, K2 children's home, A3-A6 adoption...)."""

    A3 = "A3"
    A4 = "A4"
    A5 = "A5"
    A6 = "A6"
    H5 = "H5"
    K1 = "K1"
    K2 = "K2"
    P1 = "P1"
    P2 = "P2"
    R1 = "R1"
    R2 = "R2"
    R3 = "R3"
    R5 = "R5"
    S1 = "S1"
    T0 = "T0"
    T1 = "T1"
    T2 = "T2"
    T3 = "T3"
    T4 = "T4"
    U1 = "U1"
    U2 = "U2"
    U3 = "U3"
    U4 = "U4"
    U5 = "U5"
    U6 = "U6"
    Z1 = "Z1"


class ReasonNewEpisode(StrEnum):
    """SSDA903 reason for a new episode (S started to be looked after, P placement...)."""

    S = "S"
    L = "L"
    P = "P"
    T = "T"
    B = "B"
    U = "U"


class ReasonCeased(StrEnum):
    """SSDA903 reason an episode ceased (E11/E12 adopted, E45-E48 special guardianship...)."""

    E11 = "E11"
    E12 = "E12"
    E13 = "E13"
    E14 = "E14"
    E15 = "E15"
    E16 = "E16"
    E17 = "E17"
    E2 = "E2"
    E3 = "E3"
    E41 = "E41"
    E45 = "E45"
    E46 = "E46"
    E47 = "E47"
    E48 = "E48"
    E4A = "E4A"
    E4B = "E4B"
    E5 = "E5"
    E6 = "E6"
    E7 = "E7"
    E8 = "E8"
    E9 = "E9"


class RagRating(StrEnum):
    """MASH RAG rating of a contact, which sets its timescale."""

    RED = "RED"
    AMBER = "AMBER"
    GREEN = "GREEN"
