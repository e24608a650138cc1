"""``@datatype`` against its oracle, ``dataclasses.dataclass`` itself: each class is defined twice, once with
each decorator, and every method the shared ones replace must answer as the generated one does."""

from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError, asdict, dataclass, field, replace

import pytest

from envdoctor.datatypes import datatype


def twins(frozen: bool):
    """The same class body under dataclass and under datatype."""
    made = []
    for decorate in (dataclass(frozen=frozen), datatype(frozen=frozen)):
        @decorate
        class Row:
            name: str
            count: int = 0
            tags: tuple[str, ...] = ()
            note: str = field(default="", compare=False)
            secret: str = field(default="", repr=False)
            size: int = field(default=0, hash=False)
        made.append(Row)
    return made


@pytest.mark.parametrize("frozen", [False, True])
def test_repr_and_equality_are_dataclass_s(frozen):
    generated, shared = twins(frozen)
    values = [("a",), ("a", 1, ("x",), "n", "s", 2), ("a", 1, ("x",), "other note", "s", 2), ("b", 1)]
    for left in values:
        assert repr(shared(*left)) == repr(generated(*left))
        for right in values:
            assert (shared(*left) == shared(*right)) is (generated(*left) == generated(*right))
            assert (shared(*left) != shared(*right)) is (generated(*left) != generated(*right))
    # another class, even one with the same fields, is never equal
    assert shared("a") != generated("a") and shared("a").__eq__(generated("a")) is NotImplemented


def test_a_frozen_datatype_hashes_as_dataclass_and_a_mutable_one_does_not_hash():
    generated, shared = twins(frozen=True)
    for args in [("a",), ("a", 1, ("x",), "n", "s", 2), ("a", 1, ("x",), "n", "s", 3)]:
        assert hash(shared(*args)) == hash(generated(*args))
    # a field left out of the hash still compares; one left out of the comparison is left out of the hash too
    assert (hash(shared("a", size=1)) == hash(shared("a", size=2)), shared("a", size=1) == shared("a", size=2)) == (
        hash(generated("a", size=1)) == hash(generated("a", size=2)), generated("a", size=1) == generated("a", size=2))
    assert len({shared("a", note="one"), shared("a", note="two")}) == len({generated("a", note="one"),
                                                                         generated("a", note="two")}) == 1
    with pytest.raises(FrozenInstanceError):
        shared("a").count = 2  # type: ignore[misc]
    mutable, mutable_shared = twins(frozen=False)
    assert mutable.__hash__ is None and mutable_shared.__hash__ is None
    with pytest.raises(TypeError, match="unhashable"):
        hash(mutable_shared("a"))


def test_a_method_the_class_defines_is_kept():
    @datatype(frozen=True)
    class Loose:
        value: str

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Loose) and self.value.lower() == other.value.lower()

        def __hash__(self) -> int:
            return hash(self.value.lower())

        def __repr__(self) -> str:
            return f"<{self.value}>"

    assert (Loose("A") == Loose("a"), hash(Loose("A")) == hash(Loose("a")), repr(Loose("A"))) == (True, True, "<A>")

    @datatype
    class OwnEquality:
        value: int

        def __eq__(self, other: object) -> bool:
            return isinstance(other, OwnEquality) and self.value % 10 == other.value % 10

    assert OwnEquality(1) == OwnEquality(11) and OwnEquality.__hash__ is None


@datatype(frozen=True)
class Pair:
    name: str
    tags: tuple[str, ...] = ()


def test_the_rest_is_dataclass_itself():
    row = Pair("a", ("x",))
    assert replace(row, name="b") == Pair("b", ("x",))
    assert asdict(row) == {"name": "a", "tags": ("x",)}
    assert pickle.loads(pickle.dumps(row)) == row


def test_a_self_containing_value_repr_is_cut_as_dataclass_s():
    generated, shared = (dataclass(type("Node", (), {"__annotations__": {"children": "list"}})),
                         datatype(type("Node", (), {"__annotations__": {"children": "list"}})))
    loop, shared_loop = generated([]), shared([])
    loop.children.append(loop)
    shared_loop.children.append(shared_loop)
    assert repr(shared_loop) == repr(loop) == "Node(children=[...])"
