"""Asking beyond the process: a bounded HTTP GET behind the URL guard, and NVML with a timeout."""

from __future__ import annotations

import re
import threading
import time
from typing import Any

from envdoctor.door.processes import _STOPPING, _valid_timeout
from envdoctor.door.types import HTTP_LIMIT, HTTP_REDIRECTS, HttpResult
from envdoctor.i18n import _, message_of
from envdoctor.redact import redact_text


def _nvml_query() -> dict:
    """Read everything envdoctor wants from NVML; raises pynvml.NVMLError on failure."""
    import pynvml

    def text(value: Any) -> str:
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)

    pynvml.nvmlInit()
    try:
        data: dict[str, Any] = {
            "driver_version": text(pynvml.nvmlSystemGetDriverVersion()),
            "cuda_driver_version": int(pynvml.nvmlSystemGetCudaDriverVersion_v2()),
            "devices": [],
        }
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            device: dict[str, Any] = {"index": index, "name": text(pynvml.nvmlDeviceGetName(handle))}
            for key, call in (
                ("uuid", lambda h: text(pynvml.nvmlDeviceGetUUID(h))),
                ("memory_total_bytes", lambda h: int(pynvml.nvmlDeviceGetMemoryInfo(h).total)),
                ("memory_used_bytes", lambda h: int(pynvml.nvmlDeviceGetMemoryInfo(h).used)),
                ("compute_capability", lambda h: list(pynvml.nvmlDeviceGetCudaComputeCapability(h))),
                ("mig_mode", lambda h: list(pynvml.nvmlDeviceGetMigMode(h))),
                ("pci_bus_id", lambda h: text(pynvml.nvmlDeviceGetPciInfo(h).busId)),
            ):
                try:
                    device[key] = call(handle)
                except pynvml.NVMLError as exc:
                    device[key] = None
                    device.setdefault("errors", {})[key] = str(exc)
            data["devices"].append(device)
        return data
    finally:
        try:
            pynvml.nvmlShutdown()
        except pynvml.NVMLError:
            pass


def _call_with_timeout(func, timeout: float):
    """Run func in a daemon thread; a hung driver call cannot keep envdoctor from exiting, and a
    stopping signal ends the wait within a tenth of a second."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # reported, never raised across the thread
            box["error"] = exc
        finally:
            done.set()

    thread = threading.Thread(target=target, daemon=True, name="envdoctor-nvml")
    thread.start()
    deadline = time.monotonic() + timeout
    while not done.wait(max(0.0, min(0.1, deadline - time.monotonic()))):
        if _STOPPING.is_set():
            raise TimeoutError(_("envdoctor is stopping"))
        if time.monotonic() >= deadline:
            raise TimeoutError(_("no answer within {seconds:.1f} s", seconds=timeout))
    if "error" in box:
        raise box["error"]
    return box["value"]


def _guarded_redirects() -> Any:
    """A urllib redirect handler that follows at most HTTP_REDIRECTS hops, each through the URL guard."""
    import urllib.request

    from envdoctor.urls import index_url_problem

    class Handler(urllib.request.HTTPRedirectHandler):
        max_redirections = HTTP_REDIRECTS

        def redirect_request(self, req, fp, code, msg, headers, newurl):
            problem = index_url_problem(newurl)
            if problem:
                raise _RedirectRefused(_("redirected to {url}, which is refused: {problem}", url=newurl, problem=problem))
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return Handler()


class _RedirectRefused(Exception):
    pass


def _without_userinfo(url: str) -> str:
    """``url`` without ``user:password@``: the check asks without credentials (a 401 still answers), and
    no credential reaches a result, a message or a log."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    match = re.match(r"([^/?#]*)(.*)", rest, re.S)
    authority, tail = (match.group(1), match.group(2)) if match else (rest, "")
    return f"{scheme}://{authority.rpartition('@')[2]}{tail}"


def http_get(url: str, timeout: float, limit: int = HTTP_LIMIT, *, accept: str = "text/html",
             byte_range: str | None = None) -> HttpResult:
    """A bounded GET through urllib (the environment's proxy settings apply, as they do to pip).

    Reading stops after ``limit`` bytes of the body; ``truncated`` says when more came.
    """
    import ssl
    import urllib.error
    import urllib.request

    from envdoctor import __version__
    from envdoctor.urls import index_url_problem

    start = time.monotonic()
    problem = index_url_problem(url)
    url = _without_userinfo(url)
    if problem:
        return HttpResult(url, "refused", error=problem)
    if not _valid_timeout(timeout):
        return HttpResult(url, "error", error=_("invalid timeout {timeout!r}", timeout=timeout))
    if byte_range is not None and not re.fullmatch(r"[0-9]{0,19}-[0-9]{0,19}", byte_range, re.ASCII):
        return HttpResult(url, "error", error=_("invalid byte range {range!r}", range=byte_range))
    opener = urllib.request.build_opener(_guarded_redirects())
    headers = {"User-Agent": f"envdoctor/{__version__}", "Accept": accept}
    if byte_range is not None:
        headers["Range"] = f"bytes={byte_range}"
    request = urllib.request.Request(url, headers=headers)

    def bounded(answer: Any, code: int, final_url: str) -> HttpResult:
        kind = str(answer.headers.get("Content-Type", "") if answer.headers is not None else "")
        kind = kind.split(";", 1)[0].strip().lower()
        span = str(answer.headers.get("Content-Range", "") if answer.headers is not None else "")
        body = answer.read(limit + 1) if getattr(answer, "fp", None) is not None else b""
        return HttpResult(url, "answered", code, final_url, body[:limit], content_type=kind, content_range=span,
                          truncated=len(body) > limit)

    def fetch() -> HttpResult:
        try:
            with opener.open(request, timeout=timeout) as answer:
                return bounded(answer, answer.status, answer.geturl())
        except urllib.error.HTTPError as exc:
            return bounded(exc, exc.code, exc.geturl() or url)

    try:
        result = _call_with_timeout(fetch, timeout)
    except _RedirectRefused as exc:
        result = HttpResult(url, "refused", error=message_of(exc))
    except TimeoutError as exc:
        result = HttpResult(url, "timed_out", error=message_of(exc) or _("no answer within {seconds:.1f} s",
                                                                                 seconds=timeout))
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, ssl.SSLError):
            result = HttpResult(url, "tls", error=str(reason))
        elif isinstance(reason, TimeoutError):
            result = HttpResult(url, "timed_out", error=_("no answer within {seconds:.1f} s", seconds=timeout))
        else:
            result = HttpResult(url, "unreachable", error=str(reason))
    except OSError as exc:  # a connection reset mid-answer
        result = HttpResult(url, "unreachable", error=redact_text(str(exc)))
    except Exception as exc:  # http.client's InvalidURL, a malformed status line, ...: never a crash
        result = HttpResult(url, "error", error=redact_text(f"{type(exc).__name__}: {exc}"))
    return HttpResult(result.url, result.status, result.code, result.final_url, result.body, result.error,
                      round(time.monotonic() - start, 3), result.content_type, result.content_range,
                      result.truncated)

