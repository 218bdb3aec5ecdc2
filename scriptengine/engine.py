"""The embedding API: ``Engine`` (options, host, compile cache), ``Script`` (a compiled
program, run many times), ``Session`` (context variables kept between runs, for the REPL),
and ``Runtime``, the per-run object whose helpers the generated code calls.

Errors leave ``Script.run`` as ``ScriptError`` subclasses only: a helper's ``EvalError`` /
``ThrowSignal`` becomes ``ScriptRuntimeError``, ``LimitExceeded`` becomes
``ScriptLimitError``, and any other Python exception (an engine bug, or a host function
failing) becomes ``ScriptRuntimeError`` with the original as ``cause``. The position comes
from the innermost generated frame of the traceback (``co_positions()`` at ``tb_lasti``);
the call stack lists generated frames only, never Python's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import gc
import linecache
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from types import CodeType, TracebackType
from typing import Any

from . import nodes as n
from .access import Access
from .compile import CompileError, Program, compile_script
from .errors import (
    Diagnostic,
    EvalError,
    LimitExceeded,
    ScriptError,
    ScriptLimitError,
    ScriptRuntimeError,
    ScriptSyntaxError,
    StackFrame,
    ThrowSignal,
)
from .functions import ScriptFunction
from .host import HostEnvironment, HostFunction, HostObject, Namespace, PropertyInfo, TypeInfo
from .ops import Arithmetic
from .options import Options
from .resolve import Resolution, resolve
from .thread import Limits, Thread
from .values import CaughtError, ErrorInfo, to_string

#: Python frames per script call level, with room for helpers (recursion limit sizing).
_FRAMES_PER_CALL = 6
_recursion_lock = threading.Lock()
_recursion_users = 0
_recursion_saved = 0


class Context:
    """Context variables that outlive one run: what scripts assign to undeclared names
    (and, in a ``Session``, their top-level declarations). Pass it as
    ``script.run(..., context=ctx)``; ``ctx.variables`` is a plain dict."""

    def __init__(self, variables: Mapping[str, Any] | None = None) -> None:
        self.variables: dict[str, Any] = dict(variables or {})


# --- positions ----------------------------------------------------------------------------


def _char_column(lines: list[str], line: int, byte_col: int) -> int:
    """1-based character column of a UTF-8 byte offset in a source line."""
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    return len(text.encode("utf-8")[:byte_col].decode("utf-8", "ignore")) + 1


def _position(code: CodeType, lasti: int, lines: list[str]) -> tuple[int, int]:
    """(line, column) of the instruction at byte offset ``lasti`` of generated code."""
    for i, pos in enumerate(code.co_positions()):
        if i == lasti // 2:
            line, _, col, _ = pos
            if line is None:
                return 0, 0
            return line, _char_column(lines, line, col or 0)
    return 0, 0


def generated_frames(tb: TracebackType | None, program: Program) -> list[tuple[str, int, int]]:
    """The traceback's frames of ``program``'s generated code, outermost first, as
    ``(python function name, line, column)``; Python frames of helpers are skipped."""
    out: list[tuple[str, int, int]] = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == program.filename:
            line, col = _position(code, tb.tb_lasti, program.source_lines)
            out.append((code.co_name, line, col))
        tb = tb.tb_next
    return out


# --- the per-run object -------------------------------------------------------------------


class Runtime:
    """What one run's generated code calls besides ``Arithmetic`` and ``Access``: context
    variables, global function calls, antish names, closures, ``catch``/``throw``,
    ``switch`` and templates. Built by ``Script.run``; not part of the public API."""

    def __init__(
        self,
        program: Program,
        thread: Thread,
        options: Options,
        host: HostEnvironment,
        host_vars: Mapping[str, Any],
        context: dict[str, Any],
    ) -> None:
        self.program = program
        self.thread = thread
        self.options = options
        self.ar = Arithmetic(options, thread)
        self.acc = Access(options, thread, host)
        self.constants = program.constants
        self.strict = options.strict
        self.safe = options.safe
        self.host_names = frozenset(host_vars)
        #: every readable variable: the host's and the context's (one dict: one lookup)
        self.vars: dict[str, Any] = {**context, **host_vars}
        self.context = context
        self._truth = self.ar.truth
        self._call_value = self.acc.call_value
        self._getprop = self.acc.getprop
        self._functions: Mapping[str, HostFunction] = host.functions
        depth = thread.limits.depth
        #: generated prologues compare the call depth with this (no limit: never reached)
        self.max_depth = depth if depth is not None else 1 << 62
        #: the class generated call sites test with ``type(f) is SF``
        self.SF = ScriptFunction

    # --- context variables ------------------------------------------------------------------
    def cget(self, name: str) -> Any:
        """Read a context variable; undefined is an error when strict (digest 5.2)."""
        try:
            return self.vars[name]
        except KeyError:
            if self.strict:
                found = difflib.get_close_matches(name, list(self.vars), n=1)
                hint = f"did you mean '{found[0]}'?" if found else None
                raise EvalError(f"variable '{name}' is undefined", hint=hint) from None
            return None

    def cget_opt(self, name: str) -> Any:
        """Read a context variable where undefined is null (``??``, ``empty``, ...)."""
        return self.vars.get(name)

    def cget_nav(self, name: str) -> Any:
        """Read a context variable that starts a navigation (``zz.x``, ``Math.max()``):
        undefined is null under safe mode (3.2+), an error only when strict and not safe."""
        if name in self.vars:
            return self.vars[name]
        if self.strict and not self.safe:
            return self.cget(name)
        return None

    def cset(self, name: str, value: Any) -> Any:
        """Assign a context variable of the run (3.1-3.6: an undeclared name); returns the
        value. The host's variables cannot be reassigned."""
        if name in self.host_names:
            raise EvalError(f"variable '{name}' is provided by the host and cannot be assigned")
        self.vars[name] = value
        self.context[name] = value
        return value

    def antish(self, parts: tuple[str, ...]) -> Any:
        """``a.b.c`` with ``a`` not a local: the variable ``a`` then its properties, else
        JEXL's antish lookup of the dotted name ``'a.b'``/``'a.b.c'`` as one variable.
        Nothing found: null under safe mode (3.2+), else ``variable 'a' is undefined``."""
        return self._antish(parts, self.strict and not self.safe)

    def antish_opt(self, parts: tuple[str, ...]) -> Any:
        """``antish`` where an undefined root is null (``??``, ``empty``, conditions)."""
        return self._antish(parts, False)

    def _antish(self, parts: tuple[str, ...], strict: bool) -> Any:
        vars_ = self.vars
        if parts[0] in vars_:
            obj, rest = vars_[parts[0]], parts[1:]
        else:
            longest = len(parts) if self.options.antish else 1
            for k in range(longest, 1, -1):
                key = ".".join(parts[:k])
                if key in vars_:
                    obj, rest = vars_[key], parts[k:]
                    break
            else:
                if strict:
                    raise EvalError(f"variable '{'.'.join(parts)}' is undefined")
                return None
        getprop = self._getprop
        for name in rest:
            obj = getprop(obj, name)
        return obj

    # --- calls ------------------------------------------------------------------------------
    def call_global(self, name: str, args: list[Any]) -> Any:
        """``name(args)`` where ``name`` is no local: a context variable holding a function,
        else a host function (unknown: an error, never hidden by safe mode)."""
        if name in self.vars:
            fn = self.vars[name]
            if type(fn) is ScriptFunction:
                return fn(*args)
            return self._call_value(fn, args)
        hf = self._functions.get(name)
        if hf is not None and not hf.takes_thread:
            # the hot path of ``Access.call_function``: a host function, a fitting count
            n = len(args)
            if hf.min_args <= n and (hf.max_args is None or n <= hf.max_args):
                return hf.fn(*args)
        return self.acc.call_function(name, args)

    def callv(self, fn: Any, *args: Any) -> Any:
        """Call a function value with the script's arguments: a script function directly
        (its generated prologue counts the step and the call level), anything else through
        ``Access.call_value``. Calls of locals are inlined by the compiler instead."""
        if type(fn) is ScriptFunction:
            return fn(*args)
        return self._call_value(fn, list(args))

    def callf(self, fn: Any) -> Callable[..., Any]:
        """What a call site calls for a value that is no script function: a callable that
        sends the arguments through ``Access.call_value`` (host function, or an error)."""
        call_value = self._call_value

        def call(*args: Any) -> Any:
            return call_value(fn, list(args))

        return call

    def mkfn(
        self, pyfn: Callable[..., Any], name: str, captures: tuple[Any, ...], self_index: int
    ) -> ScriptFunction:
        """A function value: the generated function with the captured values."""
        return ScriptFunction(pyfn, name, captures, self_index)

    # --- conditions, errors, switch, templates ----------------------------------------------
    def tcond(self, value: Any) -> bool:
        """A ternary/elvis condition: null is false, never an error (digest 3.10)."""
        return False if value is None else self._truth(value)

    def caught(self, exc: BaseException) -> CaughtError:
        """What ``catch (e)`` binds for ``exc``. Python's own resource errors are not
        catchable (re-raised); limits never reach here (``LimitExceeded`` is a
        BaseException, the generated ``except`` names ``Exception``)."""
        if isinstance(exc, RecursionError | MemoryError):
            raise exc
        frames = generated_frames(exc.__traceback__, self.program)
        line, col = (frames[-1][1], frames[-1][2]) if frames else (0, 0)
        info = ErrorInfo(line, col, self.program.filename[len("<jexl:") : -1])
        if isinstance(exc, ThrowSignal):
            return CaughtError(exc.value, exc.message, info, None)
        if isinstance(exc, EvalError):
            return CaughtError(None, exc.message, info, exc.cause)
        return CaughtError(None, "error in host code", info, None)

    def throw_(self, value: Any) -> ThrowSignal:
        """``throw value``: the signal to raise (the message names the value, section 0.7)."""
        if isinstance(value, CaughtError):
            # rethrowing a caught error keeps what it carried
            signal = ThrowSignal(value.value, value.message)
            signal.cause = value.cause
            return signal
        return ThrowSignal(value, f"throw error: {to_string(value)}")

    def switch_index(
        self, subject: Any, labels: tuple[Any, ...], owners: tuple[int, ...], default: int
    ) -> int:
        """The case a switch subject selects: Java ``equals`` against the labels (not
        ``==``: ``1l`` does not match ``case 1``), else the default. No match and no default:
        an error when strict, else a case number past the end (nothing runs, null)."""
        from .values import java_equals

        for label, owner in zip(labels, owners):
            if java_equals(subject, label):
                return owner
        if default >= 0:
            return default
        if self.strict:
            raise EvalError(f"no case in switch for: {to_string(subject)}")
        return 1 << 30

    def template1(self, value: Any) -> Any:
        """A backtick literal that is only ``${expr}``: the value itself, a String that is a
        plain integer as an Integer; with ``strictInterpolation`` always a String."""
        if self.options.strict_interpolation:
            return self.acc.template([value])
        if type(value) is str:
            return self.acc.template([value])
        return value

    def close_res(self, resource: Any) -> None:
        """Close a try-with-resources resource (anything with a ``close()`` method)."""
        if resource is not None:
            self.acc.call_method(resource, "close", [])


