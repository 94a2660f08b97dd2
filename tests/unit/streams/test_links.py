"""The match links with a save's links in arrays: the same links, in the same order and of
the same shape, as links never frozen, through seals, saves that end well or fail, thaws,
and ids that share a digest."""

from __future__ import annotations

import random

import numpy as np
import pytest

from streams import links as links_module
from streams.links import FLAT_LINKS, LINK_ARRAYS, FrozenLinks, Links


def _frozen(links: Links, ids: list[str]) -> FrozenLinks:
    """What a save of ``links`` over ``ids`` writes, as read back."""
    position = dict(zip(ids, range(len(ids)), strict=True))
    return FrozenLinks.checked(list(links.arrays(position)), ids)


def _every(links: Links) -> dict[str, list[tuple[str, float]]]:
    """Each record's links, in order, and their shape (flat tuple or dict)."""
    return {r: [*links.of(r), type(links[r]).__name__] for r in links}  # type: ignore[list-item]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("weak_digest", [False, True])
def test_links_frozen_at_any_point_are_the_links_never_frozen(
    seed: int, weak_digest: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if weak_digest:  # many ids of one digest: each must still find its own links
        monkeypatch.setattr(links_module, "_key", lambda rid: len(rid) % 3)
    rng = random.Random(seed)
    plain, frozen, ids = Links(), Links(), list[str]()
    sealed: list[str] | None = None
    for n in range(300):
        rid = f"r{n}"
        ids.append(rid)
        hub = rng.random() < 0.1  # some records gather many links: dicts as well
        for other in rng.sample(ids, min(len(ids), rng.choice([0, 1, 2, 12 if hub else 3]))):
            if other != rid:
                weight = rng.choice([1.5, 7.25, 20.0, -3.0])
                plain.join(rid, other, weight)
                frozen.join(rid, other, weight)
        if sealed is None and rng.random() < 0.05:
            frozen.seal()  # a save forked now writes the links as they are
            sealed, saved = list(ids), _frozen(frozen, list(ids))
        elif sealed is not None and rng.random() < 0.2:
            if rng.random() < 0.8:
                frozen.adopt(saved)
            else:
                frozen.unseal()  # the save failed
            sealed = None
        if rng.random() < 0.2:  # as a restore's tail does: the records it links to, at once
            frozen.thaw([*rng.sample(ids, min(len(ids), 20)), "never-linked"])
        assert _every(frozen) == _every(plain)
    assert frozen == plain
    assert any(isinstance(v, dict) for v in plain.values())  # both shapes were met


def test_a_sealed_dict_linked_to_again_is_not_changed_for_the_save() -> None:
    links = Links()
    for n in range(FLAT_LINKS + 1):
        links.join("hub", f"r{n}", 1.0)
    before = dict(links["hub"])  # type: ignore[arg-type]
    links.seal()
    saved = _frozen(links, ["hub", *(f"r{n}" for n in range(FLAT_LINKS + 2))])
    links.join("hub", "late", 2.0)
    assert links.arrays({r: i for i, r in enumerate(saved.ids)} | {"late": 99})
    assert saved.get("hub") == before
    links.adopt(saved)
    assert dict(links.of("hub")) == {**before, "late": 2.0}  # the link made since is held


def test_arrays_that_do_not_hold_together_are_refused() -> None:
    links = Links()
    links.join("a", "b", 1.0)
    good = list(links.arrays({"a": 0, "b": 1}))
    assert FrozenLinks.checked(good, ["a", "b"]).get("a") == ("b", 1.0)
    with pytest.raises(ValueError, match="record"):
        FrozenLinks.checked(good, ["a"])
    keys, *rest = good
    with pytest.raises(ValueError, match="out of order"):
        FrozenLinks.checked([keys[::-1].copy(), *rest], ["a", "b"])
    with pytest.raises(ValueError, match="not frozen links' arrays"):
        FrozenLinks.checked([a.astype(np.int64) for a in good], ["a", "b"])
    assert [t for _, t in LINK_ARRAYS] == [str(a.dtype.str) for a in good]
    with pytest.raises(KeyError):  # a record the save's positions lack
        links.arrays({"a": 0})
