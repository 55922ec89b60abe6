"""Objects → multi-document YAML that ``kubectl create -f -`` accepts.

Safe dumping only (no Python tags), keys in the order the renderers wrote them (apiVersion,
kind, metadata, spec: the order people read), block style, and every document opened with
``---``. Strings that YAML 1.1 would read as something else (``"25"``, ``"on"``) are quoted
by the dumper, which is what keeps Chaos Mesh's string-typed numbers strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from chaosrunner.adapters.chaosmesh.common import plain


def to_yaml(objects: Iterable[Mapping[str, Any]]) -> str:
    return yaml.safe_dump_all(
        [plain(obj) for obj in objects],
        sort_keys=False,
        explicit_start=True,
        default_flow_style=False,
        allow_unicode=True,
        width=100,
    )