# --- compiled scripts ---------------------------------------------------------------------


def _builtin_types() -> dict[str, TypeInfo]:
    """Member tables of built-in values (``members.py``) as TypeInfos, for ``check``."""
    from . import members

    out: dict[str, TypeInfo] = {}
    for kind in members.TABLES:
        methods = {
            name: info
            for name in members.members_of(kind)
            if (info := members.method_info(kind, name)) is not None
        }
        props: dict[str, PropertyInfo] = {}
        for pname in members.property_names(kind):
            prop = members.properties_of(kind).get(pname)
            getter = members.getter_for(kind, pname)
            ptype = prop.returns if prop else (getter.returns if getter else None)
            props[pname] = PropertyInfo(pname, ptype)
        out[kind] = TypeInfo(kind, props, methods)
    return out


_BUILTINS: dict[str, TypeInfo] | None = None


def builtin_types() -> dict[str, TypeInfo]:
    """Cached ``_builtin_types()``."""
    global _BUILTINS
    if _BUILTINS is None:
        _BUILTINS = _builtin_types()
    return _BUILTINS


def _syntax_error(diags: list[Diagnostic]) -> ScriptSyntaxError:
    """A ScriptSyntaxError for the first error; ``.errors`` holds them all."""
    first = diags[0]
    err = ScriptSyntaxError(
        first.message,
        filename=first.filename,
        line=first.line,
        column=first.column,
        source_line=first.source_line,
        hint=first.hint,
    )
    err.errors = diags
    return err


