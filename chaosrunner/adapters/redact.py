"""Keep secrets out of everything we write: journal, reports and logs.

Secret values are known once variables are resolved (variables declared ``secret: true`` and
any whose name says token, password, secret, key or credential). Every writer passes its text
through one Redactor, so no code path can forget.
"""

from __future__ import annotations

from collections.abc import Iterable

MASK = "***"


class Redactor:
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        return value

    def __bool__(self) -> bool:
        return bool(self._secrets)
