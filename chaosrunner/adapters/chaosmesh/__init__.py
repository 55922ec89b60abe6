"""The chaos-mesh driver: each planned fault as the Chaos Mesh object that injects it, or as a
handler for what is not an object (the goroutine leak, through the API server's pod proxy).

The package's surface is rendering (``render``, ``render_all``, ``to_yaml``: pure, used by
``chaosrunner render``); the driver (``driver.ChaosMeshDriver``) creates, confirms and deletes
through the Kubernetes adapter (``adapters.kube``), the only package that imports the client.
Every object carries its run's labels and its own expiry (``spec.duration``), so nothing
outlives a crashed run by more than the expiry margin.
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
