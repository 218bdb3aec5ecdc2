"""The compiler: a resolved syntax tree to a Python ``ast`` module, validated, then compiled.

Discipline (the Jinja2 sandbox's): generated code never uses a script-supplied name as a
Python attribute or global. JEXL locals become mangled Python locals (``v_name``,
``v2_name`` for a ``let`` shadow); properties and method names are string constants passed
to the access helpers; every property access, method call and host interaction goes
through a helper bound to a local at function entry, and so does every operator except the
inline Integer fast paths (``type(x) is int`` guards, the helper otherwise: same result).
The fast paths are emitted only in code that may run many times (loop bodies, conditions
and updates, function bodies); code that runs once calls the helper, which keeps the
generated module small and compiling fast. ``validate()`` walks the generated tree and rejects any node kind, attribute, name or call
shape the compiler does not emit, so a bug in the compiler cannot turn into an escape from
the sandbox.

Generated shape::

    def _main(rt):                      # rt: engine.Runtime of this run
        t = rt.thread; ar = rt.ar; acc = rt.acc; K = rt.constants; dmax = ...; SF = ...
        add = ar.add; getprop = acc.getprop; cget = rt.cget; ...   # helpers used
        def _f1(v_x, v_n=None, *_x):    # a function literal: captures, then parameters
            t.budget -= 1 ...           # one step, one call level (Thread.enter on overflow)
            if (_t1 := t.depth) >= dmax: t.enter()
            t.depth = _t1 + 1
            try: ... finally: t.depth = _t1
        v_a = None ...                  # every local starts as null
        _r = None                       # the value of the last statement evaluated
        ...
        _r = (v_f if type(v_f) is SF else callf(v_f))(1)   # calling a function value
        _r = m_size(v_l)                # common methods: Access fast paths (FAST_METHODS)
        _r = tjoin(['a ', tstr(v_x)])   # a template: each value made text, one join
        # Integer arithmetic over locals in hot code: one type test, inline, else helpers
        _r = _t2 if type(v_a) is int is type(v_b) and (...) else add(v_a, mul(v_b, 14))
        return _r

Each generated node carries the JEXL line, and ``col_offset`` in UTF-8 bytes of that
line, so ``co_positions()`` of the innermost generated frame gives back line:column.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from . import nodes as n
from .access import FAST_METHODS
from .options import Options
from .resolve import FunctionScope, Resolution, Symbol, antish_root

#: Arithmetic (ops.Arithmetic) helpers by JEXL operator.
BINARY_HELPERS = {
    "+": "add",
    "-": "sub",
    "*": "mul",
    "/": "div",
    "%": "mod",
    "&": "bitand",
    "|": "bitor",
    "^": "bitxor",
    "<<": "shl",
    ">>": "shr",
    ">>>": "ushr",
    "==": "eq",
    "!=": "ne",
    "===": "identical",
    "!==": "not_identical",
    "<": "lt",
    "<=": "le",
    ">": "gt",
    ">=": "ge",
    "=~": "match",
    "!~": "not_match",
    "=^": "startswith",
    "!^": "not_startswith",
    "=$": "endswith",
    "!$": "not_endswith",
}
UNARY_HELPERS = {"-": "neg", "+": "pos", "~": "bitnot", "!": "not_"}

#: Operators whose helper returns a Python bool (no truthiness coercion needed).
BOOLEAN_OPS = frozenset(
    ["==", "!=", "===", "!==", "<", "<=", ">", ">=", "=~", "!~", "=^", "!^", "=$", "!$"]
)

ARITHMETIC_NAMES = frozenset(
    list(BINARY_HELPERS.values())
    + list(UNARY_HELPERS.values())
    + ["truth", "empty", "size", "to_string", "make_range", "instanceof", "incr", "decr"]
)
ACCESS_NAMES = frozenset(
    [
        "getprop",
        "getitem",
        "setprop",
        "setitem",
        "call_method",
        "call_value",
        "call_namespace",
        "iterate",
        "template",
        "tjoin",
        "tstr",
        "array",
        "list_",
        "set_",
        "map_",
        *FAST_METHODS.values(),
    ]
)
RUNTIME_NAMES = frozenset(
    [
        "cget",
        "cget_opt",
        "cget_nav",
        "cset",
        "call_global",
        "antish",
        "antish_opt",
        "mkfn",
        "callv",
        "callf",
        "tcond",
        "caught",
        "throw_",
        "switch_index",
        "template1",
        "close_res",
    ]
)
THREAD_NAMES = frozenset(["budget", "refill", "depth", "enter"])
#: name -> the per-run object it is fetched from at function entry
HELPER_OWNER = (
    {name: "ar" for name in ARITHMETIC_NAMES}
    | {name: "acc" for name in ACCESS_NAMES}
    | {name: "rt" for name in RUNTIME_NAMES}
)
FIXED_NAMES = frozenset(["rt", "t", "ar", "acc", "K", "dmax", "SF", "_r", "_x", "_main"])

#: Names the generated code may use besides the helpers and fixed names.
_GENERATED_NAME = re.compile(r"^(v\d*_[A-Za-z0-9_]+|_t\d+|_f\d+)$")
#: A generated script function (called directly for self-recursion).
_FUNCTION_NAME = re.compile(r"^_f\d+$")


_A = TypeVar("_A", bound=ast.AST)

#: Deepest nesting of expressions compiled (``1 + 1 + ... + 1`` with this many operators).
#: Python's own compiler refuses the inline fast paths of about 2600 nested operators; the
#: limit makes the refusal ("nested too deeply to compile") the same for code that runs
#: once (compiled without fast paths) and code in loops and functions.
MAX_NESTING = 2500

#: Expression node class -> its ``Compiler.e_*`` method (filled on first use).
_EXPR_METHODS: dict[type, Any] = {}


class CompileError(Exception):
    """A construct the compiler cannot translate (the resolver should have refused it)."""

    def __init__(self, message: str, pos: n.Pos) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass
class Program:
    """A compiled script: the code object, its constants and position tables."""

    code: Any
    constants: tuple[Any, ...]
    #: Python function name -> the JEXL function's display name (for call stacks)
    function_names: dict[str, str]
    filename: str
    source_lines: list[str]
    module: ast.Module
    uses: frozenset[str] = field(default_factory=frozenset)


#: One shared instance of each expression context (as CPython's own parser does): fewer
#: nodes to build and to validate.
_LOAD = ast.Load()
_STORE = ast.Store()


#: Name nodes of the fixed names and the helpers, and the commonest constants: made once
#: and shared by every tree (compile() reads a tree, never changes it). Loading one of them
#: cannot fail, so their position never shows in an error; they carry line 1, column 0,
#: so ``validate`` leaves them as they are. Script locals, temporaries and the names that
#: ``validate`` allows only in one place (``type``, ``int``, ``Exception``) are never shared.
_SHARED_NAMES: dict[tuple[str, type[ast.expr_context]], ast.Name] = {}
_SHARED_CONSTANTS: dict[tuple[type, Any], ast.Constant] = {}


def _shared(node: _A) -> _A:
    node.lineno = 1  # type: ignore[attr-defined]
    node.col_offset = 0  # type: ignore[attr-defined]
    return node


def _name(ident: str) -> ast.Name:
    return _SHARED_NAMES.get((ident, ast.Load)) or ast.Name(ident, _LOAD)


def _store(ident: str) -> ast.Name:
    return _SHARED_NAMES.get((ident, ast.Store)) or ast.Name(ident, _STORE)


def _const(value: Any) -> ast.Constant:
    return _SHARED_CONSTANTS.get((type(value), value)) or ast.Constant(value)


for _ident in FIXED_NAMES | frozenset(HELPER_OWNER):
    _SHARED_NAMES[(_ident, ast.Load)] = _shared(ast.Name(_ident, _LOAD))
    _SHARED_NAMES[(_ident, ast.Store)] = _shared(ast.Name(_ident, _STORE))
for _value in (None, True, False, 0, 1, 2, -2147483648, 2147483647):
    _SHARED_CONSTANTS[(type(_value), _value)] = _shared(ast.Constant(_value))


@dataclass
class _Target:
    """A break/continue target: a loop, or a switch (a one-pass ``for``)."""

    kind: str  # 'loop' | 'switch'
    #: a switch: the temporary holding its value (the subject, then each case's value)
    subject: str = ""
    #: a switch: the temporary `break` sets inside a case's own one-pass loop
    flag: str = ""
    #: a switch: the case being compiled has its own one-pass loop (it holds `continue`)
    case_loop: bool = False


class Compiler:
    """Turns one resolved script into a Python module; use ``compile_script()``."""

    def __init__(self, script: n.Script, res: Resolution, options: Options) -> None:
        self.script = script
        self.res = res
        self.options = options
        self.lines = script.source.splitlines()
        #: per line: ASCII only (then a character column is also the byte offset)
        self.ascii = [line.isascii() for line in self.lines]
        self.nlines = len(self.lines)
        self.constants: list[Any] = []
        self.used: set[str] = set()
        self.temp = 0
        self.targets: list[_Target] = []
        self.function_names: dict[str, str] = {}
        #: function definitions waiting to be put at the top of the enclosing function
        self.pending: list[list[ast.stmt]] = []
        #: the script function being compiled
        self.function: FunctionScope | None = None
        #: compiling code that may run many times (a loop, a function body): only there do
        #: the inline Integer fast paths pay for the code they add (top-level code outside
        #: loops runs once; the helper gives the same result, and compiling stays fast)
        self.hot = False
        #: expressions being translated, one inside the other (see MAX_NESTING)
        self.nesting = 0

    # --- small builders ---------------------------------------------------------------------
    def helper(self, name: str) -> ast.Name:
        self.used.add(name)
        return _name(name)

    def call(self, fname: str, *args: ast.expr) -> ast.Call:
        return ast.Call(self.helper(fname), list(args), [])

    def tmp(self) -> str:
        self.temp += 1
        return f"_t{self.temp}"

    def constant(self, value: Any) -> ast.expr:
        """A constant Python's ``ast.Constant`` cannot hold exactly (a Long, a BigDecimal,
        NaN) comes from the constants tuple ``K``."""
        if (
            value is None
            or type(value) in (bool, int, str)
            or (type(value) is float and value == value and abs(value) != float("inf"))
        ):
            return ast.Constant(value)  # not shared: `expr` gives it a position
        self.constants.append(value)
        return ast.Subscript(_name("K"), _const(len(self.constants) - 1), _LOAD)

    def at(self, node: _A, pos: n.Pos) -> _A:
        """Give ``node`` the JEXL position (col_offset in UTF-8 bytes of the line). No end
        position: nothing reads it, and ``compile()`` takes the start for it."""
        line = pos.line
        if line <= 0:
            return node
        col = pos.column - 1
        if col < 0:
            col = 0
        if line <= self.nlines and not self.ascii[line - 1]:
            col = len(self.lines[line - 1][:col].encode("utf-8"))
        node.lineno = line  # type: ignore[attr-defined]
        node.col_offset = col  # type: ignore[attr-defined]
        return node

    def tick(self, pos: n.Pos) -> list[ast.stmt]:
        """``t.budget -= 1; if t.budget < 0: t.refill()`` (thread.py's chunked budget)."""
        budget = ast.Attribute(_name("t"), "budget", _LOAD)
        dec = ast.AugAssign(ast.Attribute(_name("t"), "budget", _STORE), ast.Sub(), _const(1))
        refill = ast.Expr(ast.Call(ast.Attribute(_name("t"), "refill", _LOAD), [], []))
        test = ast.Compare(budget, [ast.Lt()], [_const(0)])
        return [self.at(dec, pos), self.at(ast.If(test, [refill], []), pos)]

    def set_r(self, value: ast.expr, pos: n.Pos) -> ast.stmt:
        return self.at(ast.Assign([_store("_r")], value), pos)

    # --- entry ------------------------------------------------------------------------------
    def module(self) -> ast.Module:
        """The whole script as ``def _main(rt): ...``."""
        f = self.res.functions[self.script]
        body = self.function_body(f, self.script.body, None)
        self.function_names["_main"] = "<script>"
        prologue: list[ast.stmt] = [
            ast.Assign([_store("t")], ast.Attribute(_name("rt"), "thread", _LOAD)),
            ast.Assign([_store("ar")], ast.Attribute(_name("rt"), "ar", _LOAD)),
            ast.Assign([_store("acc")], ast.Attribute(_name("rt"), "acc", _LOAD)),
            ast.Assign([_store("K")], ast.Attribute(_name("rt"), "constants", _LOAD)),
            ast.Assign([_store("dmax")], ast.Attribute(_name("rt"), "max_depth", _LOAD)),
            ast.Assign([_store("SF")], ast.Attribute(_name("rt"), "SF", _LOAD)),
        ]
        for name in sorted(self.used):
            owner = HELPER_OWNER[name]
            prologue.append(ast.Assign([_store(name)], ast.Attribute(_name(owner), name, _LOAD)))
        args = ast.arguments([], [ast.arg("rt")], None, [], [], None, [])
        main = ast.FunctionDef("_main", args, prologue + body, [], None)
        return ast.Module([main], [])

    def function_body(
        self, f: FunctionScope, stmts: Sequence[n.Stmt], expr_body: n.Expr | None
    ) -> list[ast.stmt]:
        """Statements of one function: nested defs, local initialisation, body, return."""
        saved_targets, self.targets = self.targets, []
        saved_function, self.function = self.function, f
        saved_hot, self.hot = self.hot, f.parent is not None
        self.pending.append([])
        body: list[ast.stmt] = []
        if (
            expr_body is None
            and f.parent is not None
            and len(stmts) == 1
            and isinstance(stmts[0], n.ExpressionStatement)
        ):
            # `function(a) { a + 1 }`: the one statement's value is the result (no `_r`)
            expr_body = stmts[0].expr
        if expr_body is not None:
            body.append(self.at(ast.Return(self.expr(expr_body)), expr_body.pos))
        else:
            body.append(ast.Assign([_store("_r")], _const(None)))
            for s in stmts:
                body.extend(self.stmt(s))
            body.append(ast.Return(_name("_r")))
        defs = self.pending.pop()
        self.targets = saved_targets
        self.function = saved_function
        self.hot = saved_hot
        init: list[ast.stmt] = []
        if f.locals:
            init.append(ast.Assign([_store(s.pyname) for s in f.locals], _const(None)))
        if f.parent is None:
            return defs + init + body
        level = self.tmp()
        restore = ast.Assign([ast.Attribute(_name("t"), "depth", _STORE)], _name(level))
        return self.prologue(f.node.pos, level) + [
            ast.Try(defs + init + body, [], [], [self.at(restore, f.node.pos)])
        ]

    def prologue(self, pos: n.Pos, level: str) -> list[ast.stmt]:
        """A script function's entry: one step, then one call level. ``level`` keeps the
        caller's depth: ``if (L := t.depth) >= dmax: t.enter()`` (``Thread.enter`` raises
        the depth limit), ``t.depth = L + 1``, and ``finally`` puts ``L`` back (one read of
        the depth instead of three)."""
        depth = ast.NamedExpr(_store(level), ast.Attribute(_name("t"), "depth", _LOAD))
        enter = ast.Expr(ast.Call(ast.Attribute(_name("t"), "enter", _LOAD), [], []))
        check = ast.If(ast.Compare(depth, [ast.GtE()], [_name("dmax")]), [enter], [])
        bump = ast.Assign(
            [ast.Attribute(_name("t"), "depth", _STORE)],
            ast.BinOp(_name(level), ast.Add(), _const(1)),
        )
        return self.tick(pos) + [self.at(check, pos), self.at(bump, pos)]

    def call_value(self, callee: ast.expr, args: list[ast.expr]) -> ast.expr:
        """``f(args)`` for a function value: a script function is called directly,
        ``(f if type(f) is SF else callf(f))(a)``; ``callf`` wraps anything else so the
        call goes through ``Access.call_value``."""
        if isinstance(callee, ast.Name):
            first: ast.expr = callee
            later = callee
        else:
            tmp = self.tmp()
            first, later = ast.NamedExpr(_store(tmp), callee), _name(tmp)
        # the arguments appear once: the test picks the callable, then one call
        test = ast.Compare(ast.Call(_name("type"), [first], []), [ast.Is()], [_name("SF")])
        pick = ast.IfExp(test, later, self.call("callf", later))
        return ast.Call(pick, args, [])

    # --- statements -------------------------------------------------------------------------
    def stmt(self, s: n.Stmt) -> list[ast.stmt]:
        method = getattr(self, "s_" + type(s).__name__, None)
        if method is None:
            raise CompileError(f"unsupported statement {type(s).__name__}", s.pos)
        out: list[ast.stmt] = method(s)
        for node in out:
            if not hasattr(node, "lineno"):
                self.at(node, s.pos)
        return out

    def stmts(self, body: Sequence[n.Stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for s in body:
            out.extend(self.stmt(s))
        return out or [ast.Pass()]

    def s_ExpressionStatement(self, s: n.ExpressionStatement) -> list[ast.stmt]:
        e = s.expr
        if isinstance(e, n.Assignment) and e.op is None and isinstance(e.target, n.Identifier):
            sym = self.res.bindings.get(e.target)
            if sym is not None:
                value = self.expr(e.value, self_sym=sym)
                return [self.at(ast.Assign([_store("_r"), _store(sym.pyname)], value), e.pos)]
        if isinstance(e, n.IncDec) and not e.prefix and isinstance(e.target, n.Identifier):
            sym = self.res.bindings.get(e.target)
            if sym is not None:
                helper = "incr" if e.op == "+" else "decr"
                return [
                    self.set_r(_name(sym.pyname), e.pos),
                    self.at(
                        ast.Assign([_store(sym.pyname)], self.call(helper, _name(sym.pyname))),
                        e.pos,
                    ),
                ]
        return [self.set_r(self.expr(e), s.pos)]

    def s_EmptyStatement(self, s: n.EmptyStatement) -> list[ast.stmt]:
        return [ast.Pass()]

    def s_Block(self, s: n.Block) -> list[ast.stmt]:
        if not s.body:
            return [self.set_r(_const(None), s.pos)]  # an empty block's value is null
        return self.stmts(s.body)

    def s_VarDeclaration(self, s: n.VarDeclaration) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for d in s.declarators:
            sym = self.res.bindings.get(d)
            if sym is None:  # REPL mode: a top-level declaration is a context variable
                value = self.expr(d.init) if d.init is not None else _const(None)
                out.append(self.set_r(self.call("cset", _const(d.name), value), d.pos))
                continue
            if d.init is not None:
                value = self.expr(d.init, self_sym=sym)
                out.append(self.at(ast.Assign([_store("_r"), _store(sym.pyname)], value), d.pos))
            elif s.kind == "var":
                # JEXL 3.1 Interpreter.visit(ASTVar) only reads the slot: a redeclared var
                # keeps its value (a fresh one was set to null at function entry)
                out.append(self.set_r(_name(sym.pyname), d.pos))
            else:
                out.append(
                    self.at(ast.Assign([_store("_r"), _store(sym.pyname)], _const(None)), d.pos)
                )
        return out

    def s_FunctionDeclaration(self, s: n.FunctionDeclaration) -> list[ast.stmt]:
        sym = self.res.bindings.get(s)
        value = self.expr(s.function, self_sym=sym)
        if sym is None:  # REPL mode
            return [self.set_r(self.call("cset", _const(s.name), value), s.pos)]
        return [self.at(ast.Assign([_store("_r"), _store(sym.pyname)], value), s.pos)]

    def s_IfStatement(self, s: n.IfStatement) -> list[ast.stmt]:
        orelse: list[ast.stmt]
        if s.orelse is None:
            orelse = [self.set_r(_const(None), s.pos)]  # no branch ran: the value is null
        else:
            orelse = self.stmt(s.orelse)
        return [self.at(ast.If(self.cond(s.cond), self.stmt_body(s.then), orelse), s.pos)]

    def stmt_body(self, s: n.Stmt) -> list[ast.stmt]:
        return self.stmt(s) or [ast.Pass()]

    def loop_body(self, s: n.Stmt) -> list[ast.stmt]:
        self.targets.append(_Target("loop"))
        saved_hot, self.hot = self.hot, True
        try:
            return self.stmt_body(s)
        finally:
            self.targets.pop()
            self.hot = saved_hot

    def hot_expr(self, e: n.Expr, cond: bool = False) -> ast.expr:
        """An expression evaluated at each iteration of a loop (its condition, update)."""
        saved_hot, self.hot = self.hot, True
        try:
            return self.cond(e) if cond else self.expr(e)
        finally:
            self.hot = saved_hot

    def s_ForeachStatement(self, s: n.ForeachStatement) -> list[ast.stmt]:
        sym = self.res.bindings.get(s)
        prefix: list[ast.stmt] = []
        if sym is not None:
            target = _store(sym.pyname)
        else:
            tmp = self.tmp()
            target = _store(tmp)
            prefix = [self.at(ast.Expr(self.call("cset", _const(s.name), _name(tmp))), s.pos)]
        items = self.at(self.call("iterate", self.expr(s.items)), s.items.pos)
        body = self.tick(s.pos) + prefix + self.loop_body(s.body)
        loop = self.at(ast.For(target, items, body, []), s.pos)
        return [self.set_r(_const(None), s.pos), loop]

    def s_WhileStatement(self, s: n.WhileStatement) -> list[ast.stmt]:
        body = self.tick(s.pos) + self.loop_body(s.body)
        return [
            self.set_r(_const(None), s.pos),
            self.at(ast.While(self.hot_expr(s.cond, cond=True), body, []), s.pos),
        ]

    def s_DoWhileStatement(self, s: n.DoWhileStatement) -> list[ast.stmt]:
        # `while first or cond:` keeps `continue` going through the condition
        first = self.tmp()
        test = ast.BoolOp(ast.Or(), [_name(first), self.hot_expr(s.cond, cond=True)])
        body = (
            [ast.Assign([_store(first)], _const(False))] + self.tick(s.pos) + self.loop_body(s.body)
        )
        return [
            self.set_r(_const(None), s.pos),
            ast.Assign([_store(first)], _const(True)),
            self.at(ast.While(test, body, []), s.pos),
        ]

    def s_ForStatement(self, s: n.ForStatement) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        if isinstance(s.init, n.VarDeclaration):
            out.extend(self.s_VarDeclaration(s.init))
        elif s.init is not None:
            out.append(self.at(ast.Expr(self.expr(s.init)), s.init.pos))
        out.append(self.set_r(_const(None), s.pos))
        test = self.hot_expr(s.cond, cond=True) if s.cond is not None else _const(True)
        update: list[ast.stmt] = []
        if s.update is not None:
            update = [self.at(ast.Expr(self.hot_expr(s.update)), s.update.pos)]
        body = self.loop_body(s.body)
        if update and _has_continue(s.body):
            # the update must run before the test on `continue` too
            first = self.tmp()
            head: list[ast.stmt] = [
                ast.If(_name(first), [ast.Assign([_store(first)], _const(False))], update),
                ast.If(ast.UnaryOp(ast.Not(), test), [ast.Break()], []),
            ]
            out.append(ast.Assign([_store(first)], _const(True)))
            loop = ast.While(_const(True), head + self.tick(s.pos) + body, [])
        else:
            loop = ast.While(test, self.tick(s.pos) + body + update, [])
        out.append(self.at(loop, s.pos))
        return out

    def s_BreakStatement(self, s: n.BreakStatement) -> list[ast.stmt]:
        if self.targets and self.targets[-1].kind == "switch":
            # the switch keeps the value it had before this case (3.7.0: a case ending
            # with `break` leaves the subject as the value)
            top = self.targets[-1]
            out = [self.set_r(_name(top.subject), s.pos)]
            if top.case_loop:
                out.append(ast.Assign([_store(top.flag)], _const(True)))
            return [*out, ast.Break()]
        return [ast.Break()]

    def s_ContinueStatement(self, s: n.ContinueStatement) -> list[ast.stmt]:
        if self.targets and self.targets[-1].kind == "switch":
            # on to the next case (the switch catches JexlException.Continue)
            top = self.targets[-1]
            return [self.set_r(_name(top.subject), s.pos), ast.Continue()]
        return [ast.Continue()]

    def s_ReturnStatement(self, s: n.ReturnStatement) -> list[ast.stmt]:
        value = self.expr(s.value) if s.value is not None else _const(None)
        return [self.at(ast.Return(value), s.pos)]

    def s_ThrowStatement(self, s: n.ThrowStatement) -> list[ast.stmt]:
        return [self.at(ast.Raise(self.call("throw_", self.expr(s.value)), None), s.pos)]

    def s_TryStatement(self, s: n.TryStatement) -> list[ast.stmt]:
        body = self.stmts(s.body.body)
        handlers: list[ast.ExceptHandler] = []
        if s.handler is not None:
            h = s.handler
            exc = self.tmp()
            bind: list[ast.stmt] = []
            caught = self.at(self.call("caught", _name(exc)), h.pos)
            sym = self.res.bindings.get(h) if h.name is not None else None
            if sym is not None:
                bind = [self.at(ast.Assign([_store(sym.pyname)], caught), h.pos)]
            else:
                bind = [self.at(ast.Expr(caught), h.pos)]
            handlers.append(
                self.at(
                    ast.ExceptHandler(_name("Exception"), exc, bind + self.stmts(h.body.body)),
                    h.pos,
                )
            )
        final: list[ast.stmt] = []
        if s.finalizer is not None:
            # Interpreter.visit(ASTTryStatement): the value is the try's (or the catch's);
            # the finally block's value is dropped
            keep = self.tmp()
            final = [
                ast.Assign([_store(keep)], _name("_r")),
                *self.stmts(s.finalizer.body),
                ast.Assign([_store("_r")], _name(keep)),
            ]
        out: list[ast.stmt] = body
        if handlers or final:
            out = [self.at(ast.Try(body, handlers, [], final), s.pos)]
        # try-with-resources: each resource is closed after the statement, innermost first
        for r in reversed(s.resources):
            value = self.expr(r.value)
            if r.name is not None:
                sym = self.res.bindings.get(r)
                if sym is not None:
                    holder = sym.pyname
                    open_: ast.stmt = ast.Assign([_store(holder)], value)
                else:
                    holder = self.tmp()
                    open_ = ast.Assign([_store(holder)], self.call("cset", _const(r.name), value))
            else:
                holder = self.tmp()
                open_ = ast.Assign([_store(holder)], value)
            close = ast.Expr(self.call("close_res", _name(holder)))
            out = [self.at(open_, r.pos), self.at(ast.Try(out, [], [], [close]), r.pos)]
        return out

    def s_SwitchStatement(self, s: n.SwitchStatement) -> list[ast.stmt]:
        """Interpreter.visit(ASTSwitchStatement) @ 3.7.0: from the selected case on, each
        case body runs in turn (fall-through); ``break`` leaves the switch, ``continue``
        leaves the current case for the next one (it never reaches a loop around the
        switch). The value starts as the subject and becomes each completed case's value,
        so a case left by ``break`` or ``continue`` does not change it."""
        index = self.tmp()
        target = _Target("switch", self.tmp(), self.tmp())
        out: list[ast.stmt] = [
            self.at(ast.Assign([_store(target.subject)], self.expr(s.subject)), s.subject.pos),
            self.at(
                ast.Assign([_store(index)], self.switch_index(_name(target.subject), s)), s.pos
            ),
            ast.Assign([_store(target.flag)], _const(False)),
            self.set_r(_name(target.subject), s.pos),
        ]
        self.targets.append(target)
        cases: list[ast.stmt] = []
        try:
            for i, case in enumerate(s.cases):
                if not isinstance(case.body, tuple):
                    raise CompileError("a switch statement case needs statements", case.pos)
                target.case_loop = any(_has_continue(st) for st in case.body)
                body = self.stmts(case.body)
                if target.case_loop:
                    # a one-pass loop per case: `continue` ends the case, `break` sets
                    # the flag that ends the switch
                    once = self.tmp()
                    tuple0 = ast.Tuple([_const(0)], _LOAD)
                    body = [
                        ast.For(_store(once), tuple0, body, []),
                        ast.If(_name(target.flag), [ast.Break()], []),
                    ]
                body.append(ast.Assign([_store(target.subject)], _name("_r")))
                test = ast.Compare(_name(index), [ast.LtE()], [_const(i)])
                cases.append(self.at(ast.If(test, body, []), case.pos))
        finally:
            self.targets.pop()
        once = self.tmp()
        loop = ast.For(_store(once), ast.Tuple([_const(0)], _LOAD), cases or [ast.Pass()], [])
        out.append(self.at(loop, s.pos))
        return out

    def switch_index(
        self, subject: ast.expr, s: n.SwitchStatement | n.SwitchExpression
    ) -> ast.expr:
        """``switch_index(subject, labels, case_of_label, default_case)``: matching is Java
        ``equals`` (ASTSwitchStatement's hash lookup), never ``==``."""
        labels: list[ast.expr] = []
        owners: list[ast.expr] = []
        default = -1
        for i, case in enumerate(s.cases):
            if not case.labels:
                default = i
            for label in case.labels:
                labels.append(self.expr(label))
                owners.append(_const(i))
        return self.at(
            self.call(
                "switch_index",
                subject,
                ast.Tuple(labels, _LOAD),
                ast.Tuple(owners, _LOAD),
                _const(default),
            ),
            s.pos,
        )

    def s_AnnotatedStatement(self, s: n.AnnotatedStatement) -> list[ast.stmt]:
        raise CompileError("annotations are not supported", s.pos)

    # --- conditions -------------------------------------------------------------------------
    def cond(self, e: n.Expr) -> ast.expr:
        """A Python bool for an ``if``/``while`` condition: JEXL truthiness, strict about
        null (section 4), skipped when the operator already gives a Boolean."""
        if isinstance(e, n.BinaryOp) and e.op in BOOLEAN_OPS:
            return self.expr(e)
        if isinstance(e, n.UnaryOp) and e.op == "!":
            return self.expr(e)
        if isinstance(e, n.EmptyFunction | n.BooleanLiteral):
            return self.expr(e)
        return self.at(self.call("truth", self.expr(e)), e.pos)

    def protected_cond(self, e: n.Expr) -> ast.expr:
        """A ternary/elvis condition: undefined or null counts as false, never an error."""
        if isinstance(e, n.BinaryOp) and e.op in BOOLEAN_OPS:
            return self.expr(e)
        return self.at(self.call("tcond", self.expr(e, optional=True)), e.pos)

    # --- expressions ------------------------------------------------------------------------
    def expr(self, e: n.Expr, optional: bool = False, self_sym: Symbol | None = None) -> ast.expr:
        """Translate an expression. ``optional``: an undefined root name gives null
        (ternary/elvis conditions, ``??``, ``empty``, ``size``). ``self_sym``: the local
        the value is being assigned to (a function literal then captures itself)."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise RecursionError("expression nested too deeply")
        if type(e) is n.Lambda:
            result = self.e_Lambda(e, self_sym)
        else:
            method = _EXPR_METHODS.get(type(e))
            if method is None:
                method = getattr(Compiler, "e_" + type(e).__name__, None)
                if method is None:
                    raise CompileError(f"unsupported expression {type(e).__name__}", e.pos)
                _EXPR_METHODS[type(e)] = method
            result = method(self, e, optional)
        self.nesting -= 1
        return self.at(result, e.pos)

    def args(self, args: Sequence[n.Expr]) -> ast.List:
        return ast.List([self.expr(a) for a in args], _LOAD)

    def e_NullLiteral(self, e: n.NullLiteral, optional: bool) -> ast.expr:
        return ast.Constant(None)

    def e_BooleanLiteral(self, e: n.BooleanLiteral, optional: bool) -> ast.expr:
        return ast.Constant(bool(e.value))

    def e_NumberLiteral(self, e: n.NumberLiteral, optional: bool) -> ast.expr:
        if e.kind == "Integer" and type(e.value) is int:
            return ast.Constant(e.value)
        if e.kind == "Double" and type(e.value) is float:
            return self.constant(e.value)
        from . import values

        kinds: dict[str, Any] = {
            "Long": values.Long,
            "BigInteger": values.BigInteger,
            "Float": values.Float,
            "BigDecimal": Decimal,
            "Integer": int,
            "Double": float,
        }
        return self.constant(kinds[e.kind](e.value))

    def e_StringLiteral(self, e: n.StringLiteral, optional: bool) -> ast.expr:
        return ast.Constant(e.value)

    def e_RegexLiteral(self, e: n.RegexLiteral, optional: bool) -> ast.expr:
        from . import values
        from .errors import EvalError

        try:
            return self.constant(values.JPattern(e.pattern))
        except EvalError as exc:  # an invalid pattern is refused when compiling
            raise CompileError(exc.message, e.pos) from None

    def e_TemplateLiteral(self, e: n.TemplateLiteral, optional: bool) -> ast.expr:
        parts = [p for p in e.parts if p != ""]
        if len(parts) == 1 and not isinstance(parts[0], str):
            # a literal that is only `${expr}` gives the value itself (digest 2.5)
            return self.call("template1", self.expr(parts[0]))
        # each value made text where it is computed, then one join (no per-part dispatch)
        items: list[ast.expr] = [
            _const(p) if isinstance(p, str) else self.call("tstr", self.expr(p)) for p in parts
        ]
        return self.call("tjoin", ast.List(items, _LOAD))

    def e_ArrayLiteral(self, e: n.ArrayLiteral, optional: bool) -> ast.expr:
        return self.call("list_" if e.extended else "array", self.args(e.items))

    def e_SetLiteral(self, e: n.SetLiteral, optional: bool) -> ast.expr:
        return self.call("set_", self.args(e.items))

    def e_MapLiteral(self, e: n.MapLiteral, optional: bool) -> ast.expr:
        pairs: list[ast.expr] = [
            self.at(ast.Tuple([self.expr(x.key), self.expr(x.value)], _LOAD), x.pos)
            for x in e.entries
        ]
        return self.call("map_", ast.List(pairs, _LOAD))

    def e_RangeNode(self, e: n.RangeNode, optional: bool) -> ast.expr:
        return self.call("make_range", self.expr(e.low), self.expr(e.high))

    def e_Identifier(self, e: n.Identifier, optional: bool) -> ast.expr:
        sym = self.res.bindings.get(e)
        if sym is not None:
            return _name(sym.pyname)
        return self.call("cget_opt" if optional else "cget", _const(e.name))

    def navigated(self, obj: n.Expr, optional: bool) -> ast.expr:
        """The object of ``obj.name``, ``obj[i]`` or ``obj.m()``: an undefined context name
        there is null under safe mode (3.2+: ``Math.max(1, 5)`` gives null), an error only
        when strict without safe."""
        if isinstance(obj, n.Identifier) and obj not in self.res.bindings and not optional:
            return self.at(self.call("cget_nav", _const(obj.name)), obj.pos)
        return self.expr(obj, optional)

    def _safe(self, obj: ast.expr, make: Any) -> ast.expr:
        """``None if (tmp := obj) is None else make(tmp)`` for ``?.`` and ``?[]``."""
        tmp = self.tmp()
        test = ast.Compare(ast.NamedExpr(_store(tmp), obj), [ast.Is()], [_const(None)])
        return ast.IfExp(test, _const(None), make(_name(tmp)))

    def e_PropertyAccess(self, e: n.PropertyAccess, optional: bool) -> ast.expr:
        root = antish_root(e)
        if root is not None and root not in self.res.bindings:
            # JEXL's antish: `a.b.c` with `a` not a local may name one context variable
            parts = (e.antish or "").split(".")
            names = ast.Tuple([_const(p) for p in parts], _LOAD)
            return self.call("antish_opt" if optional else "antish", names)
        obj = self.navigated(e.obj, optional)
        if isinstance(e.name, int):
            helper, key = "getitem", _const(e.name)
        else:
            helper, key = "getprop", _const(e.name)
        if e.safe:
            return self._safe(obj, lambda o: self.call(helper, o, key))
        return self.call(helper, obj, key)

    def e_TemplatePropertyAccess(self, e: n.TemplatePropertyAccess, optional: bool) -> ast.expr:
        obj = self.navigated(e.obj, optional)
        key = self.call("to_string", self.expr(e.name))
        if e.safe:
            return self._safe(obj, lambda o: self.call("getprop", o, key))
        return self.call("getprop", obj, key)

    def e_IndexAccess(self, e: n.IndexAccess, optional: bool) -> ast.expr:
        obj = self.navigated(e.obj, optional)
        index = self.expr(e.index)
        if e.safe:
            return self._safe(obj, lambda o: self.call("getitem", o, index))
        return self.call("getitem", obj, index)

    def e_MethodCall(self, e: n.MethodCall, optional: bool) -> ast.expr:
        obj = self.navigated(e.obj, optional)
        fast = FAST_METHODS.get((e.name, len(e.args)))
        if fast is not None and not e.safe:
            # a common member (``size()``, ``get(k)``...): one call, no argument list
            return self.call(fast, obj, *[self.expr(a) for a in e.args])
        args = self.args(e.args)
        if e.safe:
            return self._safe(obj, lambda o: self.call("call_method", o, _const(e.name), args))
        return self.call("call_method", obj, _const(e.name), args)

    def e_FunctionCall(self, e: n.FunctionCall, optional: bool) -> ast.expr:
        if e.namespace is not None:
            return self.call(
                "call_namespace", _const(e.namespace), _const(e.name), self.args(e.args)
            )
        sym = self.res.bindings.get(e)
        if sym is not None:
            f = self.function
            if (
                f is not None
                and isinstance(f.node, n.Lambda)
                and self.res.self_capture.get(f.node) is sym
                and not any(c.assigned for _, c in f.captures)
            ):
                # a function calling itself through its own variable: that capture is
                # this very function and no capture changed, so call the generated
                # function with the same captures (no type test, no partial)
                caps = [_name(c.pyname) for _, c in f.captures]
                return ast.Call(_name(f.pyname), caps + [self.expr(a) for a in e.args], [])
            return self.call_value(_name(sym.pyname), [self.expr(a) for a in e.args])
        return self.call("call_global", _const(e.name), self.args(e.args))

    def e_CallExpr(self, e: n.CallExpr, optional: bool) -> ast.expr:
        return self.call_value(self.expr(e.callee), [self.expr(a) for a in e.args])

    def e_NewExpr(self, e: n.NewExpr, optional: bool) -> ast.expr:
        raise CompileError("new(...) is not allowed", e.pos)

    def e_UnaryOp(self, e: n.UnaryOp, optional: bool) -> ast.expr:
        x = e.operand
        if (
            e.op == "-"
            and isinstance(x, n.NumberLiteral)
            and x.kind in ("Integer", "Long", "BigInteger")
            and x.text[-1:].isdigit()
            and isinstance(x.value, int)
        ):
            # Interpreter.visit(ASTUnaryMinusNode): the negation is narrowed back, so
            # `-2147483648` is an Integer; a suffixed literal (`-5l`) keeps its kind
            from . import values

            v = -x.value
            if -(1 << 31) <= v < (1 << 31):
                return ast.Constant(v)
            if -(1 << 63) <= v < (1 << 63):
                return self.constant(values.Long(v))
            return self.constant(values.BigInteger(v))
        return self.call(UNARY_HELPERS[e.op], self.expr(e.operand))

    def e_EmptyFunction(self, e: n.EmptyFunction, optional: bool) -> ast.expr:
        return self.call("empty", self.expr(e.operand, optional=True))

    def e_SizeFunction(self, e: n.SizeFunction, optional: bool) -> ast.expr:
        return self.call("size", self.expr(e.operand, optional=True))

    def e_BinaryOp(self, e: n.BinaryOp, optional: bool) -> ast.expr:
        if self.hot and e.op in _TREE_ROOT_OPS:
            names: list[str] = []
            if self._int_leaves(e, names, 0) and names:
                return self._int_tree_fast_path(e, names)
        left, right = self.expr(e.left), self.expr(e.right)
        if e.op in ("==", "!=") and (
            isinstance(e.left, n.NullLiteral) or isinstance(e.right, n.NullLiteral)
        ):
            # one side null: equal only when both are null (digest 3.5), no coercion
            other = right if isinstance(e.left, n.NullLiteral) else left
            if isinstance(other, ast.Constant):
                return ast.Constant((other.value is None) == (e.op == "=="))
            test = ast.Is() if e.op == "==" else ast.IsNot()
            return ast.Compare(other, [test], [_const(None)])
        if self.hot and (e.op in _INLINE_ARITH or e.op in _INLINE_COMPARE or e.op == "%"):
            return self._int_fast_path(e, left, right)
        return self.call(BINARY_HELPERS[e.op], left, right)

    # --- Integer arithmetic on locals, inline -------------------------------------------------
    def _int_leaves(self, e: n.Expr, names: list[str], depth: int) -> bool:
        """True when ``e`` is arithmetic (``+ - * %``) over locals and Integer literals only,
        at most ``_TREE_DEPTH`` deep; collects the locals' Python names (once each)."""
        if isinstance(e, n.Identifier):
            sym = self.res.bindings.get(e)
            if sym is None:
                return False  # a context variable: read through a helper
            if sym.pyname not in names:
                names.append(sym.pyname)
            return True
        if isinstance(e, n.NumberLiteral):
            return e.kind == "Integer" and type(e.value) is int
        if not isinstance(e, n.BinaryOp) or depth >= _TREE_DEPTH:
            return False
        if e.op == "%":
            # inline only where Python's % is Java's: a dividend >= 0 and a divisor > 0
            lit_a, lit_b = e.left, e.right
            if isinstance(lit_a, n.NumberLiteral) and isinstance(lit_a.value, int):
                if lit_a.value < 0:
                    return False
            if isinstance(lit_b, n.NumberLiteral) and isinstance(lit_b.value, int):
                if lit_b.value <= 0:
                    return False
        elif e.op not in _INLINE_ARITH and depth > 0:
            return False  # a comparison only at the root
        return self._int_leaves(e.left, names, depth + 1) and self._int_leaves(
            e.right, names, depth + 1
        )

    def _int_tree_fast_path(self, e: n.BinaryOp, names: list[str]) -> ast.expr:
        """Integer arithmetic over locals computed inline, one type test for all of them:
        ``a + b * 14`` becomes ``(_t2 if type(a) is int is type(b) and MIN <= (_t1 := b * 14)
        <= MAX and MIN <= (_t2 := a + _t1) <= MAX else add(a, mul(b, 14)))``. Every step is
        range-checked as the helper would (an Integer result that overflows makes a Long),
        and ``%`` is inline only for a dividend >= 0 and a divisor > 0 (Java's remainder
        has the dividend's sign); when a test fails, the helpers compute the whole
        expression again from the same locals and constants (no side effects to repeat), so
        the result and its kind are always the helpers'."""
        checks: list[ast.expr] = []
        value = self._int_tree(e, checks)
        guard: ast.expr
        if len(names) == 1:
            guard = _is_int(_name(names[0]))
        else:
            # `type(a) is int is type(b)`: one chained test (the validator knows the shape)
            types = [ast.Call(_name("type"), [_name(x)], []) for x in names]
            guard = ast.Compare(types[0], [ast.Is() for _ in names], [_name("int"), *types[1:]])
        test = ast.BoolOp(ast.And(), [guard, *checks]) if checks else guard
        return ast.IfExp(test, value, self._int_tree_helpers(e))

    def _int_tree(self, e: n.Expr, checks: list[ast.expr]) -> ast.expr:
        """The inline value of an Integer tree (see ``_int_tree_fast_path``); appends the
        tests each step needs, in evaluation order, to ``checks``."""
        if isinstance(e, n.Identifier):
            return _name(self.res.bindings[e].pyname)
        if isinstance(e, n.NumberLiteral):
            return _const(e.value)
        assert isinstance(e, n.BinaryOp)
        a = self._int_tree(e.left, checks)
        b = self._int_tree(e.right, checks)
        if e.op in _INLINE_COMPARE:
            return ast.Compare(a, [_INLINE_COMPARE[e.op]()], [b])
        if e.op == "%":
            if not (isinstance(a, ast.Constant) and _int_value(a) >= 0):
                checks.append(ast.Compare(a, [ast.GtE()], [_const(0)]))
            if not (isinstance(b, ast.Constant) and _int_value(b) > 0):
                checks.append(ast.Compare(b, [ast.Gt()], [_const(0)]))
            return ast.BinOp(a, ast.Mod(), b)
        tmp = self.tmp()
        result = ast.NamedExpr(_store(tmp), ast.BinOp(a, _INLINE_ARITH[e.op](), b))
        checks.append(_int_range_test(e.op, a, b, result))
        return _name(tmp)

    def _int_tree_helpers(self, e: n.Expr) -> ast.expr:
        """The same Integer tree through the ``Arithmetic`` helpers (the slow path)."""
        if isinstance(e, n.Identifier):
            return self.at(_name(self.res.bindings[e].pyname), e.pos)
        if isinstance(e, n.NumberLiteral):
            return _const(e.value)
        assert isinstance(e, n.BinaryOp)
        helper = BINARY_HELPERS[e.op]
        a, b = self._int_tree_helpers(e.left), self._int_tree_helpers(e.right)
        return self.at(self.call(helper, a, b), e.pos)

    def _operand(self, x: ast.expr) -> tuple[ast.expr, ast.expr, ast.expr | None]:
        """(first use, later use, type test) of an operand evaluated exactly once: a local
        or constant is used as is; anything else goes through a temporary."""
        if isinstance(x, ast.Constant):
            is_int = type(x.value) is int
            return x, x, None if is_int else _const(False)
        if isinstance(x, ast.Name):
            return x, x, _is_int(x)
        tmp = self.tmp()
        first = ast.NamedExpr(_store(tmp), x)
        return first, _name(tmp), _is_int(first)

    def _int_fast_path(self, e: n.BinaryOp, left: ast.expr, right: ast.expr) -> ast.expr:
        """Integer (Java Integer) operands computed inline, everything else by the helper:
        ``a + b`` becomes ``(r if int a & int b and MIN <= (r := a + b) <= MAX else
        add(a, b))``. Exact ``type(x) is int`` excludes Long, BigInteger and Boolean, and
        the range test sends an overflow to the helper (which promotes to Long), so the
        result is the helper's in every case; only the call is saved (performance targets
        of the brief: a numeric loop within 5x of CPython)."""
        a_first, a, a_test = self._operand(left)
        b_first, b, b_test = self._operand(right)
        if isinstance(a_test, ast.Constant) or isinstance(b_test, ast.Constant):
            return self.call(BINARY_HELPERS[e.op], left, right)  # a non-int constant
        # evaluate both operands in order, always: `&` does not short-circuit
        tests = [t for t in (a_test, b_test) if t is not None]
        if isinstance(a_first, ast.NamedExpr) and a_test is None:
            tests.insert(0, ast.Compare(a_first, [ast.IsNot()], [_const(None)]))
        if isinstance(b_first, ast.NamedExpr) and b_test is None:
            tests.append(ast.Compare(b_first, [ast.IsNot()], [_const(None)]))
        cond: ast.expr
        if not tests:
            cond = _const(True)
        elif len(tests) == 1:
            cond = tests[0]
        else:
            cond = ast.BinOp(tests[0], ast.BitAnd(), tests[1])
        fallback = self.call(BINARY_HELPERS[e.op], a, b)
        if e.op in _INLINE_COMPARE:
            fast: ast.expr = ast.Compare(a, [_INLINE_COMPARE[e.op]()], [b])
            return ast.IfExp(cond, fast, fallback)
        if e.op == "%":
            # Java's remainder has the dividend's sign: inline only for a >= 0, b > 0
            checks: list[ast.expr] = [] if isinstance(cond, ast.Constant) else [cond]
            if not (isinstance(a, ast.Constant) and _int_value(a) >= 0):
                checks.append(ast.Compare(a, [ast.GtE()], [_const(0)]))
            if not (isinstance(b, ast.Constant) and _int_value(b) > 0):
                checks.append(ast.Compare(b, [ast.Gt()], [_const(0)]))
            fast = ast.BinOp(a, ast.Mod(), b)
            if not checks:
                return fast  # two non-negative int constants
            test = ast.BoolOp(ast.And(), checks) if len(checks) > 1 else checks[0]
            return ast.IfExp(test, fast, fallback)
        tmp = self.tmp()
        result = ast.NamedExpr(_store(tmp), ast.BinOp(a, _INLINE_ARITH[e.op](), b))
        in_range = _int_range_test(e.op, a, b, result)
        return ast.IfExp(ast.BoolOp(ast.And(), [cond, in_range]), _name(tmp), fallback)

    def e_LogicalOp(self, e: n.LogicalOp, optional: bool) -> ast.expr:
        left = self.expr(e.left)
        right = self.expr(e.right)
        if self.options.boolean_logical:
            if e.op == "&&":
                return ast.IfExp(self.call("truth", left), self.call("truth", right), _const(False))
            return ast.IfExp(self.call("truth", left), _const(True), self.call("truth", right))
        # 3.5+ (JEXL-427): the deciding operand, each one coerced strictly (null is an error)
        lt, rt = self.tmp(), self.tmp()
        test = self.call("truth", ast.NamedExpr(_store(lt), left))
        checked_right = ast.Subscript(
            ast.Tuple([self.call("truth", ast.NamedExpr(_store(rt), right)), _name(rt)], _LOAD),
            _const(1),
            _LOAD,
        )
        if e.op == "&&":
            return ast.IfExp(test, checked_right, _name(lt))
        return ast.IfExp(test, _name(lt), checked_right)

    def e_InstanceOf(self, e: n.InstanceOf, optional: bool) -> ast.expr:
        test = self.call("instanceof", self.expr(e.operand), self.expr(e.type))
        return ast.UnaryOp(ast.Not(), test) if e.negated else test

    def e_Ternary(self, e: n.Ternary, optional: bool) -> ast.expr:
        return ast.IfExp(self.protected_cond(e.cond), self.expr(e.then), self.expr(e.otherwise))

    def e_Elvis(self, e: n.Elvis, optional: bool) -> ast.expr:
        tmp = self.tmp()
        value = ast.NamedExpr(_store(tmp), self.expr(e.value, optional=True))
        test = self.at(self.call("tcond", value), e.value.pos)
        return ast.IfExp(test, _name(tmp), self.expr(e.default))

    def e_NullCoalesce(self, e: n.NullCoalesce, optional: bool) -> ast.expr:
        tmp = self.tmp()
        value = ast.NamedExpr(_store(tmp), self.expr(e.value, optional=True))
        test = ast.Compare(value, [ast.IsNot()], [_const(None)])
        return ast.IfExp(test, _name(tmp), self.expr(e.default))

    def _pair(self, first: ast.expr, second: ast.expr, pick: int) -> ast.expr:
        """Evaluate both in order, give one: ``(first, second)[pick]``."""
        return ast.Subscript(ast.Tuple([first, second], _LOAD), _const(pick), _LOAD)

    def e_Assignment(self, e: n.Assignment, optional: bool) -> ast.expr:
        t = e.target
        helper = BINARY_HELPERS[e.op] if e.op is not None else None

        def combine(old: ast.expr) -> ast.expr:
            value = self.expr(e.value)
            if helper is None:
                return value
            return self.at(self.call(helper, old, value), e.pos)

        if isinstance(t, n.Identifier):
            sym = self.res.bindings.get(t)
            if sym is not None:
                if helper is None:
                    return ast.NamedExpr(_store(sym.pyname), self.expr(e.value))
                return ast.NamedExpr(_store(sym.pyname), combine(_name(sym.pyname)))
            old = self.call("cget", _const(t.name)) if helper else _const(None)
            return self.call("cset", _const(t.name), combine(old))
        return self._assign_member(t, combine, helper is not None)

    def _assign_member(self, t: n.Expr, combine: Any, compound: bool = True) -> ast.expr:
        """``setprop(obj, name, value)`` / ``setitem(obj, key, value)``: each returns the
        value; a compound assignment reads the member once through the same temporaries
        (a plain one, ``compound`` false, needs none)."""
        key: ast.expr
        if isinstance(t, n.PropertyAccess | n.TemplatePropertyAccess):
            obj = self.expr(t.obj)
            if isinstance(t, n.TemplatePropertyAccess):
                key = self.call("to_string", self.expr(t.name))
                helper, getter = "setprop", "getprop"
            elif isinstance(t.name, int):
                key, helper, getter = _const(t.name), "setitem", "getitem"
            else:
                key, helper, getter = _const(t.name), "setprop", "getprop"
            if not compound:
                return self.at(self.call(helper, obj, key, combine(None)), t.pos)
            obj_tmp = self.tmp()
            obj = ast.NamedExpr(_store(obj_tmp), obj)
            old = self.at(self.call(getter, _name(obj_tmp), key), t.pos)
            return self.at(self.call(helper, obj, key, combine(old)), t.pos)
        if isinstance(t, n.IndexAccess):
            obj = self.expr(t.obj)
            key = self.expr(t.index)
            if not compound:
                return self.at(self.call("setitem", obj, key, combine(None)), t.pos)
            obj_tmp, key_tmp = self.tmp(), self.tmp()
            obj = ast.NamedExpr(_store(obj_tmp), obj)
            key = ast.NamedExpr(_store(key_tmp), key)
            old = self.at(self.call("getitem", _name(obj_tmp), _name(key_tmp)), t.pos)
            return self.at(self.call("setitem", obj, key, combine(old)), t.pos)
        raise CompileError("cannot assign to this expression", t.pos)

    def e_IncDec(self, e: n.IncDec, optional: bool) -> ast.expr:
        helper = "incr" if e.op == "+" else "decr"
        t = e.target
        if isinstance(t, n.Identifier):
            sym = self.res.bindings.get(t)
            if sym is not None:
                bump = ast.NamedExpr(_store(sym.pyname), self.call(helper, _name(sym.pyname)))
                if e.prefix:
                    return bump
                old = self.tmp()
                return self._pair(ast.NamedExpr(_store(old), _name(sym.pyname)), bump, 0)
            old = self.tmp()
            read = ast.NamedExpr(_store(old), self.call("cget", _const(t.name)))
            new = self.call("cset", _const(t.name), self.call(helper, _name(old)))
            return self._pair(read, new, 1 if e.prefix else 0)
        old = self.tmp()

        def combine(value: ast.expr) -> ast.expr:
            return self.call(helper, ast.NamedExpr(_store(old), value))

        stored = self._assign_member(t, combine)
        return stored if e.prefix else self._pair(stored, _name(old), 1)

    def e_Lambda(self, e: n.Lambda, self_sym: Symbol | None) -> ast.expr:
        f = self.res.functions[e]
        pyname = f.pyname
        self.function_names[pyname] = f.display
        params = [ast.arg(c.pyname) for _, c in f.captures] + [ast.arg(p.pyname) for p in f.params]
        defaults: list[ast.expr | None] = [_const(None) for _ in f.params]
        args = ast.arguments([], params, ast.arg("_x"), [], [], None, defaults)  # type: ignore[arg-type]
        if isinstance(e.body, n.Block):
            body = self.function_body(f, e.body.body, None)
        else:
            body = self.function_body(f, (), e.body)
        fdef = self.at(ast.FunctionDef(pyname, args, body, [], None), e.pos)
        self.pending[-1].append(fdef)
        captured = ast.Tuple([_name(outer.pyname) for outer, _ in f.captures], _LOAD)
        self_index = -1
        cap = self.res.self_capture.get(e)
        if cap is not None and self_sym is not None:
            for i, (outer, inner) in enumerate(f.captures):
                if inner is cap and outer is self_sym:
                    self_index = i
        return self.call("mkfn", _name(pyname), _const(f.display), captured, _const(self_index))

    def e_SwitchExpression(self, e: n.SwitchExpression, optional: bool) -> ast.expr:
        index = self.tmp()
        subject = self.expr(e.subject)
        result: ast.expr = _const(None)
        for i, case in reversed(list(enumerate(e.cases))):
            if isinstance(case.body, tuple):
                raise CompileError("a switch expression case needs an expression", case.pos)
            test = ast.Compare(_name(index), [ast.Eq()], [_const(i)])
            result = ast.IfExp(test, self.expr(case.body), result)
        head = ast.NamedExpr(_store(index), self.switch_index(subject, e))
        return self._pair(head, result, 1)


_INLINE_ARITH: dict[str, type[ast.operator]] = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult}
#: Operators an inline Integer tree may have at its root (see ``_int_tree_fast_path``).
_TREE_ROOT_OPS = frozenset(["+", "-", "*", "%", "<", "<=", ">", ">=", "==", "!="])
#: Deepest Integer tree computed inline (deeper ones take the per-operator fast paths).
_TREE_DEPTH = 12
_INLINE_COMPARE: dict[str, type[ast.cmpop]] = {
    "<": ast.Lt,
    "<=": ast.LtE,
    ">": ast.Gt,
    ">=": ast.GtE,
    "==": ast.Eq,
    "!=": ast.NotEq,
}


def _int_range_test(op: str, a: ast.expr, b: ast.expr, result: ast.expr) -> ast.Compare:
    """The test that ``result`` (``a op b`` of two Integers) is still an Integer. Adding a
    constant ``c >= 0`` can only overflow upwards and subtracting one only downwards, so one
    bound is enough there (a shorter test on the commonest shapes: ``n + 1``, ``k - 2``)."""
    low, high = _const(-2147483648), _const(2147483647)
    const = b if isinstance(b, ast.Constant) else a if op == "+" else None
    if isinstance(const, ast.Constant) and _int_value(const) >= 0:
        if op == "+":
            return ast.Compare(result, [ast.LtE()], [high])
        if op == "-":
            return ast.Compare(low, [ast.LtE()], [result])
    return ast.Compare(low, [ast.LtE(), ast.LtE()], [result, high])


def _int_value(c: ast.Constant) -> int:
    """The value of an int constant (the fast paths only keep int constants)."""
    return c.value if type(c.value) is int else 0


def _is_int(x: ast.expr) -> ast.Compare:
    """``type(x) is int``: the exact Integer kind (not Long, BigInteger or Boolean)."""
    return ast.Compare(ast.Call(_name("type"), [x], []), [ast.Is()], [_name("int")])


def _has_continue(s: n.Node) -> bool:
    """True when ``s`` holds a ``continue`` for the loop around it (not a nested loop's)."""
    if isinstance(s, n.ContinueStatement):
        return True
    if isinstance(
        s, n.ForeachStatement | n.ForStatement | n.WhileStatement | n.DoWhileStatement | n.Lambda
    ):
        return False
    for f in dataclasses.fields(s):  # nodes have slots: no vars()
        value = getattr(s, f.name)
        items = value if isinstance(value, tuple) else (value,)
        for item in items:
            if isinstance(item, n.Stmt | n.SwitchCase | n.CatchClause) and _has_continue(item):
                return True
    return False


# --- the validator ----------------------------------------------------------------------------

#: Operator nodes by the slot they may fill (anything else is refused).
_BIN_OPS = frozenset([ast.Add, ast.Sub, ast.Mult, ast.Mod, ast.BitAnd])
_BOOL_OPS = frozenset([ast.And, ast.Or])
_UNARY_OPS = frozenset([ast.Not])
_CMP_OPS = frozenset([ast.Is, ast.IsNot, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Eq, ast.NotEq])
_CONTEXTS = frozenset([ast.Load, ast.Store])
_CONSTANT_TYPES = frozenset([bool, int, float, str, type(None)])
#: Names allowed anywhere: the fixed ones and the helpers.
_STATIC_NAMES = FIXED_NAMES | frozenset(HELPER_OWNER)

#: Allowed node kind -> its fields that hold child nodes to check. Expression contexts and
#: operators are no children: the node's own check tests them (they are leaves, so one pass
#: stays one pass), and fields holding plain strings (names) are checked by the node's check.
_CHILDREN: dict[type[ast.AST], tuple[str, ...]] = {
    ast.Module: ("body",),
    ast.FunctionDef: ("args", "body"),
    ast.arguments: ("posonlyargs", "args", "vararg", "kwonlyargs", "kw_defaults", "kwarg",
                    "defaults"),
    ast.arg: (),
    ast.Return: ("value",),
    ast.Assign: ("targets", "value"),
    ast.AugAssign: ("target", "value"),
    ast.If: ("test", "body", "orelse"),
    ast.For: ("target", "iter", "body", "orelse"),
    ast.While: ("test", "body", "orelse"),
    ast.Break: (),
    ast.Continue: (),
    ast.Try: ("body", "handlers", "orelse", "finalbody"),
    ast.ExceptHandler: ("type", "body"),
    ast.Raise: ("exc", "cause"),
    ast.Expr: ("value",),
    ast.Pass: (),
    ast.Name: (),
    ast.Constant: (),
    ast.Call: ("func", "args"),
    ast.Attribute: ("value",),
    ast.Subscript: ("value", "slice"),
    ast.Tuple: ("elts",),
    ast.List: ("elts",),
    ast.IfExp: ("test", "body", "orelse"),
    ast.NamedExpr: ("target", "value"),
    ast.Compare: ("left", "comparators"),
    ast.BoolOp: ("values",),
    ast.UnaryOp: ("operand",),
    ast.BinOp: ("left", "right"),
}  # fmt: skip

_ATTRIBUTE_OWNERS = {
    "t": THREAD_NAMES,
    "rt": RUNTIME_NAMES | {"thread", "ar", "acc", "constants", "max_depth", "SF"},
    "ar": ARITHMETIC_NAMES,
    "acc": ACCESS_NAMES,
}


class UnsafeCode(Exception):
    """The generated code contains something the compiler never emits (a compiler bug)."""


#: Node kinds that carry a source position (``place`` fills in missing ones).
_POSITIONED_TYPES = frozenset(
    k for k in _CHILDREN if issubclass(k, ast.stmt | ast.expr | ast.excepthandler | ast.arg)
)


def _is_guarded_callee(node: ast.IfExp) -> bool:
    """True for ``(X if type(X) is SF else callf(X))`` (X a local or a temporary, maybe
    assigned in the test): the only expression generated code calls."""
    test, body, orelse = node.test, node.body, node.orelse
    if not (
        type(test) is ast.Compare
        and type(test.left) is ast.Call
        and type(test.left.func) is ast.Name
        and test.left.func.id == "type"
        and len(test.left.args) == 1
        and len(test.ops) == 1
        and type(test.ops[0]) is ast.Is
        and type(test.comparators[0]) is ast.Name
        and test.comparators[0].id == "SF"
        and type(body) is ast.Name
        and type(orelse) is ast.Call
        and type(orelse.func) is ast.Name
        and orelse.func.id == "callf"
        and len(orelse.args) == 1
        and type(orelse.args[0]) is ast.Name
    ):
        return False
    arg = test.left.args[0]
    target = arg.target if type(arg) is ast.NamedExpr else arg
    return type(target) is ast.Name and target.id == body.id == orelse.args[0].id


def _context(node: Any) -> None:
    if type(node.ctx) not in _CONTEXTS:
        raise UnsafeCode(f"context {type(node.ctx).__name__} is not allowed")


def _check_attribute(node: Any, special: set[int]) -> None:
    _context(node)
    owner = node.value
    attr = node.attr
    if type(owner) is not ast.Name or owner.id not in _ATTRIBUTE_OWNERS:
        raise UnsafeCode("attribute access on an expression")
    if attr not in _ATTRIBUTE_OWNERS[owner.id]:
        raise UnsafeCode(f"attribute '{attr}' of '{owner.id}' is not allowed")
    if owner.id != "t" and type(node.ctx) is not ast.Load:
        raise UnsafeCode(f"assignment to attribute '{attr}'")


def _check_call(node: Any, special: set[int]) -> None:
    if node.keywords:
        raise UnsafeCode("keyword arguments are not emitted")
    func = node.func
    kind = type(func)
    if kind is ast.Name:
        if not (func.id in HELPER_OWNER or id(func) in special or _FUNCTION_NAME.match(func.id)):
            raise UnsafeCode(f"call of '{func.id}'")
    elif kind is ast.IfExp:
        # a function value, called directly only when `type(f) is SF`
        if not _is_guarded_callee(func):
            raise UnsafeCode("call of an expression")
    elif kind is not ast.Attribute:
        raise UnsafeCode("call of an expression")


def _check_compare(node: Any, special: set[int]) -> None:
    ops = node.ops
    for op in ops:
        if type(op) not in _CMP_OPS:
            raise UnsafeCode(f"comparison {type(op).__name__} is not allowed")
    left, comps = node.left, node.comparators
    if (
        type(left) is ast.Call
        and type(left.func) is ast.Name
        and left.func.id == "type"
        and len(left.args) == 1
        and len(ops) == 1
        and type(ops[0]) is ast.Is
        and type(comps[0]) is ast.Name
        and comps[0].id in ("int", "SF")
    ):
        # `type(x) is int` / `type(f) is SF`: the only uses of `type`, `int` and `SF` there
        special.add(id(left.func))
        special.add(id(comps[0]))
    elif len(ops) > 1 and _is_type_chain(left, ops, comps):
        # `type(a) is int is type(b)` (an Integer tree's guard): each `type` and the `int`
        special.add(id(left.func))
        special.add(id(comps[0]))
        for c in comps[1:]:
            special.add(id(c.func))


def _is_type_call(x: Any) -> bool:
    """``type(NAME)`` with a local or temporary as its one argument."""
    return (
        type(x) is ast.Call
        and type(x.func) is ast.Name
        and x.func.id == "type"
        and len(x.args) == 1
        and not x.keywords
        and type(x.args[0]) is ast.Name
    )


def _is_type_chain(left: Any, ops: list[Any], comps: list[Any]) -> bool:
    """``type(a) is int is type(b) is ...``: Is operators only, ``type(...)`` of names around
    the name ``int`` in second place (every one of them is then an exact ``int``)."""
    return (
        all(type(op) is ast.Is for op in ops)
        and _is_type_call(left)
        and type(comps[0]) is ast.Name
        and comps[0].id == "int"
        and all(_is_type_call(c) for c in comps[1:])
    )


def _check_subscript(node: Any, special: set[int]) -> None:
    # only `K[i]` (constants) and `(a, b)[i]` (evaluate both, keep one)
    _context(node)
    base = node.value
    if not (
        (type(base) is ast.Tuple or (type(base) is ast.Name and base.id == "K"))
        and type(node.slice) is ast.Constant
        and type(node.slice.value) is int
    ):
        raise UnsafeCode("subscript of a script value")


def _check_for(node: Any, special: set[int]) -> None:
    # only over `iterate(...)` (the sandbox's iteration) or a switch's `(0,)`
    it = node.iter
    if not (
        type(it) is ast.Tuple
        or (type(it) is ast.Call and type(it.func) is ast.Name and it.func.id == "iterate")
    ):
        raise UnsafeCode("iteration outside the access helper")
    if node.type_comment is not None:
        raise UnsafeCode("type comment")


def _check_function(node: Any, special: set[int]) -> None:
    if node.decorator_list or node.returns is not None:
        raise UnsafeCode("decorated or annotated function")
    if not (node.name == "_main" or _GENERATED_NAME.match(node.name)):
        raise UnsafeCode(f"function name '{node.name}'")


def _check_handler(node: Any, special: set[int]) -> None:
    if not (type(node.type) is ast.Name and node.type.id == "Exception"):
        raise UnsafeCode("except clause for another type than Exception")
    special.add(id(node.type))
    if node.name is not None and not _GENERATED_NAME.match(node.name):
        raise UnsafeCode(f"except binding '{node.name}'")


def _check_arg(node: Any, special: set[int]) -> None:
    if node.annotation is not None:
        raise UnsafeCode("annotated argument")
    if not (node.arg in ("rt", "_x") or _GENERATED_NAME.match(node.arg) is not None):
        raise UnsafeCode(f"argument name '{node.arg}'")


def _check_binop(node: Any, special: set[int]) -> None:
    if type(node.op) not in _BIN_OPS:
        raise UnsafeCode(f"operator {type(node.op).__name__} is not allowed")


def _check_boolop(node: Any, special: set[int]) -> None:
    if type(node.op) not in _BOOL_OPS:
        raise UnsafeCode(f"operator {type(node.op).__name__} is not allowed")


def _check_unaryop(node: Any, special: set[int]) -> None:
    if type(node.op) not in _UNARY_OPS:
        raise UnsafeCode(f"operator {type(node.op).__name__} is not allowed")


def _check_collection(node: Any, special: set[int]) -> None:
    _context(node)


def _check_named(node: Any, special: set[int]) -> None:
    if type(node.target) is not ast.Name:
        raise UnsafeCode("assignment expression to something else than a name")


#: Node kind -> the check of the node itself (kinds without an entry need none beyond
#: being allowed and their children's checks; ``Name`` and ``Constant`` are checked inline
#: in ``validate``).
_CHECKS: dict[type[ast.AST], Any] = {
    ast.Attribute: _check_attribute,
    ast.Call: _check_call,
    ast.Compare: _check_compare,
    ast.Subscript: _check_subscript,
    ast.For: _check_for,
    ast.FunctionDef: _check_function,
    ast.ExceptHandler: _check_handler,
    ast.arg: _check_arg,
    ast.BinOp: _check_binop,
    ast.AugAssign: _check_binop,
    ast.BoolOp: _check_boolop,
    ast.UnaryOp: _check_unaryop,
    ast.Tuple: _check_collection,
    ast.List: _check_collection,
    ast.NamedExpr: _check_named,
}


#: Allowed node kind (but the leaves ``Name`` and ``Constant``) -> (its fields holding child
#: nodes, the check of the node itself or None): one lookup per node.
_RULES: dict[type[ast.AST], tuple[tuple[str, ...], Any]] = {
    kind: (fields, _CHECKS.get(kind))
    for kind, fields in _CHILDREN.items()
    if kind is not ast.Name and kind is not ast.Constant
}


def _check_leaf(node: Any, special: set[int]) -> None:
    """A ``Name`` or ``Constant`` met as the root of what is validated (``validate``
    checks them inline when it meets them as children)."""
    if type(node) is ast.Name:
        if not (
            node.id in _STATIC_NAMES
            or _GENERATED_NAME.match(node.id) is not None
            or id(node) in special
        ):
            raise UnsafeCode(f"name '{node.id}' is not allowed")
        _context(node)
    elif type(node.value) not in _CONSTANT_TYPES:
        raise UnsafeCode(f"constant of type {type(node.value).__name__}")


def validate(mod: ast.AST, place: bool = False) -> None:
    """Reject any node kind, attribute, name or constant the compiler does not emit.

    Raises ``UnsafeCode`` naming the offending node. Allowed attributes are the helper
    names on ``t``/``rt``/``ar``/``acc`` only; names are the fixed ones, helpers, mangled
    locals (``v_x``, ``v2_x``), temporaries (``_t3``) and function names (``_f2``);
    ``Exception`` only as the type of an ``except`` clause, ``type`` and ``int`` only in the
    shape ``type(x) is int``. With ``place``, a node without a position takes its parent's
    (one pass does both: ``ast.fix_missing_locations`` would put them on line 1).

    One pass over the tree, dispatched by node class (``_RULES``): a node is checked before
    its descendants, so a ``type(x) is int`` test marks its ``type`` and ``int`` names as
    allowed before they are reached (marks only ever come from ancestors, so the order of
    siblings does not matter). The leaves ``Name`` and ``Constant``, half of all nodes, are
    checked where their parent lists them, never stacked.
    """
    special: set[int] = set()  # ids of Name nodes allowed by their context
    names_ok: set[str] = set(_STATIC_NAMES)  # identifiers found to be allowed anywhere
    rules = _RULES
    positioned = _POSITIONED_TYPES
    contexts = _CONTEXTS
    constant_types = _CONSTANT_TYPES
    generated = _GENERATED_NAME.match
    name_kind, constant_kind = ast.Name, ast.Constant
    stack: list[tuple[Any, int, int]] = [(mod, 1, 0)]
    pop = stack.pop
    push = stack.append
    while stack:
        node, line, col = pop()
        kind = type(node)
        rule = rules.get(kind)
        if rule is None:
            if kind is name_kind or kind is constant_kind:
                _check_leaf(node, special)
                continue
            raise UnsafeCode(f"node {kind.__name__} is not allowed")
        fields, check = rule
        if check is not None:
            check(node, special)
        if place and kind in positioned:
            lineno = getattr(node, "lineno", None)
            if lineno is None:
                node.lineno = line
                node.col_offset = col
            else:
                line, col = lineno, node.col_offset
        for field_name in fields:
            child = getattr(node, field_name)
            if type(child) is not list:
                if child is None:
                    continue
                child = (child,)
            for item in child:
                leaf = type(item)
                if leaf is name_kind:
                    ident = item.id
                    if ident not in names_ok:
                        if generated(ident) is not None:
                            names_ok.add(ident)
                        elif id(item) not in special:
                            raise UnsafeCode(f"name '{ident}' is not allowed")
                    if type(item.ctx) not in contexts:
                        raise UnsafeCode(f"context {type(item.ctx).__name__} is not allowed")
                elif leaf is constant_kind:
                    if type(item.value) not in constant_types:
                        raise UnsafeCode(f"constant of type {type(item.value).__name__}")
                elif item is not None:
                    push((item, line, col))
                    continue
                else:
                    continue
                if place and getattr(item, "lineno", None) is None:
                    item.lineno = line
                    item.col_offset = col


def compile_script(script: n.Script, res: Resolution, options: Options | None = None) -> Program:
    """Compile a resolved script to a ``Program``.

    The resolution must have no errors. Raises ``CompileError`` for a construct the
    compiler cannot translate and ``UnsafeCode`` if validation fails (both compiler bugs
    for a well-resolved script). The Python filename is ``<jexl:FILENAME>``.
    """
    options = options or res.options
    comp = Compiler(script, res, options)
    mod = comp.module()
    validate(mod, place=True)
    filename = f"<jexl:{script.filename}>"
    code = compile(mod, filename, "exec", dont_inherit=True)
    return Program(
        code,
        tuple(comp.constants),
        comp.function_names,
        filename,
        script.source.splitlines(),
        mod,
        frozenset(comp.used),
    )
