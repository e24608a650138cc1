"""``@datatype`` against its oracle, ``dataclasses.dataclass`` itself: each class is defined twice, once with
each decorator, and every method the shared ones replace must answer as the generated one does."""

from __future__ import annotations

import dataclasses
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


def _made(cls, *args, **kwargs):
    """What constructing ``cls`` leaves: its fields in order, or the type of what it raised."""
    try:
        return list(vars(cls(*args, **kwargs)).items())
    except Exception as exc:  # noqa: BLE001 - the type is the answer
        return type(exc)


@pytest.mark.parametrize("frozen", [False, True])
def test_construction_is_dataclass_s(frozen):
    generated, shared = twins(frozen)
    calls = [((), {}), (("a",), {}), (("a", 1, ("x",), "n", "s", 2), {}), (("a",), {"size": 3, "count": 2}),
             ((), {"name": "a", "tags": ("t",)}), (("a", 1, (), "", "", 0, "extra"), {}), (("a",), {"name": "b"}),
             (("a",), {"colour": "red"}), ((), {"count": 1})]
    for args, kwargs in calls:
        assert _made(shared, *args, **kwargs) == _made(generated, *args, **kwargs), (args, kwargs)
    assert shared.__match_args__ == generated.__match_args__ == ("name", "count", "tags", "note", "secret", "size")
    described = [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.compare, f.hash, f.kw_only)
                 for f in dataclasses.fields(shared)]
    assert described == [(f.name, f.type, f.default, f.default_factory, f.init, f.repr, f.compare, f.hash, f.kw_only)
                         for f in dataclasses.fields(generated)]
    # the class attribute is the default, as dataclass leaves it
    assert [shared.__dict__.get(name, "-") for name in shared.__match_args__] == [
        generated.__dict__.get(name, "-") for name in generated.__match_args__] == ["-", 0, (), "", "", 0]


def test_construction_errors_say_what_is_wrong():
    _, shared = twins(frozen=False)
    for call, message in [
        (lambda: shared(), "missing required arguments: 'name'"),
        (lambda: shared("a", 1, (), "", "", 0, "extra"), "takes 6 positional arguments but 7 were given"),
        (lambda: shared("a", name="b"), "got multiple values for argument 'name'"),
        (lambda: shared("a", 1, (), "", "", 0, size=1), "got multiple values for argument 'size'"),
        (lambda: shared("a", colour="red"), "got an unexpected keyword argument 'colour'"),
    ]:
        with pytest.raises(TypeError) as raised:
            call()
        assert str(raised.value) == f"twins.<locals>.Row() {message}"

    @datatype
    class Two:
        first: int
        second: int

    for call, missing in [(lambda: Two(), "'first', 'second'"), (lambda: Two(second=2), "'first'"),
                          (lambda: Two(first=1), "'second'")]:
        with pytest.raises(TypeError) as raised:
            call()
        assert str(raised.value) == ("test_construction_errors_say_what_is_wrong.<locals>.Two() "
                                     f"missing required arguments: {missing}")


def test_each_instance_gets_its_own_default_and_post_init_runs_once_the_fields_are_set():
    seen = []

    @datatype
    class Bag:
        items: list[str] = field(default_factory=list)
        label: str = "bag"

        def __post_init__(self) -> None:
            seen.append((self.items, self.label))

    first, second = Bag(), Bag(label="other")
    first.items.append("x")
    assert (first.items, second.items, seen) == (["x"], [], [(["x"], "bag"), ([], "other")])
    assert "items" not in Bag.__dict__ and Bag.__dict__["label"] == "bag"


def test_a_frozen_datatype_refuses_assignment_and_deletion_as_dataclass_does():
    generated, shared = twins(frozen=True)
    for cls in (generated, shared):
        row = cls("a")
        with pytest.raises(FrozenInstanceError) as assigned:
            row.name = "b"  # type: ignore[misc]
        with pytest.raises(FrozenInstanceError) as deleted:
            del row.name  # type: ignore[misc]
        assert (str(assigned.value), str(deleted.value), row.name) == ("cannot assign to field 'name'",
                                                                      "cannot delete field 'name'", "a")
    mutable = twins(frozen=False)[1]("a")
    mutable.name = "b"
    del mutable.count
    assert vars(mutable) == {"name": "b", "tags": (), "note": "", "secret": "", "size": 0}


def test_what_dataclass_reads_differently_is_refused():
    def define(annotation, value=dataclasses.MISSING, base=object):
        namespace = {"__annotations__": {"x": annotation}}
        if value is not dataclasses.MISSING:
            namespace["x"] = value
        return datatype(type("Odd", (base,), namespace))

    refused = [
        (lambda: define("ClassVar[int]"), TypeError, "Odd.x: a datatype has no ClassVar fields"),
        (lambda: define("typing.ClassVar[int]"), TypeError, "Odd.x: a datatype has no typing.ClassVar fields"),
        (lambda: define("t.typing.ClassVar[list[int]]"), TypeError, "Odd.x: a datatype has no t.typing.ClassVar fields"),
        (lambda: define(dataclasses.InitVar[int]), TypeError, "Odd.x: a datatype has no dataclasses.InitVar fields"),
        (lambda: define("int", field(default=0, init=False)), TypeError,
         "Odd.x: a datatype field is set by __init__ and not keyword-only"),
        (lambda: define("int", field(default=0, kw_only=True)), TypeError,
         "Odd.x: a datatype field is set by __init__ and not keyword-only"),
        (lambda: define("list", []), ValueError,
         "Odd.x: a mutable default (list) would be shared by every instance: use default_factory"),
        (lambda: define("int", 0, base=Pair), TypeError, "Odd: a datatype does not inherit fields"),
    ]
    for make, error, message in refused:
        with pytest.raises(error) as raised:
            make()
        assert str(raised.value) == message
    # a name that only contains ClassVar, and a hashable default, are fields like any other
    assert [f.name for f in dataclasses.fields(define("ClassVarious", 0))] == ["x"]
    assert vars(define("tuple", (1,))()) == {"x": (1,)}
