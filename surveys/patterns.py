"""Regular expressions of ``regex()``: RE2 on the server, a checked subset in the browser.

XLSForm's ``regex(value, pattern)`` is true when the pattern matches somewhere in the
value (as in ODK Collect and Enketo, which is why forms anchor their patterns with
``^...$``). Patterns are compiled with RE2 (the ``google-re2`` package), which never
backtracks: matching takes time linear in the answer's length whatever the pattern, so
``(a+)+$`` on 50,000 a's costs microseconds instead of hanging a worker. What RE2 does
not support (back-references, look-around) is refused when the form is imported.

The browser's evaluator (static/respondents/form.js) uses JavaScript's RegExp, which
backtracks and reads some escapes differently. `browser_pattern` hands it a pattern only
when the two engines agree on it and JavaScript cannot blow up on it: the pattern uses
only literals, ``.``, ``\\d \\w \\s`` and their negations, character classes, anchors,
groups without nested repetition, alternation and counted repetition; these are
rewritten to explicit ASCII classes, so both engines read the same characters. Any
other pattern is left to the server, which decides when the page is saved.
"""

from __future__ import annotations

from functools import lru_cache

import re2
from django.utils.translation import gettext as _

# RE2's own limit on the memory of one compiled program (8 MB by default): a pattern
# like 'a{1000}{1000}' is refused at import rather than costing memory per request.
MAX_PATTERN_MEMORY = 8 << 20
# Unbounded repetitions ('*', '+', '{n,}') a browser pattern may hold: with at most two,
# and none nested, a backtracking engine's work stays within the answer's length squared.
MAX_BROWSER_REPEATS = 2
MAX_BROWSER_COUNT = 100

# RE2's meaning of the Perl classes, as explicit ASCII classes for JavaScript.
CLASS_ESCAPES = {
    "d": "0-9",
    "w": "0-9A-Za-z_",
    "s": "\\t\\n\\f\\r ",
}
LITERAL_ESCAPES = set("\\^$.|?*+()[]{}/-")


class PatternError(ValueError):
    """A pattern RE2 cannot compile: the reason in RE2's words."""


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern to stderr
    options.max_mem = MAX_PATTERN_MEMORY
    return options


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re2._Regexp:
    """Return the compiled RE2 program of `pattern`, or raise PatternError saying why."""
    try:
        return re2.compile(pattern, options=_options())
    except UnicodeEncodeError:
        raise PatternError(
            _("the pattern holds a character that is not text (a lone surrogate)")
        ) from None
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "not a regular expression"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(str(reason)) from None


def matches(value: str, pattern: str) -> bool:
    """Return whether `pattern` matches somewhere in `value` (XLSForm's regex())."""
    program = compile_pattern(pattern)
    try:
        return program.search(value) is not None
    except UnicodeEncodeError:  # a lone surrogate, which SQLite keeps: matched as U+FFFD
        return program.search(value.encode("utf-8", "replace").decode("utf-8")) is not None


@lru_cache(maxsize=1024)
def browser_pattern(pattern: str) -> str | None:
    """Return `pattern` rewritten for JavaScript's RegExp (with the 'u' flag), or None.

    None means the browser must not evaluate it: a construct outside the subset both
    engines read alike, or repetition a backtracking engine could take too long on.
    """
    try:
        compile_pattern(pattern)
        return _Translator(pattern).translate()
    except (PatternError, _NotPortable):
        return None


class _NotPortable(Exception):
    pass


