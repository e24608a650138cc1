"""``datatype``: envdoctor's dataclasses, made without generating code.

``dataclasses`` writes and compiles an ``__init__`` for every class (with ``__setattr__`` and ``__delattr__``
for a frozen one, and ``__repr__``, ``__eq__`` and ``__hash__``), and reads the text of every annotation
to find ``ClassVar`` and ``InitVar``. ``check`` defines some 60 classes at each start, and that cost it
about 45 ms (measured in two steps: 25 ms for the repr, equality and hash, then 21 ms
for the rest). A datatype's methods are shared by every class: they read the class's table of fields
when they are called and answer as the generated ones do. The class carries the ``__dataclass_fields__``
a dataclass has, so ``dataclasses.fields``, ``replace``, ``asdict`` and ``is_dataclass`` work on it as
on a dataclass.

What envdoctor's classes use is supported: defaults, ``field(default=..., default_factory=...,
repr=..., compare=..., hash=...)``, ``frozen`` and ``__post_init__``. What they do not use is refused with
a TypeError, never read differently from ``@dataclass``: ``ClassVar`` and ``InitVar`` annotations,
``init=False``, ``kw_only`` and a base class with fields of its own.

The shared ``__init__`` makes an object in about three times the time of a generated one (some 2 µs): nothing
for the few hundred objects ``check`` makes, but a class made by the hundred on every call of a hot path that
``check`` never imports (the resolver's candidates and their failures) stays a plain ``dataclass``.
"""

from __future__ import annotations

import dataclasses
import inspect
import reprlib
from collections.abc import Callable
from dataclasses import MISSING, Field, FrozenInstanceError, field
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_kwargs: Any):
        return lambda decorator: decorator

T = TypeVar("T", bound=type)

#: What marks a Field as a field of the instance (rather than a ClassVar or an InitVar) for
#: ``dataclasses.fields``; the same object in every Python from 3.7 on.
_INSTANCE_FIELD = dataclasses._FIELD  # type: ignore[attr-defined]
_NOT_FIELDS = ("ClassVar", "InitVar")


class _Table:
    """One class's fields as its shared methods read them, in the order they were declared."""

    def __init__(self, qualname: str, fields: list[Field[Any]], post_init: bool) -> None:
        self.qualname = qualname
        self.names = tuple(f.name for f in fields)
        self.known = frozenset(self.names)
        defaults = {f.name: f.default for f in fields if f.default is not MISSING}
        self.factories: dict[str, Callable[[], Any]] = {
            f.name: f.default_factory for f in fields if f.default_factory is not MISSING}
        self.required = tuple(name for name in self.names if name not in defaults and name not in self.factories)
        #: every field in order with its default, or MISSING: what an object starts from
        self.start = {name: defaults.get(name, MISSING) for name in self.names}
        self.shown = tuple(f.name for f in fields if f.repr)
        self.compared = tuple(f.name for f in fields if f.compare)
        self.hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
        self.post_init = post_init

    def refuse(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> NoReturn:
        """Raise the TypeError Python raises for a call that does not fit the fields."""
        if len(args) > len(self.names):
            raise TypeError(f"{self.qualname}() takes {len(self.names)} positional arguments but {len(args)} were given")
        for name in kwargs:
            if name not in self.known:
                raise TypeError(f"{self.qualname}() got an unexpected keyword argument {name!r}")
            if name in self.names[:len(args)]:
                raise TypeError(f"{self.qualname}() got multiple values for argument {name!r}")
        missing = [repr(name) for name in self.required if name not in self.names[:len(args)] and name not in kwargs]
        raise TypeError(f"{self.qualname}() missing required arguments: {', '.join(missing)}")


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    table: _Table = self.__datatype__
    names = table.names
    if kwargs or len(args) != len(names):
        if len(args) > len(names) or not table.known.issuperset(kwargs) or (
                args and kwargs and not kwargs.keys().isdisjoint(names[:len(args)])):
            table.refuse(args, kwargs)
        values = table.start.copy()  # dict's own methods do the work, in field order: this runs for every object
        values.update(zip(names, args, strict=False))  # fewer arguments than fields: the rest are defaults
        values.update(kwargs)
        for name in table.required:
            if values[name] is MISSING:
                table.refuse(args, kwargs)
        for name, factory in table.factories.items():
            if values[name] is MISSING:
                values[name] = factory()
        self.__dict__.update(values)  # past __setattr__, as a frozen dataclass's __init__ does
    else:
        self.__dict__.update(zip(names, args, strict=True))
    if table.post_init:
        self.__post_init__()


@reprlib.recursive_repr()
def _repr(self: Any) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__datatype__.shown)
    return f"{self.__datatype__.qualname}({shown})"


