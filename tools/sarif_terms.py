"""What both SARIF producers (the offline preview and the live audit) must say alike, in a module that
imports nothing, so the audit does not load the mock engine to read two constants."""

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
"""`security-severity` per policy severity: GitHub code scanning ranks 9.0+ critical, 7.0-8.9 high,
4.0-6.9 medium and 0.1-3.9 low."""
