"""Reading resource properties that may be unknown during preview: the one place that deals with unknowns.

pulumi-policy 1.21 wraps properties in `unknown_checking_proxy`: reading an unknown value raises
`UnknownValueError`, and so do `key in props` and `props.get(key)`, because `Mapping` implements both
through `__getitem__`. The SDK turns that exception into an advisory "can't run policy ... during preview".
During a first preview every key created in the same stack is unknown, so policies here never touch the
proxy directly: they read through `lookup`, which inspects the proxy's underlying container and returns
the `UNKNOWN` marker instead of raising. Each policy then decides what an unknown means; the rule of the
pack is that a present-but-unknown key reference counts as a customer key, and no unknown ever produces a
violation.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    _DictProxy,
    _ListProxy,
)

_SENTINELS = frozenset({
    UNKNOWN_ARCHIVE_VALUE, UNKNOWN_ARRAY_VALUE, UNKNOWN_ASSET_VALUE, UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE,
})


class _Unknown:
    """A value that will only be known after the update (an output of a resource not yet created)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        # Forces every policy to say what an unknown means instead of treating it as present or absent.
        raise TypeError("an UNKNOWN property has no truth value; test it with `is UNKNOWN` first")


UNKNOWN = _Unknown()


def _unwrap(node: Any) -> Any:
    if isinstance(node, (_DictProxy, _ListProxy)):
        return node["__target"]  # the proxies' documented escape hatch; never raises
    return node


def _known(value: Any) -> Any:
    if isinstance(value, str) and value in _SENTINELS:
        return UNKNOWN
    return value


def lookup(props: Any, *path: str | int) -> Any:
    """The value at `path` (keys and list indexes), `None` when absent, or `UNKNOWN`.

    Containers come back still wrapped; pass them to `lookup` or `elements` again.
    Empty strings read as absent, since providers treat `""` as "not set".
    """
    node = props
    for step in path:
        if node is UNKNOWN:
            return UNKNOWN
        node = _unwrap(node)
        if isinstance(node, Mapping) and isinstance(step, str):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and -len(node) <= step < len(node):
            node = node[step]
        else:
            return None
        node = _known(node)
        if node is UNKNOWN:
            return UNKNOWN
        if node is None or (isinstance(node, str) and not node):
            return None
    return _known(node)


def elements(value: Any) -> Iterator[Any]:
    """The items of a list or the values of a map read by `lookup`; nothing for `None` or a scalar.

    Each item is itself `UNKNOWN` when it is unknown. An unknown list yields a single `UNKNOWN`.
    """
    if value is UNKNOWN:
        yield UNKNOWN
        return
    target = _unwrap(value)
    items = target.values() if isinstance(target, Mapping) else target if isinstance(target, list) else ()
    for item in items:
        yield _known(item)


def keys(value: Any) -> list[str]:
    """The keys of a map read by `lookup` (keys themselves are always known)."""
    target = _unwrap(value)
    return list(target) if isinstance(target, Mapping) else []


def known(value: Any) -> bool:
    """Set, and already known."""
    return value is not UNKNOWN and value is not None


def present(value: Any) -> bool:
    """A key reference counts as set when it has a value or is unknown (filled in by the update)."""
    return value is UNKNOWN or value is not None
