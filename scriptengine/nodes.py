"""The language's syntax tree: dataclasses with positions, named after JEXL's nodes.

``build.py`` makes these from Lark's parse tree; ``resolve.py`` annotates names with
bindings (in side tables; nothing changes a node once built); ``compile.py`` turns them into Python
``ast``. Every node has ``pos``: 1-based line and column, counting characters.

Operators are kept as their canonical symbol (word forms are normalised by the builder:
``and`` -> ``&&``, ``eq`` -> ``==``, ``div`` -> ``/``, ``mod`` -> ``%``, ``not`` -> ``!``,
``lt le gt ge ne`` likewise), so the compiler maps one symbol to one helper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(unsafe_hash=True, slots=True)
class Pos:
    """A source position: 1-based line and column (characters), and where the node ends."""

    line: int
    column: int
    end_line: int = 0
    end_column: int = 0

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


NOPOS = Pos(0, 0)


@dataclass(eq=False, slots=True)
class Node:
    """Base of every node. ``eq=False``: nodes compare and hash by identity, so a resolver
    can key side tables on them."""

    pos: Pos


class Expr(Node):
    """Base of expressions."""

    __slots__ = ()


class Stmt(Node):
    """Base of statements."""

    __slots__ = ()


# --- literals -------------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class NullLiteral(Expr):
    pass


@dataclass(eq=False, slots=True)
class BooleanLiteral(Expr):
    value: bool


@dataclass(eq=False, slots=True)
class NumberLiteral(Expr):
    """A number with its Java kind: ``kind`` is one of ``Integer Long BigInteger Float
    Double BigDecimal``; ``value`` is an ``int``, ``float`` or ``Decimal`` (``text`` is the
    source spelling, for messages). ``NaN`` is a Double literal with value ``nan``."""

    value: int | float | Decimal
    kind: str
    text: str = ""


@dataclass(eq=False, slots=True)
class StringLiteral(Expr):
    """A quoted string, escapes already applied (3.2+ rules: ``\\n \\t \\b \\f \\r``,
    ``\\uXXXX``, the delimiter and backslash; other escapes keep their backslash)."""

    value: str


@dataclass(eq=False, slots=True)
class TemplateLiteral(Expr):
    """A backtick literal: ``parts`` alternate text (``str``) and embedded expressions.

    ``${expr}`` and ``#{expr}`` both give an ``Expr`` part. Escapes ``\\``` and ``\\$`` are
    applied to the text parts. ``source`` is the literal's text between the backticks."""

    parts: tuple[str | Expr, ...]
    source: str = ""


@dataclass(eq=False, slots=True)
class RegexLiteral(Expr):
    """``~/pattern/``; ``pattern`` with ``\\/`` already turned into ``/``."""

    pattern: str


@dataclass(eq=False, slots=True)
class ArrayLiteral(Expr):
    """``[a, b]`` (a fixed-size Java array), or with ``extended`` (``[a, b, ...]``,
    ``[...]``) a growable ArrayList."""

    items: tuple[Expr, ...]
    extended: bool = False


@dataclass(eq=False, slots=True)
class SetLiteral(Expr):
    """``{a, b}``; ``{}`` is the empty set."""

    items: tuple[Expr, ...]


@dataclass(eq=False, slots=True)
class MapEntry(Node):
    key: Expr
    value: Expr


@dataclass(eq=False, slots=True)
class MapLiteral(Expr):
    """``{k: v, ...}``; ``{:}`` is the empty map."""

    entries: tuple[MapEntry, ...]


@dataclass(eq=False, slots=True)
class RangeNode(Expr):
    """``low .. high`` (inclusive; counts down when high < low)."""

    low: Expr
    high: Expr


# --- names and access ----------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class Identifier(Expr):
    """A bare name: a local, a parameter, or a context variable (decided by the resolver)."""

    name: str


@dataclass(eq=False, slots=True)
class PropertyAccess(Expr):
    """``obj.name`` (``safe`` for ``obj?.name``). ``name`` is the identifier, quoted string
    or integer spelled after the dot (``a.0`` gives ``0`` as an ``int``). ``antish`` holds
    the dotted name when the whole chain is made of identifiers (``a.b.c`` -> ``'a.b.c'``)
    so the compiler can try JEXL's antish context lookup."""

    obj: Expr
    name: str | int
    safe: bool = False
    antish: str | None = None


@dataclass(eq=False, slots=True)
class TemplatePropertyAccess(Expr):
    """``obj.`${k}``` : a property named by a backtick template."""

    obj: Expr
    name: TemplateLiteral
    safe: bool = False


