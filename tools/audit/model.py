"""What an audit finds: findings, exemptions, what it could not check, and the exit code they make."""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_CLEAN, EXIT_FINDINGS, EXIT_CANNOT_RUN, EXIT_INCOMPLETE = 0, 1, 2, 3


class AuditError(Exception):
    """The audit cannot run at all (bad input, no credentials, expired token): one line for the user, exit 2."""


@dataclass(frozen=True)
class Finding:
    """Data of one resource that sits on a provider-managed key (or none), one per key field."""

    resource: str
    """The resource's id: an ARN, a full GCP resource name or an Azure resource id."""
    resource_type: str
    """The catalogue token the rule comes from (e.g. aws:sagemaker/trainingJob:TrainingJob)."""
    policy: str
    """The pack's policy name for the rule (the same rule the pack applies to Pulumi programs)."""
    field: str
    """The key field as the cloud's API names it (e.g. ResourceConfig.VolumeKmsKeyId)."""
    message: str
    severity: str
    location: str = ""
    """Region, GCP location or Azure location."""


@dataclass(frozen=True)
class Exemption:
    """A key field the catalogue exempts for this resource (NVMe instance storage, ...)."""

    resource: str
    resource_type: str
    field: str
    reason: str


@dataclass(frozen=True)
class NotChecked:
    """A part of the scope the audit could not see, and why."""

    what: str
    """e.g. 'sagemaker:ListFeatureGroups in eu-west-1' or a resource id."""
    reason: str


@dataclass
class Report:
    cloud: str
    scope: list[str]
    findings: list[Finding] = field(default_factory=list)
    exemptions: list[Exemption] = field(default_factory=list)
    not_checked: list[NotChecked] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)
    """Catalogue types the audit has no `audit:` block for: named in every report, outside the exit code
    (it is the audit's coverage, the same on every run, not a failure of this run)."""
    resources_checked: int = 0
    """Resources whose every key field was judged (compliant, finding or exempt)."""
    checked_types: list[str] = field(default_factory=list)
    """Catalogue types this run read."""

    def exit_code(self) -> int:
        if self.findings:
            return EXIT_FINDINGS
        return EXIT_INCOMPLETE if self.not_checked else EXIT_CLEAN


def sorted_report(report: Report) -> Report:
    """Stable order for output and tests."""
    report.findings.sort(key=lambda f: (f.resource, f.field))
    report.exemptions.sort(key=lambda e: (e.resource, e.field))
    report.not_checked.sort(key=lambda n: (n.what, n.reason))
    return report