class _Translator:
    """Rewrite a pattern of the portable subset, checking its repetitions as it goes."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.position = 0
        self.unbounded = 0

    def translate(self) -> str:
        text, _, _ = self._alternation(depth=0)
        if self.position != len(self.pattern):
            raise _NotPortable
        return text

    def _peek(self) -> str:
        return self.pattern[self.position] if self.position < len(self.pattern) else ""

    def _take(self) -> str:
        char = self._peek()
        if not char:
            raise _NotPortable
        self.position += 1
        return char

    # Each part below returns its text and two flags: whether it holds an unbounded
    # repetition, and whether it can match in more than one way (any repetition or
    # alternation). An unbounded repetition of something ambiguous, or any repetition
    # of something unbounded, is what makes a backtracking engine take exponential time.

    def _alternation(self, depth: int) -> tuple[str, bool, bool]:
        branches, unbounded, varies = [], False, False
        while True:
            branch, branch_unbounded, branch_varies = self._sequence(depth)
            branches.append(branch)
            unbounded = unbounded or branch_unbounded
            varies = varies or branch_varies
            if self._peek() != "|":
                break
            self._take()
        return "|".join(branches), unbounded, varies or len(branches) > 1

    def _sequence(self, depth: int) -> tuple[str, bool, bool]:
        parts, unbounded, varies = [], False, False
        while self._peek() not in ("", "|", ")"):
            atom, inner_unbounded, inner_varies = self._atom(depth)
            quantifier, repeats_unbounded = self._quantifier()
            if quantifier:
                if (repeats_unbounded and inner_varies) or inner_unbounded:
                    raise _NotPortable  # nested repetition
                varies = True
            parts.append(atom + quantifier)
            unbounded = unbounded or inner_unbounded or repeats_unbounded
            varies = varies or inner_varies
        return "".join(parts), unbounded, varies

    def _atom(self, depth: int) -> tuple[str, bool, bool]:
        char = self._take()
        if char == "(":
            if self._peek() == "?":
                self._take()
                if self._take() != ":":
                    raise _NotPortable  # flags, named groups: syntax the engines differ on
                opening = "(?:"
            else:
                opening = "("
            if depth > 20:
                raise _NotPortable
            inner, unbounded, varies = self._alternation(depth + 1)
            if self._take() != ")":
                raise _NotPortable
            return opening + inner + ")", unbounded, varies
        if char == "[":
            return self._class(), False, False
        if char == "\\":
            return self._escape(in_class=False), False, False
        if char == ".":
            return "[^\\n]", False, False  # RE2's '.' is any character but a newline
        if char in "^$":
            return char, False, False
        if char in "*+?{":
            raise _NotPortable
        return _literal(char), False, False

    def _escape(self, *, in_class: bool) -> str:
        char = self._take()
        if char.lower() in CLASS_ESCAPES:
            ascii_class = CLASS_ESCAPES[char.lower()]
            if in_class:
                if char.isupper():
                    raise _NotPortable
                return ascii_class
            return f"[{'^' if char.isupper() else ''}{ascii_class}]"
        if char == "-" and not in_class:
            return "-"  # JavaScript's 'u' mode allows '\\-' only inside a class
        if char in LITERAL_ESCAPES:
            return "\\" + char
        if char in "bB" and not in_class:
            return "\\" + char  # ASCII word boundaries in both engines
        raise _NotPortable

    def _class(self) -> str:
        out = "["
        if self._peek() == "^":
            out += self._take()
        first = True
        while True:
            char = self._take()
            if char == "]" and not first:
                return out + "]"
            first = False
            if char == "[":
                raise _NotPortable  # [[:alpha:]] and the like
            if char == "\\":
                out += self._escape(in_class=True)
            elif char == "-":
                out += "-"
            else:
                out += _literal(char, in_class=True)

    def _quantifier(self) -> tuple[str, bool]:
        """Return the quantifier after an atom ('' if none) and whether it is unbounded."""
        char = self._peek()
        unbounded = False
        if char in ("*", "+"):
            quantifier, unbounded = self._take(), True
        elif char == "?":
            quantifier = self._take()
        elif char == "{":
            quantifier = self._counted()
            unbounded = quantifier.endswith(",}")
        else:
            return "", False
        if unbounded:
            self.unbounded += 1
            if self.unbounded > MAX_BROWSER_REPEATS:
                raise _NotPortable
        if self._peek() == "?":
            quantifier += self._take()  # lazy: the same language in both engines
        if self._peek() in ("*", "+", "?", "{"):
            raise _NotPortable
        return quantifier, unbounded

    def _counted(self) -> str:
        end = self.pattern.find("}", self.position)
        if end < 0:
            raise _NotPortable
        body = self.pattern[self.position + 1 : end]
        low, _, high = body.partition(",")
        if not low.isdigit() or (high and not high.isdigit()):
            raise _NotPortable
        if int(high or low) > MAX_BROWSER_COUNT:
            raise _NotPortable
        self.position = end + 1
        return "{" + body + "}"


def _literal(char: str, *, in_class: bool = False) -> str:
    if char == "/" or char in ("]\\^" if in_class else "]}"):
        return "\\" + char
    if ord(char) < 0x20:
        return f"\\x{ord(char):02x}"
    return char
