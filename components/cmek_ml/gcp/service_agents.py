"""Brings into existence, and names, the Google service agents that must use a key.

The catalogue (`service_agents.yaml`) is data; this module only knows the few ways an agent
is resolved. Guessing `gcp-sa-<api>` emails is wrong for many services, and granting to an
agent that does not exist yet fails with "Service account ... does not exist", so every
agent's member comes from the resource or data source that creates it, or from the API
enablement after which a fixed-format agent exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Optional, Sequence

import pulumi
import pulumi_gcp as gcp
import yaml

CATALOGUE_FILE = Path(__file__).with_name("service_agents.yaml")
RESOLVERS = ("service-identity", "storage-data-source", "bigquery-data-source", "logging-settings", "fixed")


@dataclass(frozen=True)
class AgentSpec:
    email: str
    resolve: str

    @property
    def label(self) -> str:
        """A short stable name: the first label of the agent's domain (e.g. `cloud-ml`)."""
        return self.email.split("@", 1)[1].split(".", 1)[0]

    def email_for(self, project_number: str) -> str:
        return self.email.format(project_number=project_number)


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    api: str
    key_purpose: str
    agents: tuple[AgentSpec, ...]


@lru_cache(maxsize=1)
def catalogue() -> Mapping[str, ServiceSpec]:
    data = yaml.safe_load(CATALOGUE_FILE.read_text())
    services = {}
    for name, entry in data.items():
        agents = tuple(AgentSpec(**a) for a in entry["agents"])
        for agent in agents:
            if agent.resolve not in RESOLVERS:
                raise ValueError(f"{CATALOGUE_FILE.name}: {name}: unknown resolver {agent.resolve}")
        services[name] = ServiceSpec(name, entry["api"], entry["key_purpose"], agents)
    return services


@dataclass
class Agent:
    """One service agent of one project."""

    service: str
    email: pulumi.Output[str]
    # Names the agent's grants; taken from the catalogue, so an override keeps the URNs.
    label: str

    @property
    def member(self) -> pulumi.Output[str]:
        return self.email.apply(lambda e: f"serviceAccount:{e}")


@dataclass
class ServiceAgentsArgs:
    project: pulumi.Input[str]
    """The workload project whose agents are resolved (not the KMS project)."""
    project_number: pulumi.Input[str]
    """Its number, looked up once by the caller."""
    services: Sequence[str]
    """Catalogue names of the services the stack runs there."""
    email_overrides: Mapping[str, str] = field(default_factory=dict)
    """service name -> agent email, for agents the catalogue gets wrong in your organisation."""


class ServiceAgents(pulumi.ComponentResource):
    """Enables each service's API in the workload project and resolves its agents."""

    agents: dict[str, list[Agent]]
    apis: dict[str, gcp.projects.Service]

    def __init__(self, name: str, args: ServiceAgentsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("cmek-ml:gcp:ServiceAgents", name, None, opts)
        specs = catalogue()
        self.apis = {}
        self.agents = {}
        number = pulumi.Output.from_input(args.project_number)
        for service in args.services:
            spec = specs[service]
            api = gcp.projects.Service(
                f"{name}-{service}-api",
                project=args.project,
                service=spec.api,
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.apis[service] = api
            override = args.email_overrides.get(service)
            self.agents[service] = [
                Agent(
                    service,
                    pulumi.Output.from_input(override)
                    if override
                    else self._resolve(name, service, spec, agent, args.project, number, api),
                    agent.label,
                )
                for agent in (spec.agents[:1] if override else spec.agents)
            ]
        self.register_outputs(
            {
                "agents": {
                    service: [a.email for a in agents] for service, agents in self.agents.items()
                }
            }
        )

    def _resolve(
        self,
        name: str,
        service: str,
        spec: ServiceSpec,
        agent: AgentSpec,
        project: pulumi.Input[str],
        number: pulumi.Output[str],
        api: gcp.projects.Service,
    ) -> pulumi.Output[str]:
        after_api = pulumi.InvokeOutputOptions(depends_on=[api])
        if agent.resolve == "service-identity":
            identity = gcp.projects.ServiceIdentity(
                f"{name}-{service}-identity",
                project=project,
                service=spec.api,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[api]),
            )
            # The provider: "This API may not return the service identity's details, even if the
            # relevant Google API is configured for service identities" (email then stays empty,
            # terraform-provider-google#18649). The agent exists after the call all the same, so
            # its documented format stands in; a grant to an empty member would fail with 400.
            return pulumi.Output.all(identity.email, number).apply(
                lambda v: v[0] or agent.email_for(v[1])
            )
        if agent.resolve == "storage-data-source":
            return gcp.storage.get_project_service_account_output(project=project, opts=after_api).email_address
        if agent.resolve == "bigquery-data-source":
            return gcp.bigquery.get_default_service_account_output(project=project, opts=after_api).email
        if agent.resolve == "logging-settings":
            return gcp.logging.get_project_settings_output(project=project, opts=after_api).kms_service_account_id
        # A fixed-format agent exists once its API is enabled: carry that dependency along.
        return pulumi.Output.all(number, api.id).apply(lambda v: agent.email_for(v[0]))
