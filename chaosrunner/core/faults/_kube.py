"""Kubernetes' rules for the names a chaos-mesh binding or fault hands to the API server.

The API server (or Chaos Mesh's selector, which parses label selectors with apimachinery)
rejects a namespace that is not a DNS-1123 label, a label key that is not an optional DNS
subdomain prefix plus a 63-character name, or a label value that is not 63 characters of
``[A-Za-z0-9._-]`` starting and ending alphanumeric. Checking them here means ``validate``
says so with a file position, instead of the run failing at inject time (or a selector that
cannot parse selecting nothing). Each function returns what is wrong, or None.
"""

from __future__ import annotations

import re

_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_LABEL = re.compile(rf"{_LABEL}")
_DNS_SUBDOMAIN = re.compile(rf"{_LABEL}(\.{_LABEL})*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")

DNS_LABEL = (
    "a DNS-1123 label: at most 63 characters of a-z, 0-9 and '-', "
    "starting and ending with a letter or digit"
)
LABEL_KEY = (
    "a label key: an optional DNS subdomain prefix and '/', then at most 63 characters of "
    "letters, digits, '-', '_' and '.', starting and ending with a letter or digit"
)
LABEL_VALUE = (
    "a label value: at most 63 characters of letters, digits, '-', '_' and '.', "
    "starting and ending with a letter or digit (or empty)"
)


def dns_label(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 63 and bool(_DNS_LABEL.fullmatch(value))


def dns_subdomain(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 253 and bool(_DNS_SUBDOMAIN.fullmatch(value))


def label_key(value: object) -> bool:
    if not isinstance(value, str):
        return False
    prefix, slash, name = value.rpartition("/")
    if slash and not dns_subdomain(prefix):
        return False
    return len(name) <= 63 and bool(_QUALIFIED_NAME.fullmatch(name))


def label_value(value: object) -> bool:
    return isinstance(value, str) and len(value) <= 63 and bool(_LABEL_VALUE.fullmatch(value))
