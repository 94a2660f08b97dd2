"""The community safety feed: MARAC cases (high-risk domestic abuse) and their children."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from schemas.common import Child, Envelope, Flag, NonBlank, PastDate

__all__ = ["MaracCase"]


class MaracCase(Envelope):
    """A case heard at MARAC, with the children and unborn children of the household."""

    EVENT_TYPE: ClassVar[str] = "community_safety.marac_case"

    marac_case_ref: NonBlank
    meeting_date: PastDate
    repeat_case: Flag
    children: tuple[Child, ...] = Field(min_length=1)

    @property
    def unborn(self) -> int:
        """How many of the children are unborn."""
        return sum(child.date_of_birth is None for child in self.children)
