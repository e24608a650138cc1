"""What else there is: why a newer torch does not fit this machine (``plan.limits``), and what would fit when
nothing does (``plan.alternatives``), both read from the failures of the candidates checked."""

from __future__ import annotations

from typing import Any

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from envdoctor import compat
from envdoctor.i18n import _, joined
from envdoctor.resolver.candidates import _Candidate, _Failure, _Machine, _rank

# ---------------------------------------------------------------------------- why not a newer torch


def _limits(candidates: list[_Candidate], chosen: _Candidate, machine: _Machine,
            specs: dict[str, SpecifierSet]) -> list[dict[str, str]]:
    """Why the plan's torch is not the newest release: what holds the newest one back, and what caps the
    plan below the release just above it when that is something else."""
    newer = [c for c in candidates if c.release.parsed > chosen.release.parsed
             and not any(f.kind in ("accelerator", "variant") for f in c.failures)]
    if not newer:
        return []
    out: list[dict[str, str]] = []
    releases = sorted({c.release.parsed for c in newer}, reverse=True)
    for version in dict.fromkeys([releases[0], releases[-1]]):
        pool = [c for c in newer if c.release.parsed == version]
        # of builds held back by as many things, one with kernels for every GPU says what would let the release in
        # (a newer driver, say); one without them only that some other build of it has none; then one that fits the
        # driver fully, whatever order the data lists the builds in
        best = min(pool, key=lambda c: (len({f.kind for f in c.failures}), any(f.kind == "kernels" for f in c.failures),
                                        not c.fits_fully()))
        if not best.failures:
            continue  # it fits: only a kept install stands in its way, which the plan says itself
        kind = _main_kind(best)
        if any(item["kind"] == kind for item in out):
            continue
        message = _limit_message(kind, best, chosen, newer, machine, specs)
        out.append({"kind": kind, "newest": best.release.version, "message": message})
    return out


_KIND_ORDER = ("spec", "companion", "python", "platform", "glibc", "macos", "kernels", "driver")


def _main_kind(candidate: _Candidate) -> str:
    kinds = {f.kind for f in candidate.failures}
    return next((k for k in _KIND_ORDER if k in kinds), sorted(kinds)[0] if kinds else "spec")


def _python_span(needs: str) -> str:
    """'3.11, 3.12, 3.13, 3.14t' -> '3.11 to 3.13' (free-threaded builds left out of the span)."""
    versions = sorted(v for v in (compat.parse_version(p.strip()) for p in needs.split(",") if not p.strip().endswith("t"))
                       if v is not None)
    if not versions:
        return needs or _("another version")
    return str(versions[0]) if len(versions) == 1 else _("{first} to {last}", first=versions[0], last=versions[-1])


def _limit_message(kind: str, best: _Candidate, chosen: _Candidate, newer: list[_Candidate], machine: _Machine,
                   specs: dict[str, SpecifierSet]) -> str:
    version, plan = best.release.version, chosen.release.version
    failure = next(f for f in best.failures if f.kind == kind)
    if kind == "driver":
        driver = _("your driver {driver} supports CUDA {cuda}", driver=machine.driver, cuda=machine.driver_cuda) \
            if machine.driver else _("the NVIDIA driver is not known")
        return _("torch {plan}, not {version}: {driver}; {reach}", plan=plan, version=version, driver=driver,
                 reach=_driver_reach(newer, failure))
    if kind == "python":
        every_newer = all(any(f.kind == "python" for f in c.failures) for c in newer)
        if every_newer and machine.python:
            return _("Python {python}: torch {plan} is the last release for it (torch {version} needs Python {span})",
                     python=machine.python, plan=plan, version=version, span=_python_span(failure.needs))
        return _("torch {plan}, not {version}: {reason}", plan=plan, version=version, reason=failure.reason)
    if kind == "spec" and " has no matching " in failure.reason:
        name = failure.reason.rsplit(" ", 2)[-2]
        gap = sorted({c.release.parsed for c in newer
                      if any(f.kind == "spec" and f" no matching {name} " in f.reason + " " for f in c.failures)})
        span = f"{gap[0]}" if len(gap) == 1 else _("{first} to {last}", first=gap[0], last=gap[-1])
        return _("capped at torch {plan} because {name} has no release for torch {span}", plan=plan, name=name,
                 span=span)
    if kind == "spec":
        asked = ", ".join(f"{name}{spec}" for name, spec in specs.items() if str(spec))
        return _("torch {plan}, not {version}: your request '{asked}' excludes it", plan=plan, version=version,
                 asked=asked)
    if kind == "companion":
        return _("capped at torch {plan} because {reason}", plan=plan, reason=failure.reason)
    if kind == "kernels":
        return _("torch {plan}, not {version}: torch {version} has no kernels for your GPU ({needs})", plan=plan,
                 version=version, needs=failure.needs or failure.reason)
    return _("torch {plan}, not {version}: {reason}", plan=plan, version=version, reason=failure.reason)


def _driver_need(candidate: _Candidate) -> Version | None:
    """The oldest driver that lifts every one of a candidate's failures (None: not all are the driver's)."""
    if {f.kind for f in candidate.failures} != {"driver"}:
        return None
    needs = [compat.parse_driver(f.needs) for f in candidate.failures]
    return None if any(n is None for n in needs) else max(n for n in needs if n is not None)


