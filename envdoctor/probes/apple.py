"""Apple silicon and whether torch's MPS backend can run.

MPS needs an arm64 (native, not Rosetta 2) Python on macOS 12.3 or newer. Which torch releases
still ship wheels for a given macOS is the resolver's business (recent ones need macOS 14).
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from envdoctor.facts import AppleFacts
from envdoctor.probes import ProbeContext

MPS_MIN_MACOS = "12.3"


def mps_verdict(machine: str, macos_version: str | None) -> tuple[bool, str]:
    """(possible, reason) for MPS from the interpreter's architecture and the macOS version."""
    if machine.lower() != "arm64":
        return False, (
            f"this Python runs as {machine}: MPS needs an Apple silicon Mac and a native arm64 Python "
            "(an x86_64 Python under Rosetta 2 cannot use it)"
        )
    if not macos_version:
        return False, "the macOS version is unknown"
    try:
        new_enough = Version(macos_version) >= Version(MPS_MIN_MACOS)
    except InvalidVersion:
        return False, f"macOS version {macos_version!r} cannot be read"
    if not new_enough:
        return False, f"macOS {macos_version} is older than {MPS_MIN_MACOS}, the first with MPS"
    return True, ""


def probe(ctx: ProbeContext) -> AppleFacts:
    """MPS availability from platform facts; nothing is run; never raises."""
    plat = ctx.door.platform()
    if plat.system != "Darwin":
        return AppleFacts(reason="not macOS")
    macos = plat.mac_ver or None
    possible, reason = mps_verdict(plat.machine, macos)
    return AppleFacts(
        apple_silicon=plat.machine.lower() == "arm64",
        macos_version=macos,
        mps_possible=possible,
        reason=reason,
        source="platform (machine, mac_ver)",
    )
