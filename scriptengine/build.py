"""Lark parse tree -> ``nodes`` syntax tree, with positions, literal values and parse-time checks.

The checks are the ones JEXL's own parser makes that need neither scopes nor loops: assigning to
something that is not assignable, two expressions on one line without ``;`` (JEXL's "ambiguous
statement"), lambda parameters that are not names. Each raises ``parser.SyntaxProblem``;
``parser.parse`` adds the filename. ``break``/``continue`` outside a loop and ``const`` without
a value are left to the resolver, so ``check`` reports them together with every other error.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from lark import Token, Tree

from . import nodes
from .parser import SyntaxProblem, parse_tree

__all__ = [
    "build_script",
    "build_expression",
    "integer_literal",
    "real_literal",
    "unescape_string",
]

_INT_MAX = 2**31 - 1
_LONG_MAX = 2**63 - 1

# Word forms and symbols -> the canonical operator nodes.py documents.
_OPERATORS = {
    "W_EQ": "==",
    "W_NE": "!=",
    "W_LT": "<",
    "W_LE": "<=",
    "W_GT": ">",
    "W_GE": ">=",
    "W_DIV": "/",
    "W_MOD": "%",
    "W_NOT": "!",
    "W_AND": "&&",
    "W_OR": "||",
}

_Pos = nodes.Pos

#: Rules whose node's ``pos`` is the rule's whole span (``self.pos(tree)``): an operand's
#: span is then its node's, not worth a second walk (a parenthesized operand is not one).
_SPAN_IS_POS = frozenset(
    {"identifier", "number", "string", "boolean", "null", "member", "call", "array_access"}
)

_LOOPS = frozenset({"foreach_statement", "for_statement", "while_statement", "do_while_statement"})

_ASSIGNABLE = (
    nodes.Identifier,
    nodes.PropertyAccess,
    nodes.TemplatePropertyAccess,
    nodes.IndexAccess,
)


# --- literal values ------------------------------------------------------------------------


def integer_literal(text: str) -> tuple[int, str]:
    """The value and Java kind of an integer literal: ``'42'`` -> ``(42, 'Integer')``.

    Decimal, ``0x`` hex and ``0``-prefixed octal; the smallest of Integer, Long, BigInteger
    that holds the magnitude, or the kind a suffix names (``l``/``L`` Long, ``h``/``H``
    BigInteger) as JEXL's NumberParser.assignNatural does. Raises ``ValueError`` when a
    ``L`` literal does not fit a Long.
    """
    body = text
    suffix = body[-1] if body[-1] in "lLhH" else ""
    if suffix:
        body = body[:-1]
    if body[:2] in ("0x", "0X"):
        value = int(body[2:], 16)
    elif len(body) > 1 and body[0] == "0":
        value = int(body, 8)
    else:
        value = int(body, 10)
    if suffix in ("l", "L"):
        if value > _LONG_MAX:
            raise ValueError(text)
        return value, "Long"
    if suffix in ("h", "H"):
        return value, "BigInteger"
    if value <= _INT_MAX:
        return value, "Integer"
    if value <= _LONG_MAX:
        return value, "Long"
    return value, "BigInteger"


def _to_float32(value: float) -> float:
    """Round to the nearest Java float (Float.parseFloat); too large gives infinity."""
    try:
        return float(struct.unpack("f", struct.pack("f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def real_literal(text: str) -> tuple[float | Decimal, str]:
    """The value and Java kind of a real literal: ``'1.10b'`` -> ``(Decimal('1.10'), 'BigDecimal')``.

    ``f``/``F`` Float (rounded to float precision), ``d``/``D`` or no suffix Double, ``b``/``B``
    BigDecimal keeping the written scale; ``NaN`` is the Double NaN (NumberParser.assignReal).
    """
    if text in ("NaN", "#NaN"):
        return math.nan, "Double"
    last = text[-1]
    if last in "bB":
        return Decimal(text[:-1]), "BigDecimal"
    if last in "fF":
        return _to_float32(float(text[:-1])), "Float"
    if last in "dD":
        return float(text[:-1]), "Double"
    return float(text), "Double"


_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r"}
_HEX = frozenset("0123456789abcdefABCDEF")


def unescape_string(body: str, delimiter: str) -> str:
    """Apply JEXL 3.2+ string escapes to a literal's text without its quotes.

    ``\\b \\t \\n \\f \\r``, ``\\uXXXX``, the literal's own delimiter and the backslash are
    escapes; any other backslash is kept with the character after it: ``'x\\qy'`` is ``x\\qy``
    and ``'a\\"b'`` is ``a\\"b`` (StringParser.read).
    """
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    size = len(body)
    while i < size:
        c = body[i]
        if c != "\\" or i + 1 >= size:
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n == "u" and i + 6 <= size and all(h in _HEX for h in body[i + 2 : i + 6]):
            out.append(chr(int(body[i + 2 : i + 6], 16)))
            i += 6
            continue
        if n == delimiter or n == "\\":
            out.append(n)
        elif n in _ESCAPES:
            out.append(_ESCAPES[n])
        else:
            out.append("\\" + n)
        i += 2
    return "".join(out)


# --- the builder ---------------------------------------------------------------------------

_Handler = Callable[["_Builder", Tree[Token]], Any]


class _Builder:
    """One tree walk. ``line_offset``/``column_offset`` map positions of a template's inner
    expression (parsed on its own) back to the script; ``loops`` counts enclosing loops and
    statement switches (for ``break``/``continue``)."""

    def __init__(self, text: str, line_offset: int = 0, column_offset: int = 0) -> None:
        self.text = text
        self.line_offset = line_offset
        self.column_offset = column_offset
        self.shifted = bool(line_offset or column_offset)  # positions need the offsets
        self.loops = 0
        self.pragmas: list[nodes.Pragma] = []

    # positions ----------------------------------------------------------------------------

    def pos(self, tree: Tree[Token]) -> nodes.Pos:
        """The span of a subtree, from its first token to its last (Lark's
        propagate_positions costs a third of the parse time, so it is off). Asked for nearly
        every node: the usual walks (down first and last children to a token) are inlined;
        a None or empty child on the way falls back to the full search."""
        node: Any = tree
        while True:
            children = node.children
            if not children:
                return nodes.NOPOS
            child = children[0]
            if isinstance(child, Token):
                first = child
                break
            if child is None or not child.children:
                found = _first_token_search(tree)
                if found is None:
                    return nodes.NOPOS
                first = found
                break
            node = child
        node = tree
        while True:
            child = node.children[-1]
            if isinstance(child, Token):
                last = child
                break
            if child is None or not child.children:
                found = _last_token_search(tree)
                if found is None:
                    return nodes.NOPOS
                last = found
                break
            node = child
        if self.shifted:
            return self._pos(
                first.line or 0, first.column or 0, last.end_line or 0, last.end_column or 0
            )
        return _Pos(first.line or 0, first.column or 0, last.end_line or 0, last.end_column or 0)

    def tpos(self, token: Token) -> nodes.Pos:
        return self._pos(
            token.line or 0, token.column or 0, token.end_line or 0, token.end_column or 0
        )

    def _pos(self, line: int, column: int, end_line: int, end_column: int) -> nodes.Pos:
        if self.line_offset or self.column_offset:
            if line == 1:
                column += self.column_offset
            if end_line == 1:
                end_column += self.column_offset
            line += self.line_offset
            end_line += self.line_offset
        return nodes.Pos(line, column, end_line, end_column)

    def span(self, first: nodes.Pos, last: nodes.Pos) -> nodes.Pos:
        return nodes.Pos(first.line, first.column, last.end_line, last.end_column)

    def fail(self, message: str, pos: nodes.Pos, hint: str | None = None) -> SyntaxProblem:
        return SyntaxProblem(message, pos.line, pos.column, hint)

    # dispatch -----------------------------------------------------------------------------

    def expr(self, item: Tree[Token] | Token) -> nodes.Expr:
        if isinstance(item, Token):
            return self.token_expr(item)
        handler = _EXPRESSIONS.get(item.data)
        if handler is None:
            raise self.fail(f"unexpected {item.data.replace('_', ' ')}", self.pos(item))
        result: nodes.Expr = handler(self, item)
        return result

    def token_expr(self, token: Token) -> nodes.Expr:
        # Only IDENTIFIER reaches here (rules with one token child are inlined by `?`).
        if token.type == "IDENTIFIER":
            return nodes.Identifier(self.tpos(token), str(token))
        raise self.fail(f"unexpected '{token}'", self.tpos(token))

    def stmt(self, tree: Tree[Token] | Token) -> nodes.Stmt:
        if isinstance(tree, Token):  # cannot happen with this grammar; keep mypy honest
            raise self.fail(f"unexpected '{tree}'", self.tpos(tree))
        handler = _STATEMENTS.get(tree.data)
        if handler is None:
            return nodes.ExpressionStatement(self.pos(tree), self.expr(tree))
        result: nodes.Stmt = handler(self, tree)
        return result

    def body(
        self, children: Sequence[Tree[Token] | Token | None], case: bool = False
    ) -> tuple[nodes.Stmt, ...]:
        """Statements of a script, block or case: pragmas collected, lone ``;`` dropped (JEXL
        makes no node for them), two expressions on one line refused. ``case``: a switch
        case, whose first ``{`` is always a block (SwitchStatementCase's LOOKAHEAD)."""
        out: list[nodes.Stmt] = []
        previous_open: nodes.ExpressionStatement | None = None
        for child in children:
            if child is None or isinstance(child, Token):
                continue
            if child.data == "pragma":
                self.pragmas.append(self.pragma(child))
                continue
            if child.data == "empty_statement":
                previous_open = None
                continue
            as_set = None if case and not out else self.set_statement(child)
            statement = as_set or self.stmt(child)
            if (
                previous_open is not None
                and isinstance(statement, nodes.ExpressionStatement)
                and statement.pos.line == previous_open.pos.end_line
            ):
                # JEXL's "ambiguous statement": `a b` on one line (isAmbiguousStatement).
                raise self.fail("missing ';' between two expressions on one line", statement.pos)
            previous_open = None
            if isinstance(statement, nodes.ExpressionStatement) and child.children[-1] is None:
                previous_open = statement
            out.append(statement)
        return tuple(out)

    def set_statement(self, tree: Tree[Token]) -> nodes.ExpressionStatement | None:
        """``{}`` or ``{ expr }`` in a statement sequence is a set literal, as in JEXL, whose
        StatementSink tries an Expression before a Block (3.1: ``{ 1 }`` is ``[1]``, a
        HashSet); ``{ expr; }`` and anything longer stay blocks. None when not such a set."""
        if tree.data != "block":
            return None
        inner = tree.children[1:-1]
        if len(inner) > 1:
            return None
        pos = self.pos(tree)
        if not inner:
            return nodes.ExpressionStatement(pos, nodes.SetLiteral(pos, ()))
        only = inner[0]
        if (
            isinstance(only, Tree)
            and only.data == "expression_statement"
            and only.children[-1] is None
            and only.children[0] is not None
        ):
            item = self.expr(only.children[0])
            return nodes.ExpressionStatement(pos, nodes.SetLiteral(pos, (item,)))
        return None

    def loop_body(self, tree: Tree[Token] | Token) -> nodes.Stmt:
        self.loops += 1
        try:
            return self.sub_statement(tree)
        finally:
            self.loops -= 1

    def sub_statement(self, tree: Tree[Token] | Token) -> nodes.Stmt:
        """The body of an ``if``/loop: a lone ``;`` stays an EmptyStatement there."""
        if isinstance(tree, Tree) and tree.data == "empty_statement":
            return nodes.EmptyStatement(self.pos(tree))
        statement = self.stmt(tree)
        if isinstance(statement, nodes.VarDeclaration) and statement.kind != "var":
            # StatementSink takes a bare `var` only (Parser.jjt); `let`/`const` need a block
            raise self.fail(
                f"'{statement.kind}' cannot be the whole body here",
                statement.pos,
                "put it in braces: { ... }",
            )
        return statement

    # statements ---------------------------------------------------------------------------

    def script(self, tree: Tree[Token], filename: str) -> nodes.Script:
        body = self.body(tree.children)
        end_line = self.text.count("\n") + 1
        end_column = len(self.text) - (self.text.rfind("\n") + 1) + 1
        return nodes.Script(
            nodes.Pos(1, 1, end_line, end_column),
            body,
            tuple(self.pragmas),
            filename,
            self.text,
        )

    def pragma(self, tree: Tree[Token]) -> nodes.Pragma:
        _, key_tree, value_tree = tree.children
        assert isinstance(key_tree, Tree)
        key = ".".join(str(t) for t in key_tree.children)
        return nodes.Pragma(self.pos(tree), key, self.pragma_value(value_tree))

    def pragma_value(self, item: Tree[Token] | Token | None) -> object:
        if isinstance(item, Tree) and item.data == "property_key":
            return ".".join(str(t) for t in item.children)
        if item is None:
            return None
        value = self.expr(item)
        if isinstance(value, nodes.NumberLiteral | nodes.StringLiteral | nodes.BooleanLiteral):
            return value.value
        return None

    def var_declaration(self, tree: Tree[Token]) -> nodes.VarDeclaration:
        kind_token = tree.children[0]
        assert isinstance(kind_token, Token)
        kind = str(kind_token)
        declarators: list[nodes.VarDeclarator] = []
        for child in tree.children[1:]:
            if not isinstance(child, Tree):
                continue
            name, init = child.children
            assert isinstance(name, Token)
            pos = self.pos(child)
            if init is None:
                # ``const x;`` is reported by the resolver, with every other static error
                declarators.append(nodes.VarDeclarator(pos, str(name), None))
            else:
                declarators.append(nodes.VarDeclarator(pos, str(name), self.expr(init)))
        return nodes.VarDeclaration(self.pos(tree), kind, tuple(declarators))

    def expression_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        expression = tree.children[0]
        assert expression is not None
        return nodes.ExpressionStatement(self.pos(tree), self.expr(expression))

    def empty_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        return nodes.EmptyStatement(self.pos(tree))

    def block(self, tree: Tree[Token]) -> nodes.Block:
        return nodes.Block(self.pos(tree), self.body(tree.children[1:]))

    def annotated_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        annotation_tree, statement_tree = tree.children
        assert isinstance(annotation_tree, Tree) and statement_tree is not None
        name_token, arguments = annotation_tree.children
        assert isinstance(name_token, Token)
        args = self.arguments(arguments) if isinstance(arguments, Tree) else ()
        annotation = nodes.Annotation(self.pos(annotation_tree), str(name_token)[1:], args)
        inner = self.stmt(statement_tree)
        if isinstance(inner, nodes.AnnotatedStatement):  # `@a @b stmt`: one list, in order
            return nodes.AnnotatedStatement(
                self.pos(tree), (annotation, *inner.annotations), inner.statement
            )
        return nodes.AnnotatedStatement(self.pos(tree), (annotation,), inner)

    def function_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        _, name, params, body = tree.children
        assert isinstance(name, Token) and isinstance(params, Tree) and body is not None
        function = nodes.Lambda(
            self.pos(tree), self.parameters(params), self.function_body(body), str(name), None
        )
        return nodes.FunctionDeclaration(self.pos(tree), str(name), function)

    def if_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        _, cond, then, _, orelse = tree.children
        assert cond is not None and then is not None
        return nodes.IfStatement(
            self.pos(tree),
            self.expr(cond),
            self.sub_statement(then),
            self.sub_statement(orelse) if orelse is not None else None,
        )

    def foreach_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        _, var, items, body = tree.children
        assert isinstance(var, Tree) and items is not None and body is not None
        kind, name = var.children
        assert isinstance(name, Token)
        return nodes.ForeachStatement(
            self.pos(tree),
            str(kind) if kind is not None else None,
            str(name),
            self.expr(items),
            self.loop_body(body),
            self.tpos(name),
        )

    def for_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        _, init, _, cond, _, update, body = tree.children
        assert body is not None
        init_node: nodes.VarDeclaration | nodes.Expr | None = None
        if isinstance(init, Tree) and init.data == "var_declaration":
            init_node = self.var_declaration(init)
        elif init is not None:
            init_node = self.expr(init)
        return nodes.ForStatement(
            self.pos(tree),
            init_node,
            self.expr(cond) if cond is not None else None,
            self.expr(update) if update is not None else None,
            self.loop_body(body),
        )

    def while_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        _, cond, body = tree.children
        assert cond is not None and body is not None
        return nodes.WhileStatement(self.pos(tree), self.expr(cond), self.loop_body(body))

    def do_while_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        _, body, _, cond, _, _ = tree.children
        assert cond is not None and body is not None
        return nodes.DoWhileStatement(self.pos(tree), self.loop_body(body), self.expr(cond))

    def return_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        value = tree.children[1]
        return nodes.ReturnStatement(
            self.pos(tree), self.expr(value) if value is not None else None
        )

    def throw_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        value = tree.children[1]
        pos = self.pos(tree)
        return nodes.ThrowStatement(
            pos, self.expr(value) if value is not None else nodes.NullLiteral(pos)
        )

    def continue_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        # outside a loop: reported by the resolver, with every other static error
        return nodes.ContinueStatement(self.pos(tree))

    def break_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        return nodes.BreakStatement(self.pos(tree))

    def try_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        _, resources, body, handler, finalizer = tree.children
        assert isinstance(body, Tree)
        resource_nodes: list[nodes.TryResource] = []
        if isinstance(resources, Tree):
            for res in resources.children:
                if not isinstance(res, Tree):
                    continue
                (item,) = res.children
                if isinstance(item, Token):
                    ident = nodes.Identifier(self.tpos(item), str(item))
                    resource_nodes.append(nodes.TryResource(self.pos(res), None, None, ident))
                    continue
                assert isinstance(item, Tree)
                declaration = self.var_declaration(item)
                for d in declaration.declarators:
                    value = d.init if d.init is not None else nodes.NullLiteral(d.pos)
                    resource_nodes.append(nodes.TryResource(d.pos, declaration.kind, d.name, value))
        catch: nodes.CatchClause | None = None
        if isinstance(handler, Tree):
            _, var, catch_body = handler.children
            assert isinstance(var, Tree) and isinstance(catch_body, Tree)
            kind, name = var.children
            catch = nodes.CatchClause(
                self.pos(handler),
                str(kind) if kind is not None else None,
                str(name) if name is not None else None,
                self.block(catch_body),
            )
        final: nodes.Block | None = None
        if isinstance(finalizer, Tree):
            final_body = finalizer.children[1]
            assert isinstance(final_body, Tree)
            final = self.block(final_body)
        return nodes.TryStatement(
            self.pos(tree), tuple(resource_nodes), self.block(body), catch, final
        )

    def switch_statement(self, tree: Tree[Token]) -> nodes.Stmt:
        subject = tree.children[1]
        assert subject is not None
        cases: list[nodes.SwitchCase] = []
        self.loops += 1  # `break` leaves a statement switch (loopCount in SwitchStatementCase)
        try:
            for case in tree.children[3:]:
                if isinstance(case, Tree) and case.data == "switch_statement_case":
                    cases.extend(self.switch_statement_case(case))
        finally:
            self.loops -= 1
        return nodes.SwitchStatement(self.pos(tree), self.expr(subject), tuple(cases))

    def switch_statement_case(self, tree: Tree[Token]) -> list[nodes.SwitchCase]:
        """One group of labels and its statements; `case 1: default: s` becomes two cases, the
        first empty (it falls through, so the meaning is the same)."""
        runs: list[tuple[nodes.Pos, list[nodes.Expr]]] = []
        statements: list[Tree[Token] | Token | None] = []
        for child in tree.children:
            if isinstance(child, Tree) and child.data == "case_label":
                labels = self.case_labels(child)
                is_default = not labels
                if not runs or is_default or not runs[-1][1]:
                    runs.append((self.pos(child), labels))
                else:
                    runs[-1][1].extend(labels)
            else:
                statements.append(child)
        body = self.body(statements, case=True)
        cases = [nodes.SwitchCase(pos, tuple(labels), ()) for pos, labels in runs[:-1]]
        last_pos, last_labels = runs[-1]
        end = self.pos(tree)
        cases.append(nodes.SwitchCase(self.span(last_pos, end), tuple(last_labels), body))
        return cases

    def case_labels(self, tree: Tree[Token]) -> list[nodes.Expr]:
        """``case a, b`` -> [a, b]; ``default`` -> []."""
        for child in tree.children:
            if isinstance(child, Tree) and child.data == "const_literals":
                return [self.expr(c) for c in child.children if c is not None]
        return []

    # expressions --------------------------------------------------------------------------

    def assignment(self, tree: Tree[Token]) -> nodes.Expr:
        target_tree, op, value = tree.children
        assert target_tree is not None and isinstance(op, Token) and value is not None
        target = self.expr(target_tree)
        if not isinstance(target, _ASSIGNABLE):
            raise self.fail(
                f"cannot assign to {_describe_node(target)}",
                target.pos,
                "only a variable, a property or an element can be assigned",
            )
        symbol = str(op)
        return nodes.Assignment(
            self.pos(tree), target, self.expr(value), None if symbol == "=" else symbol[:-1]
        )

    def ternary(self, tree: Tree[Token]) -> nodes.Expr:
        cond, then, otherwise = tree.children
        assert cond is not None and then is not None and otherwise is not None
        return nodes.Ternary(self.pos(tree), self.expr(cond), self.expr(then), self.expr(otherwise))

    def elvis(self, tree: Tree[Token]) -> nodes.Expr:
        value, _, default = tree.children
        assert value is not None and default is not None
        return nodes.Elvis(self.pos(tree), self.expr(value), self.expr(default))

    def null_coalesce(self, tree: Tree[Token]) -> nodes.Expr:
        value, _, default = tree.children
        assert value is not None and default is not None
        return nodes.NullCoalesce(self.pos(tree), self.expr(value), self.expr(default))

    def conditional_or_expression(self, tree: Tree[Token]) -> nodes.Expr:
        """``a op b op c ...`` (the flattened operator chain) -> a tree by JEXL's precedence.

        Operator precedence climbing; the comparison and equality levels are non-associative
        as in Parser.jjt (``a < b < c`` and ``a == b == c`` do not parse)."""
        children = tree.children
        first = children[0]
        assert first is not None
        operands: list[tuple[nodes.Expr, nodes.Pos]] = [self._operand(first)]
        operators: list[Token] = []
        for index in range(1, len(children), 2):
            op = children[index]
            operand = children[index + 1]
            assert isinstance(op, Token) and operand is not None
            level = _LEVELS[op.type]
            while operators and _LEVELS[operators[-1].type] >= level:
                if _LEVELS[operators[-1].type] == level and level in _NON_ASSOCIATIVE:
                    raise self.fail(
                        f"unexpected '{op}'",
                        self.tpos(op),
                        "comparisons do not chain: use parentheses or '&&'",
                    )
                self._reduce(operands, operators.pop())
            operators.append(op)
            operands.append(self._operand(operand))
        while operators:
            self._reduce(operands, operators.pop())
        return operands[0][0]

    def _operand(self, item: Tree[Token] | Token) -> tuple[nodes.Expr, nodes.Pos]:
        """An operand and its span in the source (with its parentheses, if any)."""
        node = self.expr(item)
        if isinstance(item, Token) or item.data in _SPAN_IS_POS:
            return node, node.pos
        return node, self.pos(item)

    def _reduce(self, operands: list[tuple[nodes.Expr, nodes.Pos]], op: Token) -> None:
        right, right_pos = operands.pop()
        left, left_pos = operands.pop()
        pos = self.span(left_pos, right_pos)
        kind = op.type
        node: nodes.Expr
        if kind in ("AND", "W_AND", "OR", "W_OR"):
            node = nodes.LogicalOp(pos, _OPERATORS.get(kind, str(op)), left, right)
        elif kind == "RANGE":
            node = nodes.RangeNode(pos, left, right)
        elif kind in ("ISA", "NISA"):
            node = nodes.InstanceOf(pos, left, right, kind == "NISA")
        else:
            node = nodes.BinaryOp(pos, _OPERATORS.get(kind, str(op)), left, right)
        operands.append((node, pos))

    def unary(self, tree: Tree[Token]) -> nodes.Expr:
        op, operand = tree.children
        assert isinstance(op, Token) and operand is not None
        return nodes.UnaryOp(self.pos(tree), _OPERATORS.get(op.type, str(op)), self.expr(operand))

    def empty_function(self, tree: Tree[Token]) -> nodes.Expr:
        operand = tree.children[1]
        assert operand is not None
        return nodes.EmptyFunction(self.pos(tree), self.expr(operand))

    def size_function(self, tree: Tree[Token]) -> nodes.Expr:
        operand = tree.children[1]
        assert operand is not None
        return nodes.SizeFunction(self.pos(tree), self.expr(operand))

    def _incdec(
        self, tree: Tree[Token], op: Token, target_tree: Tree[Token] | Token, prefix: bool
    ) -> nodes.Expr:
        target = self.expr(target_tree)
        if not isinstance(target, _ASSIGNABLE):
            raise self.fail(
                f"'{op}' needs a variable, a property or an element, not {_describe_node(target)}",
                target.pos,
            )
        return nodes.IncDec(self.pos(tree), target, "+" if op.type == "PLUSPLUS" else "-", prefix)

    def prefix_incdec(self, tree: Tree[Token]) -> nodes.Expr:
        op, target = tree.children
        assert isinstance(op, Token) and target is not None
        return self._incdec(tree, op, target, True)

    def postfix_incdec(self, tree: Tree[Token]) -> nodes.Expr:
        target, op = tree.children
        assert isinstance(op, Token) and target is not None
        return self._incdec(tree, op, target, False)

    def member(self, tree: Tree[Token]) -> nodes.Expr:
        children = tree.children
        obj_tree = children[0]
        assert obj_tree is not None
        safe = len(children) == 3
        name = children[-1]
        assert isinstance(name, Token)
        obj = self.expr(obj_tree)
        pos = self.pos(tree)
        if name.type == "JXLT_LITERAL":
            return nodes.TemplatePropertyAccess(pos, obj, self.template(name), safe)
        if name.type == "STRING_LITERAL":
            text = str(name)
            return nodes.PropertyAccess(pos, obj, unescape_string(text[1:-1], text[0]), safe)
        word = str(name)
        if word.isdigit():
            return nodes.PropertyAccess(pos, obj, int(word), safe)
        antish: str | None = None
        if not safe and (word[0].isalpha() or word[0] in "_$"):
            if isinstance(obj, nodes.Identifier):
                antish = f"{obj.name}.{word}"
            elif isinstance(obj, nodes.PropertyAccess) and obj.antish is not None:
                antish = f"{obj.antish}.{word}"
        return nodes.PropertyAccess(pos, obj, word, safe, antish)

    def array_access(self, tree: Tree[Token]) -> nodes.Expr:
        obj, bracket, index, _ = tree.children
        assert obj is not None and isinstance(bracket, Token) and index is not None
        return nodes.IndexAccess(
            self.pos(tree), self.expr(obj), self.expr(index), bracket.type == "QLBRACKET"
        )

    def arguments(self, tree: Tree[Token]) -> tuple[nodes.Expr, ...]:
        return tuple(self.expr(c) for c in tree.children if isinstance(c, Tree))

    def call(self, tree: Tree[Token]) -> nodes.Expr:
        callee_tree, arguments = tree.children
        assert callee_tree is not None and isinstance(arguments, Tree)
        callee = self.expr(callee_tree)
        args = self.arguments(arguments)
        pos = self.pos(tree)
        if isinstance(callee, nodes.Identifier) and not _is_parenthesized(callee_tree):
            return nodes.FunctionCall(pos, callee.name, args)
        if isinstance(callee, nodes.PropertyAccess) and not _is_parenthesized(callee_tree):
            return nodes.MethodCall(pos, callee.obj, str(callee.name), args, callee.safe)
        return nodes.CallExpr(pos, callee, args)

    def namespace_call(self, tree: Tree[Token]) -> nodes.Expr:
        token, arguments = tree.children
        assert isinstance(token, Token) and isinstance(arguments, Tree)
        namespace, _, name = str(token).partition(":")
        return nodes.FunctionCall(self.pos(tree), name, self.arguments(arguments), namespace)

    def identifier(self, tree: Tree[Token]) -> nodes.Expr:
        token = tree.children[0]
        assert isinstance(token, Token)
        return nodes.Identifier(self.pos(tree), str(token))

    def reference_expression(self, tree: Tree[Token]) -> nodes.Expr:
        inner = tree.children[1]
        assert inner is not None
        return self.expr(inner)

    def number(self, tree: Tree[Token]) -> nodes.Expr:
        token = tree.children[0]
        assert isinstance(token, Token)
        return self.number_literal(self.pos(tree), None, token)

    def const_number(self, tree: Tree[Token]) -> nodes.Expr:
        sign, token = tree.children
        assert isinstance(token, Token)
        return self.number_literal(self.pos(tree), sign if isinstance(sign, Token) else None, token)

    def number_literal(
        self, pos: nodes.Pos, sign: Token | None, token: Token
    ) -> nodes.NumberLiteral:
        text = str(token)
        value: int | float | Decimal
        try:
            if token.type == "INTEGER_LITERAL":
                value, kind = integer_literal(text)
            else:
                value, kind = real_literal(text)
        except (ValueError, InvalidOperation):
            raise self.fail(f"malformed number '{text}'", pos) from None
        if sign is not None and sign.type == "MINUS":
            value = -value
            text = "-" + text
        return nodes.NumberLiteral(pos, value, kind, text)

    def string(self, tree: Tree[Token]) -> nodes.Expr:
        token = tree.children[0]
        assert isinstance(token, Token)
        text = str(token)
        return nodes.StringLiteral(self.pos(tree), unescape_string(text[1:-1], text[0]))

    def jxlt(self, tree: Tree[Token]) -> nodes.Expr:
        token = tree.children[0]
        assert isinstance(token, Token)
        return self.template(token)

    def template(self, token: Token) -> nodes.TemplateLiteral:
        """A backtick literal split into text and parsed ``${}``/``#{}`` expressions."""
        raw = str(token)[1:-1]
        line = token.line or 0
        column = (token.column or 0) + 1  # the first character after the backtick

        def where(index: int) -> tuple[int, int]:
            before = raw[:index]
            newlines = before.count("\n")
            if newlines:
                return line + newlines, index - before.rfind("\n")
            return line, column + index

        parts: list[str | nodes.Expr] = []
        for piece in _template_pieces(raw):
            if isinstance(piece, str):
                if parts and isinstance(parts[-1], str):
                    parts[-1] += piece
                elif piece:
                    parts.append(piece)
                continue
            text, index = piece
            if index < 0:
                at_line, at_column = where(-index - 1)
                pos = self._pos(at_line, at_column, at_line, at_column + 2)
                raise self.fail("unterminated '${' in template", pos, "close it with '}'")
            at_line, at_column = where(index)
            parts.append(self.inner_expression(text, at_line, at_column))
        return nodes.TemplateLiteral(self.tpos(token), tuple(parts), raw)

    def inner_expression(self, text: str, line: int, column: int) -> nodes.Expr:
        """Parse a template's inner expression found at ``line:column`` (before offsets)."""
        pos = self._pos(line, column, line, column)
        return parse_inner_expression(text, pos.line, pos.column)

    def regex(self, tree: Tree[Token]) -> nodes.Expr:
        token = tree.children[0]
        assert isinstance(token, Token)
        # `~/.../`: only `\/` is an escape (Parser.buildRegex)
        return nodes.RegexLiteral(self.pos(tree), str(token)[2:-1].replace("\\/", "/"))

    def boolean(self, tree: Tree[Token]) -> nodes.Expr:
        token = tree.children[0]
        assert isinstance(token, Token)
        return nodes.BooleanLiteral(self.pos(tree), token.type == "TRUE")

    def null(self, tree: Tree[Token]) -> nodes.Expr:
        return nodes.NullLiteral(self.pos(tree))

    def array_literal(self, tree: Tree[Token]) -> nodes.Expr:
        items: list[nodes.Expr] = []
        extended = False
        for child in tree.children:
            if isinstance(child, Token) and child.type in ("COMMA_ELLIPSIS", "COMMA"):
                extended = child.type == "COMMA_ELLIPSIS"
            elif isinstance(child, Tree):
                items.append(self.expr(child))
        return nodes.ArrayLiteral(self.pos(tree), tuple(items), extended)

    def extended_empty_array(self, tree: Tree[Token]) -> nodes.Expr:
        return nodes.ArrayLiteral(self.pos(tree), (), True)

    def set_literal(self, tree: Tree[Token]) -> nodes.Expr:
        items = [self.expr(c) for c in tree.children if isinstance(c, Tree)]
        return nodes.SetLiteral(self.pos(tree), tuple(items))

    def map_literal(self, tree: Tree[Token]) -> nodes.Expr:
        entries: list[nodes.MapEntry] = []
        for child in tree.children[1:]:
            if isinstance(child, Tree) and child.data == "map_entry":
                key, value = child.children
                assert key is not None and value is not None
                entries.append(nodes.MapEntry(self.pos(child), self.expr(key), self.expr(value)))
        return nodes.MapLiteral(self.pos(tree), tuple(entries))

    def empty_map(self, tree: Tree[Token]) -> nodes.Expr:
        return nodes.MapLiteral(self.pos(tree), ())

    def constructor(self, tree: Tree[Token]) -> nodes.Expr:
        # `new T(args)` keeps the class name as a first String argument, as `new('T', args)`.
        args: list[nodes.Expr] = []
        for child in tree.children[1:]:
            if isinstance(child, Tree) and child.data == "property_key":
                name = ".".join(str(t) for t in child.children)
                args.append(nodes.StringLiteral(self.pos(child), name))
            elif isinstance(child, Tree):
                args.append(self.expr(child))
        return nodes.NewExpr(self.pos(tree), tuple(args))

    def switch_expression(self, tree: Tree[Token]) -> nodes.Expr:
        subject = tree.children[1]
        assert subject is not None
        cases: list[nodes.SwitchCase] = []
        saved, self.loops = self.loops, 0  # JEXL pushLoop(): no `break` out of an expression
        try:
            for case in tree.children[3:]:
                if isinstance(case, Tree) and case.data == "switch_expression_case":
                    cases.append(self.switch_expression_case(case))
        finally:
            self.loops = saved
        return nodes.SwitchExpression(self.pos(tree), self.expr(subject), tuple(cases))

    def switch_expression_case(self, tree: Tree[Token]) -> nodes.SwitchCase:
        """``case a, b -> expr``; a block body gives a one-statement tuple (its value is the
        case's value)."""
        labels: list[nodes.Expr] = []
        body: tuple[nodes.Stmt, ...] | nodes.Expr | None = None
        for child in tree.children:
            if isinstance(child, Tree) and child.data == "const_literals":
                labels = [self.expr(c) for c in child.children if c is not None]
            elif isinstance(child, Tree) and child.data == "block":
                body = (self.block(child),)
            elif isinstance(child, Token):
                continue
            elif child is not None:
                body = self.expr(child)
        assert body is not None
        return nodes.SwitchCase(self.pos(tree), tuple(labels), body)

    def property_key(self, tree: Tree[Token]) -> nodes.Expr:
        """A dotted name as a case label: an Identifier or PropertyAccess chain."""
        tokens = [t for t in tree.children if isinstance(t, Token)]
        first = tokens[0]
        result: nodes.Expr = nodes.Identifier(self.tpos(first), str(first))
        antish = str(first)
        for token in tokens[1:]:
            antish = f"{antish}.{token}"
            result = nodes.PropertyAccess(
                self.span(result.pos, self.tpos(token)), result, str(token), False, antish
            )
        return result

    # functions ----------------------------------------------------------------------------

    def function_lambda(self, tree: Tree[Token]) -> nodes.Expr:
        _, name, params, body = tree.children
        assert isinstance(params, Tree) and body is not None
        return nodes.Lambda(
            self.pos(tree),
            self.parameters(params),
            self.function_body(body),
            str(name) if name is not None else None,
            None,
        )

    def arrow_lambda(self, tree: Tree[Token]) -> nodes.Expr:
        params_item, arrow, body = tree.children
        assert params_item is not None and isinstance(arrow, Token) and body is not None
        return nodes.Lambda(
            self.pos(tree),
            self.arrow_parameters(params_item),
            self.function_body(body),
            None,
            str(arrow),
        )

    def arrow_parameters(self, item: Tree[Token] | Token) -> tuple[nodes.Parameter, ...]:
        if isinstance(item, Token):
            return (nodes.Parameter(self.tpos(item), str(item)),)
        if item.data == "no_parameters":
            return ()
        if item.data == "reference_expression":
            return (self.cover_parameter(item.children[1]),)
        return tuple(self.cover_parameter(c) for c in item.children if isinstance(c, Tree))

    def cover_parameter(self, item: Tree[Token] | Token | None) -> nodes.Parameter:
        """An item of `(a, b) ->` parsed as an expression: it must be a bare name."""
        assert item is not None
        if isinstance(item, Tree) and item.data == "typed_parameter":
            name = item.children[1]
            assert isinstance(name, Token)
            return nodes.Parameter(self.tpos(name), str(name))
        value = self.expr(item)
        if isinstance(value, nodes.Identifier):
            return nodes.Parameter(value.pos, value.name)
        raise self.fail(f"expected a parameter name, found {_describe_node(value)}", value.pos)

    def parameters(self, tree: Tree[Token]) -> tuple[nodes.Parameter, ...]:
        params: list[nodes.Parameter] = []
        for child in tree.children:
            if isinstance(child, Tree):
                name = child.children[-1]
                assert isinstance(name, Token)
                params.append(nodes.Parameter(self.pos(child), str(name)))
        return tuple(params)

    def function_body(self, item: Tree[Token] | Token) -> nodes.Block | nodes.Expr:
        """A function's body: its own loop count (JEXL beginLambda pushes a new one)."""
        saved, self.loops = self.loops, 0
        try:
            if isinstance(item, Tree) and item.data == "block":
                return self.block(item)
            return self.expr(item)
        finally:
            self.loops = saved

    def expression_only(self, tree: Tree[Token]) -> nodes.Expr:
        (item,) = tree.children
        if item is None:
            return nodes.NullLiteral(self._pos(1, 1, 1, 1))
        return self.expr(item)


def _unescape_with_offsets(raw: str) -> list[tuple[str, int]]:
    """A template's text after JEXL's string escapes (delimiter '`'), each character with the
    index in ``raw`` it came from (so expression parts keep their real position)."""
    out: list[tuple[str, int]] = []
    i = 0
    size = len(raw)
    while i < size:
        c = raw[i]
        if c != "\\" or i + 1 >= size:
            out.append((c, i))
            i += 1
            continue
        n = raw[i + 1]
        if n == "u" and i + 6 <= size and all(h in _HEX for h in raw[i + 2 : i + 6]):
            out.append((chr(int(raw[i + 2 : i + 6], 16)), i))
            i += 6
            continue
        if n in "`\\":
            out.append((n, i))
        elif n in _ESCAPES:
            out.append((_ESCAPES[n], i))
        else:
            out.append(("\\", i))
            out.append((n, i + 1))
        i += 2
    return out


def _template_pieces(raw: str) -> list[str | tuple[str, int]]:
    """Split a template's text (TemplateEngine.parseExpression): text pieces as ``str``,
    ``${e}``/``#{e}`` as ``(e, index of e in raw)``; an unterminated ``${`` as
    ``("", -(index of '$') - 1)``. ``\\$`` and ``\\#`` escape the markers; quoted strings
    and nested braces inside an expression do not end it."""
    if "\\" not in raw:
        return _plain_template_pieces(raw)
    chars = _unescape_with_offsets(raw)
    pieces: list[str | tuple[str, int]] = []
    text: list[str] = []
    i = 0
    size = len(chars)
    while i < size:
        c = chars[i][0]
        if c == "\\" and i + 1 < size:
            n = chars[i + 1][0]
            text.append(n if n in "$#" else "\\" + n)
            i += 2
            continue
        if c in "$#" and i + 1 < size and chars[i + 1][0] == "{":
            pieces.append("".join(text))
            text = []
            start = i + 2
            depth = 0
            j = start
            while j < size:
                d = chars[j][0]
                if d in "'\"":
                    j += 1
                    while j < size and chars[j][0] != d:
                        j += 2 if chars[j][0] == "\\" else 1
                elif d == "{":
                    depth += 1
                elif d == "}":
                    if depth == 0:
                        break
                    depth -= 1
                j += 1
            if j >= size:
                pieces.append(("", -chars[i][1] - 1))
                return pieces
            inner = "".join(ch for ch, _ in chars[start:j])
            offset = chars[start][1] if start < j else chars[j][1]
            pieces.append((inner, offset))
            i = j + 1
            continue
        text.append(c)
        i += 1
    pieces.append("".join(text))
    return pieces


_MARKER = re.compile(r"[$#]\{")


def _plain_template_pieces(raw: str) -> list[str | tuple[str, int]]:
    """``_template_pieces`` of a template without backslashes (the usual case): the same
    pieces, found with ``str`` methods instead of a loop over (character, index) pairs."""
    pieces: list[str | tuple[str, int]] = []
    size = len(raw)
    i = 0
    while True:
        marker = _MARKER.search(raw, i)
        if marker is None:
            pieces.append(raw[i:])
            return pieces
        at = marker.start()
        pieces.append(raw[i:at])
        start = at + 2
        depth = 0
        j = start
        while j < size:
            d = raw[j]
            if d in "'\"":
                close = raw.find(d, j + 1)
                j = size if close < 0 else close
            elif d == "{":
                depth += 1
            elif d == "}":
                if depth == 0:
                    break
                depth -= 1
            j += 1
        if j >= size:
            pieces.append(("", -at - 1))
            return pieces
        pieces.append((raw[start:j], start if start < j else j))
        i = j + 1


def _first_token(tree: Tree[Token]) -> Token | None:
    """The first token of a subtree (None when it has none). Positions are asked for
    nearly every node, so the usual case, a first child that is a token or leads to one
    through first children, is a loop; anything else (a None or empty first child on the
    way) is searched in full from the top, so the answer is the same."""
    node: Any = tree
    while True:
        children = node.children
        if not children:
            return None
        child = children[0]
        if isinstance(child, Token):
            return child
        if child is None or not child.children:
            return _first_token_search(tree)  # the general case, from the top
        node = child


def _first_token_search(tree: Tree[Token]) -> Token | None:
    for child in tree.children:
        if isinstance(child, Token):
            return child
        if child is not None:
            found = _first_token(child)
            if found is not None:
                return found
    return None


def _last_token(tree: Tree[Token]) -> Token | None:
    """The last token of a subtree (None when it has none); see ``_first_token``."""
    node: Any = tree
    while True:
        children = node.children
        if not children:
            return None
        child = children[-1]
        if isinstance(child, Token):
            return child
        if child is None or not child.children:
            return _last_token_search(tree)  # the general case, from the top
        node = child


def _last_token_search(tree: Tree[Token]) -> Token | None:
    for child in reversed(tree.children):
        if isinstance(child, Token):
            return child
        if child is not None:
            found = _last_token(child)
            if found is not None:
                return found
    return None


# Binding strength of the flattened binary operators (Parser.jjt production order).
_LEVELS = {
    **dict.fromkeys(("OR", "W_OR"), 1),
    **dict.fromkeys(("AND", "W_AND"), 2),
    "BOR": 3,
    "BXOR": 4,
    "BAND": 5,
    **dict.fromkeys(("EQ", "NE", "EQSTRICT", "NESTRICT", "W_EQ", "W_NE", "RANGE"), 6),
    **dict.fromkeys(("LT", "LE", "GT", "GE", "REQ", "RNE", "SEQ", "SNE", "EEQ", "ENE"), 7),
    **dict.fromkeys(("W_LT", "W_LE", "W_GT", "W_GE", "ISA", "NISA"), 7),
    **dict.fromkeys(("LSHIFT", "RSHIFT", "RSHIFTU"), 8),
    **dict.fromkeys(("PLUS", "MINUS"), 9),
    **dict.fromkeys(("MULT", "DIV", "MOD", "W_DIV", "W_MOD"), 10),
}
#: EqualityExpression and RelationalExpression take at most one operator in Parser.jjt.
_NON_ASSOCIATIVE = frozenset({6, 7})


def _is_parenthesized(item: Tree[Token] | Token) -> bool:
    return isinstance(item, Tree) and item.data == "reference_expression"


def _describe_node(node: nodes.Node) -> str:
    """A few words for a node in a message: ``a call``, ``a number``."""
    words = {
        nodes.NumberLiteral: "a number",
        nodes.StringLiteral: "a string",
        nodes.TemplateLiteral: "a template",
        nodes.BooleanLiteral: "a boolean",
        nodes.NullLiteral: "null",
        nodes.FunctionCall: "a function call",
        nodes.MethodCall: "a method call",
        nodes.CallExpr: "a call",
        nodes.Lambda: "a function",
        nodes.ArrayLiteral: "an array",
        nodes.MapLiteral: "a map",
        nodes.SetLiteral: "a set",
    }
    return words.get(type(node), "an expression")


_STATEMENT_NAMES = (
    "expression_statement", "empty_statement", "block", "annotated_statement",
    "function_statement", "if_statement", "foreach_statement", "for_statement",
    "while_statement", "do_while_statement", "return_statement", "throw_statement",
    "continue_statement", "break_statement", "try_statement", "switch_statement",
)  # fmt: skip

_STATEMENTS: dict[str, _Handler] = {name: getattr(_Builder, name) for name in _STATEMENT_NAMES}
_STATEMENTS["var_statement"] = _Builder.var_declaration

_EXPRESSION_NAMES = (
    "assignment", "ternary", "elvis", "null_coalesce", "conditional_or_expression", "unary", "empty_function", "size_function", "prefix_incdec",
    "postfix_incdec", "member", "array_access", "call", "namespace_call", "identifier",
    "reference_expression", "number", "const_number", "string", "jxlt", "regex", "boolean",
    "null", "array_literal", "extended_empty_array", "set_literal", "map_literal", "empty_map",
    "constructor", "switch_expression", "property_key", "function_lambda", "arrow_lambda",
    "expression_only",
)  # fmt: skip

_EXPRESSIONS: dict[str, _Handler] = {name: getattr(_Builder, name) for name in _EXPRESSION_NAMES}


# --- entry points --------------------------------------------------------------------------


def build_script(tree: Tree[Token], text: str, filename: str = "<script>") -> nodes.Script:
    """The ``nodes.Script`` for a parse tree of ``text`` (raises ``SyntaxProblem``)."""
    return _Builder(text).script(tree, filename)


def build_expression(
    tree: Tree[Token], text: str, line_offset: int = 0, column_offset: int = 0
) -> nodes.Expr:
    """The ``nodes.Expr`` for an ``expression_only`` parse tree; positions are shifted by the
    offsets (a template's inner expression: its first line starts ``column_offset`` columns
    in, on line ``line_offset + 1`` of the script)."""
    return _Builder(text, line_offset, column_offset).expression_only(tree)


def parse_inner_expression(text: str, line: int, column: int) -> nodes.Expr:
    """Parse the inside of a template's ``${...}`` found at ``line:column`` of the script;
    positions (and errors) refer to the script."""
    try:
        tree = parse_tree(text, "expression_only")
    except SyntaxProblem as problem:
        problem.message = problem.message.replace("end of script", "end of the '${...}' expression")
        if problem.line == 1:
            problem.column += column - 1
        problem.line += line - 1
        raise
    return build_expression(tree, text, line - 1, column - 1)