def _eq(self: Any, other: Any) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]  # Python then asks the other side, as dataclass does
    names = self.__datatype__.compared
    return tuple(getattr(self, name) for name in names) == tuple(getattr(other, name) for name in names)


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, name) for name in self.__datatype__.hashed))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _field(cls: type, name: str, annotation: Any) -> Field[Any]:
    """The Field of one annotation; the class attribute becomes the default, as dataclass leaves it."""
    kind = (annotation if isinstance(annotation, str) else repr(annotation)).partition("[")[0]
    if kind.rpartition(".")[2] in _NOT_FIELDS:
        raise TypeError(f"{cls.__qualname__}.{name}: a datatype has no {kind} fields")
    value = cls.__dict__.get(name, MISSING)
    made: Field[Any] = value if isinstance(value, Field) else field(default=value)
    if not made.init or made.kw_only is True:
        raise TypeError(f"{cls.__qualname__}.{name}: a datatype field is set by __init__ and not keyword-only")
    if made.default is not MISSING and made.default.__class__.__hash__ is None:
        raise ValueError(f"{cls.__qualname__}.{name}: a mutable default ({type(made.default).__name__}) would be "
                         "shared by every instance: use default_factory")
    made.name, made.type, made.kw_only = name, annotation, False
    made._field_type = _INSTANCE_FIELD  # type: ignore[attr-defined]
    if made.default is MISSING:
        if value is not MISSING:
            delattr(cls, name)
    else:
        setattr(cls, name, made.default)
    return made


@dataclass_transform(field_specifiers=(field,))
def datatype(cls: T | None = None, /, *, frozen: bool = False) -> Any:
    """``@dataclass`` or ``@dataclass(frozen=True)``; a method the class body defines itself is kept, as
    dataclass keeps it."""

    def wrap(cls: T) -> T:
        if any("__dataclass_fields__" in base.__dict__ for base in cls.__mro__[1:]):
            raise TypeError(f"{cls.__qualname__}: a datatype does not inherit fields")
        fields = [_field(cls, name, annotation) for name, annotation in inspect.get_annotations(cls).items()]
        own_hash = cls.__dict__.get("__hash__", MISSING)
        explicit_hash = not (own_hash is MISSING or (own_hash is None and "__eq__" in cls.__dict__))
        cls.__datatype__ = _Table(cls.__qualname__, fields, "__post_init__" in cls.__dict__)  # type: ignore[attr-defined]
        cls.__dataclass_fields__ = {f.name: f for f in fields}  # type: ignore[attr-defined]
        shared: dict[str, Any] = {"__init__": _init, "__repr__": _repr, "__eq__": _eq,
                                  "__match_args__": tuple(f.name for f in fields)}
        if frozen:
            shared.update(__setattr__=_frozen_setattr, __delattr__=_frozen_delattr)
        for name, method in shared.items():
            if name not in cls.__dict__:
                setattr(cls, name, method)
        if not explicit_hash:
            cls.__hash__ = _hash if frozen else None  # type: ignore[assignment]
        return cls

    return wrap if cls is None else wrap(cls)
