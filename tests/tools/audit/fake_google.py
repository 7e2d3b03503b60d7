"""A local gRPC server that speaks the real Google protos (Cloud Asset, Vertex AI job and pipeline services,
Dataflow jobs): requests are parsed with the real request types, so a wrong field fails the test."""

from __future__ import annotations

from concurrent import futures
from typing import Any, Callable

import grpc

Handler = Callable[[Any], Any]


class FakeGoogle:
    """`fake.serve("google.cloud.asset.v1.AssetService", "SearchAllResources", Request, Response, handler)`."""

    def __init__(self) -> None:
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        self.requests: dict[str, list[Any]] = {}
        self._methods: dict[str, dict[str, Any]] = {}
        self.channel: Any = None

    def serve(self, service: str, method: str, request_type: Any, response_type: Any, handler: Handler) -> None:
        def call(request: Any, context: grpc.ServicerContext) -> Any:
            self.requests.setdefault(method, []).append(request)
            answer = handler(request)
            if isinstance(answer, grpc.StatusCode):
                context.abort(answer, f"{method}: {answer.name}")
            return answer

        self._methods.setdefault(service, {})[method] = grpc.unary_unary_rpc_method_handler(
            call, request_deserializer=request_type.deserialize, response_serializer=response_type.serialize)

    def __enter__(self) -> "FakeGoogle":
        for service, methods in self._methods.items():
            self.server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(service, methods),))
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.channel.close()
        self.server.stop(None)


def paged(items: list[Any], request: Any, response_type: Any, field: str, default_size: int = 100) -> Any:
    """One page of `items` as the real APIs page: page_token is the offset, next_page_token empty at the end."""
    start = int(request.page_token or 0)
    size = request.page_size or default_size
    page = items[start:start + size]
    following = str(start + size) if start + size < len(items) else ""
    return response_type(**{field: page, "next_page_token": following})