def _as_diagnostic(err: ScriptError) -> Diagnostic:
    return Diagnostic(
        "error",
        err.message,
        err.filename,
        err.line,
        err.column,
        err.source_line,
        err.hint,
        "syntax",
    )


def _wrap_variable(name: str, value: Any) -> Any:
    """A plain Python callable passed as a variable becomes a host function (so
    ``createNew(...)`` works with ``{'createNew': fn}``); other values pass unchanged."""
    if (
        callable(value)
        and not isinstance(value, type | HostObject | HostFunction | ScriptFunction)
        and not hasattr(value, "jexl_string")
    ):
        return HostFunction(name, value)
    return value


class Script:
    """A compiled script: run it many times, with different variables and limits.

    ``pragmas`` maps each ``#pragma`` key to its value. ``check()`` returns every
    diagnostic the resolver found (warnings: compiling already refused errors).
    """

    def __init__(
        self,
        engine: Engine,
        tree: n.Script,
        resolution: Resolution,
        program: Program,
        repl: bool = False,
    ) -> None:
        self.engine = engine
        self.tree = tree
        self.source = tree.source
        self.filename = tree.filename
        self.resolution = resolution
        self.options = resolution.options
        self.pragmas: dict[str, object] = dict(resolution.pragmas)
        self.repl = repl
        self._programs: dict[Options, tuple[Program, Callable[[Runtime], Any]]] = {}
        self._programs[self.options] = (program, _load(program))
        #: the program for the script's own options (no Options hash on each run)
        self._default_options = self.options
        self._default = self._programs[self.options]

    def check(self) -> list[Diagnostic]:
        """Every error and warning of the script, in source order (a new list)."""
        return sorted(self.resolution.diagnostics, key=lambda d: (d.line, d.column))

    def _program(self, options: Options) -> tuple[Program, Callable[[Runtime], Any]]:
        if options is self._default_options:
            return self._default
        found = self._programs.get(options)
        if found is None:
            res = resolve(self.tree, self.engine.host, options, repl=self.repl)
            if res.errors:
                raise _syntax_error(res.errors)
            program = _compile(self.tree, res)
            found = (program, _load(program))
            self._programs[options] = found
        return found

    def run(
        self,
        variables: Mapping[str, Any] | None = None,
        *,
        limits: Limits | None = None,
        thread: Thread | None = None,
        options: Options | None = None,
        context: Context | None = None,
    ) -> Any:
        """Run the script and return its value (the last statement evaluated, or what
        ``return`` gave).

        ``variables`` are the host's (read-only to the script: ``entity``); ``context``
        keeps what the script assigns to undeclared names between runs (else those live
        for this run only). ``thread`` gives the run's limits, ``print`` callback and
        collects ``warnings``/``logs`` (a new one with ``limits`` when absent). ``options``
        replaces the engine's (the script's ``jexl.options`` pragma still applies).
        Raises ``ScriptRuntimeError`` or ``ScriptLimitError``.
        """
        opts = self.options
        if options is not None:
            spec = self.pragmas.get("jexl.options")
            opts = options.with_pragma(str(spec)) if spec is not None else options
        program, main = self._program(opts)
        if thread is None:
            thread = Thread(limits or self.engine.limits)  # a new thread is started
        else:
            if limits is not None:
                thread.limits = limits
            thread.start()
        host_vars = {k: _wrap_variable(k, v) for k, v in (variables or {}).items()}
        ctx = context.variables if context is not None else {}
        rt = Runtime(program, thread, opts, self.engine.host, host_vars, ctx)
        _raise_recursion_limit(thread.limits.depth)
        try:
            return main(rt)
        except LimitExceeded as exc:
            raise self._error(program, exc, thread) from None
        except Exception as exc:
            err = self._error(program, exc, thread)
            if opts.silent and isinstance(err, ScriptRuntimeError):
                # JEXL's silent option: the evaluation gives null, the error is a warning
                thread.warn(
                    Diagnostic(
                        "warning",
                        err.message,
                        err.filename,
                        err.line,
                        err.column,
                        err.source_line,
                        err.hint,
                        "silent-error",
                    )
                )
                return None
            raise err from None
        finally:
            _restore_recursion_limit()

    def _error(self, program: Program, exc: BaseException, thread: Thread) -> ScriptError:
        """The public error for an exception that left the generated code."""
        frames = generated_frames(exc.__traceback__, program)
        if isinstance(exc, LimitExceeded) and exc.limit == "depth" and len(frames) > 1:
            frames.pop()  # raised by the callee's prologue: report the call
        line, col = (frames[-1][1], frames[-1][2]) if frames else (0, 0)
        lines = program.source_lines
        common: dict[str, Any] = {
            "filename": self.filename,
            "line": line,
            "column": col,
            "source_line": lines[line - 1] if 0 < line <= len(lines) else None,
        }
        if len(frames) > 1:
            common["stack"] = [
                StackFrame(program.function_names.get(fn, fn), self.filename, ln, cl)
                for fn, ln, cl in frames
            ]
        if isinstance(exc, LimitExceeded):
            return ScriptLimitError(exc.message, limit=exc.limit, value=exc.value, **common)
        if isinstance(exc, RecursionError):
            lim = thread.limits.depth
            return ScriptLimitError(
                "call depth limit exceeded (the Python stack is exhausted)",
                limit="depth",
                value=lim,
                **common,
            )
        if isinstance(exc, ThrowSignal):
            return ScriptRuntimeError(exc.message, value=exc.value, hint=exc.hint, **common)
        if isinstance(exc, EvalError):
            return ScriptRuntimeError(exc.message, hint=exc.hint, **common)
        return ScriptRuntimeError("internal error: " + _describe(exc), cause=exc, **common)


