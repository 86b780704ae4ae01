"""SQLite's SQL as PostgreSQL runs it: the store keeps one SQL text per query.

The store's queries use a small portable subset plus a few SQLite spellings; :func:`translate`
rewrites those (cached per SQL text), and :data:`SUPPORT` defines, in the PostgreSQL schema,
the functions and operators that keep SQLite's meaning where PostgreSQL has none:

- placeholders ``?`` / ``?N`` / ``:name`` -> ``%s`` / ``%(pN)s`` / ``%(name)s``;
- ``INSERT OR IGNORE`` -> ``ON CONFLICT DO NOTHING``; ``INSERT OR REPLACE`` -> an upsert on
  the table's primary key (:data:`REPLACE_KEYS`);
- DDL: ``INTEGER PRIMARY KEY AUTOINCREMENT`` -> an identity column, ``REAL`` -> ``DOUBLE
  PRECISION``, ``INTEGER`` -> ``BIGINT``, no ``WITHOUT ROWID``;
- ``json_extract(value, '$')`` (a param's JSON value) is a jsonb function here, with
  operators against numbers and text that follow SQLite's rule "numbers sort before text"
  (``= < >``..., ``LIKE`` and ``ILIKE``), so one comparison text serves both;
- a NaN metric is a real float NaN here (SQLite stores the text ``'NaN'``): ``last < ''``
  (not NaN) becomes ``last < 'NaN'``;
- ``LIKE`` (ASCII case-insensitive in SQLite) -> ``ILIKE``; ``GLOB`` (case-sensitive) ->
  ``LIKE`` with its pattern parameter converted;
- ``json_each(?)`` over an array, ``json_quote``, ``group_concat``, ``sqlite_master``,
  ``INDEXED BY``, ``LIMIT -1`` / a bound ``-1`` limit, ``WHERE 1`` and two PRAGMAs.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

#: Primary keys and other columns of the tables written with ``INSERT OR REPLACE``.
REPLACE_KEYS = {
    "meta": (("key",), ("value",)),
    "params": (("run_id", "key"), ("value", "typed_value")),
    "aliases": (("name", "alias"), ("version_id",)),
    "fingerprints": (("codec", "fingerprint"), ("oid",)),
}

# A jsonb param value as SQLite's json_extract sees it: a number (booleans are 1 and 0)...
_NUM = ("CASE jsonb_typeof($1) WHEN 'number' THEN ($1 #>> '{}')::float8 "
        "WHEN 'boolean' THEN (CASE WHEN ($1)::text = 'true' THEN 1 ELSE 0 END)::float8 END")
# ... or text (strings, and objects or arrays as their JSON).
_TEXT = ("CASE jsonb_typeof($1) WHEN 'string' THEN $1 #>> '{}' "
         "WHEN 'object' THEN ($1)::text WHEN 'array' THEN ($1)::text END")
_OPS = {"=": "eq", "<>": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
# number OP text and text OP number, by "numbers sort before text".
_NUMBER_VS_TEXT = {"=": "false", "<>": "true", "<": "true", "<=": "true", ">": "false",
                   ">=": "false"}
_TEXT_VS_NUMBER = {"=": "false", "<>": "true", "<": "false", "<=": "false", ">": "true",
                   ">=": "true"}


def _support() -> list[str]:
    # Not STRICT, STABLE (as their bodies: to_jsonb is), each argument used once where it
    # can be: PostgreSQL then inlines these SQL functions into the query (a call that is not
    # inlined costs ~20 us a row). json_extract is IMMUTABLE: an index uses it.
    out = [
        # jsonb holds no NUL character: such a value is kept as a string of its JSON text.
        "CREATE FUNCTION json_extract(text, text) RETURNS jsonb IMMUTABLE PARALLEL SAFE "
        "LANGUAGE sql AS $$ SELECT CASE WHEN strpos($1, '\\u0000') > 0 THEN ('\"' || "
        "replace(replace($1, '\\', '\\\\'), '\"', '\\\"') || '\"')::jsonb "
        "ELSE $1::jsonb END $$",
        f"CREATE FUNCTION ja_num(jsonb) RETURNS float8 STABLE PARALLEL SAFE "
        f"LANGUAGE sql AS $$ SELECT {_NUM} $$",
        f"CREATE FUNCTION ja_text(jsonb) RETURNS text STABLE PARALLEL SAFE "
        f"LANGUAGE sql AS $$ SELECT {_TEXT} $$",
        "CREATE FUNCTION ja_json_each(text) RETURNS TABLE (key bigint, value text) IMMUTABLE "
        "LANGUAGE sql AS $$ SELECT ord - 1, item FROM jsonb_array_elements_text($1::jsonb) "
        "WITH ORDINALITY AS t(item, ord) $$",
        "CREATE FUNCTION ja_json_quote(text) RETURNS text STABLE PARALLEL SAFE "
        "LANGUAGE sql AS $$ SELECT to_json($1)::text $$",
    ]
    for op, name in _OPS.items():
        if op in ("=", "<>"):
            # jsonb's own equality: a number never equals a text, as in SQLite; SQLite's
            # true and false are 1 and 0.
            boolean = "to_jsonb(CASE $2 WHEN 1 THEN true WHEN 0 THEN false END)"
            word = "IN" if op == "=" else "NOT IN"
            num = f"$1 {word} (to_jsonb($2), COALESCE({boolean}, to_jsonb($2)))"
            text = f"$1 {op} to_jsonb($2)"
        else:
            num = (f"CASE WHEN ja_num($1) IS NOT NULL THEN ja_num($1) {op} $2 "
                   f"WHEN ja_text($1) IS NOT NULL THEN {_TEXT_VS_NUMBER[op]} END")
            text = (f"CASE WHEN ja_num($1) IS NOT NULL THEN {_NUMBER_VS_TEXT[op]} "
                    f"ELSE ja_text($1) {op} $2 COLLATE \"C\" END")
        out.append(f"CREATE FUNCTION ja_{name}_num(jsonb, float8) RETURNS boolean STABLE "
                   f"PARALLEL SAFE LANGUAGE sql AS $$ SELECT {num} $$")
        out.append(f"CREATE FUNCTION ja_{name}_text(jsonb, text) RETURNS boolean STABLE "
                   f"PARALLEL SAFE LANGUAGE sql AS $$ SELECT {text} $$")
        out.append(f"CREATE OPERATOR {op} (LEFTARG = jsonb, RIGHTARG = float8, "
                   f"FUNCTION = ja_{name}_num)")
        out.append(f"CREATE OPERATOR {op} (LEFTARG = jsonb, RIGHTARG = text, "
                   f"FUNCTION = ja_{name}_text)")
    for op, name in (("~~", "like"), ("~~*", "ilike")):
        out.append(f"CREATE FUNCTION ja_{name}(jsonb, text) RETURNS boolean STABLE "
                   f"PARALLEL SAFE LANGUAGE sql AS $$ SELECT ja_text($1) {op} $2 $$")
        out.append(f"CREATE OPERATOR {op} (LEFTARG = jsonb, RIGHTARG = text, "
                   f"FUNCTION = ja_{name})")
    # Metric points keep their insertion order, as SQLite's rowid does.
    out.append("ALTER TABLE metrics ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY")
    return out


#: Run by migration 1 on PostgreSQL, after its tables.
SUPPORT = _support()

_SQLITE_MASTER = (
    "(SELECT c.relname::text AS name, CASE c.relkind WHEN 'r' THEN 'table' WHEN 'i' THEN "
    "'index' WHEN 'v' THEN 'view' ELSE 'other' END AS type FROM pg_class c "
    "WHERE c.relnamespace = current_schema()::regnamespace) AS sqlite_master")
_PRAGMAS = {"PRAGMA quick_check": "SELECT 'ok'",
            "PRAGMA foreign_key_check": "SELECT NULL, NULL WHERE FALSE"}
_GLOB_MARK = "\x01"

_RULES: list[tuple[re.Pattern[str], str]] = [(re.compile(a), b) for a, b in [
    (r"\bINTEGER PRIMARY KEY AUTOINCREMENT\b", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"),
    (r"\bREAL\b", "DOUBLE PRECISION"),
    (r"\bINTEGER\b", "BIGINT"),
    (r"\)\s*WITHOUT ROWID", ")"),
    (r"\bINDEXED BY \w+", ""),
    (r"\bsqlite_master\b", _SQLITE_MASTER),
    (r"\bMIN\(s\.min, excluded\.min\)", "LEAST(s.min, excluded.min)"),
    (r"\bMAX\(s\.max, excluded\.max\)", "GREATEST(s.max, excluded.max)"),
    (r"\b((?:o\.)?last) < ''", r"\1 < 'NaN'::float8"),
    (r"(<|>=) ''(?!::)", r"\1 ''::text"),
    # SQLite's LIKE has no escape character; PostgreSQL's is a backslash unless told.
    (r" LIKE \?(?! ESCAPE)", " ILIKE ? ESCAPE ''"),
    (r" LIKE ", " ILIKE "),
    (r" GLOB \?", " LIKE ?" + _GLOB_MARK),
    (r"\bjson_each\(", "ja_json_each("),
    (r"\bjson_quote\(", "ja_json_quote("),
    (r"\bLIMIT -1\b", "LIMIT ALL"),
    (r"\bLIMIT \?", "LIMIT NULLIF(?::bigint, -1)"),
    (r"\bWHERE 1(?=\s+(?:ORDER|LIMIT|GROUP|AND|OR)\b|\s*\)|\s*$)", "WHERE TRUE"),
    (r"\b(AND|OR|WHERE) \(1\)", r"\1 (TRUE)"),
]]


def _split_args(text: str, start: int) -> tuple[list[str], int]:
    """The top-level comma-separated arguments of the call whose ``(`` is at ``start``."""
    depth, args, begin, i = 0, [], start + 1, start
    while i < len(text):
        ch = text[i]
        if ch == "'":
            i = text.index("'", i + 1)
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                args.append(text[begin:i].strip())
                return args, i
        elif ch == "," and depth == 1:
            args.append(text[begin:i].strip())
            begin = i + 1
        i += 1
    raise ValueError(f"unbalanced parentheses in {text!r}")


def _group_concat(sql: str) -> str:
    # SQLite concatenates in the order it visits rows (an index's); PostgreSQL needs it said:
    # a label list in label order, a key's values (table.py) in run id order.
    while (at := sql.find("group_concat(")) >= 0:
        args, end = _split_args(sql, at + len("group_concat"))
        if len(args) == 1:
            new = f"string_agg(({args[0]})::text, ',' ORDER BY run_id)"
        else:
            new = f"string_agg(({args[0]})::text, {args[1]} ORDER BY {args[0]})"
        sql = sql[:at] + new + sql[end + 1:]
    return sql


def _or_clause(sql: str) -> str:
    head = re.match(r"\s*INSERT OR (IGNORE|REPLACE) INTO (\w+)", sql)
    if head is None:
        return sql
    sql = sql[:head.start(1) - 3] + sql[head.end(1):]
    if head.group(1) == "IGNORE":
        return sql + " ON CONFLICT DO NOTHING"
    keys, values = REPLACE_KEYS[head.group(2)]
    sets = ", ".join(f"{col} = EXCLUDED.{col}" for col in values)
    return sql + f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"


@functools.lru_cache(maxsize=512)
def _rewrite(sql: str, named: bool) -> tuple[str, tuple[int, ...], int]:
    """(PostgreSQL text, positions of GLOB patterns, highest ``?N`` number or 0)."""
    if sql.strip() in _PRAGMAS:
        return _PRAGMAS[sql.strip()], (), 0
    sql = _or_clause(sql)
    for pattern, repl in _RULES:
        sql = pattern.sub(repl, sql)
    if "group_concat(" in sql:
        sql = _group_concat(sql)
    out: list[str] = []
    globs: list[int] = []
    count = numbered = 0
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "'":
            end = sql.index("'", i + 1)
            while end + 1 < n and sql[end + 1] == "'":  # '' inside a literal
                end = sql.index("'", end + 2)
            out.append(sql[i:end + 1].replace("%", "%%"))
            i = end + 1
            continue
        if ch == "%":
            out.append("%%")
        elif ch == "?":
            m = re.match(r"\?(\d+)", sql[i:])
            if m:
                numbered = max(numbered, int(m.group(1)))
                out.append(f"%(p{m.group(1)})s")
                i += len(m.group(0))
                continue
            if sql[i + 1:i + 2] == _GLOB_MARK:
                globs.append(count)
                i += 1
            count += 1
            out.append("%s")
        elif ch == ":" and named and re.match(r":[A-Za-z_]", sql[i:i + 2]) and sql[i - 1] != ":":
            m = re.match(r":(\w+)", sql[i:])
            assert m is not None
            out.append(f"%({m.group(1)})s")
            i += len(m.group(0))
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out), tuple(globs), numbered


def glob_to_like(pattern: str) -> str:
    """A GLOB pattern as query.py writes them (``*``, ``?``, ``[c]``) as a LIKE pattern."""
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "[" and i + 2 < len(pattern) and pattern[i + 2] == "]":
            ch, i = pattern[i + 1], i + 2
            out.append("\\" + ch if ch in "%_\\" else ch)
        elif ch == "*":
            out.append("%")
        elif ch == "?":
            out.append("_")
        else:
            out.append("\\" + ch if ch in "%_\\" else ch)
        i += 1
    return "".join(out)


def _value(value: Any) -> Any:
    return int(value) if isinstance(value, bool) else value


def translate(sql: str, params: Any = ()) -> tuple[str, Any]:
    """``sql`` (SQLite's spelling) and its parameters as psycopg runs them on PostgreSQL."""
    named = isinstance(params, dict)
    text, globs, numbered = _rewrite(sql, named)
    if named:
        return text, {k: _value(v) for k, v in params.items()}
    values: Sequence[Any] = params or ()
    if numbered:
        return text, {f"p{i + 1}": _value(v) for i, v in enumerate(values)}
    out = [_value(v) for v in values]
    for i in globs:
        out[i] = glob_to_like(out[i])
    return text, out
