"""Havering 2012-13, the year simulated: its dates, and the figures its events must give.

The figures are the board's (``shared/domain/board-figures.md``); the generator is tuned by
them, and ``tests/unit/simulation`` counts the generated events against the report itself.
"""

from __future__ import annotations

import datetime as dt

from schemas.childrens_services import CafSetting
from schemas.codes import CpCategory
from schemas.lado import LadoSector

__all__ = [
    "CAF_NEEDS_MET",
    "CAF_SETTINGS",
    "CDOP_PANELS",
    "CP_OPEN_AT_YEAR_END",
    "DV",
    "FY_END",
    "FY_START",
    "ISA_ID",
    "LAC_ADOPTED_OR_SGO",
    "LAC_JOINERS",
    "LAC_LEAVERS",
    "LAC_MOVERS",
    "LAC_START",
    "LADO_SECTORS",
    "MARAC",
    "NEW_CP_PLANS",
    "OTHER_POLICE_NOTIFICATIONS",
    "PRIOR_FY_START",
    "PROBATION_NOTIFICATIONS",
    "QUARTER_ENDS",
    "TENANT",
]

TENANT = "E09000016"
"""Havering's local authority code: every event is the Havering MASH's."""
ISA_ID = "ISA-HAVERING-MASH-2012"
"""The information-sharing agreement every agency shares under."""
FY_START = dt.date(2012, 4, 1)
FY_END = dt.date(2013, 3, 31)
PRIOR_FY_START = dt.date(2011, 4, 1)
QUARTER_ENDS = (dt.date(2012, 6, 30), dt.date(2012, 9, 30), dt.date(2012, 12, 31), FY_END)

# Table 1, with the published Unborn total corrected from 2 to 1 (the cells sum to 1).
CP_OPEN_AT_YEAR_END: dict[CpCategory, dict[str, int]] = {
    CpCategory.EMO: {"unborn": 0, "0-6": 27, "7-12": 28, "13-18": 5, "19-21": 3, "22+": 1},
    CpCategory.NEG: {"unborn": 0, "0-6": 22, "7-12": 14, "13-18": 4, "19-21": 4, "22+": 1},
    CpCategory.PHY: {"unborn": 1, "0-6": 4, "7-12": 3, "13-18": 2, "19-21": 0, "22+": 0},
    CpCategory.SAB: {"unborn": 0, "0-6": 0, "7-12": 2, "13-18": 0, "19-21": 0, "22+": 0},
}
NEW_CP_PLANS = {
    "2012-13": {CpCategory.EMO: 60, CpCategory.NEG: 57, CpCategory.PHY: 23, CpCategory.SAB: 4},
    "2011-12": {CpCategory.EMO: 34, CpCategory.NEG: 57, CpCategory.PHY: 18, CpCategory.SAB: 11},
}
DV = {
    "2012-13": {"offences": 1283, "incidents": 2939},
    "2011-12": {"offences": 1239, "incidents": 2856},
}
CAF_SETTINGS = {
    CafSetting.CHILDRENS_CENTRE: 98,
    CafSetting.SCHOOL: 71,
    CafSetting.HEALTH: 5,
    CafSetting.OTHER: 7,
}
CAF_NEEDS_MET = 123  # of 181: 68%
LADO_SECTORS = {
    LadoSector.EDUCATION: 56,
    LadoSector.EARLY_YEARS: 9,
    LadoSector.SOCIAL_CARE: 8,
    LadoSector.HEALTH: 6,
    LadoSector.FOSTER_CARE: 7,
    LadoSector.POLICE: 3,
    LadoSector.FAITH: 3,
    LadoSector.SPORT_LEISURE: 5,
    LadoSector.TRANSPORT: 3,
    LadoSector.OTHER: 2,
}
CDOP_PANELS = (dt.date(2012, 6, 14), dt.date(2012, 10, 11), dt.date(2013, 2, 14))
MARAC = {"cases": 153, "children": 209, "unborn": 4}
PROBATION_NOTIFICATIONS = 320
OTHER_POLICE_NOTIFICATIONS = 900
"""Police notifications of 2012-13 about something other than domestic abuse."""
# Looked-after children, per quarter: leavers (of whom adopted or SGO), joiners, movers
# reaching a third placement; the long-stay cohort is built in `simulation.looked_after`.
LAC_START = 220
LAC_LEAVERS = (29, 23, 12, 25)
LAC_ADOPTED_OR_SGO = (1, 2, 3, 4)
LAC_JOINERS = (22, 25, 14, 21)
LAC_MOVERS = (10, 7, 9, 4)
