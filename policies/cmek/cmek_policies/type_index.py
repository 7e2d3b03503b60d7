"""Hand each resource only the policies for its type (pulumi-policy 1.21.0).

The Python SDK has no typed filtering: `_PolicyAnalyzerServicer.Analyze` prepares every resource
policy for every resource (enforcement level, violation callback, options, provider, a copy of the
config, the args object) before the policy can look at the type. With ~30 policies that set-up was
most of the pack's per-resource cost, against a one-rule pack. Every policy built by
`rules.resource_policy` declares its types and returns at once for any other, so leaving the
others out of a request's loop changes no answer; the set-up is simply not done for them.

`install` makes the servicer's policy list a `PoliciesByType`; while an Analyze runs on a thread,
iterating that list yields only the request's policies. Everything else (Configure, AnalyzeStack,
GetAnalyzerInfo) iterates the whole list. For any other pulumi-policy version `install` does
nothing and the SDK loops over every policy as before.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator, Optional

from pulumi_policy import policy as _sdk
from pulumi_policy.version import VERSION

from .rules import RESOURCE_TYPES_ATTRIBUTE, canonical_type

SUPPORTED_VERSION = "1.21.0"


class PoliciesByType(list):
    """The pack's policies; during an Analyze on this thread, only those for the request's type."""

    def __init__(self, policies: list[Any]):
        super().__init__(policies)
        self._narrowed = threading.local()
        self._by_type: dict[str, tuple[Any, ...]] = {}

    def for_type(self, type_token: str) -> tuple[Any, ...]:
        """Policies that declare `type_token` (any API version), and those that declare no types."""
        found = self._by_type.get(type_token)
        if found is None:
            canonical = canonical_type(type_token)
            found = tuple(
                p for p in list.__iter__(self)
                if getattr(p, RESOURCE_TYPES_ATTRIBUTE, None) is None or canonical in getattr(p, RESOURCE_TYPES_ATTRIBUTE)
            )
            self._by_type[type_token] = found
        return found

    @contextmanager
    def narrowed_to(self, type_token: str) -> Iterator[None]:
        previous: Optional[tuple[Any, ...]] = getattr(self._narrowed, "policies", None)
        self._narrowed.policies = self.for_type(type_token)
        try:
            yield
        finally:
            self._narrowed.policies = previous

    def __iter__(self) -> Iterator[Any]:
        narrowed = getattr(self._narrowed, "policies", None)
        return iter(narrowed) if narrowed is not None else super().__iter__()


def install() -> bool:
    """Installs the index once; returns whether it is active."""
    if VERSION != SUPPORTED_VERSION:
        return False
    servicer = _sdk._PolicyAnalyzerServicer
    if getattr(servicer, "_cmek_type_index", False):
        return True
    init, analyze = servicer.__init__, servicer.Analyze

    def init_with_index(self, name, version, policies, *args, **kwargs):
        init(self, name, version, PoliciesByType(policies), *args, **kwargs)

    def analyze_policies_for_type(self, request, context):
        with self._PolicyAnalyzerServicer__policies.narrowed_to(request.type):
            return analyze(self, request, context)

    servicer.__init__ = init_with_index
    servicer.Analyze = analyze_policies_for_type
    servicer._cmek_type_index = True
    return True
