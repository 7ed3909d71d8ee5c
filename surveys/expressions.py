"""Skip logic and constraints: a safe subset of XLSForm (XPath) expressions.

Expressions are parsed with a Lark grammar into a small tree of named tuples and
evaluated by walking that tree; nothing is ever handed to Python's ``eval``. The subset:

- literals: numbers, 'single' or "double" quoted strings;
- references: ``${name}`` (an answer), ``.`` (the answer being checked, in constraints
  and screening conditions), and ``../name`` (the form pyxform writes for generated
  questions);
- operators: ``or and = != < <= > >= + - * div mod`` and unary minus, with XPath
  precedence;
- functions: ``selected``, ``count-selected``, ``not``, ``true``, ``false``, ``if``,
  ``coalesce``, ``string-length``, ``number``, ``int``, ``today``, ``regex``, ``count`` and ``sum``
  (of a repeat's entries: ``count(${roster})``);
- in a ``choice_filter`` only, bare names: the columns of the choices sheet
  (``region = ${region}``).

Answers are strings (single choice, text, dates in ISO form), numbers (integer,
decimal) or lists of strings (multiple choice). An unanswered question is ``None``,
which behaves as XPath's empty string: it equals ``''``, and as a number it is NaN, so
``${age} > 20`` is false while age is unanswered. As in XPath, ``< <= > >=`` and
arithmetic compare numbers: a text that is not a number is NaN, and a date
(``YYYY-MM-DD``) counts as days since 1970-01-01, so ``(today() - ${dob}) div 365.25``
is an age in years.

``regex(value, 'pattern')`` is true when the pattern matches somewhere in the value; the
pattern must be a quoted text and is compiled with RE2 (surveys.patterns), which takes
linear time whatever the pattern: Python's backtracking ``re`` would let one pattern and a
long answer keep a process busy for minutes, and respondents write the answers.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any, NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _
from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

from surveys.patterns import PatternError, browser_pattern, compile_pattern, matches

MAX_LENGTH = 2000
MAX_DEPTH = 100

GRAMMAR = r"""
    ?start: or_expr

    ?or_expr: and_expr (_OR and_expr)*          -> or_
    ?and_expr: comparison (_AND comparison)*    -> and_
    ?comparison: sum (COMP_OP sum)?             -> compare
    ?sum: product (ADD_OP product)*             -> arith
    ?product: unary (MUL_OP unary)*             -> arith
    ?unary: "-" unary                           -> neg
          | atom
    ?atom: NUMBER                               -> number
         | STRING                               -> string
         | "${" NAME "}"                        -> ref
         | "../" NAME                           -> ref
         | "."                                  -> current
         | FUNC "(" [or_expr ("," or_expr)*] ")" -> call
         | NAME                                 -> field
         | "(" or_expr ")"

    _OR.2: /or\b/
    _AND.2: /and\b/
    MUL_OP.2: "*" | /div\b/ | /mod\b/
    ADD_OP: "+" | "-"
    COMP_OP: "!=" | "<=" | ">=" | "=" | "<" | ">"
    FUNC.3: /[a-z][a-z0-9-]*(:[a-z][a-z0-9-]*)?(?=\s*\()/
    NAME: /[A-Za-z_][A-Za-z0-9_.\-]*/
    NUMBER: /\d+(\.\d*)?|\.\d+/
    STRING: /'[^']*'|"[^"]*"/

    %import common.WS
    %ignore WS
