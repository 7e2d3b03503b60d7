"""Decode an analyzer request once, not once per policy (pulumi-policy 1.21.0).

`_PolicyAnalyzerServicer.Analyze` converts the request's properties (`json_format.MessageToDict`, then
`deserialize_properties`, then `unknown_checking_proxy`) inside its loop over the policies, so a pack of
30 policies decodes every resource 30 times, 30x the work of a one-rule pack (measured: ~1.4 ms against
~0.05 ms per resource in process). `install` wraps those three names in `pulumi_policy.policy` with small
per-thread memos, so the first policy decodes and the others reuse the result.

Why this is safe: every memo is keyed on the identity of its input, and keeps that input alive, so no other
object can take its identity while cached. The servicer gets a fresh request message from gRPC for every
call and never changes it; `request.properties` is the same message object on every access within a call.
The shared values are only read: the SDK copies what it hands out, and policies read through `props.lookup`.
The memos live for one request: `install` also wraps the servicer's Analyze and AnalyzeStack so that
a thread's memos are emptied when its request ends. So memory stays bounded by one request, and no
eviction scan grows with the stack (AnalyzeStack runs each stack policy over every resource in turn,
so within a request the memos must hold the whole stack).
A request also runs with the cyclic garbage collector paused (reference counting still frees what it
can): a stack's decoded resources are many small objects, and collecting the older generations while
they are built scans ever more of them, which made AnalyzeStack superlinear (measured in process: 5,003
resources took 7x to 14x as long as 1,003 with collection on, 5.1x to 5.3x with it paused).
For any other pulumi-policy version `install` does nothing, and the SDK's own decoding runs.
"""

from __future__ import annotations

import gc
import threading
from typing import Any, Callable

from pulumi_policy import policy as _sdk
from pulumi_policy.version import VERSION

SUPPORTED_VERSION = "1.21.0"


class _Memo(threading.local):
    """(input, flag) -> output pairs of one function for the current request, per thread, matched by identity."""

    def __init__(self) -> None:
        self.entries: dict[tuple[int, Any], tuple[Any, Any]] = {}

    def get(self, source: Any, flag: Any, compute: Callable[..., Any], *args: Any) -> Any:
        """`compute(*args)`, or its result from an earlier call for this very `source` and `flag`."""
        key = (id(source), flag)
        entry = self.entries.get(key)
        if entry is not None and entry[0] is source:
            return entry[1]
        value = compute(*args)
        # Holding `source` keeps it alive, so no other object can take its identity while it is cached.
        self.entries[key] = (source, value)
        return value

    def clear(self) -> None:
        self.entries.clear()


class _JsonFormat:
    """Stands in for `google.protobuf.json_format` inside pulumi_policy.policy."""

    def __init__(self, json_format: Any) -> None:
        self._json_format = json_format
        self._memo = _Memo()

    def MessageToDict(self, message: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N802 (protobuf's name)
        if args or kwargs:
            return self._json_format.MessageToDict(message, *args, **kwargs)
        return self._memo.get(message, None, self._json_format.MessageToDict, message)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._json_format, name)


def install() -> bool:
    """Installs the memos once; returns whether they are active."""
    if VERSION != SUPPORTED_VERSION:
        return False
    if isinstance(_sdk.json_format, _JsonFormat):
        return True
    deserialize, proxy = _sdk.deserialize_properties, _sdk.unknown_checking_proxy
    deserialize_memo, proxy_memo = _Memo(), _Memo()
    json_format = _sdk.json_format = _JsonFormat(_sdk.json_format)
    memos = (json_format._memo, deserialize_memo, proxy_memo)

    def deserialize_once(props: Any, proxy_secrets: bool = False) -> Any:
        return deserialize_memo.get(props, proxy_secrets, deserialize, props, proxy_secrets)

    def proxy_once(props: Any) -> Any:
        return proxy_memo.get(props, None, proxy, props)

    def for_one_request(method: Callable[..., Any]) -> Callable[..., Any]:
        def scoped(self: Any, request: Any, context: Any) -> Any:
            collecting = gc.isenabled()
            gc.disable()
            try:
                return method(self, request, context)
            finally:
                for memo in memos:
                    memo.clear()
                if collecting:
                    gc.enable()

        return scoped

    _sdk.deserialize_properties = deserialize_once
    _sdk.unknown_checking_proxy = proxy_once
    servicer = _sdk._PolicyAnalyzerServicer
    servicer.Analyze = for_one_request(servicer.Analyze)
    servicer.AnalyzeStack = for_one_request(servicer.AnalyzeStack)
    return True
