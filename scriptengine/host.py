"""Host types and host functions: how an embedding program describes what scripts may see.

A host type lists its properties and methods (with argument counts and, where known, the
type name of the result), so ``check`` can warn about unknown members and wrong argument
counts before a script runs, and the sandbox exposes nothing else.

Example::

    class Point(HostObject):
        jexl_type = TypeInfo(
            "Point",
            properties={"x": PropertyInfo("x", "Integer", writable=True)},
            methods={"norm": MethodInfo("norm", 0, 0, "Double")},
        )

        def __init__(self, x): self.x = x
        def jexl_get(self, name): return self.x
        def jexl_set(self, name, value): self.x = value
        def jexl_call(self, name, args): return float(abs(self.x))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class PropertyInfo:
    """A property: its name, the type name of its value (None when unknown) and whether a
    script may assign it."""

    name: str
    type: str | None = None
    writable: bool = False
    doc: str = ""


@dataclass(frozen=True)
class MethodInfo:
    """A method: name, argument counts (``max_args`` None = any number), result type name."""

    name: str
    min_args: int = 0
    max_args: int | None = 0
    returns: str | None = None
    doc: str = ""

    def accepts(self, n: int) -> bool:
        """True when ``n`` arguments are acceptable."""
        return n >= self.min_args and (self.max_args is None or n <= self.max_args)


@dataclass(frozen=True)
class TypeInfo:
    """What scripts may see of a host type.

    ``strict``: reading or writing an unknown member is an error naming the closest one,
    even under safe mode (records of the store and ``entity``). Otherwise JEXL's safe-mode
    rule applies (null and a warning).
    """

    name: str
    properties: Mapping[str, PropertyInfo] = field(default_factory=dict)
    methods: Mapping[str, MethodInfo] = field(default_factory=dict)
    strict: bool = False
    #: a value of this type compares equal to a String of its name (Java enums, ``purpose``)
    enum_like: bool = False
    doc: str = ""

    def member_names(self) -> list[str]:
        """Every visible member name (properties and methods), sorted."""
        return sorted(set(self.properties) | set(self.methods))


class HostObject:
    """Base class of Python objects exposed to scripts.

    Subclasses set ``jexl_type`` (or override ``jexl_type_info()`` when the type depends on
    the instance, as records of schema-declared types do) and implement the three hooks.
    The access layer calls a hook only for a member that ``jexl_type_info()`` lists, so a
    hook never sees a name the type did not declare.
    """

    jexl_type: ClassVar[TypeInfo] = TypeInfo("Object")

    def jexl_type_info(self) -> TypeInfo:
        """The type description scripts see for this object."""
        return self.jexl_type

    def jexl_get(self, name: str) -> Any:
        """Read a declared property."""
        raise NotImplementedError

    def jexl_set(self, name: str, value: Any) -> None:
        """Write a declared writable property; raise ``EvalError`` for a wrong value type."""
        raise NotImplementedError

    def jexl_call(self, name: str, args: list[Any]) -> Any:
        """Call a declared method with an acceptable number of arguments."""
        raise NotImplementedError

    def jexl_string(self) -> str:
        """What ``toString()``, ``+`` and templates show (Java's ``toString``)."""
        return self.jexl_type_info().name


@dataclass(frozen=True)
class HostFunction:
    """A top-level function (``createNew``) or a namespace member (``math:round``).

    ``fn`` is called with the script's arguments after ``min_args``/``max_args`` were
    checked (a wrong count is a runtime error, as in JEXL). With ``takes_thread`` the
    current ``Thread`` is passed first, so the function can charge its work to the run's
    limits (``thread.charge(n)``).
    """

    name: str
    fn: Callable[..., Any]
    min_args: int = 0
    max_args: int | None = None
    returns: str | None = None
    takes_thread: bool = False
    doc: str = ""

    def accepts(self, n: int) -> bool:
        """True when ``n`` arguments are acceptable."""
        return n >= self.min_args and (self.max_args is None or n <= self.max_args)


@dataclass
class Namespace:
    """A group of host functions called as ``name:fn(...)``."""

    name: str
    functions: dict[str, HostFunction] = field(default_factory=dict)


@dataclass
class HostEnvironment:
    """What an engine offers scripts: functions, namespaces, type descriptions (for
    ``check``) and the declared types of host variables (``entity`` -> ``ReceivedEmail``).
    """

    functions: dict[str, HostFunction] = field(default_factory=dict)
    namespaces: dict[str, Namespace] = field(default_factory=dict)
    types: dict[str, TypeInfo] = field(default_factory=dict)
    variable_types: dict[str, str] = field(default_factory=dict)

    def add_function(self, function: HostFunction) -> None:
        self.functions[function.name] = function

    def add_type(self, info: TypeInfo) -> None:
        self.types[info.name] = info
