"""Policy gates: ``--require EXPR`` and ``--policy FILE`` turn "this machine must have ..." into findings.

An expression is ``KEY OP VALUE``: ``torch>=2.5``, ``cuda>=12.4`` (the CUDA torch was compiled for),
``driver>=535``, ``gpus>=8``, ``gpu-arch>=sm_80``, ``cudnn>=9``, ``nccl>=2.20``, ``python>=3.10``,
``variant=cu126``, ``tflops.bf16>=600``. Versions are read by :mod:`envdoctor.compat`'s one parser for
each kind (``parse_version``, ``parse_driver``, ``parse_cc``) and compare only as many parts as the
requirement names: ``python==3.10`` holds for 3.10.12 and ``driver>=535`` for 535.104.05. A value
with one entry per GPU or device (``gpu-arch``, ``tflops.*``) must hold for every one of them.

A requirement is met, unmet (an error finding naming it and the actual value) or unknown (also an
error: a gate that cannot be checked is not passed), e.g. ``nccl`` in ``check``, which never imports
torch: the message says that ``--verify`` measures it.

Pure: expressions, facts and verify checks in; results and findings out. The policy file's text is
read by the caller through the door.
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field, replace
from typing import TYPE_CHECKING, Any

from packaging.version import Version

from envdoctor import compat
from envdoctor.datatypes import datatype
from envdoctor.facts import Check, Facts, Finding
from envdoctor.i18n import _, message_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    from envdoctor.recipes import Recipes

#: The largest policy file read: a real one is a few lines.
POLICY_FILE_LIMIT = 1024 * 1024
OPERATORS = (">=", "<=", "==", "!=", ">", "<", "=")
#: dtype spellings accepted after ``tflops.``, and the verify check they read (``DEV.perf.matmul.DTYPE``).
TFLOPS_DTYPES = {"bf16": "bfloat16", "bfloat16": "bfloat16", "fp16": "float16", "float16": "float16",
                 "fp32": "float32", "float32": "float32", "tf32": "tf32"}
#: What each key compares, for messages and ``--help``.
KEYS = {
    "torch": "the torch version",
    "cuda": "the CUDA version torch was compiled for",
    "driver": "the NVIDIA driver version",
    "gpus": "the number of GPUs (torch's count with verify)",
    "gpu-arch": "every NVIDIA GPU's compute capability",
    "cudnn": "the cuDNN torch loads",
    "nccl": "the NCCL torch loads",
    "python": "the target Python version",
    "variant": "the torch build variant (cu126, cpu, rocm6.4, ...)",
    "tflops.DTYPE": "measured matmul TFLOP/s on every accelerator (bf16, fp16, fp32, tf32)",
}
_KEY = re.compile(r"[a-z][a-z0-9-]*(?:\.[a-z0-9]+)?", re.ASCII)
_VARIANT = re.compile(r"[a-z][a-z0-9.]*", re.ASCII)
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_PATTERN = re.compile(r"[a-z0-9.*?-]+", re.ASCII)
EXAMPLES = "torch>=2.5, cuda>=12.4, driver>=535, gpus>=8, gpu-arch>=sm_80, variant=cu126, tflops.bf16>=600"


class PolicyError(ValueError):
    """A requirement or policy file that cannot be read; the message points at the bad part."""


@datatype(frozen=True)
class Requirement:
    """One parsed expression, as written and in parts."""

    text: str
    key: str
    op: str  # ">=", "<=", ">", "<", "==", "!=" ("=" is read as "==")
    value: str
    origin: str = "--require"  # or the policy file's name


@datatype(frozen=True)
class Policy:
    requirements: tuple[Requirement, ...] = ()
    warnings_as_errors: tuple[str, ...] = ()  # finding-id patterns (fnmatch); "*" is every warning
    origin: str = ""


def _pointer(text: str, start: int, end: int, problem: str) -> PolicyError:
    """An error whose second and third lines show the expression with carets under the bad part."""
    width = max(1, end - start)
    return PolicyError(_("{expression}: {problem}{pointer}", expression=repr(text), problem=problem,
                         pointer=f"\n  {text}\n  {' ' * start}{'^' * width}"))


def parse_requirement(text: str, origin: str = "--require") -> Requirement:
    """``KEY OP VALUE`` (spaces allowed around the operator); raises PolicyError pointing at the bad part."""
    stripped = text.strip()
    lead = len(text) - len(text.lstrip())
    match = re.match(r"\s*([^<>=!\s]*)\s*", text)
    key = match.group(1) if match else ""
    key_end = lead + len(key)
    if not key:
        raise _pointer(text, lead, lead + 1, _("no key before the operator (e.g. {examples})", examples=EXAMPLES))
    if not _KEY.fullmatch(key) or _key_kind(key) is None:
        raise _pointer(text, lead, key_end, _("unknown key {key}; known: {known}", key=repr(key), known=", ".join(KEYS)))
    rest_start = match.end() if match else key_end
    op = next((candidate for candidate in OPERATORS if text.startswith(candidate, rest_start)), None)
    if op is None:
        raise _pointer(text, rest_start, rest_start + 1, _("expected an operator ({operators}) after {key}",
                                                                           operators=" ".join(OPERATORS), key=repr(key)))
    value_start = rest_start + len(op)
    value = text[value_start:].strip()
    value_start += len(text[value_start:]) - len(text[value_start:].lstrip())
    value_end = value_start + len(value)
    op = "==" if op == "=" else op
    if not value:
        raise _pointer(text, value_start, value_start + 1, _("no value after {op}", op=repr(op)))
    problem = _value_problem(key, op, value)
    if problem:
        raise _pointer(text, value_start, value_end, problem)
    return Requirement(stripped, key, op, value, origin)


def _key_kind(key: str) -> str | None:
    """How a key's values compare: version, driver, arch, count, number, word; None for an unknown key."""
    if key.startswith("tflops."):
        return "number" if key.split(".", 1)[1] in TFLOPS_DTYPES else None
    return {"torch": "version", "cuda": "version", "cudnn": "version", "nccl": "version", "python": "version",
            "driver": "driver", "gpu-arch": "arch", "gpus": "count", "variant": "word"}.get(key)


