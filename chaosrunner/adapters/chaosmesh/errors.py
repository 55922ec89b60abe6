"""Why a fault cannot become a Chaos Mesh object. Both are DriverErrors: the run stops before
anything is created, and the message names the fault and what to change.

::

    DriverError (chaosrunner.core.errors)
    └── RenderError          the fault's params or binding cannot be expressed as the object
        └── NotAChaosMeshObject  the kind is injected another way (goroutine-leak: pod proxy)
"""

from __future__ import annotations

from chaosrunner.core.errors import DriverError


class RenderError(DriverError):
    """A fault cannot be rendered: a value Chaos Mesh cannot take, or a kind it has no form for."""


class NotAChaosMeshObject(RenderError):
    """The fault kind runs in a cluster, but not as a Chaos Mesh object."""
