"""The stack's resources indexed once, for the stack policies' lookups (every lookup afterwards is a dict access)."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable, Iterator

from pulumi_policy.policy import PolicyResource

from .catalogue import canonical_type


class StackIndex:
    """By URN, by type, children by parent; what a resource waits for."""

    def __init__(self, resources: Iterable[PolicyResource]) -> None:
        self.by_urn: dict[str, PolicyResource] = {}
        self.by_type: dict[str, list[PolicyResource]] = defaultdict(list)
        self.children: dict[str, list[PolicyResource]] = defaultdict(list)
        for resource in resources:
            self.by_urn[resource.urn] = resource
            self.by_type[canonical_type(resource.resource_type)].append(resource)
            if resource.opts.parent:
                self.children[resource.opts.parent].append(resource)
        self._descendants: dict[str, frozenset[str]] = {}

    def of_types(self, types: Iterable[str]) -> Iterator[PolicyResource]:
        for type_ in types:
            yield from self.by_type.get(canonical_type(type_), ())

    def descendants(self, urn: str) -> frozenset[str]:
        """Everything a component contains: depending on a component waits for all of it."""
        if urn not in self._descendants:
            found: set[str] = set()
            pending = [urn]
            while pending:
                for child in self.children.get(pending.pop(), ()):
                    if child.urn not in found:
                        found.add(child.urn)
                        pending.append(child.urn)
            self._descendants[urn] = frozenset(found)
        return self._descendants[urn]

    def waits_for(self, resource: PolicyResource) -> set[str]:
        """URNs the engine finishes before creating `resource`: dependencies, property sources, their contents."""
        direct = {d.urn for d in resource.dependencies}
        for sources in resource.property_dependencies.values():
            direct.update(s.urn for s in sources)
        waited = set(direct)
        for urn in direct:
            waited |= self.descendants(urn)
        return waited


def same_stack_sources(index: StackIndex, resource: PolicyResource, inputs: Iterable[str],
                       types: set[str]) -> list[PolicyResource]:
    """Resources of `types` that the given inputs are computed from: directly, or inside a component they come
    from (an output of a component depends on the component, not on the key inside it)."""
    canonical = {canonical_type(t) for t in types}
    found: dict[str, PolicyResource] = {}
    for prop in inputs:
        for source in resource.property_dependencies.get(prop, ()):
            if canonical_type(source.resource_type) in canonical:
                found[source.urn] = index.by_urn.get(source.urn, source)
                continue
            for urn in sorted(index.descendants(source.urn)):
                inner = index.by_urn[urn]
                if canonical_type(inner.resource_type) in canonical:
                    found[urn] = inner
    return list(found.values())
