"""GCP stack checks over the engine's dependency graph: the agent's grant comes before the key's first use,
and the key is in a location the service accepts for the data's location.

Which resources use keys, through which inputs, for which service agents and with which location pairing
is the catalogue's (`agents`, `location` of each GCP type; pairings in catalogue/gcp/locations.yaml).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Optional

from pulumi_policy.policy import PolicyResource

from . import catalogue
from .props import UNKNOWN, elements, lookup
from .stack_index import StackIndex, same_stack_sources

GCP_KEY = "gcp:kms/cryptoKey:CryptoKey"
GCP_KEY_RING = "gcp:kms/keyRing:KeyRing"
ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
# IAM is inherited down the resource hierarchy (https://cloud.google.com/kms/docs/resource-hierarchy#iam):
# a role granted on the key ring, or on the key's project, is a role on the key. Scope -> the grant's input
# that names it.
GRANT_SCOPES = {
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": "cryptoKeyId",
    "gcp:kms/cryptoKeyIAMBinding:CryptoKeyIAMBinding": "cryptoKeyId",
    "gcp:kms/cryptoKeyIAMPolicy:CryptoKeyIAMPolicy": "cryptoKeyId",
    "gcp:kms/keyRingIAMMember:KeyRingIAMMember": "keyRingId",
    "gcp:kms/keyRingIAMBinding:KeyRingIAMBinding": "keyRingId",
    "gcp:kms/keyRingIAMPolicy:KeyRingIAMPolicy": "keyRingId",
    "gcp:projects/iAMMember:IAMMember": "project",
    "gcp:projects/iAMBinding:IAMBinding": "project",
    "gcp:projects/iAMPolicy:IAMPolicy": "project",
}
# The agent a gcp.projects.ServiceIdentity stands for, when a grant's member comes from one.
IDENTITY_AGENTS = {
    "storage.googleapis.com": "gs-project-accounts",
    "artifactregistry.googleapis.com": "gcp-sa-artifactregistry",
    "aiplatform.googleapis.com": "gcp-sa-aiplatform",
    "dataflow.googleapis.com": "dataflow-service-producer-prod",
    "pubsub.googleapis.com": "gcp-sa-pubsub",
    "logging.googleapis.com": "gcp-sa-logging",
    "compute.googleapis.com": "compute-system",
    "bigquery.googleapis.com": "bigquery-encryption",
    "container.googleapis.com": "container-engine-robot",
    "dataproc.googleapis.com": "dataproc-accounts",
    "sqladmin.googleapis.com": "gcp-sa-cloud-sql",
    "file.googleapis.com": "cloud-filer",
    "secretmanager.googleapis.com": "gcp-sa-secretmanager",
    "spanner.googleapis.com": "gcp-sa-spanner",
    "bigtableadmin.googleapis.com": "gcp-sa-bigtable",
    "lustre.googleapis.com": "gcp-sa-lustre",
    "redis.googleapis.com": "cloud-redis",
    "notebooks.googleapis.com": "gcp-sa-notebooks",
}
ANY = "*"  # a member or scope not known yet and not traceable: it may be the right one
_AGENT_DOMAIN = re.compile(r"@([a-z0-9.-]+?)\.iam\.gserviceaccount\.com$")
_PROJECT_OF = re.compile(r"^projects/([^/]+)/")
_LOCATION_OF = re.compile(r"/locations/([^/]+)/")
_ZONE = re.compile(r"^([a-z]+-[a-z]+\d+)-[a-z]$")


@dataclass(frozen=True)
class Consumer:
    """A catalogue type that names its service agents: the inputs holding its keys, and its location."""

    spec: catalogue.TypeSpec
    key_inputs: tuple[str, ...]


def consumers(cat: catalogue.Catalogue) -> dict[str, Consumer]:
    found = {}
    for _policy, spec in ((p, t) for p in cat.policies if p.cloud == "gcp" for t in p.types):
        if spec.agents or spec.location:
            inputs = tuple(dict.fromkeys(rule.steps[0].name for rule in spec.keys))
            found[catalogue.canonical_type(spec.token)] = Consumer(spec, inputs)
    return found


def keys_used(index: StackIndex, resource: PolicyResource, inputs: Iterable[str]) -> list[PolicyResource]:
    """Same-stack keys behind the key inputs: directly, or inside a component the input comes from."""
    return same_stack_sources(index, resource, inputs, {GCP_KEY})


# --- grant before use -----------------------------------------------------------------------------------------

def _agents_of_member(member: Any, sources: list[PolicyResource]) -> set[str]:
    if isinstance(member, str):
        match = _AGENT_DOMAIN.search(member)
        return {match.group(1)} if match else set()
    identities = [s for s in sources if catalogue.canonical_type(s.resource_type) == "gcp:projects/serviceIdentity:ServiceIdentity"]
    services = {lookup(s.props, "service") for s in identities}
    if not identities or UNKNOWN in services or any(s not in IDENTITY_AGENTS for s in services):
        return {ANY}  # not known yet, or a service this table does not name: it may be the right agent
    return {IDENTITY_AGENTS[s] for s in services}


def _role_members(grant: PolicyResource) -> Iterator[tuple[Any, Any]]:
    role = lookup(grant.props, "role")
    yield role, lookup(grant.props, "member")
    for member in elements(lookup(grant.props, "members")):
        yield role, member
    policy_data = lookup(grant.props, "policyData")
    if policy_data is UNKNOWN:
        yield UNKNOWN, UNKNOWN
    elif isinstance(policy_data, str):
        try:
            bindings = json.loads(policy_data).get("bindings", [])
        except (ValueError, AttributeError):
            return
        for binding in bindings if isinstance(bindings, list) else ():
            for member in (binding.get("members") or ()) if isinstance(binding, dict) else ():
                yield binding.get("role"), member


def grant_agents(grant: PolicyResource) -> set[str]:
    """Agents a grant gives the encrypter/decrypter role to (`*` when not knowable yet)."""
    sources = list(grant.property_dependencies.get("member", ())) + list(grant.property_dependencies.get("members", ()))
    agents: set[str] = set()
    for role, member in _role_members(grant):
        if member is not None and (role is UNKNOWN or role == ENCRYPTER_DECRYPTER):
            agents |= _agents_of_member(member, sources)
    return agents


def _normal_id(value: str, prop: str) -> str:
    """Ids as one spelling: a project without `projects/`, a key ring or key as its full resource name."""
    value = value.lower()
    if prop == "project":
        return value.removeprefix("projects/")
    parts = value.split("/")
    if not value.startswith("projects/") and len(parts) in (3, 4):  # project/location/ring[/key]
        names = ["projects", "locations", "keyrings", "cryptokeys"]
        return "/".join(f"{n}/{p}" for n, p in zip(names, parts))
    return value


def _scope_refs(grant: PolicyResource, prop: str) -> set[str]:
    """What a grant's scope input points at: same-stack resources (URNs) and a known id; `*` if untraceable."""
    refs = {s.urn for s in grant.property_dependencies.get(prop, ())}
    value = lookup(grant.props, prop)
    if isinstance(value, str):
        refs.add(_normal_id(value, prop))
    elif value is UNKNOWN and not refs:
        refs.add(ANY)
    return refs


