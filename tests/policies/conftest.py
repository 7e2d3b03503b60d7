"""Puts the pack folder on sys.path (as the Pulumi CLI's working directory does) before test modules import it."""

from tests.policies import harness  # noqa: F401  (the import does it)
