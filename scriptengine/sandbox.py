"""The sandbox policy: which member names a script can never reach, whatever the receiver.

mailwright replaces JEXL's Java permissions (digest section 0, item 4) with an allowlist:
a script reaches a member only when ``members.py`` lists it for the receiver's Java type or
a host type's ``TypeInfo`` declares it. On top of that allowlist, the names below are
refused everywhere, so no table entry or host type can expose them by mistake: the
reflective Java members (``getClass``, ``class``, class loaders, ``wait``/``notify``) and
every Python-looking private name (``__class__``, ``_x``).

Nothing in the engine ever calls ``getattr`` with a script-supplied name: ``access.py``
reads members through the tables and the ``HostObject`` hooks only.
"""

from __future__ import annotations

#: Java members that reach reflection, threads or class loading: never exposed.
FORBIDDEN_NAMES: frozenset[str] = frozenset(
    {
        "class",
        "getClass",
        "classLoader",
        "getClassLoader",
        "contextClassLoader",
        "getContextClassLoader",
        "declaringClass",
        "getDeclaringClass",
        "wait",
        "notify",
        "notifyAll",
        "finalize",
        "clone",
        "forName",
        "newInstance",
        "getRuntime",
        "exec",
        "invoke",
        "module",
        "getModule",
    }
)

#: Python attribute names that matter for escapes (for documentation and tests; every
#: ``_``-prefixed name is refused anyway by ``is_forbidden``).
PYTHON_DANGEROUS_NAMES: tuple[str, ...] = (
    "__class__",
    "__globals__",
    "__dict__",
    "__subclasses__",
    "__init__",
    "__reduce__",
    "__reduce_ex__",
    "__builtins__",
    "__self__",
    "__func__",
    "__code__",
    "__closure__",
    "__getattribute__",
    "__mro__",
    "__bases__",
    "__base__",
    "__module__",
    "__import__",
    "__loader__",
    "__spec__",
    "__weakref__",
    "mro",
    "func_globals",
    "func_code",
    "gi_frame",
    "gi_code",
    "cr_frame",
    "f_globals",
    "f_locals",
    "f_back",
    "tb_frame",
    "im_func",
    "im_self",
    "format",
    "format_map",
    "append",
    "extend",
    "pop",
    "keys",
    "items",
    "update",
    "setdefault",
    "copy",
    "fromkeys",
    "encode",
    "decode",
    "join",
    "invoke",
    "jexl_get",
    "jexl_set",
    "jexl_call",
    "jexl_type",
    "jexl_type_info",
    "jexl_string",
    "component",
)


def is_forbidden(name: object) -> bool:
    """True when ``name`` may never be reached as a member, on any receiver.

    Only string names can be forbidden (an integer is an index). Refuses the reflective
    Java names of ``FORBIDDEN_NAMES``, every name starting with ``_`` (Python's private and
    special attributes) and names with characters no Java identifier has (so a crafted
    key such as ``'a.__class__'`` cannot sneak through a lookup that splits on dots).
    Verdicts on plain strings are remembered: this runs before every member access.
    """
    if type(name) is str:
        verdict = FORBIDDEN_VERDICTS.get(name)
        if verdict is None:
            verdict = _judge(name)
            if len(FORBIDDEN_VERDICTS) < _MAX_VERDICTS:
                FORBIDDEN_VERDICTS[name] = verdict
        return verdict
    if not isinstance(name, str):
        return False
    return _judge(str(name))


#: remembered verdicts of ``is_forbidden``, name -> forbidden (bounded: scripts may make
#: names at run time). Hot paths of ``access.py`` read it directly: ``.get(name) is False``
#: means judged and allowed; a name not judged yet must go through ``is_forbidden``.
FORBIDDEN_VERDICTS: dict[str, bool] = {}
_MAX_VERDICTS = 8192


def _judge(name: str) -> bool:
    if not name or name.startswith("_") or name in FORBIDDEN_NAMES:
        return True
    return not name.replace("$", "a").isidentifier() or "__" in name


def is_exposed(name: object, allowed: object) -> bool:
    """True when ``name`` is listed in ``allowed`` (a mapping or set of member names) and is
    not forbidden. ``access.py`` asks this before every member read, write or call."""
    if is_forbidden(name):
        return False
    try:
        return name in allowed  # type: ignore[operator]
    except TypeError:
        return False