def key_scopes(index: StackIndex, key: PolicyResource) -> set[str]:
    """The key, its key ring and its project, as URNs and known ids: where a grant covering the key may sit."""
    scopes = {key.urn}
    ring_name = lookup(key.props, "keyRing")
    if isinstance(ring_name, str):
        ring_name = _normal_id(ring_name, "keyRingId")
        scopes.add(ring_name)
        name = lookup(key.props, "name")
        if isinstance(name, str):
            scopes.add(f"{ring_name}/cryptokeys/{name.lower()}")
        project = _PROJECT_OF.match(ring_name)
        if project:
            scopes.add(project.group(1))
    for ring in key.property_dependencies.get("keyRing", ()):
        ring = index.by_urn.get(ring.urn, ring)
        scopes.add(ring.urn)
        project = lookup(ring.props, "project")
        if isinstance(project, str):
            scopes.add(_normal_id(project, "project"))
        scopes.update(p.urn for p in ring.property_dependencies.get("project", ()))
    return scopes


def grants_by_scope(index: StackIndex) -> dict[str, list[tuple[str, set[str]]]]:
    """scope (URN, known id, or `*`) -> [(grant URN, agents)]."""
    grants: dict[str, list[tuple[str, set[str]]]] = defaultdict(list)
    for type_, prop in GRANT_SCOPES.items():
        for grant in index.of_types([type_]):
            agents = grant_agents(grant)
            if agents:
                for scope in _scope_refs(grant, prop):
                    grants[scope].append((grant.urn, agents))
    return grants