def _compile(tree: n.Script, res: Resolution) -> Program:
    """``compile_script`` with its refusals as ScriptSyntaxError (a construct the compiler
    cannot translate, or a script nested deeper than Python's compiler can take)."""
    try:
        return compile_script(tree, res, res.options)
    except CompileError as exc:
        lines = tree.source.splitlines()
        line = exc.pos.line
        raise ScriptSyntaxError(
            exc.message,
            filename=tree.filename,
            line=line,
            column=exc.pos.column,
            source_line=lines[line - 1] if 0 < line <= len(lines) else None,
        ) from None
    except (RecursionError, MemoryError):
        raise _too_deep(tree) from None


def _too_deep(tree: n.Script) -> ScriptSyntaxError:
    return ScriptSyntaxError("the script is nested too deeply to compile", filename=tree.filename)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return text if text else "unexpected failure"


def _load(program: Program) -> Callable[[Runtime], Any]:
    """Execute the module code (it only defines ``_main``) with no builtins at all."""
    # only what the validator lets generated code name: `Exception` in `except`, and
    # `type`/`int` in the shape `type(x) is int`
    builtins = {"Exception": Exception, "type": type, "int": int}
    namespace: dict[str, Any] = {"__builtins__": builtins}
    exec(program.code, namespace)  # noqa: S102 - validated generated code
    main: Callable[[Runtime], Any] = namespace["_main"]
    return main


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while compiling: parsing and code generation
    allocate tens of thousands of small objects that live on (the trees), so the collector
    would run many times and find nothing to free (about 30% of the compile time). Only
    re-enabled here if it was enabled on entry; a concurrent compile at worst runs with it."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _raise_recursion_limit(depth: int | None) -> None:
    """Make room for ``depth`` nested script calls (restored by the last run to end)."""
    global _recursion_users, _recursion_saved
    need = 1000 + (depth if depth is not None else 2000) * _FRAMES_PER_CALL
    with _recursion_lock:
        if _recursion_users == 0:
            _recursion_saved = sys.getrecursionlimit()
        _recursion_users += 1
        if sys.getrecursionlimit() < need:
            sys.setrecursionlimit(need)


