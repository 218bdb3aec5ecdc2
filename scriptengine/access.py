"""Property, index, method and function access for generated code, through the sandbox.

``Access(options, thread, host)`` is made once per run; the compiler emits calls to its bound
methods (``getprop``, ``getitem``, ``setprop``, ``setitem``, ``call_method``, ``call_value``,
``call_function``, ``call_namespace``, ``iterate``, ``template`` and the literal builders).

Resolution follows JEXL's (digest section 6): ``a.b`` on a map tries a JavaBean getter of
``java.util.Map`` first (only ``isEmpty`` -> ``empty`` exists), then the key; ``a[k]`` on a
map is always the key; lists and arrays take integer indexes; strings are not indexable.
Built-in values expose only the members of ``members.py``; host objects only what their
``TypeInfo`` declares. Python attributes are never read with a script-supplied name.

Safe mode (digest section 0, item 5): navigation through null gives null; an unknown or
hidden member of a plain value gives null and records an ``unknown-member`` warning with
the script position; host types with a strict ``TypeInfo`` raise an error naming the
closest member whatever the mode.
"""

from __future__ import annotations

import difflib
import itertools
import linecache
import sys
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from . import members as M
from . import values as V
from .errors import Diagnostic, EvalError
from .host import HostEnvironment, HostFunction, HostObject, TypeInfo
from .members import NoOverload, display_name
from .options import Options
from .regexes import CHARS_PER_STEP
from .sandbox import FORBIDDEN_VERDICTS, is_forbidden
from .thread import Thread

#: Per kind, the properties a dotted read finds through a no-argument getter
#: (``'abc'.empty`` -> ``isEmpty()``), computed once from the member tables.
_GETTERS: dict[str, dict[str, M.Member]] = {}
for _kind in M.TABLES:
    _GETTERS[_kind] = {}
    for _prop in M.property_names(_kind, all_spellings=True):
        _g = M.getter_for(_kind, _prop)
        if _g is not None and not is_forbidden(_prop):
            _GETTERS[_kind][_prop] = _g


_MAP_GETTERS = _GETTERS["Map"]
_JArray = V.JArray  # a module global: one lookup on the hot paths, not two

#: The member table of each exact Python type that has one (the fast path of calls).
_TABLE_BY_TYPE: dict[type, dict[str, M.Member]] = {
    str: M.STRING,
    list: M.LIST,
    dict: M.MAP,
    int: M.TABLES["Integer"],
    bool: M.BOOLEAN,
    float: M.TABLES["Double"],
    V.JArray: M.ARRAY,
    V.JSet: M.SET,
    V.JRange: M.RANGE,
}


def _closest(name: str, candidates: Iterable[str]) -> str | None:
    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None


def _did_you_mean(name: object, candidates: Iterable[str]) -> str | None:
    if not isinstance(name, str):
        return None
    best = _closest(name, candidates)
    return f"did you mean '{best}'?" if best else None


def _as_index(key: Any) -> int | None:
    """A number key as a list index, by Java's ``intValue()`` (JEXL's
    ``AbstractExecutor.castInteger``: ``l[1.7]`` reads ``l[1]``); None for anything else
    (Booleans and Characters are not numbers)."""
    t = type(key)
    if t is int:
        return int(key)
    if t is V.Long or t is V.BigInteger or t is float or t is V.Float or t is Decimal:
        return M.to_int32(key)
    return None