def grant_before_use(cat: catalogue.Catalogue):
    users = {t: c for t, c in consumers(cat).items() if c.spec.agents}

    def check(resources: list[PolicyResource], _options: Any) -> Iterator[tuple[PolicyResource, str]]:
        index = StackIndex(resources)
        grants = grants_by_scope(index)
        for type_, needs in users.items():
            for consumer in index.of_types([type_]):
                keys = keys_used(index, consumer, needs.key_inputs)
                if not keys:
                    continue
                waited = index.waits_for(consumer)
                granted: set[str] = set()
                for key in keys:
                    for scope in key_scopes(index, key) | {ANY}:
                        granted |= set().union(*(a for urn, a in grants.get(scope, ()) if urn in waited))
                for agent in needs.spec.agents:
                    if agent not in granted and ANY not in granted:
                        names = " or ".join(k.name for k in keys)
                        yield consumer, (
                            f"{consumer.name} uses key {names} but does not wait for a grant of {ENCRYPTER_DECRYPTER} "
                            f"to the {agent} service agent on that key, its key ring or its project: creation fails "
                            "with 403 until the grant exists.")

    return check


# --- key location -----------------------------------------------------------------------------------------------

def region_of(location: Any) -> Optional[str]:
    if not isinstance(location, str) or not location:
        return None
    location = location.lower()
    zone = _ZONE.match(location)
    return zone.group(1) if zone else location


def _location_in_name(name: Any) -> Optional[str]:
    match = _LOCATION_OF.search(name) if isinstance(name, str) else None
    return match.group(1).lower() if match else None


def _key_location(index: StackIndex, consumer: PolicyResource, needs: Consumer) -> Optional[str]:
    """From a known key name, else from the same-stack key's ring (its `location`, or its known id)."""
    for rule in needs.spec.keys:
        for leaf in catalogue.walk(catalogue.read(consumer.props), rule.steps):
            found = _location_in_name(leaf.value)
            if found:
                return found
    keys = keys_used(index, consumer, needs.key_inputs)
    if len(keys) != 1:
        return None  # none, or several in a component and no telling which one is used
    key = keys[0]
    for ring in key.property_dependencies.get("keyRing", ()):
        ring = index.by_urn.get(ring.urn, ring)
        location = lookup(ring.props, "location")
        if isinstance(location, str):
            return location.lower()
    return _location_in_name(lookup(key.props, "keyRing"))


def location_mismatches(cat: catalogue.Catalogue):
    placed = {t: c for t, c in consumers(cat).items() if c.spec.location}

    def check(resources: list[PolicyResource], _options: Any) -> Iterator[tuple[PolicyResource, str]]:
        index = StackIndex(resources)
        for type_, needs in placed.items():
            pairing = needs.spec.location["pairing"]
            for consumer in index.of_types([type_]):
                location = next((region_of(lookup(consumer.props, i)) for i in needs.spec.location["inputs"]
                                 if isinstance(lookup(consumer.props, i), str)), None)
                key_location = _key_location(index, consumer, needs) if location else None
                allowed = cat.key_locations(pairing, location) if key_location else ()
                if key_location and key_location not in allowed:
                    yield consumer, (
                        f"{consumer.name} is in {location} but its key is in {key_location}: for this data location "
                        f"the service accepts a key in {' or '.join(sorted(allowed))} ({cat.pairing_source(pairing)}).")

    return check
