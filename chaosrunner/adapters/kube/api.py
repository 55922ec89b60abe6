"""One door to the Kubernetes API: connection, error conversion and the retry policy.

Every call the chaos-mesh driver makes goes through :meth:`Kube.call`, which is where the
official client's exceptions become :class:`ApiError` (once, with the API server's own message,
which names the offending field on a 422) and where retries are decided, deliberately:

- a read, a delete, or an access review is *safe*: on 429, 500, 502, 503, 504 or a dropped
  connection it is retried with exponential backoff (honouring ``Retry-After``) up to a
  deadline;
- a create is *not safe*: it is retried only on 429, which the API server sends before doing
  anything. After a 5xx or a dropped connection the object may or may not exist, so the error
  is raised and the run rolls back, deleting by the run's labels whatever is there. A create
  is never turned into "use the one that is already there": a 409 is an error.

A 404 becomes :class:`NotFound` and a 409 :class:`Conflict`, so callers catch what they expect
by type and no code outside this package compares status codes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import structlog
import urllib3
from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from chaosrunner.core.errors import ApiError, Conflict, DriverError, NotFound

T = TypeVar("T")
log = structlog.get_logger("chaosrunner.kube")

RETRIABLE = frozenset({429, 500, 502, 503, 504})
#: The answers callers act on by type: the rest are plain ApiError.
BY_STATUS: dict[int, type[ApiError]] = {404: NotFound, 409: Conflict}
REQUEST_TIMEOUT = 15.0


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6
    first_delay: float = 0.25
    max_delay: float = 5.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = min(self.max_delay, self.first_delay * 2**attempt)
        return float(min(self.max_delay, max(backoff, retry_after or 0.0)))


@dataclass(frozen=True)
class Connection:
    """Where to connect: a kubeconfig (file and context) or the pod's service account."""

    kubeconfig: str | None = None
    context: str | None = None

    def describe(self) -> str:
        where = self.kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        return f"kubeconfig {where}" + (f", context {self.context}" if self.context else "")


def _default_kubeconfig_exists(conn: Connection) -> bool:
    if conn.kubeconfig:
        return True
    paths = os.environ.get("KUBECONFIG", "").split(os.pathsep)
    return (
        any(Path(p).expanduser().exists() for p in paths if p)
        or Path("~/.kube/config").expanduser().exists()
    )


def connect(conn: Connection) -> Kube:
    """A client from the kubeconfig, or in-cluster when there is none and we run in a pod."""
    try:
        if not _default_kubeconfig_exists(conn) and os.environ.get("KUBERNETES_SERVICE_HOST"):
            cfg = client.Configuration()
            config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
            return Kube(client.ApiClient(cfg), "in-cluster service account")
        api_client: client.ApiClient = config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=conn.kubeconfig, context=conn.context
        )
    except (ConfigException, OSError, ValueError) as exc:
        raise DriverError(f"cannot load Kubernetes credentials ({conn.describe()}): {exc}") from exc
    return Kube(api_client, conn.describe())


