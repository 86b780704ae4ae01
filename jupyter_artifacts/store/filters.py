"""The filter language: a tokenizer and a recursive-descent parser for MLflow's search syntax.

The grammar is MLflow's (``metrics.acc > 0.9 and params.model = 'rf'``) plus ``OR`` and
parentheses, so every MLflow filter string parses here::

    filter     := or_expr EOF
    or_expr    := and_expr ("OR" and_expr)*
    and_expr   := primary ("AND" primary)*
    primary    := "(" or_expr ")" | comparison
    comparison := identifier ( ("=" | "!=" | "<" | "<=" | ">" | ">=") value
                             | ["NOT"] "IN" "(" value ("," value)* ")"
                             | ("LIKE" | "ILIKE") string
                             | "IS" ["NOT"] "NULL" )
    identifier := segment ("." segment)*        e.g. metrics.acc, params.`my key`
    segment    := word | `quoted` | "quoted"     (a quoted segment may hold any character)
    value      := 'string' | "string" | number  (quotes inside a string are doubled)

Keywords are case-insensitive. What an identifier means (a metric, an attribute, an input
artifact...) is decided by the compiler in :mod:`jupyter_artifacts.store.query`; this module
only checks the shape and reports the column of the first mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import FilterSyntaxError

KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "ILIKE", "IS", "NULL"}
COMPARATORS = ("<=", ">=", "!=", "<>", "=", "<", ">")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SEGMENT = re.compile(r"[A-Za-z0-9_]+")
_NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_QUOTES = "'\"`"


@dataclass(frozen=True)
class Token:
    kind: str  # "ident", "string", "number", "op", "keyword", "(", ")", ",", "end"
    value: object
    pos: int  # 0-based offset into the filter text
    text: str = ""  # the source spelling (numbers keep it: '0.10' compares as text as written)


@dataclass(frozen=True)
class Literal:
    """A constant: ``value`` is a str or a float; ``text`` is how it was written."""

    value: str | float
    text: str
    pos: int


@dataclass(frozen=True)
class Comparison:
    """``path op value``; ``op`` is one of =, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN,
    IS NULL, IS NOT NULL (the last two have no values)."""

    path: tuple[str, ...]
    op: str
    values: tuple[Literal, ...]
    pos: int

    @property
    def value(self) -> Literal:
        return self.values[0]


@dataclass(frozen=True)
class BoolOp:
    op: str  # "AND" or "OR"
    items: tuple[Node, ...]


Node = Comparison | BoolOp


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """The content of the quoted string at ``start`` (a doubled quote is one quote) and its end."""
    quote = text[start]
    out: list[str] = []
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == quote:
            if i + 1 < len(text) and text[i + 1] == quote:
                out.append(quote)
                i += 2
                continue
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise FilterSyntaxError(text, start, "a closing " + quote, found="the end of the filter")


def _read_identifier(text: str, start: int) -> tuple[tuple[str, ...], int]:
    m = _WORD.match(text, start)
    assert m is not None  # the caller saw a word character
    segments = [m.group()]
    i = m.end()
    while i < len(text) and text[i] == ".":
        i += 1
        if i < len(text) and text[i] in _QUOTES:
            segment, i = _read_quoted(text, i)
            segments.append(segment)
        elif m := _SEGMENT.match(text, i):
            segments.append(m.group())
            i = m.end()
        else:
            raise FilterSyntaxError(text, i, "a key after '.'", found=_describe_at(text, i))
    return tuple(segments), i


def _describe_at(text: str, pos: int) -> str:
    return "the end of the filter" if pos >= len(text) else repr(text[pos])


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; :class:`FilterSyntaxError` names the column of a bad one."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "(),":
            tokens.append(Token(ch, ch, i))
            i += 1
        elif ch in "'\"":
            value, end = _read_quoted(text, i)
            tokens.append(Token("string", value, i, text[i:end]))
            i = end
        elif ch == "`":
            raise FilterSyntaxError(text, i, "a value or a name before a `quoted` key",
                                    found="'`'")
        elif m := _NUMBER.match(text, i):
            tokens.append(Token("number", float(m.group()), i, m.group()))
            i = m.end()
        elif _WORD.match(text, i):
            start = i
            path, i = _read_identifier(text, i)
            word = path[0].upper()
            if len(path) == 1 and word in KEYWORDS:
                tokens.append(Token("keyword", word, start, path[0]))
            else:
                tokens.append(Token("ident", path, start, text[start:i]))
        elif op := next((op for op in COMPARATORS if text.startswith(op, i)), None):
            tokens.append(Token("op", "!=" if op == "<>" else op, i, op))
            i += len(op)
        else:
            raise FilterSyntaxError(text, i, "a name, a value or an operator", found=repr(ch))
    tokens.append(Token("end", None, len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, expected: str) -> FilterSyntaxError:
        tok = self.tok
        found = "the end of the filter" if tok.kind == "end" else repr(
            tok.text or str(tok.value))
        return FilterSyntaxError(self.text, tok.pos, expected, found=found)

    def keyword(self, *words: str) -> str | None:
        if self.tok.kind == "keyword" and self.tok.value in words:
            self.i += 1
            return str(self.tokens[self.i - 1].value)
        return None

    def expect(self, kind: str, expected: str) -> Token:
        if self.tok.kind != kind:
            raise self.fail(expected)
        self.i += 1
        return self.tokens[self.i - 1]

    def parse(self) -> Node:
        node = self.or_expr()
        if self.tok.kind != "end":
            raise self.fail("AND, OR or the end of the filter")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.keyword("OR"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("OR", tuple(items))

    def and_expr(self) -> Node:
        items = [self.primary()]
        while self.keyword("AND"):
            items.append(self.primary())
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def primary(self) -> Node:
        if self.tok.kind == "(":
            self.i += 1
            node = self.or_expr()
            self.expect(")", "')'")
            return node
        return self.comparison()

    def comparison(self) -> Comparison:
        ident = self.expect("ident", "a name such as metrics.acc, params.lr or status")
        path, pos = tuple(str(s) for s in ident.value), ident.pos  # type: ignore[attr-defined]
        if self.tok.kind == "op":
            op = str(self.tok.value)
            self.i += 1
            return Comparison(path, op, (self.value(),), pos)
        if (negated := self.keyword("NOT")) and not self.keyword("IN"):
            raise self.fail("IN after NOT")
        if negated or self.keyword("IN"):
            self.expect("(", "'(' after IN")
            values = [self.value()]
            while self.tok.kind == ",":
                self.i += 1
                values.append(self.value())
            self.expect(")", "',' or ')'")
            return Comparison(path, "NOT IN" if negated else "IN", tuple(values), pos)
        if like := self.keyword("LIKE", "ILIKE"):
            if self.tok.kind != "string":
                raise self.fail(f"a quoted pattern after {like}")
            return Comparison(path, like, (self.value(),), pos)
        if self.keyword("IS"):
            op = "IS NOT NULL" if self.keyword("NOT") else "IS NULL"
            if not self.keyword("NULL"):
                raise self.fail("NULL" if op == "IS NOT NULL" else "NULL or NOT NULL")
            return Comparison(path, op, (), pos)
        raise self.fail("a comparison (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL)")

    def value(self) -> Literal:
        tok = self.tok
        if tok.kind not in ("string", "number"):
            raise self.fail("a quoted string or a number")
        self.i += 1
        value = tok.value if isinstance(tok.value, float) else str(tok.value)
        return Literal(value, tok.text if tok.kind == "number" else str(value), tok.pos)


def parse(text: str) -> Node | None:
    """Parse a filter; ``None`` for an empty one (it matches everything)."""
    if not isinstance(text, str):
        raise FilterSyntaxError(str(text), 0, "a filter string", found=type(text).__name__)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate cannot reach SQLite
        raise FilterSyntaxError(text, exc.start, "text", found="an invalid character") from None
    if not text.strip():
        return None
    return _Parser(text).parse()


def quote(value: str) -> str:
    """``value`` as a single-quoted string literal of the filter language."""
    return "'" + value.replace("'", "''") + "'"


def quote_key(key: str) -> str:
    """``key`` as an identifier segment: bare when it is a plain word, else backticked."""
    return key if _SEGMENT.fullmatch(key) else "`" + key.replace("`", "``") + "`"


def simple_filter(name: str | None = None, tag: str | None = None, status: str | None = None,
                  notebook: str | None = None) -> list[str]:
    """The simple search fields as clauses: ``name`` and ``notebook`` match substrings."""
    clauses = []
    if name:
        clauses.append(f"name ILIKE {quote('%' + name + '%')}")
    if tag:
        clauses.append(f"tag = {quote(tag)}")
    if status:
        clauses.append(f"status = {quote(status)}")
    if notebook:
        clauses.append(f"notebook ILIKE {quote('%' + notebook + '%')}")
    return clauses


def combine(clauses: list[str], text: str | None) -> str | None:
    """``clauses`` and ``text`` joined by AND; ``text`` alone is kept as typed, so the
    columns in its error messages are the ones the user sees."""
    if text and text.strip():
        clauses = [*clauses, f"({text})" if clauses else text]
    return " and ".join(clauses) or None