def _value_problem(key: str, op: str, value: str) -> str | None:
    kind = _key_kind(key)
    if kind == "version":
        parsed = compat.parse_version(value)
        if parsed is None or parsed.local or parsed.is_prerelease or parsed.is_postrelease:
            return _("{value} is not a plain version such as {example}", value=repr(value),
                     example="2.5" if key == "torch" else "12.4")
    elif kind == "driver":
        if compat.parse_driver(value) is None:
            return _("{value} is not a driver version such as 535 or 535.104.05", value=repr(value))
    elif kind == "arch":
        arch = compat.parse_cc(value)
        if arch is None or arch.suffix or value.strip().lower().startswith("compute_"):
            return _("{value} is not a compute capability such as sm_80 or 8.0", value=repr(value))
    elif kind == "count":
        if compat.parse_count(value) is None:
            return _("{value} is not a whole number of GPUs", value=repr(value))
    elif kind == "number":
        if not _NUMBER.fullmatch(value) or compat.has_long_number(value):
            return _("{value} is not a number of TFLOP/s such as 600", value=repr(value))
    elif kind == "word":
        if op not in ("==", "!="):
            return _("a variant compares only with = or != (not {op})", op=op)
        if not _VARIANT.fullmatch(value):
            return _("{value} is not a variant name such as cu126, cpu or rocm6.4", value=repr(value))
    return None


