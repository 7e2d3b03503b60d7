"""Exports a package's components without importing their cloud SDK until one is used.

`from cmek_ml.aws import KmsKey` imports `cmek_ml.aws.kms_key` (and so pulumi_aws) on first use;
`import cmek_ml.aws.partitions` or `import cmek_ml.aws` alone imports no SDK at all, so tools and
the other clouds' code can use a cloud's pure-data modules with only their own extra installed.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for `package`, whose `exports` map a name to its module."""

    def __getattr__(name: str) -> Any:  # PEP 562
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        importlib.import_module(package).__dict__[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*importlib.import_module(package).__dict__, *exports})

    return __getattr__, __dir__