@dataclass(eq=False, slots=True)
class IndexAccess(Expr):
    """``obj[index]`` (``safe`` for ``obj?[index]``)."""

    obj: Expr
    index: Expr
    safe: bool = False


@dataclass(eq=False, slots=True)
class MethodCall(Expr):
    """``obj.name(args)`` (``safe`` for ``obj?.name(args)``)."""

    obj: Expr
    name: str
    args: tuple[Expr, ...]
    safe: bool = False


@dataclass(eq=False, slots=True)
class FunctionCall(Expr):
    """``name(args)``: a local holding a function, a context variable holding one, or a
    top-level host function (``createNew``); also ``ns:name(args)`` with ``namespace``."""

    name: str
    args: tuple[Expr, ...]
    namespace: str | None = None


@dataclass(eq=False, slots=True)
class CallExpr(Expr):
    """Calling the value of any other expression: ``f(1)(2)``, ``(x -> x)(3)``, ``m.f(1)``
    is a MethodCall instead."""

    callee: Expr
    args: tuple[Expr, ...]


@dataclass(eq=False, slots=True)
class NewExpr(Expr):
    """``new(...)`` / ``new Type(...)``: always refused by the sandbox at compile time."""

    args: tuple[Expr, ...]


# --- operators -----------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class UnaryOp(Expr):
    """``op`` is one of ``- + ~ !`` (``not`` normalised to ``!``)."""

    op: str
    operand: Expr


@dataclass(eq=False, slots=True)
class EmptyFunction(Expr):
    """``empty(x)`` / ``empty x``: never an error for an undefined variable."""

    operand: Expr


@dataclass(eq=False, slots=True)
class SizeFunction(Expr):
    """``size(x)`` / ``size x``."""

    operand: Expr


@dataclass(eq=False, slots=True)
class BinaryOp(Expr):
    """Arithmetic, bitwise, comparison and matching operators.

    ``op`` is one of ``+ - * / % & | ^ << >> >>> == != === !== < <= > >= =~ !~ =^ !^ =$ !$``
    (word forms normalised)."""

    op: str
    left: Expr
    right: Expr


@dataclass(eq=False, slots=True)
class LogicalOp(Expr):
    """``&&`` or ``||`` (short-circuit; word forms normalised)."""

    op: str
    left: Expr
    right: Expr


@dataclass(eq=False, slots=True)
class InstanceOf(Expr):
    """``x instanceof T`` (``negated`` for ``!instanceof``)."""

    operand: Expr
    type: Expr
    negated: bool = False


@dataclass(eq=False, slots=True)
class Ternary(Expr):
    """``cond ? then : otherwise``; the condition is null-protected (undefined/null = false)."""

    cond: Expr
    then: Expr
    otherwise: Expr


@dataclass(eq=False, slots=True)
class Elvis(Expr):
    """``value ?: default``: ``value`` if truthy (undefined/null = false), else ``default``."""

    value: Expr
    default: Expr


@dataclass(eq=False, slots=True)
class NullCoalesce(Expr):
    """``value ?? default``: ``default`` only when ``value`` is null or undefined."""

    value: Expr
    default: Expr


@dataclass(eq=False, slots=True)
class Assignment(Expr):
    """``target = value`` or a compound ``target op= value`` (``op`` e.g. ``+``, ``<<``;
    ``None`` for plain ``=``). ``target`` is an Identifier, PropertyAccess,
    TemplatePropertyAccess or IndexAccess."""

    target: Expr
    value: Expr
    op: str | None = None


@dataclass(eq=False, slots=True)
class IncDec(Expr):
    """``++x``, ``x++``, ``--x``, ``x--``: ``op`` is ``+`` or ``-``; ``prefix`` says which
    value the expression has (the new one when prefix)."""

    target: Expr
    op: str
    prefix: bool


# --- functions -----------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class Parameter(Node):
    name: str


@dataclass(eq=False, slots=True)
class Lambda(Expr):
    """A function value: ``function(a, b) { ... }``, ``(a, b) -> expr``, ``a => { ... }``.

    ``body`` is a Block (statement body) or an Expr (expression body). ``name`` is set for
    a named function declaration's function (for stack traces)."""

    params: tuple[Parameter, ...]
    body: Block | Expr
    name: str | None = None
    arrow: str | None = None  # None for 'function', '->' or '=>'


# --- statements ----------------------------------------------------------------------------


@dataclass(eq=False, slots=True)
class ExpressionStatement(Stmt):
    expr: Expr


@dataclass(eq=False, slots=True)
class EmptyStatement(Stmt):
    """A lone ``;``."""


