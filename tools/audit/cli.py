"""Live audit: find ML data that sits on provider-managed keys in real accounts, projects and subscriptions.

    python -m tools.audit --cloud aws   [--region R ...] [--profile P] [--since 90d]
    python -m tools.audit --cloud gcp   --scope organizations/N|folders/N|projects/ID [--region R ...]
    python -m tools.audit --cloud azure [--subscription ID ...]
                          [--format text|json|sarif] [--policy-pack DIR]
    python -m tools.audit --cloud aws --print-policy     # the read-only IAM policy the audit needs

The rules (what is a customer key, what is exempt) are the policy pack's key catalogue. Exit codes:
0 clean, 1 findings (whatever else happened), 2 could not run at all (bad input, no or rejected
credentials), 3 no findings but some part could not be checked.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from pathlib import Path
from typing import NoReturn, Optional, Sequence

from .model import EXIT_CANNOT_RUN, AuditError, Report, sorted_report
from .progress import Progress
from .report import render
from .rules import Rules, default_policy_pack

PROG = "cmek-ml audit"
GCP_SCOPE = re.compile(r"^(organizations/\d+|folders/\d+|projects/[a-z][a-z0-9-]{4,28}[a-z0-9])$")
AZURE_SUBSCRIPTION = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
SINCE_DAYS = re.compile(r"^(\d{1,5})d$")
GCP_LOCATION = re.compile(r"^[a-z]+(-[a-z]+)+\d+$")  # europe-west4, us-central1, northamerica-northeast2
DEFAULT_SINCE = "90d"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise AuditError(f"{message} (python -m tools.audit --help lists the options)")


def parse_since(value: str, now: Optional[dt.datetime] = None) -> dt.datetime:
    """`30d` (days back from now) or an ISO date/time (UTC when no zone is given)."""
    now = now or dt.datetime.now(dt.timezone.utc)
    match = SINCE_DAYS.match(value)
    if match:
        return now - dt.timedelta(days=int(match.group(1)))
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise AuditError(f"--since {value}: expected a number of days like 30d or a date like 2026-01-31.") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    if moment > now:
        raise AuditError(f"--since {value}: the date is in the future.")
    return moment


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description=__doc__.split("\n\n")[0],
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cloud", required=True, choices=["aws", "gcp", "azure"])
    p.add_argument("--region", action="append", default=[],
                   help="AWS: a region to audit (repeatable; default the profile's). GCP: a Vertex AI and "
                        "Dataflow location to list jobs in (repeatable; default where Cloud Asset Inventory "
                        "found Vertex AI or Dataflow resources).")
    p.add_argument("--profile", help="AWS: a named profile (default: the standard AWS environment)")
    p.add_argument("--scope", help="GCP: organizations/N, folders/N or projects/ID (Cloud Asset Inventory scope)")
    p.add_argument("--subscription", action="append", default=[],
                   help="Azure: a subscription id (repeatable; default every subscription the identity can read)")
    p.add_argument("--since", default=DEFAULT_SINCE,
                   help="jobs created since: 30d or an ISO date (default %(default)s); other resources regardless")
    p.add_argument("--format", default="text", choices=["text", "json", "sarif"])
    p.add_argument("--policy-pack", type=Path, default=None,
                   help="the cmek policy pack whose key catalogue holds the rules (default policies/cmek)")
    p.add_argument("--print-policy", action="store_true",
                   help="AWS: print the read-only IAM policy the audit needs, and exit")
    return p


def _validate(args: argparse.Namespace) -> None:
    aws_only = {"--profile": args.profile, "--print-policy": args.print_policy}
    for flag, value in aws_only.items():
        if value and args.cloud != "aws":
            raise AuditError(f"{flag} is for --cloud aws only.")
    if args.scope and args.cloud != "gcp":
        raise AuditError("--scope is for --cloud gcp only (AWS: --region/--profile; Azure: --subscription).")
    if args.subscription and args.cloud != "azure":
        raise AuditError("--subscription is for --cloud azure only.")
    if args.region and args.cloud == "azure":
        raise AuditError("--region is for --cloud aws or gcp (Azure: --subscription).")
    if args.cloud == "gcp":
        if not args.scope:
            raise AuditError("--cloud gcp needs --scope organizations/N, folders/N or projects/ID.")
        if not GCP_SCOPE.match(args.scope):
            raise AuditError(f"--scope {args.scope}: expected organizations/<number>, folders/<number> or "
                             "projects/<project id> (6-30 lower-case letters, digits, hyphens).")
    for location in args.region if args.cloud == "gcp" else ():
        if not GCP_LOCATION.match(location):
            raise AuditError(f"--region {location}: expected a Google Cloud region like europe-west4 or us-central1.")
    for subscription in args.subscription:
        if not AZURE_SUBSCRIPTION.match(subscription):
            raise AuditError(f"--subscription {subscription}: expected a subscription id "
                             "like 00000000-0000-0000-0000-000000000000 (az account list shows them).")


def run(args: argparse.Namespace, rules: Rules, progress: Progress) -> Report:
    since = parse_since(args.since)
    if args.cloud == "aws":
        from . import aws
        session = aws.make_session(args.profile)
        regions = aws.resolve_regions(session, args.region)
        return aws.AwsAudit(rules, session, regions, since, progress).run()
    if args.cloud == "gcp":
        from . import gcp
        return gcp.GcpAudit(rules, args.scope, args.region, since, progress).run()
    from . import azure
    return azure.AzureAudit(rules, args.subscription, progress).run()


def main(argv: Optional[Sequence[str]] = None) -> int:
    progress = Progress()
    try:
        args = parser().parse_args(list(sys.argv[1:] if argv is None else argv))
        _validate(args)
        rules = Rules(args.policy_pack or default_policy_pack())
        if args.print_policy:
            from .aws_policy import read_only_policy
            print(json.dumps(read_only_policy(rules), indent=2))
            return 0
        report = sorted_report(run(args, rules, progress))
    except AuditError as error:
        progress.done()
        print(f"{PROG}: {error}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    progress.done()
    sys.stdout.write(render(report, args.format, rules.policies()))
    return report.exit_code()
