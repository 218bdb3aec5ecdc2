"""The handler language (Apache Commons JEXL 3) re-implemented in Python.

Example::

    from scriptengine import Engine, Limits, ScriptError

    engine = Engine()
    engine.register_function("join", lambda xs, sep: sep.join(xs), 2, 2)
    script = engine.compile("var n = size(xs); `${n} items`", filename="demo.jexl")
    try:
        print(script.run({"xs": [1, 2, 3]}, limits=Limits(steps=100_000)))
    except ScriptError as err:
        print(err.render())
"""

from .engine import Context, Engine, Script, Session
from .errors import (
    Diagnostic,
    ScriptError,
    ScriptLimitError,
    ScriptRuntimeError,
    ScriptSyntaxError,
    StackFrame,
)
from .host import (
    HostEnvironment,
    HostFunction,
    HostObject,
    MethodInfo,
    Namespace,
    PropertyInfo,
    TypeInfo,
)
from .options import Options
from .resolve import TYPE_FROM_FIRST_ARGUMENT
from .thread import Limits, Thread

__all__ = [
    "Context",
    "Diagnostic",
    "Engine",
    "HostEnvironment",
    "HostFunction",
    "HostObject",
    "Limits",
    "MethodInfo",
    "Namespace",
    "Options",
    "PropertyInfo",
    "Script",
    "ScriptError",
    "ScriptLimitError",
    "ScriptRuntimeError",
    "ScriptSyntaxError",
    "Session",
    "StackFrame",
    "Thread",
    "TYPE_FROM_FIRST_ARGUMENT",
    "TypeInfo",
]