def _restore_recursion_limit() -> None:
    global _recursion_users
    with _recursion_lock:
        _recursion_users -= 1
        if _recursion_users == 0:
            sys.setrecursionlimit(_recursion_saved)


# --- the engine ---------------------------------------------------------------------------


class Engine:
    """Options, host functions/types, default limits and the compiled-script cache.

    Example::

        engine = Engine()
        engine.register_function("join", lambda xs, sep: sep.join(xs), 2, 2)
        script = engine.compile("join(names, ', ')", filename="demo.jexl")
        script.run({"names": ["a", "b", ...]})
    """

    def __init__(
        self,
        options: Options | None = None,
        host: HostEnvironment | None = None,
        cache_size: int = 256,
        limits: Limits | None = None,
    ) -> None:
        self.options = options or Options()
        self.host = host if host is not None else HostEnvironment()
        self.cache_size = cache_size
        self.limits = limits or Limits()
        self._cache: OrderedDict[tuple[str, str, Options, bool], Script] = OrderedDict()
        self._lock = threading.Lock()

    # --- host registration ------------------------------------------------------------------
    def _changed(self) -> None:
        with self._lock:
            self._cache.clear()  # diagnostics depend on the host's declarations

    def register_function(
        self,
        name: str,
        fn: Callable[..., Any],
        min_args: int = 0,
        max_args: int | None = None,
        *,
        returns: str | None = None,
        takes_thread: bool = False,
    ) -> HostFunction:
        """Offer ``fn`` to scripts as the top-level function ``name``; returns its record."""
        hf = HostFunction(name, fn, min_args, max_args, returns, takes_thread)
        self.host.add_function(hf)
        self._changed()
        return hf

    def register_namespace(
        self, name: str, functions: Mapping[str, HostFunction | Callable[..., Any]]
    ) -> Namespace:
        """Offer ``name:fn(...)`` functions; plain callables accept any argument count."""
        ns = Namespace(name)
        for fname, fn in functions.items():
            ns.functions[fname] = fn if isinstance(fn, HostFunction) else HostFunction(fname, fn)
        self.host.namespaces[name] = ns
        self._changed()
        return ns

    def register_type(self, info: TypeInfo) -> None:
        """Describe a host type (for ``check``'s member warnings)."""
        self.host.add_type(info)
        self._changed()

    def declare_variable(self, name: str, type_name: str | None = None) -> None:
        """Declare a host variable every run passes (``entity``), with its type name."""
        self.host.variable_types[name] = type_name or "Object"
        self._changed()

    # --- compiling --------------------------------------------------------------------------
    def parse(self, source: str, filename: str = "<script>") -> n.Script:
        """The syntax tree of ``source``; raises ScriptSyntaxError."""
        from .parser import parse

        tree = parse(source, filename)
        if tree.source != source or tree.filename != filename:
            tree = dataclasses.replace(tree, source=source, filename=filename)
        return tree

    def compile(self, source: str, filename: str = "<script>", *, repl: bool = False) -> Script:
        """Compile ``source`` (cached by source, filename and options).

        Raises ``ScriptSyntaxError`` for what JEXL refuses at parse time and what the
        sandbox refuses (``new``, annotations, host-class pragmas): the first error is the
        exception, ``.errors`` lists them all as Diagnostics.
        """
        key = (source, filename, self.options, repl)
        with self._lock:
            script = self._cache.get(key)
            if script is not None:
                self._cache.move_to_end(key)
                return script
        with _gc_paused():
            script = self.compile_tree(self.parse(source, filename), repl=repl)
        with self._lock:
            self._cache[key] = script
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)
        return script

    def compile_tree(self, tree: n.Script, *, repl: bool = False) -> Script:
        """Compile a syntax tree (``tree.source`` gives error lines); not cached.

        Raises ``ScriptSyntaxError`` as ``compile`` does."""
        _raise_recursion_limit(None)  # deep expressions recurse in resolve and compile
        try:
            res = resolve(tree, self.host, self.options, builtin_types=builtin_types(), repl=repl)
            if res.errors:
                raise _syntax_error(res.errors)
            program = _compile(tree, res)
        except RecursionError:
            raise _too_deep(tree) from None
        finally:
            _restore_recursion_limit()
        linecache.cache[program.filename] = (
            len(tree.source),
            None,
            [line + "\n" for line in tree.source.splitlines()],
            program.filename,
        )
        return Script(self, tree, res, program, repl)

    def check(self, source: str, filename: str = "<script>") -> list[Diagnostic]:
        """Every diagnostic of ``source``: syntax errors, static errors and warnings."""
        try:
            tree = self.parse(source, filename)
        except ScriptSyntaxError as err:
            errors = getattr(err, "errors", None)
            return list(errors) if errors else [_as_diagnostic(err)]
        _raise_recursion_limit(None)
        try:
            res = resolve(tree, self.host, self.options, builtin_types=builtin_types())
        except RecursionError:
            return [_as_diagnostic(_too_deep(tree))]
        finally:
            _restore_recursion_limit()
        return sorted(res.diagnostics, key=lambda d: (d.line, d.column))

    def eval(
        self,
        source: str,
        variables: Mapping[str, Any] | None = None,
        *,
        limits: Limits | None = None,
        thread: Thread | None = None,
    ) -> Any:
        """Compile (cached) and run ``source`` once; returns its value."""
        return self.compile(source).run(variables, limits=limits, thread=thread)

    def thread(
        self, limits: Limits | None = None, print: Callable[[str], None] | None = None
    ) -> Thread:
        """A new run state with ``limits`` (the engine's by default) and a print callback."""
        return Thread(limits or self.limits, print)

    def session(self, variables: Mapping[str, Any] | None = None) -> Session:
        """A REPL session over this engine."""
        return Session(self, variables)


class Session:
    """Runs inputs one after another with shared context variables (the REPL): what one
    input declares at top level (``var x = 1``) or assigns is visible to the next."""

    def __init__(self, engine: Engine, variables: Mapping[str, Any] | None = None) -> None:
        self.engine = engine
        self.variables: dict[str, Any] = dict(variables or {})
        self.context = Context()

    def eval(
        self,
        source: str,
        *,
        filename: str = "<repl>",
        limits: Limits | None = None,
        thread: Thread | None = None,
    ) -> Any:
        """Compile and run one input; returns its value. Raises ScriptError subclasses."""
        script = self.engine.compile(source, filename, repl=True)
        return script.run(self.variables, limits=limits, thread=thread, context=self.context)
