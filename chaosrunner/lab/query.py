"""Read-only views of a lab: its status, its ports, where its pid files are.

Everything here works from ``lab.json`` plus live probes, so it answers the same whether it is
asked by the process that started the lab or by any other. A pid counts only together with its
recorded start time, so a reused pid is never mistaken for a lab process.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from chaosrunner.adapters.local import procs
from chaosrunner.core.errors import LabError
from chaosrunner.lab import health
from chaosrunner.lab.layout import Layout, State
from chaosrunner.lab.model import (
    COMPONENTS,
    RESTART_DELAY,
    ComponentStatus,
    LabPorts,
    LabStatus,
)


def _proc(entry: object) -> procs.Proc | None:
    if not isinstance(entry, dict) or not entry.get("pid") or entry.get("starttime") is None:
        return None
    return procs.Proc(int(entry["pid"]), int(entry["starttime"]), "")


def live_supervisor(state: State | None) -> procs.Proc | None:
    proc = _proc((state or {}).get("supervisor"))
    return proc if proc is not None and procs.alive(proc) else None


def recorded(state: State | None) -> list[tuple[str, procs.Proc]]:
    """Every component process ``state`` names (alive or not), in start order."""
    entries = (state or {}).get("components") or {}
    out = []
    for name in COMPONENTS:
        proc = _proc(entries.get(name))
        if proc is not None:
            out.append((name, proc))
    return out


def state_ports(state: State | None) -> LabPorts:
    return LabPorts.from_json((state or {}).get("ports"))


def ports(root: Path | None = None) -> LabPorts:
    """The ports of the lab under ``root`` (the defaults when no lab was set up there)."""
    return state_ports(Layout(root).read())


def variables(root: Path | None = None) -> dict[str, str]:
    """The running lab's addresses as ``LAB_*`` variables; empty when no lab runs there.

    ``chaosrunner run`` layers these under ``--var`` and the process environment and above a
    file's defaults, so an experiment finds a lab started on other ports (``lab up
    --port-base``) without being told. Only a lab whose supervisor is alive counts: the
    addresses of a lab that is down would point at nothing, and the file's defaults are as good.
    A lab.json that cannot be read counts as no lab: this must never stop a run that does not
    use the lab.
    """
    try:
        state = Layout(root).read()
    except LabError:
        return {}
    if live_supervisor(state) is None:
        return {}
    return state_ports(state).variables()


def with_addresses(environ: Mapping[str, str], root: Path | None = None) -> dict[str, str]:
    """``environ`` over the running lab's ``variables``: the environment wins, the lab fills in."""
    return {**variables(root), **environ}


def service_pid_file(name: str, root: Path | None = None) -> Path:
    """The pid file the supervisor keeps current for component ``name``."""
    if name not in (*COMPONENTS, "supervisor"):
        raise LabError(f"no lab component {name!r}; components: {', '.join(COMPONENTS)}")
    return Layout(root).pid_file(name)


def _component(name: str, state: State, ports: LabPorts, running: bool) -> ComponentStatus:
    entry = (state.get("components") or {}).get(name) or {}
    restarts = int(entry.get("restarts") or 0)
    started = entry.get("startedAt")
    proc = _proc(entry)
    address = ports.address_of(name)
    if proc is None or not procs.alive(proc):
        detail = "not running"
        if running and entry:
            detail += f" (last exit {entry.get('lastExit')}; the supervisor restarts it)"
        return ComponentStatus(name, None, address, False, detail, restarts, started)
    ok, detail = health.probe(name, ports, 1.0, scraped=False)
    if name == "demo" and entry.get("profile"):
        detail += f", profile {entry['profile']}"
    return ComponentStatus(name, proc.pid, address, ok, detail, restarts, started)


def status(root: Path | None = None) -> LabStatus:
    """Each component's pid, address, health and restarts, plus the lab's profile."""
    layout = Layout(root)
    state = layout.read()
    ports = state_ports(state)
    if state is None:
        parts = tuple(
            ComponentStatus(n, None, ports.address_of(n), False, "not running") for n in COMPONENTS
        )
        return LabStatus(False, None, None, layout.dir, ports, parts)
    supervisor = live_supervisor(state)
    running = supervisor is not None
    parts = tuple(_component(name, state, ports, running) for name in COMPONENTS)
    try:
        delay = float(state.get("restartDelay", RESTART_DELAY))
    except (TypeError, ValueError):
        delay = RESTART_DELAY
    return LabStatus(
        running=running,
        profile=str(state.get("profile")) if state.get("profile") else None,
        supervisor_pid=supervisor.pid if supervisor else None,
        state_dir=layout.dir,
        ports=ports,
        components=parts,
        restart_delay=delay,
    )
