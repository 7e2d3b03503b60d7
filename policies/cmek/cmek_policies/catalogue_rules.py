"""The key catalogue's rules: paths into a resource's properties, conditions, and the verdict on one resource.

Properties are plain JSON-like data (dicts, lists, strings) with camelCase keys, as the engine sends them, or
pulumi-policy's proxies over them. During a preview a value may be one of the engine's unknown sentinels: an
unknown key counts as a customer key, and an unknown condition or mode field skips the check (no unknown ever
blocks). Messages name paths and the catalogue's own literals, never a property's value, so a secret is read
but never printed. The loader (`catalogue.py`) builds these objects from the catalogue's YAML files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Collection, Iterator, Mapping, Optional

PROVIDER_KEY = {"gcp": "a Google-managed key", "aws": "an AWS-managed key", "azure": "a Microsoft-managed key"}

# The engine's unknown sentinels (pulumi sdk/go/common/resource/plugin/rpc.go; pulumi_policy/proxy.py).
UNKNOWN_SENTINELS = frozenset({
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58", "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
})
# An engine secret that reached us still wrapped (pulumi sdk/go/common/resource/sig): read its value.
_SECRET_SIG = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")
_AWS_MANAGED_ALIAS = re.compile(r"^(alias/aws/|arn:aws[a-z-]*:kms:[a-z0-9-]*:\d*:alias/aws/)")


class CatalogueError(ValueError):
    """A catalogue file that the loader cannot accept: names the file, the key, the value and what is allowed."""


class _Unknown:
    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
"""A value only known after the update."""


_PROXIES = ("_DictProxy", "_ListProxy")
"""pulumi-policy's unknown-checking proxies (pulumi_policy/proxy.py); `proxy["__target"]` is their documented
escape hatch and never raises. Matched by name so that this module needs no pulumi_policy import."""


def read(value: Any) -> Any:
    """A property value with proxies opened, sentinels turned into UNKNOWN and wrapped secrets opened."""
    if type(value).__name__ in _PROXIES:
        value = value["__target"]
    if isinstance(value, str) and value in UNKNOWN_SENTINELS:
        return UNKNOWN
    if isinstance(value, dict) and value.get(_SECRET_SIG[0]) == _SECRET_SIG[1]:
        return read(value.get("value"))
    return value


def absent(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and len(value) == 0)


# --- paths and conditions -----------------------------------------------------------------------------------

_SEGMENT = re.compile(r"^([A-Za-z_$@][A-Za-z0-9_$@-]*)(\[\]|\{\}|~json)?$")


@dataclass(frozen=True)
class Step:
    name: str
    kind: str  # "" (object), "each" (list elements), "values" (map values), "json" (JSON string)


def parse_path(text: str) -> tuple[Step, ...]:
    """`a.b[].c~json.d` -> steps; raises ValueError for anything else."""
    if not isinstance(text, str) or not text:
        raise ValueError("a path is a non-empty string like a.b[].c")
    steps = []
    for segment in text.split("."):
        match = _SEGMENT.match(segment)
        if not match:
            raise ValueError(f"segment {segment!r} is not name, name[], name{{}} or name~json")
        steps.append(Step(match.group(1), {"[]": "each", "{}": "values", "~json": "json"}.get(match.group(2) or "", "")))
    return tuple(steps)


def wire_path(steps: tuple[Step, ...]) -> tuple[str, ...]:
    """The property names along a path, without list/map/JSON markers (what the SDK's input types name)."""
    return tuple(s.name for s in steps)


@dataclass(frozen=True)
class Leaf:
    path: str          # concrete path, with list indexes
    value: Any         # None when absent along the way, UNKNOWN when unknown
    chain: tuple       # the objects the path went through, one per step; None where absent or unknown

    @property
    def parent(self) -> Any:
        """The object holding the leaf (for siblings); None when absent or unknown along the way."""
        return self.chain[-1] if self.chain else None


def walk(node: Any, steps: tuple[Step, ...], trail: str = "", chain: tuple = ()) -> Iterator[Leaf]:
    """Every leaf a path reaches in `node`; one absent leaf when something along the way is missing."""
    node = read(node)
    if not steps:
        yield Leaf(trail, node, chain)
        return
    missing = (None,) * len(steps)
    if node is UNKNOWN:  # a whole object is unknown: the key inside it may be anything
        yield Leaf(trail, UNKNOWN, chain + missing)
        return
    step, rest = steps[0], steps[1:]
    here = f"{trail}.{step.name}" if trail else step.name
    rest_text = "".join(f".{s.name}" for s in rest)
    if not isinstance(node, dict):
        yield Leaf(here + rest_text, None, chain + missing)
        return
    inside = chain + (node,)
    value = read(node.get(step.name))
    if step.kind == "json" and isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if value is UNKNOWN:
        yield Leaf(here, UNKNOWN, inside + (None,) * len(rest))
    elif step.kind in ("each", "values") and not absent(value):
        items = (list(enumerate(value)) if isinstance(value, list) else
                 list(value.items()) if step.kind == "values" and isinstance(value, dict) else [(0, value)])
        for index, item in items:
            yield from walk(item, rest, f"{here}[{index}]" if isinstance(value, list) else
                            f"{here}.{index}" if step.kind == "values" else here, inside)
    elif step.kind in ("each", "values"):
        yield Leaf(here + rest_text, None, inside + (None,) * len(rest))
    else:
        yield from walk(value, rest, here, inside)


def _first(node: Any, steps: tuple[Step, ...]) -> Any:
    """The value at a path (conditions): the first one set, None when absent, UNKNOWN when unknown."""
    values = [leaf.value for leaf in walk(node, steps)]
    if any(v is UNKNOWN for v in values):
        return UNKNOWN
    return next((v for v in values if v is not None and v != ""), None)


def _equal(value: Any, literals: tuple[str, ...]) -> bool:
    text = str(value).lower() if not isinstance(value, bool) else str(value).lower()
    return any(text == literal.lower() for literal in literals)


@dataclass(frozen=True)
class Condition:
    """`path` (absolute) or `sibling` (relative to the object holding the key; each leading `../` one level up)
    is set, or equal to one of `equals`, or absent or other than every one of `other_than`."""

    steps: tuple[Step, ...]
    relative: bool
    equals: tuple[str, ...] = ()
    other_than: tuple[str, ...] = ()
    reason: str = ""
    source: str = ""
    text: str = ""
    up: int = 0
    families: frozenset[str] = frozenset()
    """Instance families (`ml.g5`): the condition holds when the value is an instance type of one of them."""

    def value(self, props: Any, chain: tuple) -> Any:
        if not self.relative:
            return _first(props, self.steps)
        base = chain[-1 - self.up] if len(chain) > self.up else None
        return _first(base, self.steps)

    def holds(self, props: Any, chain: tuple) -> Any:
        """True, False, or UNKNOWN. "Set" includes an empty object (an `auto: {}` block is a choice)."""
        value = self.value(props, chain)
        if value is UNKNOWN:
            return UNKNOWN
        if self.families:
            return isinstance(value, str) and value.rsplit(".", 1)[0] in self.families
        if self.other_than:
            return absent(value) or not _equal(value, self.other_than)
        if self.equals:
            return not absent(value) and _equal(value, self.equals)
        return value is not None


@dataclass(frozen=True)
class KeyRule:
    path: str
    steps: tuple[Step, ...]
    managed: tuple[Any, ...]           # "absent", "aws-managed-alias", ("equals", literals), Condition
    when: tuple[Condition, ...] = ()
    exempt: tuple[Condition, ...] = ()
    alternatives: tuple[tuple[Step, ...], ...] = ()


@dataclass(frozen=True)
class TypeSpec:
    token: str
    keys: tuple[KeyRule, ...]
    exempt: tuple[Condition, ...] = ()
    location: Optional[Mapping[str, Any]] = None
    agents: tuple[str, ...] = ()
    audit: Optional[Mapping[str, Any]] = None
    compliant: Mapping[str, Any] = field(default_factory=dict)
    noncompliant: tuple[Mapping[str, Any], ...] = ()
    cloud: str = ""


@dataclass(frozen=True)
class PolicySpec:
    name: str
    description: str
    severity: str
    remediation: str
    control: Mapping[str, str]
    docs: str
    types: tuple[TypeSpec, ...]
    cloud: str
    file: str
    enforcement: Optional[str] = None
    code: Optional[str] = None


def _verdict(rule: KeyRule, leaf: Leaf, props: Any, provider_key: str) -> Optional[str]:
    """Why the key at `leaf` is provider-managed; None when it is a customer key or not knowable yet."""
    if leaf.value is UNKNOWN and leaf.parent is None:
        return None  # the object holding the key is unknown: its key and mode fields too
    modes = [m for m in rule.managed if isinstance(m, Condition)]
    for mode in modes:
        holds = mode.holds(props, leaf.chain)
        if holds is UNKNOWN:
            return None
        if holds:
            base = leaf.path.split(".")[:-1 - mode.up] if mode.relative else []
            where = ".".join(base + [mode.text.split("../")[-1]])
            allowed = (f"not one of {', '.join(mode.other_than)}" if mode.other_than
                       else f"one of {', '.join(mode.equals)}" if mode.equals else "set")
            return f"{where} is {allowed}: the data is under {provider_key}."
    value = leaf.value
    if value is UNKNOWN:
        return None
    if absent(value):
        return f"{leaf.path} is not set: the data is under {provider_key}." if "absent" in rule.managed else None
    if "aws-managed-alias" in rule.managed and isinstance(value, str) and _AWS_MANAGED_ALIAS.match(value):
        return f"{leaf.path} is an AWS-managed key (alias/aws/*): its policy and rotation are not the customer's."
    for matcher in rule.managed:
        if isinstance(matcher, tuple) and matcher[0] == "equals" and _equal(value, matcher[1]):
            return f"{leaf.path} is one of {', '.join(matcher[1])}: the data is under {provider_key}."
    return None


def _satisfied_elsewhere(rule: KeyRule, props: Any, provider_key: str) -> bool:
    for steps in rule.alternatives:
        leaves = list(walk(props, steps))
        if leaves and all(_verdict(rule, leaf, props, provider_key) is None and
                          (leaf.value is UNKNOWN or not absent(leaf.value)) for leaf in leaves):
            return True
    return False


def _skips(conditions: tuple[Condition, ...], props: Any, chain: tuple) -> bool:
    """An exemption that holds, or cannot be known yet."""
    return any(c.holds(props, chain) is not False for c in conditions)


def problems(spec: TypeSpec, props: Any, skip: Collection[str] = ()) -> Iterator[str]:
    """One message per key of `props` that is not a customer key (props: plain data, camelCase); `skip`: catalogue
    key paths not to judge (those an entry's `code:` check judges itself)."""
    props = read(props)
    if props is UNKNOWN or _skips(spec.exempt, props, (props,)):
        return
    provider_key = PROVIDER_KEY.get(spec.cloud, "a provider-managed key")
    said: set[str] = set()  # keys sharing a mode field (status, sku) fail for one reason: say it once
    for rule in spec.keys:
        if rule.path in skip:
            continue
        for leaf in walk(props, rule.steps):
            if any(c.holds(props, leaf.chain) is not True for c in rule.when):
                continue
            if _skips(rule.exempt, props, leaf.chain):
                continue
            message = _verdict(rule, leaf, props, provider_key)
            if message and message not in said and not _satisfied_elsewhere(rule, props, provider_key):
                said.add(message)
                yield message