def parse_time(value: object) -> float | None:
    """Epoch seconds of a Kubernetes timestamp (RFC 3339, ``Z``); None if absent or malformed."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _status_body(exc: ApiException) -> dict[str, Any]:
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def api_error(what: str, exc: ApiException) -> ApiError:
    """The API server's Status as one readable error: status, reason and its own message.

    Its class says what happened where a caller acts on it: NotFound (404), Conflict (409).
    """
    body = _status_body(exc)
    reason = str(body.get("reason") or exc.reason or "")
    message = str(body.get("message") or (exc.body or "")[:300] or exc.reason or "")
    causes = body.get("details", {}).get("causes", [])
    fields = [
        f"{c['field']}: {c.get('message')}"
        for c in causes
        if isinstance(c, dict) and isinstance(c.get("field"), str) and c["field"] not in message
    ]
    text = f"{what}: HTTP {exc.status} {reason}: {message}"
    if fields:
        text += " (" + "; ".join(fields) + ")"
    status = int(exc.status or 0)
    return BY_STATUS.get(status, ApiError)(text, status=status, reason=reason)


def _retry_after(exc: ApiException) -> float | None:
    headers: Any = exc.headers or {}
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


#: Follows one watch: ``(list_fn, args, selector, version, remaining seconds)`` → objects.
WatchEvents = Callable[
    [Callable[..., Any], tuple[Any, ...], str, str, float], Iterator[dict[str, Any] | None]
]


def watch_events(
    list_fn: Callable[..., Any],
    args: tuple[Any, ...],
    selector: str,
    version: str,
    remaining: float,
) -> Iterator[dict[str, Any] | None]:
    """One watch of the objects ``selector`` picks, from ``version``: each as it changes,
    None once deleted. Ends when the server ends the watch; raises what the stream raises."""
    w = watch.Watch()  # type: ignore[no-untyped-call]
    try:
        for event in w.stream(  # type: ignore[no-untyped-call]
            list_fn,
            *args,
            field_selector=selector,
            resource_version=version,
            timeout_seconds=max(1, min(int(remaining) + 1, 60)),
            allow_watch_bookmarks=True,
            _request_timeout=remaining + 10,
        ):
            kind = event.get("type")
            raw = event.get("raw_object")
            if kind == "BOOKMARK" or not isinstance(raw, dict):
                continue
            yield None if kind == "DELETED" else raw
    finally:
        w.stop()  # type: ignore[no-untyped-call]


class Kube:
    """The typed APIs, plus :meth:`call` (conversion and retries) and :meth:`watch_one`."""

    def __init__(
        self,
        api_client: client.ApiClient,
        where: str = "",
        *,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        events: WatchEvents = watch_events,
    ) -> None:
        self.api_client = api_client
        self.where = where
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.events = events
        self.core = client.CoreV1Api(api_client)
        self.custom = client.CustomObjectsApi(api_client)
        self.coordination = client.CoordinationV1Api(api_client)
        self.authorization = client.AuthorizationV1Api(api_client)

    def close(self) -> None:
        self.api_client.close()  # type: ignore[no-untyped-call]

    def call(
        self, what: str, fn: Callable[..., T], *args: Any, safe: bool = True, **kwargs: Any
    ) -> T:
        kwargs.setdefault("_request_timeout", REQUEST_TIMEOUT)
        attempt = 0
        while True:  # ends by returning, or by raising on the last attempt
            last = attempt >= self.retry.attempts - 1
            try:
                return fn(*args, **kwargs)
            except ApiException as exc:
                status = int(exc.status or 0)
                if last or status not in RETRIABLE or (not safe and status != 429):
                    raise api_error(what, exc) from exc
                delay = self.retry.delay(attempt, _retry_after(exc))
                log.warning("api busy; retrying", what=what, status=status, delay=delay)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                if last or not safe:
                    raise ApiError(f"{what}: the API server did not answer: {exc}") from exc
                delay = self.retry.delay(attempt, None)
                log.warning("api unreachable; retrying", what=what, error=str(exc), delay=delay)
            self.sleep(delay)
            attempt += 1

    def json(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """A typed-API call answered as plain JSON (dicts), without the client's models."""
        resp = self.call(what, fn, *args, _preload_content=False, **kwargs)
        return json.loads(getattr(resp, "data", b"") or b"null")

    def raw(self, what: str, method: str, path: str, *, body: Any = None, safe: bool = True) -> Any:
        """A call to a path the typed APIs do not cover well (discovery, pod proxy): JSON back."""

        def go(_request_timeout: float) -> Any:
            verb, url, headers, payload, _ = self.api_client.param_serialize(
                method=method,
                resource_path=path,
                header_params={"Accept": "application/json", "Content-Type": "application/json"},
                body=body,
                auth_settings=["BearerToken"],
            )
            resp = self.api_client.call_api(
                verb, url, header_params=headers, body=payload, _request_timeout=_request_timeout
            )
            resp.read()  # type: ignore[no-untyped-call]
            if not 200 <= resp.status < 300:
                raise ApiException(http_resp=resp)
            return json.loads(resp.data or b"null")

        return self.call(what, go, safe=safe)

    def watch_one(
        self,
        what: str,
        list_fn: Callable[..., Any],
        args: tuple[Any, ...],
        name: str,
        until: Callable[[dict[str, Any] | None], bool],
        timeout: float,
    ) -> tuple[dict[str, Any] | None, bool]:
        """Follow one named object until ``until(obj)`` (obj None once it is gone) or timeout.

        Lists first (for the current state and a resourceVersion), then watches from there.
        When the watch ends — server timeout, dropped connection, 410 Gone — it lists again and
        resumes, so no change is missed and nothing sleeps in a loop. Returns the last state
        seen and whether ``until`` held.
        """
        deadline = time.monotonic() + timeout
        selector = f"metadata.name={name}"
        while True:
            listing = self.json(what, list_fn, *args, field_selector=selector)
            items = listing.get("items", []) if isinstance(listing, dict) else []
            obj: dict[str, Any] | None = items[0] if items else None
            if until(obj):
                return obj, True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return obj, False
            version = str(listing.get("metadata", {}).get("resourceVersion", ""))
            try:
                for obj in self.events(list_fn, args, selector, version, remaining):
                    if until(obj):
                        return obj, True
                    if time.monotonic() >= deadline:
                        return obj, False
            except ApiException as exc:
                if exc.status != 410 and int(exc.status or 0) not in RETRIABLE:
                    raise api_error(what, exc) from exc
                log.info("watch ended; listing again", what=what, status=exc.status)
            except (urllib3.exceptions.HTTPError, OSError) as exc:
                log.info("watch disconnected; listing again", what=what, error=str(exc))
                self.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
