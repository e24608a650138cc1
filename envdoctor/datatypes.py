"""``datatype``: envdoctor's dataclasses, with one ``__repr__``, ``__eq__`` and ``__hash__`` shared by all.

``dataclasses`` writes and compiles these methods anew for every class it makes. ``check`` defines some 60
classes at each start, and generating their methods cost it about 25 ms. The shared methods read the
class's fields when they are called and answer as the generated ones do: the same repr, equality between
objects of the same class over the fields that compare, and for frozen classes a hash over the fields that
hash (mutable ones stay unhashable). Everything else is ``dataclasses.dataclass`` itself.
"""

from __future__ import annotations

import reprlib
from dataclasses import MISSING, dataclass, field, fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_kwargs: Any):
        return lambda decorator: decorator

T = TypeVar("T", bound=type)


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: Any) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]  # Python then asks the other side, as dataclass does
    names = [f.name for f in fields(self) if f.compare]
    return tuple(getattr(self, name) for name in names) == tuple(getattr(other, name) for name in names)


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, f.name) for f in fields(self) if (f.compare if f.hash is None else f.hash)))


@dataclass_transform(field_specifiers=(field,))
def datatype(cls: T | None = None, /, *, frozen: bool = False) -> Any:
    """``@dataclass`` or ``@dataclass(frozen=True)``, with the shared methods; a method the class body defines
    itself is kept, as dataclass keeps it."""

    def wrap(cls: T) -> T:
        own_hash = cls.__dict__.get("__hash__", MISSING)
        explicit_hash = not (own_hash is MISSING or (own_hash is None and "__eq__" in cls.__dict__))
        for name, method in (("__repr__", _repr), ("__eq__", _eq)):
            if name not in cls.__dict__:
                setattr(cls, name, method)
        if not explicit_hash:
            cls.__hash__ = _hash if frozen else None  # type: ignore[assignment]
        dataclass(cls, repr=False, eq=False, frozen=frozen)  # the class itself, made a dataclass in place
        return cls

    return wrap if cls is None else wrap(cls)