def script_position() -> tuple[str, int, int]:
    """``(filename, line, column)`` of the innermost generated-code frame on the stack
    (filename ``<jexl:NAME>`` -> ``NAME``); ``('<script>', 0, 0)`` when none is found.

    Reads ``co_positions()`` at the frame's last instruction; the compiler's column is a
    UTF-8 byte offset in the line, turned back into a 1-based character column."""
    frame = sys._getframe(1)
    while frame is not None and not frame.f_code.co_filename.startswith("<jexl:"):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "<script>", 0, 0
    code = frame.f_code
    filename = code.co_filename
    line, col = frame.f_lineno or 0, 0
    for pos in itertools.islice(code.co_positions(), frame.f_lasti // 2, None):
        if pos[0] is not None:
            line = pos[0]
        col = pos[2] or 0
        break
    text = linecache.getline(filename, line)
    if text:
        col = len(text.encode("utf-8")[:col].decode("utf-8", "ignore"))
    name = filename[len("<jexl:") : -1] if filename.endswith(">") else filename
    return name, line, col + 1


class Access:
    """The per-run access layer. ``options.safe`` decides what unknown members give;
    ``thread`` receives warnings and pays for host work; ``host`` supplies functions and
    namespaces (None: a script without host functions)."""

    def __init__(
        self, options: Options, thread: Thread, host: HostEnvironment | None = None
    ) -> None:
        self.options = options
        self.thread = thread
        self.host = host
        self.safe = options.safe
        #: a ``${}`` value as template text (a plain function: generated code calls it)
        self.tstr = V.template_string
        #: warnings already recorded, by place and message: a repeat only counts
        self._warned: dict[tuple[str, int, int, str], Diagnostic] = {}

    # --- warnings and errors --------------------------------------------------------------
    def warn(self, message: str, code: str = "unknown-member", hint: str | None = None) -> None:
        """Record a run-time warning at the current script position. The same warning at
        the same place is recorded once, its ``extra['count']`` counting the repeats (a loop
        of a million iterations must not keep a million warnings)."""
        filename, line, column = script_position()
        key = (filename, line, column, message)
        seen = self._warned.get(key)
        if seen is not None:
            seen.extra["count"] = seen.extra.get("count", 1) + 1
            return
        source = linecache.getline(f"<jexl:{filename}>", line) if line else None
        diagnostic = Diagnostic(
            "warning", message, filename, line, column, source or None, hint, code
        )
        self._warned[key] = diagnostic
        self.thread.warn(diagnostic)

    def _unknown(self, obj: Any, message: str, hint: str | None = None) -> None:
        """An unknown or hidden member of ``obj``: under safe mode record a warning and let
        the caller return null; otherwise raise."""
        if self.safe:
            self.warn(message + ": null under safe mode", hint=hint)
            return
        raise EvalError(message, hint=hint)

    def _unknown_property(self, obj: Any, name: Any) -> None:
        kind = M.kind_of(obj)
        candidates = list(_GETTERS.get(kind or "", {})) + list(M.properties_of(kind or ""))
        self._unknown(
            obj,
            f"undefined property '{V.to_string(name)}' of {display_name(obj)}",
            _did_you_mean(name, candidates),
        )

    def _unknown_method(self, obj: Any, name: str, detail: str = "") -> None:
        kind = M.kind_of(obj)
        hint = None if detail else _did_you_mean(name, M.members_of(kind or ""))
        if kind == "Array" and name in ("add", "addAll", "remove", "removeAll", "clear", "sort"):
            # JEXL 3.7.0: [1, 2].add(3) quietly does nothing; say why
            hint = "an array has a fixed size: use a list literal [a, b, ...] or [...]"

        message = f"unknown method '{name}' of {display_name(obj)}"
        if detail:
            message = f"no method '{name}' of {display_name(obj)} {detail}"
        self._unknown(obj, message, hint)

    # --- reading ---------------------------------------------------------------------------
    def getprop(self, obj: Any, name: Any) -> Any:
        """``obj.name`` (name is a str, or an int for ``l.0``). Null receiver: null under
        safe mode, else an error. Missing map keys give null without a warning."""
        t = type(obj)
        if t is dict:
            if type(name) is str:
                if name in _MAP_GETTERS:
                    return _MAP_GETTERS[name].impl(self.thread, obj, [])
                return obj.get(name)
            return M.map_get(obj, name)
        if obj is None:
            return self._null_receiver(f"cannot read property '{V.to_string(name)}' of null")
        if isinstance(obj, HostObject):
            # the hot path: a declared property whose name the sandbox already judged
            # allowed (the verdict cache of ``is_forbidden``; a name not judged yet takes
            # the slow path, which judges it)
            if FORBIDDEN_VERDICTS.get(name) is False and name in obj.jexl_type_info().properties:
                return obj.jexl_get(name)
            return self._host_get(obj, name)
        if t is list or t is _JArray:
            index = name if type(name) is int else _as_index(name)
            if index is not None:
                if index < 0 or index >= len(obj):
                    raise M.index_error(index, len(obj))
                return obj[index]
        return self._builtin_get(obj, name)

    def getprop_safe(self, obj: Any, name: Any) -> Any:
        """``obj?.name``: null when ``obj`` is null, whatever the mode."""
        if obj is None:
            return None
        return self.getprop(obj, name)

    def getitem(self, obj: Any, key: Any) -> Any:
        """``obj[key]``: map key first (any key), list/array index, else a property named
        by a string key."""
        t = type(obj)
        if t is dict:
            if type(key) is str:
                return obj.get(key)
            return M.map_get(obj, key)
        if obj is None:
            return self._null_receiver(f"cannot read element '{V.to_string(key)}' of null")
        if t is list or t is V.JArray:
            index = key if type(key) is int else _as_index(key)
            if index is not None:
                if index < 0 or index >= len(obj):
                    raise M.index_error(index, len(obj))
                return obj[index]
        if isinstance(obj, HostObject):
            return self._host_get(obj, key)
        if type(key) is str:
            return self._builtin_get(obj, key)
        self._unknown_property(obj, key)
        return None

    def getitem_safe(self, obj: Any, key: Any) -> Any:
        """``obj?[key]``: null when ``obj`` is null."""
        if obj is None:
            return None
        return self.getitem(obj, key)

    def _null_receiver(self, message: str) -> None:
        if self.safe:
            return None
        raise EvalError(message)

    def _builtin_get(self, obj: Any, name: Any) -> Any:
        kind = M.kind_of(obj)
        if kind is not None and type(name) is str and not is_forbidden(name):
            prop = M.properties_of(kind).get(name)
            if prop is not None:
                return prop.get(obj)
            getter = _GETTERS[kind].get(name)
            if getter is not None:
                return self._invoke(obj, getter, [])
        self._unknown_property(obj, name)
        return None

    # --- host objects ----------------------------------------------------------------------
    def _host_info(self, obj: HostObject) -> TypeInfo:
        return obj.jexl_type_info()

    def _host_unknown(self, obj: HostObject, info: TypeInfo, name: Any, what: str) -> None:
        label = V.to_string(name)
        hint = _did_you_mean(name, info.member_names())
        message = f"unknown {what} '{label}' of {info.name}"
        if info.strict:
            raise EvalError(message, hint=hint)
        self._unknown(obj, message, hint)

    def _host_get(self, obj: HostObject, name: Any) -> Any:
        info = obj.jexl_type_info()
        if type(name) is str and not is_forbidden(name):
            if name in info.properties:  # the hot path: one cached verdict, one dict lookup
                return obj.jexl_get(name)
            # JavaBean getters declared as methods: ``x.foo`` reads ``getFoo()``
            cap = name[:1].upper() + name[1:]
            for prefix in ("get", "is"):
                method = info.methods.get(prefix + cap)
                if method is not None and method.accepts(0):
                    return obj.jexl_call(method.name, [])
        self._host_unknown(obj, info, name, "field" if info.strict else "property")
        return None

    def _host_set(self, obj: HostObject, name: Any, value: Any) -> None:
        info = self._host_info(obj)
        if type(name) is str and not is_forbidden(name):
            prop = info.properties.get(name)
            if prop is not None:
                if not prop.writable:
                    raise EvalError(f"property '{name}' of {info.name} is read-only")
                obj.jexl_set(name, value)
                return
        self._host_unknown(obj, info, name, "field" if info.strict else "property")

    def _host_call(self, obj: HostObject, name: str, args: list[Any]) -> Any:
        info = self._host_info(obj)
        if not is_forbidden(name):
            method = info.methods.get(name)
            if method is not None:
                if not method.accepts(len(args)):
                    wanted = _count(method.min_args, method.max_args)
                    raise EvalError(
                        f"method '{name}' of {info.name} takes {wanted}, got {len(args)}"
                    )
                return obj.jexl_call(name, args)
            if info.enum_like and not args and name == "name":
                # Enum.name(); ordinal() must be declared (hooks see declared names only)
                return obj.jexl_string()
            if name == "toString" and not args:
                return obj.jexl_string()
            prop = info.properties.get(name)
            if prop is not None:
                functor = obj.jexl_get(name)
                if isinstance(functor, (V.Invocable, HostFunction)):
                    return self.call_value(functor, args)
        self._host_unknown(obj, info, name, "method")
        return None

    # --- writing ---------------------------------------------------------------------------
    def setprop(self, obj: Any, name: Any, value: Any) -> Any:
        """``obj.name = value``; returns ``value``. Maps put (the items limit applies),
        lists and arrays set an existing index, host objects need a writable declared
        property. A set has no properties; a null receiver is an error."""
        t = type(obj)
        if t is dict:
            self._map_put(obj, name, value)
            return value
        if obj is None:
            raise EvalError(f"cannot set property '{V.to_string(name)}' of null")
        if isinstance(obj, HostObject):
            prop = obj.jexl_type_info().properties.get(name) if type(name) is str else None
            if prop is not None and prop.writable and FORBIDDEN_VERDICTS.get(name) is False:
                obj.jexl_set(name, value)  # the hot path, as in ``getprop``
            else:
                self._host_set(obj, name, value)
            return value
        if t is list or t is _JArray:
            index = _as_index(name)
            if index is not None:
                self._set_index(obj, index, value)
                return value
        if isinstance(obj, V.JSet):
            raise EvalError(f"a Set has no properties: cannot set '{V.to_string(name)}'")
        kind = M.kind_of(obj)
        if kind is not None and type(name) is str and name in _GETTERS[kind]:
            raise EvalError(f"property '{name}' of {display_name(obj)} is read-only")
        self._unknown_property(obj, name)
        return value

    def setitem(self, obj: Any, key: Any, value: Any) -> Any:
        """``obj[key] = value``; returns ``value``. Same rules as ``setprop``, map key first."""
        return self.setprop(obj, key, value)

    def _map_put(self, m: dict[Any, Any], key: Any, value: Any) -> None:
        M.map_put(self.thread, m, key, value)

    def _set_index(self, seq: list[Any], index: int, value: Any) -> None:
        if index < 0 or index >= len(seq):
            raise M.index_error(index, len(seq))
        if type(seq) is V.JArray and not M.fits_component(seq.component, value):
            raise EvalError(
                f"cannot store a value of type {display_name(value)} in {seq.component}[]"
            )
        seq[index] = value

    # --- calls -----------------------------------------------------------------------------
    def call_method(self, obj: Any, name: str, args: list[Any]) -> Any:
        """``obj.name(args)``: a member of the receiver's Java type or of its host type; a
        map entry or host property holding a function is called (JEXL's functor rule).
        Unknown methods: null and a warning under safe mode, else an error."""
        # fast path: a built-in receiver and a listed member taking this many arguments
        # (no table lists a forbidden name: test_sandbox checks it)
        table = _TABLE_BY_TYPE.get(type(obj))
        if table is not None:
            member = table.get(name)
            if member is not None:
                n = len(args)
                if member.min_args <= n and (member.max_args is None or n <= member.max_args):
                    try:
                        return member.impl(self.thread, obj, args)
                    except NoOverload:
                        pass
        return self._call_method_slow(obj, name, args)

    # --- fast paths of the commonest method calls ------------------------------------------
    # The compiler emits ``m_NAME(obj, args...)`` for a call of one of these names with this
    # many arguments (``FAST_METHODS``). Each handles the usual receivers in one Python call,
    # with the result, the limits charged and the errors of its member in ``members.py``,
    # and sends everything else to ``call_method`` (tests/scriptengine/test_speedpaths.py
    # compares the two on every kind of receiver).

    def m_size(self, obj: Any) -> Any:
        """``obj.size()``."""
        t = type(obj)
        if t is list or t is dict:
            return len(obj)
        return self.call_method(obj, "size", [])

    def m_isEmpty(self, obj: Any) -> Any:  # noqa: N802 - the JEXL name
        """``obj.isEmpty()``."""
        t = type(obj)
        if t is list or t is dict or t is str:
            return len(obj) == 0
        return self.call_method(obj, "isEmpty", [])

    def m_length(self, obj: Any) -> Any:
        """``obj.length()`` (a String's UTF-16 units)."""
        if type(obj) is str and obj.isascii():
            return len(obj)
        return self.call_method(obj, "length", [])

    def m_get(self, obj: Any, key: Any) -> Any:
        """``obj.get(key)``: a map's value (String and Integer keys: Java's equality is
        Python's), a list's element at an index in range."""
        t = type(obj)
        if t is dict:
            tk = type(key)
            if tk is str or tk is int:
                return obj.get(key)
        elif t is list and type(key) is int and 0 <= key < len(obj):
            return obj[key]
        return self.call_method(obj, "get", [key])

    def m_put(self, obj: Any, key: Any, value: Any) -> Any:
        """``map.put(key, value)`` with a String or Integer key: the previous value."""
        if type(obj) is dict:
            tk = type(key)
            if tk is str or tk is int:
                if key in obj:
                    old = obj[key]
                else:
                    old = None
                    lim = self.thread.limits.items
                    if lim is not None and len(obj) >= lim:
                        self.thread.check_items(len(obj) + 1)  # raises
                obj[key] = value
                return old
        return self.call_method(obj, "put", [key, value])

    def m_containsKey(self, obj: Any, key: Any) -> Any:  # noqa: N802 - the JEXL name
        """``map.containsKey(key)`` with a String or Integer key."""
        if type(obj) is dict:
            tk = type(key)
            if tk is str or tk is int:
                return key in obj
        return self.call_method(obj, "containsKey", [key])

    def m_add(self, obj: Any, item: Any) -> Any:
        """``list.add(item)``: true (the items limit applies)."""
        if type(obj) is list:
            lim = self.thread.limits.items
            if lim is not None and len(obj) >= lim:
                self.thread.check_items(len(obj) + 1)  # raises
            obj.append(item)
            return True
        return self.call_method(obj, "add", [item])

    def m_contains(self, obj: Any, item: Any) -> Any:
        """``list.contains(item)`` (Java equality), ``string.contains(text)``."""
        t = type(obj)
        if t is list:
            return M.find(self.thread, obj, item) >= 0
        if t is str and type(item) is str:
            n = len(obj)
            if n >= CHARS_PER_STEP:
                self.thread.charge(n // CHARS_PER_STEP)
            return item in obj
        return self.call_method(obj, "contains", [item])

    def m_indexOf(self, obj: Any, item: Any) -> Any:  # noqa: N802 - the JEXL name
        """``list.indexOf(item)`` (Java equality)."""
        if type(obj) is list:
            return M.find(self.thread, obj, item)
        return self.call_method(obj, "indexOf", [item])

    def m_toLowerCase(self, obj: Any) -> Any:  # noqa: N802 - the JEXL name
        """``string.toLowerCase()``."""
        if type(obj) is str:
            n = len(obj)
            if n >= CHARS_PER_STEP:
                self.thread.charge(n // CHARS_PER_STEP)
            return obj.lower()
        return self.call_method(obj, "toLowerCase", [])

    def m_toUpperCase(self, obj: Any) -> Any:  # noqa: N802 - the JEXL name
        """``string.toUpperCase()``."""
        if type(obj) is str:
            n = len(obj)
            if n >= CHARS_PER_STEP:
                self.thread.charge(n // CHARS_PER_STEP)
            return obj.upper()
        return self.call_method(obj, "toUpperCase", [])

    def _call_method_slow(self, obj: Any, name: str, args: list[Any]) -> Any:
        if obj is None:
            return self._null_receiver(f"cannot call method '{name}' of null")
        if isinstance(obj, HostObject):
            return self._host_call(obj, name, args)
        kind = M.kind_of(obj)
        if kind is not None and not is_forbidden(name):
            member = M.TABLES[kind].get(name)
            if member is not None:
                if not member.accepts(len(args)):
                    self._unknown_method(
                        obj,
                        name,
                        f"takes {_count(member.min_args, member.max_args)} (got {len(args)})",
                    )
                    return None
                try:
                    return M.invoke(member, self.thread, obj, args)
                except NoOverload:
                    types = ", ".join(display_name(a) for a in args)
                    self._unknown_method(obj, name, f"accepts ({types})")
                    return None
            if type(obj) is dict:
                functor = obj.get(name)
                if isinstance(functor, (V.Invocable, HostFunction)):
                    return self.call_value(functor, args)
        self._unknown_method(obj, name)
        return None

    def call_method_safe(self, obj: Any, name: str, args: list[Any]) -> Any:
        """``obj?.name(args)``: null when ``obj`` is null."""
        if obj is None:
            return None
        return self.call_method(obj, name, args)

    def _invoke(self, obj: Any, member: M.Member, args: list[Any]) -> Any:
        try:
            return M.invoke(member, self.thread, obj, args)
        except NoOverload:
            self._unknown_method(obj, member.name, "accepts these arguments")
            return None

    def call_value(self, fn: Any, args: list[Any]) -> Any:
        """Call a function value: a script function (``fn.invoke(args)``) or a host
        function (argument count checked first). Anything else is an error."""
        if isinstance(fn, V.Invocable):
            return fn.invoke(args)
        if isinstance(fn, HostFunction):
            return self._call_host_function(fn, args, fn.name)
        if fn is None:
            raise EvalError("cannot call null: the value is not a function")
        raise EvalError(f"cannot call a value of type {display_name(fn)}: it is not a function")

    def _call_host_function(self, fn: HostFunction, args: list[Any], label: str) -> Any:
        if not fn.accepts(len(args)):
            raise EvalError(
                f"function '{label}' takes {_count(fn.min_args, fn.max_args)}, got {len(args)}"
            )
        if fn.takes_thread:
            return fn.fn(self.thread, *args)
        return fn.fn(*args)

    def call_function(self, name: str, args: list[Any]) -> Any:
        """A top-level host function (``createNew('X')``). Unknown -> error with a
        did-you-mean hint (JEXL: ``unsolvable function``, never hidden by safe mode)."""
        functions = self.host.functions if self.host is not None else {}
        fn = functions.get(name)
        if fn is None:
            raise EvalError(f"unknown function '{name}'", hint=_did_you_mean(name, functions))
        return self._call_host_function(fn, args, name)

    def call_namespace(self, ns: str, name: str, args: list[Any]) -> Any:
        """``ns:name(args)``: a function of a namespace the host registered."""
        namespaces = self.host.namespaces if self.host is not None else {}
        space = namespaces.get(ns)
        if space is None:
            raise EvalError(f"unknown namespace '{ns}'", hint=_did_you_mean(ns, namespaces))
        fn = space.functions.get(name)
        if fn is None:
            raise EvalError(
                f"unknown function '{ns}:{name}'", hint=_did_you_mean(name, space.functions)
            )
        return self._call_host_function(fn, args, f"{ns}:{name}")

    # --- iteration -------------------------------------------------------------------------
    def iterate(self, value: Any) -> Iterator[Any]:
        """What ``for (x : value)`` walks (digest section 7): lists, arrays, sets and
        ranges element by element, a map its values, a host object its iterator; null,
        strings and anything else nothing. Changing a list's or map's size while walking
        it is an error, as Java's ConcurrentModificationException."""
        t = type(value)
        if t is list:
            return _iter_list(value)
        if t is dict:
            return _iter_map(value)
        if value is None or t is str:
            return iter(())
        if t is V.JArray:
            return iter(value)  # fixed size: a plain iterator sees set() as Java does
        if isinstance(value, (V.JSet, V.JRange)):
            return iter(value)
        if isinstance(value, HostObject) and hasattr(type(value), "__iter__"):
            return iter(value)  # type: ignore[call-overload, no-any-return]
        return iter(())

    # --- literals --------------------------------------------------------------------------
    def template(self, parts: list[Any]) -> Any:
        """A backtick literal joined from its parts (null shows as empty). Unless
        ``strict_interpolation``, a result that is a plain non-negative integer without a
        leading zero is an Integer (JEXL 3.5+ ``parseIdentifier``). A literal that is only
        ``${expr}`` is the compiler's business (it yields the value itself)."""
        ts = V.template_string
        text = "".join([p if type(p) is str else ts(p) for p in parts])  # a list: faster join
        M.charge_string(self.thread, len(text))  # the length limit, and memory (it may be kept)
        if not self.options.strict_interpolation:
            number = parse_identifier(text)
            if number is not None:
                return number
        return text

    def tjoin(self, parts: list[str]) -> Any:
        """``template`` for parts already made Strings (the compiler wraps each ``${}``
        value in ``tstr``, ``values.template_string``): the same result and charges."""
        text = "".join(parts)
        n = len(text)
        th = self.thread
        limits = th.limits  # inlined members.charge_string
        if limits.string_length is not None and n > limits.string_length:
            th.check_string(n)
        th.memory += n
        if limits.memory is not None and th.memory > limits.memory:
            th.alloc(0)
        if n <= 10 and not self.options.strict_interpolation and text.isdigit():
            number = parse_identifier(text)
            if number is not None:
                return number
        return text

    def array(self, items: list[Any]) -> V.JArray:
        """``[a, b]``: a fixed-size array typed as JEXL's ArrayBuilder types it."""
        M.charge_items(self.thread, len(items))
        return V.JArray.of(items)

    def list_(self, items: list[Any]) -> list[Any]:
        """``[a, b, ...]``: a growable list."""
        M.charge_items(self.thread, len(items))
        return list(items)

    def set_(self, items: list[Any]) -> V.JSet:
        """``{a, b}``: a set (Java equality, insertion order)."""
        M.charge_items(self.thread, len(items))
        return V.JSet(items)

    def map_(self, pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
        """``{k: v, ...}``: a map in insertion order (a later duplicate key wins)."""
        M.charge_items(self.thread, len(pairs))
        result: dict[Any, Any] = {}
        for key, value in pairs:
            M.map_put(self.thread, result, key, value)
        return result


#: (method name, argument count) -> the ``Access`` fast path the compiler emits instead of
#: ``call_method`` (fixed names: generated code never names a helper after a script's name).
FAST_METHODS: dict[tuple[str, int], str] = {
    ("size", 0): "m_size",
    ("isEmpty", 0): "m_isEmpty",
    ("length", 0): "m_length",
    ("get", 1): "m_get",
    ("put", 2): "m_put",
    ("containsKey", 1): "m_containsKey",
    ("add", 1): "m_add",
    ("contains", 1): "m_contains",
    ("indexOf", 1): "m_indexOf",
    ("toLowerCase", 0): "m_toLowerCase",
    ("toUpperCase", 0): "m_toUpperCase",
}


def parse_identifier(text: str) -> int | None:
    """JEXL's ``parseIdentifier``: 1 to 10 ASCII digits, no leading zero (``'0'`` alone is
    fine) -> an Integer (Java's int arithmetic, so 10 digits may wrap); else None."""
    n = len(text)
    if n == 0 or n > 10 or not text.isascii() or not text.isdigit():
        return None
    if n > 1 and text[0] == "0":
        return None
    return (int(text) + (1 << 31)) % (1 << 32) - (1 << 31)


def _count(lo: int, hi: int | None) -> str:
    if hi is None:
        return f"at least {lo} argument{'s' if lo != 1 else ''}"
    if lo == hi:
        return f"{lo} argument{'s' if lo != 1 else ''}"
    return f"{lo} to {hi} arguments"


def _iter_list(items: list[Any]) -> Iterator[Any]:
    # Python's own list iterator (it stops when the index passes the end, as Java's
    # hasNext()), with Java's modification check before each element
    size = len(items)
    for item in items:
        if len(items) != size:
            raise EvalError("the list was changed while a loop was walking it")
        yield item


def _iter_map(m: dict[Any, Any]) -> Iterator[Any]:
    it = iter(m.values())
    while True:
        try:
            value = next(it)
        except StopIteration:
            return
        except RuntimeError:
            raise EvalError("the map was changed while a loop was walking it") from None
        yield value