"""


class ExpressionError(ValueError):
    """An expression that cannot be parsed or uses something outside the subset."""


class UnsupportedExpression(ExpressionError):
    """A well-formed expression this system does not run: a function it does not know,
    a regex() pattern RE2 cannot compile. ``--skip-unsupported`` leaves such an
    expression out, where an expression that does not parse stops the import."""


# The tree: one named tuple per node kind, so evaluation is a plain dispatch.
class Literal(NamedTuple):
    value: Any


class Ref(NamedTuple):
    name: str


class Current(NamedTuple):
    pass


class Neg(NamedTuple):
    operand: Any


class BinOp(NamedTuple):
    op: str
    left: Any
    right: Any


class Logic(NamedTuple):
    op: str  # "and" or "or"
    operands: tuple


class Call(NamedTuple):
    name: str
    args: tuple


class Field(NamedTuple):
    """A bare name: a column of the choices sheet, read in a choice_filter (`cf = ${x}`)."""

    name: str


Node = Literal | Ref | Current | Neg | BinOp | Logic | Call | Field


# name: (minimum arguments, maximum arguments or None for any number)
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "selected": (2, 2),
    "count-selected": (1, 1),
    "not": (1, 1),
    "true": (0, 0),
    "false": (0, 0),
    "if": (3, 3),
    "coalesce": (2, 2),
    "string-length": (1, 1),
    "number": (1, 1),
    "int": (1, 1),
    "today": (0, 0),
    # Over a repeat's entries (`count(${roster})`) or a list of values.
    "count": (1, 1),
    "sum": (1, 1),
    "regex": (2, 2),
}


@v_args(inline=True)
class _ToTree(Transformer):
    def number(self, token: Token) -> Literal:
        text = str(token)
        # Long digit strings become floats (possibly inf) rather than huge integers
        # that cannot be compared with floats.
        return Literal(int(text) if text.isdigit() and len(text) < 16 else float(text))

    def string(self, token: Token) -> Literal:
        return Literal(str(token)[1:-1])

    def ref(self, token: Token) -> Ref:
        return Ref(str(token))

    def current(self) -> Current:
        return Current()

    def field(self, token: Token) -> Field:
        return Field(str(token))

    def neg(self, operand: Node) -> Neg:
        return Neg(operand)

    # A rule with an alias keeps its node even with one child: pass such a child up.
    def or_(self, *operands: Node) -> Node:
        return operands[0] if len(operands) == 1 else Logic("or", operands)

    def and_(self, *operands: Node) -> Node:
        return operands[0] if len(operands) == 1 else Logic("and", operands)

    def compare(self, left: Node, op: Token | None = None, right: Node | None = None) -> Node:
        return left if op is None else BinOp(str(op), left, right)

    def arith(self, first: Node, *rest: Any) -> Node:
        node = first
        for op, operand in zip(rest[::2], rest[1::2], strict=True):
            node = BinOp(str(op), node, operand)
        return node

    def call(self, name: Token, *args: Node | None) -> Call:
        arguments = tuple(arg for arg in args if arg is not None)
        function = str(name)
        if function not in FUNCTIONS:
            raise UnsupportedExpression(
                _("the function %(name)s() is not supported") % {"name": function}
            )
        low, high = FUNCTIONS[function]
        if len(arguments) < low or (high is not None and len(arguments) > high):
            if low == high:
                message = _("%(name)s() takes %(low)s argument(s), not %(count)s")
            else:
                message = _("%(name)s() takes %(low)s to %(high)s argument(s), not %(count)s")
            raise ExpressionError(
                message % {"name": function, "low": low, "high": high, "count": len(arguments)}
            )
        if function == "regex":
            _check_pattern(arguments[1])
        return Call(function, arguments)


def _check_pattern(node: Node) -> None:
    """A regex() pattern is a quoted text that RE2 compiles; checked when parsing."""
    if not isinstance(node, Literal) or not isinstance(node.value, str):
        raise UnsupportedExpression(_("the pattern of regex() must be a quoted text"))
    try:
        compile_pattern(node.value)
    except PatternError as exc:
        raise UnsupportedExpression(
            _("the regex() pattern '%(pattern)s' is not supported (RE2: %(reason)s)")
            % {"pattern": node.value, "reason": exc}
        ) from None


_PARSER = Lark(GRAMMAR, parser="lalr", maybe_placeholders=True)


@lru_cache(maxsize=4096)
def parse(text: str) -> Node:
    """Parse an XLSForm expression into a tree, or raise ExpressionError saying why.

    The tree is at most MAX_DEPTH deep, so walking it can never exhaust Python's
    recursion limit, whatever a form author (or attacker) writes.
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            _("the expression is longer than %(limit)s characters") % {"limit": MAX_LENGTH}
        )
    if not text.strip():
        raise ExpressionError(_("the expression is empty"))
    try:
        tree = _ToTree().transform(_PARSER.parse(text))
    except RecursionError:
        raise ExpressionError(_too_deep()) from None
    except UnexpectedCharacters as exc:
        raise ExpressionError(
            _("unexpected character %(character)s at position %(position)s")
            % {"character": repr(text[exc.pos_in_stream]), "position": exc.pos_in_stream + 1}
        ) from None
    except UnexpectedEOF:
        raise ExpressionError(_("the expression ends too early")) from None
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            raise ExpressionError(_("the expression ends too early")) from None
        raise ExpressionError(
            _("unexpected %(token)s at position %(position)s")
            % {"token": repr(str(exc.token)), "position": exc.column}
        ) from None
    except LarkError as exc:
        # Errors raised inside the transformer arrive wrapped.
        cause = getattr(exc, "orig_exc", None)
        if isinstance(cause, ExpressionError):
            raise cause from None
        if isinstance(cause, RecursionError):
            raise ExpressionError(_too_deep()) from None
        raise ExpressionError(str(exc).splitlines()[0]) from None
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(_too_deep())
    return tree


def _too_deep() -> str:
    return _("the expression nests more than %(limit)s levels") % {"limit": MAX_DEPTH}


