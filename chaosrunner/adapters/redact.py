"""Keep secrets out of everything we write: journal, reports and logs.

Secret values are known once variables are resolved (variables declared ``secret: true`` and
any whose name contains token, password, secret, key or credential, in any case: ``ACCESS_KEY``,
``dbPassword``, ``apiToken``). Every writer passes its text through one Redactor, so no code
path can forget.

A secret is masked as written and in the escaped forms our writers produce: JSON escapes
(``json.dumps`` turns ``ä`` into ``\\u00e4`` and ``"`` into ``\\"``, so the journal would
otherwise carry the secret in a form a plain search misses), XML escapes (junit.xml) and
Python's repr escapes (messages quote values with ``!r``). Secrets shorter than four characters
are not masked in free text: masking ``ab`` everywhere would garble every line; the validator
still masks them in its messages about the fields they fill.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
SHORTEST = 4


_XML_TEXT = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_XML_ATTR = (*_XML_TEXT, ('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))


def _xml(secret: str, table: tuple[tuple[str, str], ...]) -> str:
    for char, entity in table:
        secret = secret.replace(char, entity)
    return secret


def _forms(secret: str) -> set[str]:
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        _xml(secret, _XML_TEXT),  # junit.xml, as ElementTree escapes text ...
        _xml(secret, _XML_ATTR),  # ... and attributes (a failure's message)
    }


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        kept = {s for s in secrets if len(s) >= SHORTEST}
        forms = {form for s in kept for form in _forms(s) if len(form) >= SHORTEST}
        self._secrets = sorted(forms, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        return value

    def value(self, value: Any) -> Any:
        """``value`` with every string inside it masked, deeply (a log event's fields)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {k: self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self.value(v) for v in value]
        if value is None or isinstance(value, bool | int | float):
            return value
        return self.text(str(value))  # a Path, an exception: logged as text anyway

    def __bool__(self) -> bool:
        return bool(self._secrets)
