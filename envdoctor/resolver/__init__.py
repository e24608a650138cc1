"""Pick the torch build for a machine and say how to install it: pure, ``resolve(facts, request, recipes) -> Plan``.

:mod:`.choose` decides (which release and variant, from where, what changes) among the candidates
:mod:`.candidates` checks against the machine, :mod:`.alternatives` says what would fit and why not a newer
release, :mod:`.commands` writes the pip / uv / conda / mamba commands that carry the decision out, :mod:`.plan`
holds the request and the plan.
"""

from envdoctor.resolver.choose import resolve
from envdoctor.resolver.plan import DEFAULT_REQUIREMENTS, MANAGERS, Plan, Request, ResolveError, torch_family

__all__ = ["DEFAULT_REQUIREMENTS", "MANAGERS", "Plan", "Request", "ResolveError", "resolve", "torch_family"]