def _children(node: Node) -> tuple:
    match node:
        case Neg(operand):
            return (operand,)
        case BinOp(_, left, right):
            return (left, right)
        case Logic(_, operands) | Call(_, operands):
            return operands
    return ()


def _nodes(node: Node):
    """Yield every node of a tree, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(_children(current))


def _depth(node: Node) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in _children(current))
    return deepest


def references(node: Node) -> set[str]:
    """Return the names of the answers an expression reads."""
    return {n.name for n in _nodes(node) if isinstance(n, Ref)}


def compared_values(node: Node) -> set[tuple[str, str]]:
    """Return the (answer name, text) pairs an expression compares: `${region} = 'astana'`,
    `'astana' != ${region}`, `selected(${impress}, 'growth')`."""
    pairs = set()
    for n in _nodes(node):
        if isinstance(n, BinOp) and n.op in ("=", "!="):
            for ref, literal in ((n.left, n.right), (n.right, n.left)):
                if (
                    isinstance(ref, Ref)
                    and isinstance(literal, Literal)
                    and isinstance(literal.value, str)
                ):
                    pairs.add((ref.name, literal.value))
        elif isinstance(n, Call) and n.name == "selected" and len(n.args) == 2:
            ref, literal = n.args
            if isinstance(ref, Ref) and isinstance(literal, Literal):
                pairs.add((ref.name, str(literal.value)))
    return pairs


def uses_current(node: Node) -> bool:
    """Return whether the expression reads ``.``, the answer being checked."""
    return any(isinstance(n, Current) for n in _nodes(node))


def fields(node: Node) -> set[str]:
    """Return the choices-sheet columns an expression reads (bare names)."""
    return {n.name for n in _nodes(node) if isinstance(n, Field)}


def validate(
    text: str, known: set[str], *, allow_current: bool, columns: set[str] | None = None
) -> Node:
    """Parse `text` and check that it only reads answers in `known`.

    A bare name is a column of the choices sheet, allowed only where `columns` (those of
    the list a choice_filter reads) is given.
    """
    node = parse(text)
    bare = sorted(fields(node))
    if bare and columns is None:
        raise ExpressionError(
            _(
                "'%(name)s' is a bare name: an answer is written ${%(name)s} (a bare name "
                "names a column of the choices sheet, in a choice_filter)"
            )
            % {"name": bare[0]}
        )
    missing = sorted(set(bare) - (columns or set()))
    if missing:
        raise ExpressionError(
            _("the choice list has no column %(columns)s")
            % {"columns": ", ".join(_("'%(text)s'") % {"text": name} for name in missing)}
        )
    unknown = sorted(references(node) - known)
    if unknown:
        names = ", ".join(f"${{{name}}}" for name in unknown)
        if len(unknown) == 1:
            message = _("it refers to %(names)s, which is not an earlier question")
        else:
            message = _("it refers to %(names)s, which are not earlier questions")
        raise ExpressionError(message % {"names": names})
    if not allow_current and uses_current(node):
        raise ExpressionError(_("'.' (the current answer) can only be used in a constraint"))
    return node


def tree_as_data(text: str) -> Any:
    """Return the parsed expression as plain JSON-ready data, for the browser's evaluator.

    The browser never parses expressions: it walks this tree, which the server parsed
    and checked, with the same rules as `Evaluator`.
    """

    def convert(node: Node) -> Any:
        match node:
            case Literal(value):
                return {"k": "lit", "v": value}
            case Ref(name):
                return {"k": "ref", "n": name}
            case Current():
                return {"k": "cur"}
            case Neg(operand):
                return {"k": "neg", "a": convert(operand)}
            case BinOp(op, left, right):
                return {"k": "bin", "op": op, "l": convert(left), "r": convert(right)}
            case Logic(op, operands):
                return {"k": op, "a": [convert(o) for o in operands]}
            case Call("regex", args):
                # The browser matches only a pattern both engines read alike; "js" None
                # leaves the decision to the server (surveys.patterns.browser_pattern).
                return {
                    "k": "call",
                    "f": "regex",
                    "a": [convert(a) for a in args],
                    "js": browser_pattern(args[1].value),
                }
            case Call(name, args):
                return {"k": "call", "f": name, "a": [convert(a) for a in args]}
            case Field(name):
                return {"k": "fld", "n": name}
        raise ExpressionError(f"cannot convert {node!r}")

    return convert(parse(text))


# Evaluation -------------------------------------------------------------------------


def _as_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return " ".join(str(item) for item in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


NUMBER_TEXT = re.compile(r"^\s*-?(\d+(\.\d*)?|\.\d+)\s*$")
DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EPOCH = datetime.date(1970, 1, 1)


def _as_number(value: Any) -> float:
    """Return XPath's number(): a number, a date as days since 1970, or NaN."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float | Decimal):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    text = _as_string(value).strip()
    if NUMBER_TEXT.match(text):
        return float(text)
    if DATE_TEXT.match(text):
        try:
            return float((datetime.date.fromisoformat(text) - EPOCH).days)
        except ValueError:
            return math.nan
    return math.nan


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | Decimal):
        return not (value == 0 or (isinstance(value, float) and math.isnan(value)))
    if isinstance(value, list | tuple):
        return len(value) > 0
    return _as_string(value) != ""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in ("=", "!="):
        if isinstance(left, bool) or isinstance(right, bool):
            equal = _as_bool(left) == _as_bool(right)
        elif _is_number(left) or _is_number(right):
            equal = _as_number(left) == _as_number(right)
        else:
            equal = _as_string(left) == _as_string(right)
        return equal if op == "=" else not equal
    # Ordering compares numbers (dates as day numbers); NaN on either side is false.
    a, b = _as_number(left), _as_number(right)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _arith(op: str, left: Any, right: Any) -> float:
    a, b = _as_number(left), _as_number(right)
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "div":
        if b == 0:
            return math.nan if a == 0 else math.copysign(math.inf, a)
        return a / b
    if b == 0 or math.isinf(a):
        return math.nan
    return math.fmod(a, b)