@dataclass(eq=False, slots=True)
class Block(Stmt):
    """``{ ... }``; its value is its last statement's value."""

    body: tuple[Stmt, ...]


@dataclass(eq=False, slots=True)
class VarDeclarator(Node):
    name: str
    init: Expr | None


@dataclass(eq=False, slots=True)
class VarDeclaration(Stmt):
    """``var a = 1, b``; ``let``; ``const`` (``kind``)."""

    kind: str  # 'var' | 'let' | 'const'
    declarators: tuple[VarDeclarator, ...]


@dataclass(eq=False, slots=True)
class FunctionDeclaration(Stmt):
    """``function name(params) { ... }``: a ``const`` local holding the function (not hoisted)."""

    name: str
    function: Lambda


@dataclass(eq=False, slots=True)
class IfStatement(Stmt):
    """``if``/``else if``/``else``: ``orelse`` is another IfStatement, a statement, or None."""

    cond: Expr
    then: Stmt
    orelse: Stmt | None


@dataclass(eq=False, slots=True)
class ForeachStatement(Stmt):
    """``for (var x : items) body``. ``kind`` is ``'var' 'let' 'const'`` or None for
    ``for (x : items)`` (an existing variable or a context variable)."""

    kind: str | None
    name: str
    items: Expr
    body: Stmt
    name_pos: Pos = field(default=NOPOS)


@dataclass(eq=False, slots=True)
class ForStatement(Stmt):
    """C-style ``for (init; cond; update) body``; any part may be missing. ``init`` is a
    VarDeclaration or an Expr."""

    init: VarDeclaration | Expr | None
    cond: Expr | None
    update: Expr | None
    body: Stmt


@dataclass(eq=False, slots=True)
class WhileStatement(Stmt):
    cond: Expr
    body: Stmt


@dataclass(eq=False, slots=True)
class DoWhileStatement(Stmt):
    body: Stmt
    cond: Expr


@dataclass(eq=False, slots=True)
class BreakStatement(Stmt):
    pass


@dataclass(eq=False, slots=True)
class ContinueStatement(Stmt):
    pass


@dataclass(eq=False, slots=True)
class ReturnStatement(Stmt):
    """``return expr;`` or a bare ``return;`` (value None)."""

    value: Expr | None


@dataclass(eq=False, slots=True)
class ThrowStatement(Stmt):
    value: Expr


@dataclass(eq=False, slots=True)
class CatchClause(Node):
    """``catch (e)`` / ``catch (let e)`` / ``catch (var e)``; ``name`` may be None for a
    bare ``catch`` block if the grammar allows it."""

    kind: str | None
    name: str | None
    body: Block


@dataclass(eq=False, slots=True)
class TryResource(Node):
    """One resource of ``try (let r = expr; ...)``: a declared name or a bare expression."""

    kind: str | None
    name: str | None
    value: Expr


@dataclass(eq=False, slots=True)
class TryStatement(Stmt):
    resources: tuple[TryResource, ...]
    body: Block
    handler: CatchClause | None
    finalizer: Block | None


@dataclass(eq=False, slots=True)
class SwitchCase(Node):
    """One ``case a, b:`` (statement form) / ``case a, b ->`` (expression form). An empty
    ``labels`` tuple means ``default``. ``body`` is a tuple of statements (statement form)
    or a single Expr (expression form)."""

    labels: tuple[Expr, ...]
    body: tuple[Stmt, ...] | Expr


@dataclass(eq=False, slots=True)
class SwitchStatement(Stmt):
    subject: Expr
    cases: tuple[SwitchCase, ...]


@dataclass(eq=False, slots=True)
class SwitchExpression(Expr):
    subject: Expr
    cases: tuple[SwitchCase, ...]


@dataclass(eq=False, slots=True)
class Annotation(Node):
    name: str
    args: tuple[Expr, ...]


@dataclass(eq=False, slots=True)
class AnnotatedStatement(Stmt):
    """``@name(args) statement``: refused by the sandbox at compile time."""

    annotations: tuple[Annotation, ...]
    statement: Stmt


@dataclass(eq=False, slots=True)
class Pragma(Node):
    """``#pragma key value``: ``key`` is the dotted name, ``value`` the literal's value
    (str, int, float, bool, None) or the dotted name as a str."""

    key: str
    value: object


@dataclass(eq=False, slots=True)
class Script(Node):
    """A whole script: pragmas (in order) and top-level statements."""

    body: tuple[Stmt, ...]
    pragmas: tuple[Pragma, ...] = ()
    filename: str = "<script>"
    source: str = ""
