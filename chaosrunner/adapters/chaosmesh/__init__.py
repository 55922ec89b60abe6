"""Chaos Mesh rendering: each planned fault as the Chaos Mesh object that injects it.

Pure functions, no Kubernetes client: the API manager (create, confirm, delete, cleanup)
builds on these. Every object carries its run's labels and its own expiry (``spec.duration``),
so nothing outlives a crashed run by more than the expiry margin.
"""

from chaosrunner.adapters.chaosmesh.errors import NotAChaosMeshObject, RenderError
from chaosrunner.adapters.chaosmesh.render import NOT_OBJECTS, RENDERERS, render, render_all
from chaosrunner.adapters.chaosmesh.yamlout import to_yaml

__all__ = [
    "NOT_OBJECTS",
    "RENDERERS",
    "NotAChaosMeshObject",
    "RenderError",
    "render",
    "render_all",
    "to_yaml",
]
