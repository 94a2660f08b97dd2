"""`mash simulate --preset havering-2012`: a calibrated synthetic year of multi-agency events.

The events are built so that the board's 2012-13 figures (``shared/domain/board-figures.md``)
follow from them: child protection plans by category and duration, new plans, looked-after
children's quarterly indicators, CAFs, child deaths, LADO referrals, domestic abuse and MARAC.
Around them runs the everyday MASH traffic (notifications, contacts, research, decisions,
referrals, assessments) with the noise real agency data has.

The parts live beside this module: ``havering`` (the dates and figures), ``cohorts`` and
``looked_after`` (the board's calibrated cohorts), ``traffic`` and ``front_door`` (the daily
notifications and what the MASH does with them), ``builder`` (what they are made with).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from plumbing.errors import UsageError
from schemas.adapters import adapter_for
from schemas.exports import write_export
from simulation.builder import Simulation, YearBuilder, add_noise
from simulation.cohorts import cafs, child_deaths, cp_plans, lado, marac
from simulation.looked_after import looked_after
from simulation.traffic import police_and_front_door, probation

__all__ = ["PRESETS", "Simulation", "simulate", "write_simulation"]


def write_simulation(sim: Simulation, directory: Path) -> dict[Path, int]:
    """Write each kind's events as ``<event type>.csv`` plus a manifest; return rows per file."""
    files = {}
    for kind, records in sorted(sim.events.items()):
        path = directory / f"{kind}.csv"
        files[path] = write_export(path, adapter_for(kind), records)
    manifest = {"events": {p.stem: n for p, n in files.items()}, "noise": dict(sim.noise)}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return files


def simulate(preset: str, seed: int = 2012) -> Simulation:
    """Generate the events of a preset."""
    try:
        generate = PRESETS[preset]
    except KeyError:
        raise UsageError(f"no preset {preset!r}: use one of {', '.join(PRESETS)}") from None
    return generate(seed)


def havering_2012(seed: int) -> Simulation:
    """Havering LSCB 2012-13: every published figure follows from these events."""
    b = YearBuilder(seed, households=3000)
    for part in (
        cp_plans,
        looked_after,
        cafs,
        child_deaths,
        lado,
        marac,
        probation,
        police_and_front_door,
    ):
        part(b)
    add_noise(b)
    return b.sim


PRESETS: dict[str, Callable[[int], Simulation]] = {"havering-2012": havering_2012}
