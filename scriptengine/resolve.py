"""The resolver: binds every name to a local slot or the run's context, checks JEXL's static
rules and collects ``check`` diagnostics, all in one pass over the syntax tree.

Scoping follows JEXL 3.1-3.6 (JEXL-SEMANTICS.md section 0, item 2): ``var`` is visible in
its whole function from its declaration on (redeclarable, still visible after its block);
``let``/``const`` are block-scoped and may not redeclare a name visible in the same or an
enclosing block. Names are bound in source order, as JEXL's parser declares them: a name
used before its ``var`` reads the context. A function literal captures the *values* of the
enclosing locals it uses (JEXL 3.2+ closures); the resolver lists those captures so the
compiler passes them in when the function value is made.

The result is a ``Resolution``: side tables keyed by node (nodes hash by identity).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field

from . import nodes as n
from .errors import Diagnostic, EvalError
from .host import HostEnvironment, TypeInfo
from .options import Options

#: Pragmas that would reach host classes: refused (JEXL-SEMANTICS.md section 0, item 4).
FORBIDDEN_PRAGMAS = ("jexl.namespace.", "jexl.import", "jexl.module.")

#: The types JEXL literals have, for member checks where ``types`` provides a table.
_LIST = "List"

#: ``HostFunction.returns`` value meaning "a value of the type its first argument names"
#: (``createNew('SubmittedDocument')``): ``check`` then warns about an unknown type name
#: and knows the members of the result.
TYPE_FROM_FIRST_ARGUMENT = "@0"


@dataclass(eq=False)
class Symbol:
    """A local variable of one script function: its JEXL name, how it was declared
    (``var let const param function capture``) and its Python name in generated code."""

    name: str
    kind: str
    pyname: str
    pos: n.Pos
    const: bool = False
    #: the type name known for ``check`` (None when unknown)
    type: str | None = None
    #: assigned after its declaration (a capture that is never assigned keeps the
    #: captured value for the whole call)
    assigned: bool = False


@dataclass(eq=False)
class FunctionScope:
    """One script function (the script itself is the outermost one)."""

    node: n.Node
    parent: FunctionScope | None
    pyname: str
    display: str
    params: list[Symbol] = field(default_factory=list)
    #: (symbol in the enclosing function, symbol in this one), in capture order
    captures: list[tuple[Symbol, Symbol]] = field(default_factory=list)
    #: every local that is not a parameter or a capture (initialised to null on entry)
    locals: list[Symbol] = field(default_factory=list)
    vars: dict[str, Symbol] = field(default_factory=dict)
    blocks: list[dict[str, Symbol]] = field(default_factory=list)
    pynames: set[str] = field(default_factory=set)
    #: JEXL names declared so far in this function, in any block (for ``lexicalShade``)
    declared: set[str] = field(default_factory=set)
    loops: int = 0
    switches: int = 0


@dataclass
class Resolution:
    """What the compiler needs: name bindings, function layouts, and the diagnostics."""

    #: Identifier / declarator / parameter / target node -> local symbol (absent: context)
    bindings: dict[n.Node, Symbol] = field(default_factory=dict)
    functions: dict[n.Node, FunctionScope] = field(default_factory=dict)
    #: a function literal assigned to a local it captures: that capture is the function
    #: itself (JEXL's ``Closure.setCaptured``, which makes recursion through a var work)
    self_capture: dict[n.Lambda, Symbol] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    options: Options = field(default_factory=Options)
    pragmas: dict[str, object] = field(default_factory=dict)

    @property
    def errors(self) -> list[Diagnostic]:
        """The diagnostics of severity ``error`` (the script must not run)."""
        return [d for d in self.diagnostics if d.severity == "error"]


#: node class -> the Resolver method for it (``s_Name``, ``e_Name``), filled on first use
_STATEMENT_HANDLERS: dict[type, Callable[..., None]] = {}
_EXPRESSION_HANDLERS: dict[type, Callable[..., None]] = {}


def _mangle(name: str) -> str:
    """The Python spelling of a JEXL identifier (JEXL allows ``$``; Python does not)."""
    if name.replace("_", "a").isalnum() and name.isascii():
        return name
    return "".join(c if c.isalnum() and c.isascii() else f"_{ord(c):x}_" for c in name)


def _closest(name: str, candidates: set[str] | list[str]) -> str | None:
    """``did you mean 'x'?`` for the closest candidate, or None."""
    found = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean '{found[0]}'?" if found else None


class Resolver:
    """One pass over a script; use ``resolve()``."""

    def __init__(
        self,
        script: n.Script,
        host: HostEnvironment | None,
        options: Options,
        host_variables: set[str] | frozenset[str] = frozenset(),
        builtin_types: dict[str, TypeInfo] | None = None,
        repl: bool = False,
    ) -> None:
        self.script = script
        self.repl = repl
        self.host = host or HostEnvironment()
        self.res = Resolution(options=options)
        self.lines = script.source.splitlines()
        self.host_variables = set(host_variables) | set(self.host.variable_types)
        self.builtin_types = builtin_types or {}
        #: context variables the script assigned so far (source order)
        self.assigned: set[str] = set()
        self.func: FunctionScope | None = None
        self.counter = 0

    # --- diagnostics ------------------------------------------------------------------------
    def _diag(
        self, severity: str, message: str, pos: n.Pos, code: str, hint: str | None = None
    ) -> None:
        line = pos.line
        src = self.lines[line - 1] if 0 < line <= len(self.lines) else None
        self.res.diagnostics.append(
            Diagnostic(severity, message, self.script.filename, line, pos.column, src, hint, code)
        )

    def error(self, message: str, pos: n.Pos, code: str, hint: str | None = None) -> None:
        self._diag("error", message, pos, code, hint)

    def warn(self, message: str, pos: n.Pos, code: str, hint: str | None = None) -> None:
        self._diag("warning", message, pos, code, hint)

    # --- scopes -----------------------------------------------------------------------------
    @property
    def f(self) -> FunctionScope:
        assert self.func is not None
        return self.func

    def _alloc(self, f: FunctionScope, name: str) -> str:
        base = "v_" + _mangle(name)
        if base not in f.pynames:
            f.pynames.add(base)
            return base
        i = 2
        while f"v{i}_{_mangle(name)}" in f.pynames:
            i += 1
        py = f"v{i}_{_mangle(name)}"
        f.pynames.add(py)
        return py

    def _visible_local(self, f: FunctionScope, name: str) -> Symbol | None:
        for block in reversed(f.blocks):
            if name in block:
                return block[name]
        return f.vars.get(name)

    def lookup(self, name: str, f: FunctionScope | None = None) -> Symbol | None:
        """The local a name means here, capturing it from enclosing functions as needed;
        None when it is a context name."""
        f = f or self.f
        sym = self._visible_local(f, name)
        if sym is not None or f.parent is None:
            return sym
        outer = self.lookup(name, f.parent)
        if outer is None:
            return None
        inner = Symbol(name, "capture", self._alloc(f, name), outer.pos, outer.const, outer.type)
        f.vars[name] = inner
        f.captures.append((outer, inner))
        return inner

    def declare(self, kind: str, name: str, pos: n.Pos, node: n.Node) -> Symbol | None:
        """Declare ``var``/``let``/``const``/``function`` ``name`` in the current scope.

        Returns the symbol, or None in REPL mode for a top-level declaration (it becomes a
        context variable, so the next input still sees it)."""
        f = self.f
        if self.repl and f.parent is None and len(f.blocks) == 1:
            self.assigned.add(name)
            return None
        existing = self._visible_local(f, name)
        block_scoped = kind in ("let", "const", "function") or self.res.options.lexical
        if block_scoped or (existing is not None and existing.kind in ("let", "const")):
            if existing is not None and existing.kind != "capture":
                # JexlParser.declareVariable: no redeclaration in the same or an enclosing
                # block, unlike JavaScript's shadowing
                self.error(f"variable '{name}' is already declared", pos, "redeclared")
        if not block_scoped and existing is not None and existing.kind in ("var", "param"):
            sym = existing  # 3.1-3.6: var may be redeclared; same slot
        else:
            sym = Symbol(name, kind, self._alloc(f, name), pos, kind in ("const", "function"))
            f.locals.append(sym)
            if block_scoped and f.blocks:
                f.blocks[-1][name] = sym
            else:
                f.vars[name] = sym
        self.res.bindings[node] = sym
        f.declared.add(name)
        return sym

    def _new_function(self, node: n.Node, display: str) -> FunctionScope:
        self.counter += 1
        pyname = "_main" if self.func is None else f"_f{self.counter}"
        f = FunctionScope(node, self.func, pyname, display)
        f.blocks.append({})
        self.res.functions[node] = f
        return f

    # --- entry ------------------------------------------------------------------------------
    def resolve(self) -> Resolution:
        """Resolve the whole script; diagnostics hold every error and warning found."""
        self._pragmas(self.script.pragmas)
        self.func = self._new_function(self.script, "<script>")
        for stmt in self.script.body:
            self.stmt(stmt)
        return self.res

    def _pragmas(self, pragmas: tuple[n.Pragma, ...]) -> None:
        for p in pragmas:
            self.res.pragmas[p.key] = p.value
            if p.key == "jexl.options":
                try:
                    self.res.options = self.res.options.with_pragma(str(p.value))
                except EvalError as exc:
                    self.error(exc.message, p.pos, "bad-pragma")
            elif p.key.startswith(FORBIDDEN_PRAGMAS) or p.key == "jexl.import":
                self.error(
                    f"pragma '{p.key}' is not allowed: scripts cannot reach host classes",
                    p.pos,
                    "forbidden-pragma",
                )
            else:
                self.warn(f"pragma '{p.key}' is ignored", p.pos, "ignored-pragma")

    # --- statements -------------------------------------------------------------------------
    def block(self, body: tuple[n.Stmt, ...]) -> None:
        self.f.blocks.append({})
        for s in body:
            self.stmt(s)
        self.f.blocks.pop()

    def stmt(self, s: n.Stmt) -> None:
        # handlers looked up once per node class (a name built and looked up per node
        # cost a tenth of resolving)
        method = _STATEMENT_HANDLERS.get(type(s))
        if method is None:
            method = getattr(Resolver, "s_" + type(s).__name__, None)
            if method is None:
                self.error(f"unsupported statement {type(s).__name__}", s.pos, "unsupported")
                return
            _STATEMENT_HANDLERS[type(s)] = method
        method(self, s)

    def s_ExpressionStatement(self, s: n.ExpressionStatement) -> None:
        self.expr(s.expr)

    def s_EmptyStatement(self, s: n.EmptyStatement) -> None:
        pass

    def s_Block(self, s: n.Block) -> None:
        self.block(s.body)

    def s_VarDeclaration(self, s: n.VarDeclaration) -> None:
        for d in s.declarators:
            # JEXL declares the name before parsing the initialiser, so a function literal
            # in the initialiser captures its own variable (recursion through a var)
            existing = self._visible_local(self.f, d.name)
            sym = self.declare(s.kind, d.name, d.pos, d)
            if d.init is not None:
                self.expr(d.init)
                if sym is not None:
                    self._note_self_capture(d.init, sym)
                    sym.type = self.type_of(d.init) if existing is None else None
            elif s.kind == "const":
                self.error(f"const '{d.name}' needs a value", d.pos, "const-no-value")

    def _note_self_capture(self, value: n.Expr, sym: Symbol) -> None:
        if isinstance(value, n.Lambda):
            inner = self.res.functions[value]
            for outer, cap in inner.captures:
                if outer is sym:
                    self.res.self_capture[value] = cap

    def s_FunctionDeclaration(self, s: n.FunctionDeclaration) -> None:
        sym = self.declare("function", s.name, s.pos, s)
        self.expr(s.function)
        if sym is not None:
            self._note_self_capture(s.function, sym)

    def s_IfStatement(self, s: n.IfStatement) -> None:
        self.expr(s.cond)
        self.stmt(s.then)
        if s.orelse is not None:
            self.stmt(s.orelse)

    def _loop_body(self, body: n.Stmt) -> None:
        self.f.loops += 1
        self.stmt(body)
        self.f.loops -= 1

    def s_ForeachStatement(self, s: n.ForeachStatement) -> None:
        self.expr(s.items)
        self.f.blocks.append({})
        if s.kind is not None:
            self.declare(s.kind, s.name, s.name_pos if s.name_pos.line else s.pos, s)
        else:
            self._bind_target(s.name, s.pos, s)
        self._loop_body(s.body)
        self.f.blocks.pop()

    def s_ForStatement(self, s: n.ForStatement) -> None:
        self.f.blocks.append({})
        if isinstance(s.init, n.VarDeclaration):
            self.s_VarDeclaration(s.init)
        elif s.init is not None:
            self.expr(s.init)
        if s.cond is not None:
            self.expr(s.cond)
        if s.update is not None:
            self.expr(s.update)
        self._loop_body(s.body)
        self.f.blocks.pop()

    def s_WhileStatement(self, s: n.WhileStatement) -> None:
        self.expr(s.cond)
        self._loop_body(s.body)

    def s_DoWhileStatement(self, s: n.DoWhileStatement) -> None:
        self._loop_body(s.body)
        self.expr(s.cond)

    def s_BreakStatement(self, s: n.BreakStatement) -> None:
        if self.f.loops == 0 and self.f.switches == 0:
            self.error("'break' outside a loop or switch", s.pos, "break-outside-loop")

    def s_ContinueStatement(self, s: n.ContinueStatement) -> None:
        if self.f.loops == 0 and self.f.switches == 0:
            # Parser.jjt counts a switch case as a loop: `continue` there ends the case
            self.error("'continue' outside a loop", s.pos, "continue-outside-loop")

    def s_ReturnStatement(self, s: n.ReturnStatement) -> None:
        if s.value is not None:
            self.expr(s.value)

    def s_ThrowStatement(self, s: n.ThrowStatement) -> None:
        self.expr(s.value)

    def s_TryStatement(self, s: n.TryStatement) -> None:
        self.f.blocks.append({})
        for r in s.resources:
            self.expr(r.value)
            if r.name is not None:
                if r.kind is not None:
                    self.declare(r.kind, r.name, r.pos, r)
                else:
                    self._bind_target(r.name, r.pos, r)
        self.block(s.body.body)
        self.f.blocks.pop()
        if s.handler is not None:
            h = s.handler
            self.f.blocks.append({})
            if h.name is not None:
                self.declare(h.kind or "let", h.name, h.pos, h)
            self.block(h.body.body)
            self.f.blocks.pop()
        if s.finalizer is not None:
            self.block(s.finalizer.body)

    def s_SwitchStatement(self, s: n.SwitchStatement) -> None:
        self.expr(s.subject)
        self.f.switches += 1
        self.f.blocks.append({})
        self._cases(s.cases)
        self.f.blocks.pop()
        self.f.switches -= 1

    def s_AnnotatedStatement(self, s: n.AnnotatedStatement) -> None:
        for a in s.annotations:
            self.error(f"annotations are not supported (@{a.name})", a.pos, "annotation")
        self.stmt(s.statement)

    # --- expressions ------------------------------------------------------------------------
    def expr(self, e: n.Expr, optional: bool = False) -> None:
        """Resolve an expression; ``optional``: an undefined root name is no error here
        (ternary/elvis conditions, ``??``, ``empty()``, ``size()``)."""
        if isinstance(e, n.Identifier):
            self._read(e, optional)
            return
        method = _EXPRESSION_HANDLERS.get(type(e))
        if method is None:
            method = getattr(Resolver, "e_" + type(e).__name__, None)
            if method is None:
                self.error(f"unsupported expression {type(e).__name__}", e.pos, "unsupported")
                return
            _EXPRESSION_HANDLERS[type(e)] = method
        method(self, e, optional)

    def _read(self, e: n.Identifier, optional: bool) -> None:
        sym = self.lookup(e.name)
        if sym is not None:
            self.res.bindings[e] = sym
            return
        if self.res.options.lexical_shade and e.name in self.f.declared:
            # lexicalShade: a local used outside its block does not fall back to the context
            self.error(f"variable '{e.name}' is not declared here", e.pos, "shaded-variable")
            return
        if optional or e.name in self.host_variables or e.name in self.assigned:
            return
        if e.name in self.host.functions:
            return
        self.warn(
            f"variable '{e.name}' is undefined",
            e.pos,
            "undefined-variable",
            _closest(e.name, self._known_names()),
        )

    def _known_names(self) -> set[str]:
        names = set(self.host_variables) | self.assigned
        f: FunctionScope | None = self.func
        while f is not None:
            names |= set(f.vars)
            for b in f.blocks:
                names |= set(b)
            f = f.parent
        return names

    def _bind_target(self, name: str, pos: n.Pos, node: n.Node) -> None:
        sym = self.lookup(name)
        if sym is None and self.res.options.lexical_shade and name in self.f.declared:
            self.error(f"variable '{name}' is not declared here", pos, "shaded-variable")
            return
        if sym is None:
            if name in self.host_variables:
                self.warn(
                    f"variable '{name}' is provided by the host and cannot be assigned",
                    pos,
                    "host-variable-assign",
                )
            self.assigned.add(name)
            return
        if sym.const:
            self.error(f"cannot assign to constant '{name}'", pos, "const-assign")
        sym.type = None
        sym.assigned = True
        self.res.bindings[node] = sym

    def e_NullLiteral(self, e: n.NullLiteral, optional: bool) -> None:
        pass

    e_BooleanLiteral = e_NumberLiteral = e_StringLiteral = e_RegexLiteral = e_NullLiteral

    def e_TemplateLiteral(self, e: n.TemplateLiteral, optional: bool) -> None:
        for part in e.parts:
            if not isinstance(part, str):
                self.expr(part)

    def e_ArrayLiteral(self, e: n.ArrayLiteral, optional: bool) -> None:
        for item in e.items:
            self.expr(item)

    e_SetLiteral = e_ArrayLiteral

    def e_MapLiteral(self, e: n.MapLiteral, optional: bool) -> None:
        for entry in e.entries:
            self.expr(entry.key)
            self.expr(entry.value)

    def e_RangeNode(self, e: n.RangeNode, optional: bool) -> None:
        self.expr(e.low)
        self.expr(e.high)

    def e_PropertyAccess(self, e: n.PropertyAccess, optional: bool) -> None:
        root = antish_root(e)
        if (
            root is not None
            and self.lookup(root.name) is None
            and root.name not in self.host_variables | self.assigned
        ):
            # JEXL's antish lookup: 'a.b.c' may be one context variable; safe mode makes
            # an undefined root give null, so only warn when nothing could define it
            if not optional and not self._antish_known(e):
                self._read(root, optional)
            return
        self.expr(e.obj, optional)
        self._check_property(e)

    def _antish_known(self, e: n.PropertyAccess) -> bool:
        name = e.antish or ""
        known = self.host_variables | self.assigned
        return any(k == name or name.startswith(k + ".") for k in known)

    def e_TemplatePropertyAccess(self, e: n.TemplatePropertyAccess, optional: bool) -> None:
        self.expr(e.obj, optional)
        self.expr(e.name)

    def e_IndexAccess(self, e: n.IndexAccess, optional: bool) -> None:
        self.expr(e.obj, optional)
        self.expr(e.index)

    def e_MethodCall(self, e: n.MethodCall, optional: bool) -> None:
        self.expr(e.obj, optional)
        for a in e.args:
            self.expr(a)
        self._check_method(e)

    def e_FunctionCall(self, e: n.FunctionCall, optional: bool) -> None:
        for a in e.args:
            self.expr(a)
        if e.namespace is not None:
            ns = self.host.namespaces.get(e.namespace)
            if ns is None:
                self.warn(
                    f"unknown namespace '{e.namespace}'",
                    e.pos,
                    "unknown-namespace",
                    _closest(e.namespace, set(self.host.namespaces)),
                )
                return
            fn = ns.functions.get(e.name)
            if fn is None:
                self.warn(
                    f"unknown function '{e.namespace}:{e.name}'",
                    e.pos,
                    "unknown-function",
                    _closest(e.name, set(ns.functions)),
                )
            elif not fn.accepts(len(e.args)):
                self._arg_count(f"{e.namespace}:{e.name}", fn.min_args, fn.max_args, e)
            return
        sym = self.lookup(e.name)
        if sym is not None:
            self.res.bindings[e] = sym
            return
        if e.name in self.host_variables or e.name in self.assigned:
            return
        hf = self.host.functions.get(e.name)
        if hf is None:
            candidates = set(self.host.functions) | self._known_names()
            self.warn(
                f"unknown function '{e.name}'",
                e.pos,
                "unknown-function",
                _closest(e.name, candidates),
            )
        elif not hf.accepts(len(e.args)):
            self._arg_count(e.name, hf.min_args, hf.max_args, e)
        elif hf.returns == TYPE_FROM_FIRST_ARGUMENT and e.args:
            name = e.args[0]
            if isinstance(name, n.StringLiteral) and name.value not in self.host.types:
                self.warn(
                    f"unknown type '{name.value}'",
                    name.pos,
                    "unknown-type",
                    _closest(name.value, set(self.host.types)),
                )

    def _arg_count(self, name: str, lo: int, hi: int | None, e: n.Node) -> None:
        if hi is None:
            want = f"at least {lo}"
        elif lo == hi:
            want = str(lo)
        else:
            want = f"{lo} to {hi}"
        got = len(getattr(e, "args", ()))
        plural = "" if want == "1" else "s"
        self.warn(f"'{name}' takes {want} argument{plural}, got {got}", e.pos, "argument-count")

    def e_CallExpr(self, e: n.CallExpr, optional: bool) -> None:
        self.expr(e.callee)
        for a in e.args:
            self.expr(a)

    def e_NewExpr(self, e: n.NewExpr, optional: bool) -> None:
        self.error("new(...) is not allowed: scripts cannot create host classes", e.pos, "new")
        for a in e.args:
            self.expr(a)

    def e_UnaryOp(self, e: n.UnaryOp, optional: bool) -> None:
        self.expr(e.operand)

    def e_EmptyFunction(self, e: n.EmptyFunction, optional: bool) -> None:
        self.expr(e.operand, True)

    e_SizeFunction = e_EmptyFunction

    def e_BinaryOp(self, e: n.BinaryOp, optional: bool) -> None:
        self.expr(e.left)
        self.expr(e.right)

    e_LogicalOp = e_BinaryOp

    def e_InstanceOf(self, e: n.InstanceOf, optional: bool) -> None:
        self.expr(e.operand)
        self.expr(e.type)

    def e_Ternary(self, e: n.Ternary, optional: bool) -> None:
        self.expr(e.cond, True)
        self.expr(e.then)
        self.expr(e.otherwise)

    def e_Elvis(self, e: n.Elvis, optional: bool) -> None:
        self.expr(e.value, True)
        self.expr(e.default)

    e_NullCoalesce = e_Elvis

    def e_Assignment(self, e: n.Assignment, optional: bool) -> None:
        t = e.target
        if isinstance(t, n.Identifier):
            if e.op is not None:
                self._read(t, False)
            self.expr(e.value)
            self._bind_target(t.name, t.pos, t)
            sym = self.res.bindings.get(t)
            if sym is not None and e.op is None:
                self._note_self_capture(e.value, sym)
            return
        self._target_object(t)
        self.expr(e.value)

    def _target_object(self, t: n.Expr) -> None:
        if isinstance(t, n.PropertyAccess | n.TemplatePropertyAccess):
            self.expr(t.obj)
            if isinstance(t, n.TemplatePropertyAccess):
                self.expr(t.name)
            else:
                self._check_property(t, write=True)
        elif isinstance(t, n.IndexAccess):
            self.expr(t.obj)
            self.expr(t.index)
        else:
            self.error("cannot assign to this expression", t.pos, "bad-target")

    def e_IncDec(self, e: n.IncDec, optional: bool) -> None:
        t = e.target
        if isinstance(t, n.Identifier):
            self._read(t, False)
            self._bind_target(t.name, t.pos, t)
        else:
            self._target_object(t)

    def e_Lambda(self, e: n.Lambda, optional: bool) -> None:
        outer = self.func
        f = self._new_function(e, e.name or "lambda")
        self.func = f
        for p in e.params:
            if p.name in f.vars:
                self.error(f"parameter '{p.name}' is already declared", p.pos, "redeclared")
            sym = Symbol(p.name, "param", self._alloc(f, p.name), p.pos)
            f.vars[p.name] = sym
            f.params.append(sym)
            self.res.bindings[p] = sym
        loops, switches = f.loops, f.switches
        if isinstance(e.body, n.Block):
            for s in e.body.body:
                self.stmt(s)
        else:
            self.expr(e.body)
        f.loops, f.switches = loops, switches
        self.func = outer

    def e_SwitchExpression(self, e: n.SwitchExpression, optional: bool) -> None:
        self.expr(e.subject)
        self._cases(e.cases)

    def _cases(self, cases: tuple[n.SwitchCase, ...]) -> None:
        """The labels and bodies of a switch's cases (statement or expression bodies)."""
        for case in cases:
            for label in case.labels:
                self.expr(label)
            if isinstance(case.body, tuple):
                for st in case.body:
                    self.stmt(st)
            else:
                self.expr(case.body)

    # --- types for check --------------------------------------------------------------------
    def _type_info(self, name: str | None) -> TypeInfo | None:
        if name is None:
            return None
        return self.host.types.get(name) or self.builtin_types.get(name)

    def type_of(self, e: n.Expr) -> str | None:
        """The type name of an expression's value when ``check`` can know it."""
        if isinstance(e, n.StringLiteral | n.TemplateLiteral):
            return "String"
        if isinstance(e, n.NumberLiteral):
            return e.kind
        if isinstance(e, n.MapLiteral):
            return "Map"
        if isinstance(e, n.ArrayLiteral):
            return _LIST if e.extended else None
        if isinstance(e, n.Identifier):
            sym = self.res.bindings.get(e)
            if sym is not None:
                return sym.type
            if e.name in self.assigned:
                return None
            return self.host.variable_types.get(e.name)
        if isinstance(e, n.PropertyAccess) and isinstance(e.name, str):
            info = self._type_info(self.type_of(e.obj))
            prop = info.properties.get(e.name) if info else None
            return prop.type if prop else None
        if isinstance(e, n.MethodCall):
            info = self._type_info(self.type_of(e.obj))
            meth = info.methods.get(e.name) if info else None
            return meth.returns if meth else None
        if isinstance(e, n.FunctionCall) and e.namespace is None:
            if e in self.res.bindings:
                return None
            hf = self.host.functions.get(e.name)
            if hf is not None and hf.returns == TYPE_FROM_FIRST_ARGUMENT:
                first = e.args[0] if e.args else None
                return first.value if isinstance(first, n.StringLiteral) else None
            return hf.returns if hf else None
        return None

    def _check_property(self, e: n.PropertyAccess, write: bool = False) -> None:
        if not isinstance(e.name, str):
            return
        tname = self.type_of(e.obj)
        info = self._type_info(tname)
        if info is None or tname == "Map":
            return
        prop = info.properties.get(e.name)
        if prop is None:
            self.warn(
                f"unknown property '{e.name}' of {info.name}",
                e.pos,
                "unknown-property",
                _closest(e.name, info.member_names()),
            )
        elif write and not prop.writable:
            self.warn(
                f"property '{e.name}' of {info.name} cannot be assigned",
                e.pos,
                "read-only-property",
            )

    def _check_method(self, e: n.MethodCall) -> None:
        info = self._type_info(self.type_of(e.obj))
        if info is None:
            return
        meth = info.methods.get(e.name)
        if meth is None:
            self.warn(
                f"unknown method '{e.name}' of {info.name}",
                e.pos,
                "unknown-method",
                _closest(e.name, info.member_names()),
            )
        elif not meth.accepts(len(e.args)):
            self._arg_count(f"{info.name}.{e.name}", meth.min_args, meth.max_args, e)


def antish_root(e: n.PropertyAccess) -> n.Identifier | None:
    """The root identifier of an all-identifier chain ``a.b.c`` (JEXL's antish form), or
    None when the chain has another shape."""
    if e.antish is None or e.safe:
        return None
    obj: n.Expr = e
    while isinstance(obj, n.PropertyAccess):
        if obj.safe or not isinstance(obj.name, str):
            return None
        obj = obj.obj
    return obj if isinstance(obj, n.Identifier) else None


def resolve(
    script: n.Script,
    host: HostEnvironment | None = None,
    options: Options | None = None,
    host_variables: set[str] | frozenset[str] = frozenset(),
    builtin_types: dict[str, TypeInfo] | None = None,
    repl: bool = False,
) -> Resolution:
    """Resolve ``script``: returns the bindings and every diagnostic (errors and warnings).

    ``host_variables`` are names the embedder will pass at run time (never warned about,
    never assignable); ``builtin_types`` maps type names (``String``, ``List``) to member
    tables for ``check``. ``repl``: top-level declarations become context variables (they
    outlive the input, for the REPL). Resolving does not change the tree.
    """
    return Resolver(
        script, host, options or Options(), host_variables, builtin_types, repl
    ).resolve()