def parse_policy(text: str, origin: str) -> Policy:
    """A policy file (TOML)::

        require = ["torch>=2.5", "gpus>=8"]
        warnings-as-errors = ["torch.cuda-minor-newer-than-driver", "nvidia.*"]   # "*": every warning

    Raises PolicyError naming the file and what is wrong.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(_("{origin}: not valid TOML: {error}", origin=origin, error=str(exc)))
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        raise PolicyError(_("{origin}: not a policy file: its arrays or tables are nested too deeply to read", origin=origin))
    unknown = sorted(set(data) - {"require", "warnings-as-errors"})
    if unknown:
        raise PolicyError(_("{origin}: unknown key(s) {keys} (known: require, warnings-as-errors)", origin=origin,
                              keys=", ".join(unknown)))
    requirements = []
    for position, entry in enumerate(_strings(data.get("require", []), origin, "require")):
        try:
            requirements.append(parse_requirement(entry, origin))
        except PolicyError as exc:
            raise PolicyError(_("{origin}: require[{position}]: {error}", origin=origin, position=position,
                                  error=message_of(exc)))
    patterns = _strings(data.get("warnings-as-errors", []), origin, "warnings-as-errors")
    for pattern in patterns:
        if not _PATTERN.fullmatch(pattern):
            raise PolicyError(_("{origin}: warnings-as-errors: {pattern} is not a finding id or pattern "
                                "such as 'nvidia.*'", origin=origin, pattern=repr(pattern)))
    return Policy(tuple(requirements), tuple(patterns), origin)


def _strings(value: Any, origin: str, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
        raise PolicyError(_("{origin}: {name} must be a list of non-empty strings", origin=origin, name=repr(name)))
    return list(value)


# ---------------------------------------------------------------------------- what the machine has


@datatype(frozen=True)
class Observed:
    """One value as envdoctor knows it: ``values`` (one per GPU or device where that applies), the
    text shown as the actual value, and where it came from. ``unknown`` says why it could not be
    known; ``values == ()`` with no ``unknown`` means known to be absent ("none")."""

    values: tuple[str, ...] = ()
    text: str = "none"
    source: str = ""
    unknown: str = ""


def _known(value: object, source: str, text: str | None = None) -> Observed:
    return Observed((str(value),), text or str(value), source)


def _none(text: str, source: str) -> Observed:
    return Observed((), text, source)


def _unknown(reason: str) -> Observed:
    return Observed((), "unknown", "", reason)


def cudnn_text(number: object) -> str | None:
    """``torch.backends.cudnn.version()`` as a version: 8902 -> 8.9.2 (cuDNN 8: MAJOR*1000 + MINOR*100
    + PATCH), 90100 -> 9.1.0 (cuDNN 9 on: MAJOR*10000 + MINOR*100 + PATCH), as cudnn_version.h defines
    CUDNN_VERSION."""
    if isinstance(number, bool) or not isinstance(number, int) or number <= 0:
        return None
    major, rest = (number // 10000, number % 10000) if number >= 10000 else (number // 1000, number % 1000)
    return f"{major}.{rest // 100}.{rest % 100}"


def _by_id(checks: Iterable[Check]) -> dict[str, Check]:
    return {check.id: check for check in checks}


def observe(facts: Facts | None, checks: Sequence[Check] = (), recipes: Recipes | None = None) -> dict[str, Observed]:
    """Every key's value: from verify's checks where torch ran, else from the probes (which never
    import torch), else unknown with the reason."""
    facts = facts or Facts()
    found = _by_id(checks)
    ran = bool(checks)
    build = found["build"].details if "build" in found and found["build"].status == "pass" else None
    devices = found["devices"].details if "devices" in found else None
    never = _("the smoke test never reported torch's build")
    torch = facts.torch
    torch_known = torch.status == "ok" and torch.version
    values: dict[str, Observed] = {}

    if build is not None:
        values["torch"] = _known(build.get("torch"), "torch.__version__ (verify)")
    elif torch_known:
        values["torch"] = _known(torch.version, _("installed torch ({source})", source=torch.source or "dist-info"))
    else:
        values["torch"] = _unknown(never) if ran else _absent_torch(torch.status)

    if build is not None:
        cuda = build.get("cuda")
        values["cuda"] = _known(cuda, "torch.version.cuda (verify)") if cuda else _none(
            _("none (torch is not a CUDA build)"), "torch.version.cuda (verify)")
    elif torch_known:
        values["cuda"] = _known(torch.cuda, "torch/version.py") if torch.cuda else _none(
            _("none (torch is not a CUDA build)"), "torch/version.py")
    else:
        values["cuda"] = values["torch"] if values["torch"].unknown else _none(_("none (torch is not installed)"), "")

    values["driver"] = _driver(facts)
    values["gpus"] = _gpus(facts, devices)
    values["gpu-arch"] = _gpu_arch(facts, devices, recipes)
    values["cudnn"] = _library(build, torch_known, facts, "cudnn", ran)
    values["nccl"] = _library(build, torch_known, facts, "nccl", ran)

    if build is not None and build.get("python"):
        values["python"] = _known(build["python"], "platform.python_version() (verify)")
    elif facts.python.version:
        values["python"] = _known(facts.python.version, _("target interpreter ({path})", path=facts.python.executable or "?"))
    else:
        values["python"] = _unknown(_("the target interpreter did not answer"))

    values["variant"] = _variant(facts, build, recipes, values["torch"])
    for alias, dtype in TFLOPS_DTYPES.items():
        values[f"tflops.{alias}"] = _tflops(checks, dtype, ran)
    return values


def _absent_torch(status: str) -> Observed:
    if status == "absent":
        return _none(_("none (torch is not installed)"), _("target interpreter"))
    return _unknown(_("torch is not described") if status == "unknown" else _("the torch probe failed ({status})", status=status))


def _driver(facts: Facts) -> Observed:
    nvidia = facts.nvidia
    if nvidia.driver_version:
        return _known(nvidia.driver_version, nvidia.source or "nvidia-smi")
    if nvidia.status in ("no_driver", "no_gpu"):
        return _none(_("none (no NVIDIA driver)"), _("probes"))
    return _unknown(_("the NVIDIA driver could not be read ({status})", status=nvidia.status.replace("_", " ")))


def _gpus(facts: Facts, devices: Mapping[str, Any] | None) -> Observed:
    if devices is not None:
        seen = sum(compat.parse_count((devices.get(kind) or {}).get("count") or 0) or 0 for kind in ("cuda", "xpu", "mps"))
        return _known(seen, _("torch device count (verify)"))
    nvidia = facts.nvidia
    if nvidia.status in ("timed_out", "error", "gpus_unknown", "driver_mismatch", "unknown"):
        return _unknown(_("the NVIDIA GPUs could not be listed ({status})", status=nvidia.status.replace("_", " ")))
    count = nvidia.cuda_visible_count if nvidia.cuda_visible_count is not None else len(nvidia.visible_gpus())
    count += len(facts.rocm.gpus) + len(facts.xpu.devices) + (1 if facts.apple.mps_possible else 0)
    return _known(count, _("probes (CUDA_VISIBLE_DEVICES applied)"))


def _gpu_arch(facts: Facts, devices: Mapping[str, Any] | None, recipes: Recipes | None) -> Observed:
    cuda = (devices or {}).get("cuda") or {}
    if devices is not None and cuda.get("kind", "cuda") == "cuda" and cuda.get("devices"):
        arches = [compat.sm_name(str(device.get("capability"))) for device in cuda["devices"]]
        source = "torch.cuda.get_device_properties (verify)"
    else:
        gpus = facts.nvidia.visible_gpus()
        if not gpus:
            if facts.nvidia.status in ("timed_out", "error", "gpus_unknown", "unknown"):
                return _unknown(_("the NVIDIA GPUs could not be listed"))
            return _none(_("none (no NVIDIA GPU)"), _("probes"))
        arches = [compat.sm_name(compat.gpu_capability(gpu, recipes)) for gpu in gpus]
        source = facts.nvidia.source or _("probes")
    if any(arch is None for arch in arches):
        return _unknown(_("a GPU's compute capability is not known"))
    known = tuple(arch for arch in arches if arch)
    return Observed(known, ", ".join(known), source)


def _library(build: Mapping[str, Any] | None, torch_known: Any, facts: Facts, name: str, ran: bool) -> Observed:
    """cuDNN or NCCL as torch loads them: torch's own answer with verify; without it, the
    ``nvidia-cudnn-cu*`` / ``nvidia-nccl-cu*`` pip package that a pip torch loads."""
    label = {"cudnn": "cuDNN", "nccl": "NCCL"}[name]
    if build is not None:
        raw = build.get(name)
        text = cudnn_text(raw) if name == "cudnn" else (str(raw) if raw else None)
        if text:
            return _known(text, f"torch {'backends.cudnn.version()' if name == 'cudnn' else 'cuda.nccl.version()'} (verify)")
        return _none(_("none (torch reports no {library})", library=label), "verify")
    if ran:
        return _unknown(_("the smoke test never reported torch's build"))
    package = next((p for p in facts.torch.nvidia_packages if p.name.startswith(f"nvidia-{name}-cu")), None)
    if package is not None:
        return _known(package.version, _("pip package {package}", package=package.name))
    if torch_known and not facts.torch.cuda:
        return _none(_("none (torch is not a CUDA build)"), "torch/version.py")
    return _unknown(_("the {library} torch loads is known only by importing torch: add --verify (or use `envdoctor verify`)",
                      library=label))


def _variant(facts: Facts, build: Mapping[str, Any] | None, recipes: Recipes | None, torch: Observed) -> Observed:
    """The local version label (``+cu126``); else what torch's build says (verify), else the release's
    default wheel for this platform (a plain ``2.5.1`` from PyPI is that build)."""
    if torch.unknown:
        return torch
    if not torch.values:
        return _none(torch.text, torch.source)
    version = compat.parse_version(torch.values[0])
    if version is not None and version.local:
        return _known(version.local, _("torch's local version label"))
    if build is not None:
        cuda, hip = compat.cuda_variant(build.get("cuda")), compat.rocm_variant(build.get("hip"))
        if cuda:
            return _known(cuda, "torch.version.cuda (verify)")
        if hip:
            return _known(hip, "torch.version.hip (verify)")
        return _known("xpu" if build.get("xpu") else "cpu", "torch.version (verify)")
    name = compat.installed_variant_name(facts, recipes)
    if name:
        return _known(name, _("the release's default wheel for this platform (recipes)"))
    return _unknown(_("the variant of this torch is not known (no local version label)"))


def _tflops(checks: Sequence[Check], dtype: str, ran: bool) -> Observed:
    if not ran:
        return _unknown(_("measured only by verify: add --verify (or use `envdoctor verify`)"))
    measured = {check.id.split(".perf.")[0]: check.metrics["tflops"] for check in checks
                if check.id.endswith(f".perf.matmul.{dtype}") and isinstance(check.metrics.get("tflops"), (int, float))}
    accelerators = {device: value for device, value in measured.items() if device != "cpu"}
    chosen = accelerators or measured
    if not chosen:
        return _unknown(_("verify measured no {dtype} matmul", dtype=dtype))
    text = ", ".join(f"{device} {value:g}" for device, value in chosen.items())
    return Observed(tuple(str(value) for value in chosen.values()), text, _("{dtype} matmul (verify)", dtype=dtype))


# ---------------------------------------------------------------------------- judging


@datatype
class RequirementResult:
    """The verdict on one requirement (the report's ``requirements`` list)."""

    requirement: str  # as written, e.g. "torch>=2.5"
    key: str
    op: str
    expected: str
    status: str  # "met" | "unmet" | "unknown"
    actual: str | None  # what the machine has, as shown; None when unknown
    source: str = ""
    origin: str = "--require"
    message: str = ""
    reason: str = ""  # why the value is not known (status "unknown")
    evidence: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool:
        return self.status == "met"


def _release(version: Version, length: int) -> tuple[int, ...]:
    parts = tuple(version.release[:length])
    return parts + (0,) * (length - len(parts))


def _compare(left: Any, op: str, right: Any) -> bool:
    return bool({">=": left >= right, "<=": left <= right, ">": left > right, "<": left < right,
                 "==": left == right, "!=": left != right}[op])


def _holds(key: str, op: str, expected: str, actual: str) -> bool | None:
    """Whether one actual value meets the requirement; None when the actual value cannot be read."""
    kind = _key_kind(key)
    if kind in ("version", "driver"):
        parse = compat.parse_driver if kind == "driver" else compat.parse_version
        want, have = parse(expected), parse(actual)
        if want is None or have is None:
            return None
        length = len(want.release)
        return _compare(_release(have, length), op, _release(want, length))
    if kind == "arch":
        want_arch, have_arch = compat.parse_cc(expected), compat.parse_cc(actual)
        if want_arch is None or have_arch is None:
            return None
        return _compare((have_arch.major, have_arch.minor), op, (want_arch.major, want_arch.minor))
    if kind in ("count", "number"):
        try:
            return _compare(float(actual), op, float(expected))
        except ValueError:
            return None
    return _compare(actual.strip().lower(), op, expected.strip().lower())


def evaluate(requirements: Iterable[Requirement], observed: Mapping[str, Observed]) -> list[RequirementResult]:
    """One result per requirement, in order."""
    results = []
    for requirement in requirements:
        seen = observed.get(requirement.key) or _unknown(_("not observed"))
        result = RequirementResult(requirement.text, requirement.key, requirement.op, requirement.value, "unknown",
                                   None, seen.source, requirement.origin)
        if seen.unknown:
            result.reason = seen.unknown
            result.message = _("{requirement}: {key} is not known: {reason}", requirement=requirement.text,
                               key=requirement.key, reason=seen.unknown)
        elif not seen.values:
            result.status, result.actual = "unmet", seen.text
            result.message = _("{requirement} is not met: {key} is {actual}", requirement=requirement.text,
                               key=requirement.key, actual=seen.text)
        else:
            verdicts = [_holds(requirement.key, requirement.op, requirement.value, value) for value in seen.values]
            result.actual = seen.text
            if any(verdict is None for verdict in verdicts):
                result.reason = _("{actual} cannot be compared", actual=repr(str(seen.text)))
                result.message = _("{requirement}: {key} is {actual}, which cannot be compared",
                                   requirement=requirement.text, key=requirement.key, actual=repr(str(seen.text)))
            else:
                result.status = "met" if all(verdicts) else "unmet"
                if result.met:
                    result.message = _("{requirement} is met: {key} is {actual}", requirement=requirement.text,
                                       key=requirement.key, actual=seen.text)
                else:
                    result.message = _("{requirement} is not met: {key} is {actual}", requirement=requirement.text,
                                       key=requirement.key, actual=seen.text)
        if seen.source:
            result.evidence.append(_("{key} from {source}", key=requirement.key, source=seen.source))
        if requirement.origin != "--require":
            result.evidence.append(_("required by {origin}", origin=requirement.origin))
        results.append(result)
    return results


def findings(results: Iterable[RequirementResult]) -> list[Finding]:
    """An error finding for each requirement not met or not known."""
    out = []
    for result in results:
        if result.met:
            continue
        finding_id = "policy.requirement-unmet" if result.status == "unmet" else "policy.requirement-unknown"
        fix = (_("measure it: add --verify to check, or run `envdoctor verify`") if "add --verify" in result.message
               else _("change the machine or the requirement"))
        out.append(Finding(finding_id, "error", "policy", result.message, subject="policy", fix=fix,
                           evidence=list(result.evidence)))
    return out


def escalate_warnings(found: Iterable[Finding], patterns: Sequence[str], origin: str) -> list[Finding]:
    """Warnings whose id matches a pattern become errors (the evidence says which policy did it)."""
    out = []
    for finding in found:
        if finding.severity == "warning" and any(fnmatch.fnmatchcase(finding.id, p) for p in patterns):
            finding = replace(finding, severity="error",
                              evidence=[*finding.evidence, _("a warning counted as an error by {origin}", origin=origin)])
        out.append(finding)
    return out