def _selected_values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return _as_string(value).split()


def _count(value: Any) -> int:
    """XPath's count() of a repeat's entries (a list) or of one value."""
    if isinstance(value, list | tuple):
        return len(value)
    return 0 if value is None or value == "" else 1


def _sum(value: Any) -> float:
    items = value if isinstance(value, list | tuple) else [value]
    return sum(_as_number(item) for item in items if item not in (None, ""))


class Evaluator:
    """Evaluate parsed expressions against a respondent's answers."""

    def __init__(
        self,
        answers: Mapping[str, Any],
        *,
        today: Callable[[], datetime.date] = timezone.localdate,
    ) -> None:
        self.answers = answers
        self.today = today
        # The columns of the choice a choice_filter is checking (what bare names read).
        self.choice: Mapping[str, Any] = {}

    def value(self, node: Node, current: Any = None) -> Any:
        """Return the value of `node`; `current` is what ``.`` stands for."""
        match node:
            case Literal(value):
                return value
            case Ref(name):
                return self.answers.get(name)
            case Current():
                return current
            case Neg(operand):
                return -_as_number(self.value(operand, current))
            case Logic("and", operands):
                return all(_as_bool(self.value(o, current)) for o in operands)
            case Logic("or", operands):
                return any(_as_bool(self.value(o, current)) for o in operands)
            case BinOp(op, left, right) if op in ("=", "!=", "<", "<=", ">", ">="):
                return _compare(op, self.value(left, current), self.value(right, current))
            case BinOp(op, left, right):
                return _arith(op, self.value(left, current), self.value(right, current))
            case Call(name, args):
                return self._call(name, args, current)
            case Field(name):
                return self.choice.get(name)
        raise ExpressionError(f"cannot evaluate {node!r}")

    def _call(self, name: str, args: tuple, current: Any) -> Any:
        if name == "if":
            condition, then, otherwise = args
            chosen = then if _as_bool(self.value(condition, current)) else otherwise
            return self.value(chosen, current)
        values = [self.value(arg, current) for arg in args]
        match name:
            case "selected":
                return _as_string(values[1]) in _selected_values(values[0])
            case "count-selected":
                return len(_selected_values(values[0]))
            case "not":
                return not _as_bool(values[0])
            case "true":
                return True
            case "false":
                return False
            case "coalesce":
                return values[0] if _as_string(values[0]) != "" else values[1]
            case "string-length":
                return len(_as_string(values[0]))
            case "number":
                return _as_number(values[0])
            case "int":
                number = _as_number(values[0])
                return number if math.isnan(number) or math.isinf(number) else int(number)
            case "today":
                return self.today().isoformat()
            case "count":
                return _count(values[0])
            case "sum":
                return _sum(values[0])
            case "regex":
                return matches(_as_string(values[0]), _as_string(values[1]))
        raise ExpressionError(f"the function {name}() is not supported")

    def passes(self, choice_filter: Node, rows: tuple[Mapping[str, Any], ...], value: str) -> bool:
        """Return whether a choice whose sheet rows are `rows` passes a choice_filter.

        A choice listed on several rows (under different filters) passes when one does.
        """
        for row in rows or ({},):
            self.choice = {**row, "name": value}
            try:
                if _as_bool(self.value(choice_filter)):
                    return True
            finally:
                self.choice = {}
        return False

    def holds(self, text_or_node: str | Node, current: Any = None) -> bool:
        """Return whether a condition is true; an empty condition always holds."""
        if isinstance(text_or_node, str):
            if not text_or_node.strip():
                return True
            text_or_node = parse(text_or_node)
        return _as_bool(self.value(text_or_node, current))