def _driver_reach(newer: list[_Candidate], failure: _Failure) -> str:
    """What a driver upgrade buys: the newest release it reaches, its driver, and what holds the next one back."""
    reachable = [(c, need) for c in newer for need in [_driver_need(c)] if need is not None]
    if not reachable:
        return failure.reason
    top = max(c.release.parsed for c, _need in reachable)
    need = min(n for c, n in reachable if c.release.parsed == top)
    release = next(c.release.version for c, _need in reachable if c.release.parsed == top)
    message = _("upgrade the driver to >= {driver} for torch up to {release}", driver=need, release=release)
    beyond = [c for c in newer if c.release.parsed > top and c.failures]  # what holds a newer release back
    if beyond:
        first = min(c.release.parsed for c in beyond)
        blocked = min((c for c in beyond if c.release.parsed == first), key=lambda c: len({f.kind for f in c.failures}))
        cause = next(f for f in blocked.failures if f.kind == _main_kind(blocked))
        if cause.kind == "kernels" and cause.needs:
            return _("upgrade the driver to >= {driver} for torch up to {release} (torch {blocked} has no kernels for "
                     "{sm})", driver=need, release=release, blocked=blocked.release.version, sm=cause.needs)
        return _("upgrade the driver to >= {driver} for torch up to {release} (torch {blocked} {reason})", driver=need,
                 release=release, blocked=blocked.release.version, reason=cause.reason)
    return message


# ---------------------------------------------------------------------------- when nothing fits


def _driver_alternatives(items: list[_Candidate]) -> list[dict[str, Any]]:
    """The driver that runs the newest release, and the smallest upgrade that runs any release."""
    def needs(candidate: _Candidate) -> Version:
        needed = max((compat.parse_driver(f.needs) for f in candidate.failures), key=lambda v: v or Version("0"))
        return needed or Version("0")

    known = [c for c in items if needs(c) > Version("0")]
    if not known:
        return [{"change": "driver", "message": items[0].failures[0].reason}]
    newest = known[0].release.parsed
    for_newest = min((c for c in known if c.release.parsed == newest), key=needs)
    smallest_needed = min(needs(c) for c in known)
    smallest = max((c for c in known if needs(c) == smallest_needed), key=lambda c: c.release.parsed)
    out = []
    for candidate in [for_newest] + ([smallest] if smallest is not for_newest else []):
        needed = str(needs(candidate))
        out.append({"change": "driver", "needs": needed, "torch": candidate.release.version,
                    "variant": candidate.variant.name,
                    "message": _("upgrade the NVIDIA driver to >= {driver} for torch {torch} with {variant}",
                                 driver=needed, torch=candidate.release.version, variant=candidate.variant.name)})
    return out


def _alternatives(candidates: list[_Candidate], machine: _Machine) -> list[dict[str, Any]]:
    """What would fit: candidates that fail on exactly one kind of check, newest first.

    A build for another kind of accelerator is never offered (an AMD machine is not told to install a
    CUDA build): only the CPU build, which runs everywhere.
    """
    by_kind: dict[str, list[_Candidate]] = {}
    for candidate in candidates:
        kinds = {f.kind for f in candidate.failures}
        if len(kinds) == 1:
            by_kind.setdefault(kinds.pop(), []).append(candidate)
    out: list[dict[str, Any]] = []
    for items in by_kind.values():
        items.sort(key=lambda c: (c.release.parsed, _rank(c)), reverse=True)
    if "driver" in by_kind:
        out.extend(_driver_alternatives(by_kind["driver"]))
    if "spec" in by_kind:
        best = by_kind["spec"][0]
        kernel_failures = [f for c in candidates for f in c.failures if f.kind == "kernels"]
        if kernel_failures:
            message = _("torch <= {torch} supports your GPU ({sm}) with {variant}; the request excludes it ({why})",
                        torch=best.release.version, sm=kernel_failures[0].needs, variant=best.variant.name,
                        why=joined(f.reason for f in best.failures))
        else:
            message = _("torch {torch} with {variant} is the newest release that fits this machine; the request "
                        "excludes it ({why})", torch=best.release.version, variant=best.variant.name,
                        why=joined(f.reason for f in best.failures))
        out.append({"change": "torch", "torch": best.release.version, "variant": best.variant.name,
                    "message": message})
    for kind in ("python", "companion"):
        if kind in by_kind:
            best = by_kind[kind][0]
            needs = best.failures[0].needs or ", ".join(best.release.python.get(machine.platform or "", ()))
            if machine.implementation not in (None, "cpython"):
                message = _("torch {torch} has wheels for CPython {needs} only; this is {implementation} {python}: use "
                            "a CPython interpreter", torch=best.release.version, needs=needs,
                            implementation=machine.implementation, python=machine.python)
            else:
                message = _("torch {torch} needs Python {needs}; this is Python {python} ({reason})",
                            torch=best.release.version, needs=needs, python=machine.python,
                            reason=best.failures[0].reason)
            out.append({"change": "python", "torch": best.release.version, "variant": best.variant.name,
                        "needs": needs, "message": message})
            break
    for kind, label in (("glibc", "glibc"), ("macos", "macOS")):
        if kind in by_kind:
            best = by_kind[kind][0]
            out.append({"change": kind, "torch": best.release.version, "variant": best.variant.name,
                        "needs": best.failures[0].needs,
                        "message": _("torch {torch} needs {label} >= {needs}", torch=best.release.version, label=label,
                                     needs=best.failures[0].needs)})
    cpu = [c for c in by_kind.get("accelerator", []) + by_kind.get("variant", []) if c.variant.kind == "cpu"]
    if cpu:
        best = cpu[0]
        out.append({"change": "variant", "torch": best.release.version, "variant": best.variant.name,
                    "message": _("--variant cpu installs torch {torch} without the GPU", torch=best.release.version)})
    if not out:
        reasons = sorted({f.reason for c in candidates for f in c.failures if f.kind in ("platform", "kernels")})
        out.append({"change": "none", "message": reasons[0] if reasons else _("no torch build exists for this machine")})
    return out
