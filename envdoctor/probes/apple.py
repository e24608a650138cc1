"""Apple silicon and whether torch's MPS backend can run.

MPS needs an arm64 (native, not Rosetta 2) Python on macOS 12.3 or newer. Which torch releases
still ship wheels for a given macOS is the resolver's business (recent ones need macOS 14).
"""

from __future__ import annotations

from envdoctor import compat
from envdoctor.facts import AppleFacts
from envdoctor.i18n import _
from envdoctor.probes import ProbeContext


def probe(ctx: ProbeContext) -> AppleFacts:
    """MPS availability for the target interpreter; never raises.

    The architecture is the one the target interpreter reports (pyinfo's ``machine``): an x86_64
    Python under Rosetta 2 cannot use MPS even when envdoctor itself runs natively. Only when the
    interpreter did not answer does envdoctor's own platform stand in, and the source says so.
    """
    plat = ctx.door.platform()
    if plat.system != "Darwin":
        return AppleFacts(reason=_("not macOS"))
    macos = plat.mac_ver or None
    _result, pyinfo = ctx.pyinfo()
    target_machine = pyinfo.get("machine") if pyinfo else None
    if target_machine:
        machine, source = target_machine, _("target interpreter (pyinfo machine), platform mac_ver")
    else:
        machine, source = plat.machine, _("platform (machine, mac_ver): the target interpreter did not answer")
    arch = "arm64" if machine.lower() in ("arm64", "aarch64") else machine.lower()
    possible, reason = compat.mps_possible(f"macos-{arch}", macos)
    return AppleFacts(
        apple_silicon="arm64" in (plat.machine.lower(), machine.lower()),
        macos_version=macos,
        mps_possible=possible,
        reason=reason,
        source=source,
    )
