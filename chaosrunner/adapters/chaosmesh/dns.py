"""DNSChaos: dns-error and dns-random. No ``patterns`` means every name, as in Chaos Mesh.

DNSChaos needs Chaos Mesh's DNS server deployed (``dnsServer.create=true`` in its chart);
preflight, not rendering, is where that is checked.
"""

from __future__ import annotations

from chaosrunner.adapters.chaosmesh.common import Context, Renderer, chaos_object, optional
from chaosrunner.adapters.chaosmesh.payloads import ChaosObject

KIND = "DNSChaos"


def action(name: str) -> Renderer:
    def render(ctx: Context) -> ChaosObject:
        fields = {"action": name, **optional(ctx.params, "patterns", "containerNames")}
        return chaos_object(ctx, KIND, fields)

    return render
