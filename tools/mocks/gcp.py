"""Google Cloud as the mock engine sees it: resource ids, service agents, project numbers."""

from __future__ import annotations

from typing import Any, Mapping

from .cloud_state import World, invoke, resource

# What serviceusage.generateServiceIdentity returns per API. Services missing here answer
# INVALID_ARGUMENT in the real API (hashicorp/terraform-provider-google#18649), as below.
SERVICE_IDENTITY_DOMAINS = {
    "aiplatform.googleapis.com": "gcp-sa-aiplatform.iam.gserviceaccount.com",
    "artifactregistry.googleapis.com": "gcp-sa-artifactregistry.iam.gserviceaccount.com",
    "cloudkms.googleapis.com": "gcp-sa-cloudkms.iam.gserviceaccount.com",
    "dataflow.googleapis.com": "dataflow-service-producer-prod.iam.gserviceaccount.com",
    "ml.googleapis.com": "cloud-ml.google.com.iam.gserviceaccount.com",
    "notebooks.googleapis.com": "gcp-sa-notebooks.iam.gserviceaccount.com",
    "pubsub.googleapis.com": "gcp-sa-pubsub.iam.gserviceaccount.com",
    "secretmanager.googleapis.com": "gcp-sa-secretmanager.iam.gserviceaccount.com",
}


# APIs whose generateServiceIdentity operation answers without the identity's details: the
# provider then leaves `email` and `member` unset (terraform-provider-google#18649). Empty here;
# tests add the services whose fallback they exercise.
SERVICE_IDENTITIES_WITHOUT_EMAIL: set[str] = set()


def _project(world: World, inputs: Mapping[str, Any]) -> str:
    return inputs.get("project") or "mock-default-project"


@resource("gcp:organizations/project:Project")
def _project_resource(world: World, name: str, inputs: Mapping[str, Any]):
    project_id = inputs["projectId"]
    return f"projects/{project_id}", {"number": world.project_number(project_id)}


@resource("gcp:projects/service:Service")
def _service(world: World, name: str, inputs: Mapping[str, Any]):
    return f"{_project(world, inputs)}/{inputs['service']}", {}


@resource("gcp:projects/serviceIdentity:ServiceIdentity")
def _service_identity(world: World, name: str, inputs: Mapping[str, Any]):
    service = inputs["service"]
    if service not in SERVICE_IDENTITY_DOMAINS:
        raise ValueError(f"INVALID_ARGUMENT: {service} is not configured for service identities")
    project = _project(world, inputs)
    if service in SERVICE_IDENTITIES_WITHOUT_EMAIL:
        return f"projects/{project}/services/{service}", {}
    email = f"service-{world.project_number(project)}@{SERVICE_IDENTITY_DOMAINS[service]}"
    return f"projects/{project}/services/{service}", {"email": email, "member": f"serviceAccount:{email}"}


@resource("gcp:kms/keyRing:KeyRing")
def _key_ring(world: World, name: str, inputs: Mapping[str, Any]):
    ring_id = f"projects/{_project(world, inputs)}/locations/{inputs['location']}/keyRings/{inputs['name']}"
    return ring_id, {}


@resource("gcp:kms/cryptoKey:CryptoKey")
def _crypto_key(world: World, name: str, inputs: Mapping[str, Any]):
    return f"{inputs['keyRing']}/cryptoKeys/{inputs['name']}", {"primaries": []}


@resource(
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember",
    "gcp:kms/keyRingIAMMember:KeyRingIAMMember",
)
def _kms_iam_member(world: World, name: str, inputs: Mapping[str, Any]):
    target = inputs.get("cryptoKeyId") or inputs.get("keyRingId")
    return f"{target}/{inputs['role']}/{inputs['member']}", {"etag": "BwYmock="}


@resource("gcp:storage/bucket:Bucket")
def _bucket(world: World, name: str, inputs: Mapping[str, Any]):
    # Without a name the provider auto-names the bucket after its logical name.
    bucket = inputs.get("name") or name
    return bucket, {
        "url": f"gs://{bucket}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}",
    }


@resource("gcp:artifactregistry/repository:Repository")
def _repository(world: World, name: str, inputs: Mapping[str, Any]):
    project, location, repo = _project(world, inputs), inputs["location"], inputs["repositoryId"]
    return f"projects/{project}/locations/{location}/repositories/{repo}", {
        "name": repo,
        "registryUri": f"{location}-docker.pkg.dev/{project}/{repo}",
    }


@invoke("gcp:organizations/getProject:getProject")
def _get_project(world: World, args: Mapping[str, Any]):
    project_id = args["projectId"]
    return {"projectId": project_id, "number": world.project_number(project_id), "name": project_id}


@invoke("gcp:storage/getProjectServiceAccount:getProjectServiceAccount")
def _storage_agent(world: World, args: Mapping[str, Any]):
    email = f"service-{world.project_number(args['project'])}@gs-project-accounts.iam.gserviceaccount.com"
    return {"emailAddress": email, "member": f"serviceAccount:{email}", "project": args["project"]}


@invoke("gcp:bigquery/getDefaultServiceAccount:getDefaultServiceAccount")
def _bigquery_agent(world: World, args: Mapping[str, Any]):
    email = f"bq-{world.project_number(args['project'])}@bigquery-encryption.iam.gserviceaccount.com"
    return {"email": email, "member": f"serviceAccount:{email}", "project": args["project"]}


@invoke("gcp:logging/getProjectSettings:getProjectSettings")
def _logging_settings(world: World, args: Mapping[str, Any]):
    number = world.project_number(args["project"])
    return {
        "project": args["project"],
        "kmsServiceAccountId": f"service-{number}@gcp-sa-logging.iam.gserviceaccount.com",
        "loggingServiceAccountId": f"service-{number}@gcp-sa-logging.iam.gserviceaccount.com",
    }


# --- Workloads (issue #6) ---------------------------------------------------------------


@resource("gcp:serviceaccount/account:Account")
def _service_account(world: World, name: str, inputs: Mapping[str, Any]):
    project = _project(world, inputs)
    email = f"{inputs['accountId']}@{project}.iam.gserviceaccount.com"
    return f"projects/{project}/serviceAccounts/{email}", {
        "email": email,
        "member": f"serviceAccount:{email}",
        "name": f"projects/{project}/serviceAccounts/{email}",
        "uniqueId": str(int(world.project_number(email)) * 10),
    }


@resource("gcp:iam/workloadIdentityPool:WorkloadIdentityPool")
def _workload_identity_pool(world: World, name: str, inputs: Mapping[str, Any]):
    # Pools are always global and named by project number.
    number = world.project_number(_project(world, inputs))
    pool = f"projects/{number}/locations/global/workloadIdentityPools/{inputs['workloadIdentityPoolId']}"
    return pool, {"name": pool, "state": "ACTIVE"}


@resource("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider")
def _workload_identity_pool_provider(world: World, name: str, inputs: Mapping[str, Any]):
    number = world.project_number(_project(world, inputs))
    provider = (
        f"projects/{number}/locations/global/workloadIdentityPools/{inputs['workloadIdentityPoolId']}"
        f"/providers/{inputs['workloadIdentityPoolProviderId']}"
    )
    return provider, {"name": provider, "state": "ACTIVE"}


@resource("gcp:logging/projectBucketConfig:ProjectBucketConfig")
def _log_bucket(world: World, name: str, inputs: Mapping[str, Any]):
    project = _project(world, inputs)
    bucket = f"projects/{project}/locations/{inputs['location']}/buckets/{inputs['bucketId']}"
    cmek = dict(inputs.get("cmekSettings") or {})
    if cmek:
        cmek.update(
            name=f"projects/{project}/cmekSettings",
            serviceAccountId=f"service-{world.project_number(project)}@gcp-sa-logging.iam.gserviceaccount.com",
        )
    return bucket, {"name": bucket, "cmekSettings": cmek, "lifecycleState": "ACTIVE"}


@resource("gcp:logging/projectSink:ProjectSink")
def _log_sink(world: World, name: str, inputs: Mapping[str, Any]):
    project = _project(world, inputs)
    writer = f"serviceAccount:service-{world.project_number(project)}@gcp-sa-logging.iam.gserviceaccount.com"
    return f"projects/{project}/sinks/{inputs['name']}", {"writerIdentity": writer}


@resource("gcp:orgpolicy/policy:Policy")
def _org_policy(world: World, name: str, inputs: Mapping[str, Any]):
    return inputs["name"], {"etag": "mock-etag"}


def _vertex_handler(collection: str, server_assigned_id: bool):
    """Tensorboards and datasets get a numeric id from the server; the others are named."""

    def handler(world: World, name: str, inputs: Mapping[str, Any]):
        resource_id = world.project_number(name) if server_assigned_id else inputs["name"]
        full = f"projects/{_project(world, inputs)}/locations/{inputs['region']}/{collection}/{resource_id}"
        return full, {"name": full if server_assigned_id else resource_id}

    return handler


for _token, _collection, _numeric in (
    ("gcp:vertex/aiMetadataStore:AiMetadataStore", "metadataStores", False),
    ("gcp:vertex/aiTensorboard:AiTensorboard", "tensorboards", True),
    ("gcp:vertex/aiDataset:AiDataset", "datasets", True),
    ("gcp:vertex/aiFeatureStore:AiFeatureStore", "featurestores", False),
):
    resource(_token)(_vertex_handler(_collection, _numeric))


@resource("gcp:dataflow/job:Job", "gcp:dataflow/flexTemplateJob:FlexTemplateJob")
def _dataflow_job(world: World, name: str, inputs: Mapping[str, Any]):
    job_id = f"2026-01-01_00_00_00-{world.project_number(inputs['name'])}"
    return job_id, {"jobId": job_id, "state": "JOB_STATE_RUNNING", "type": "JOB_TYPE_BATCH"}


@resource("gcp:logging/projectExclusion:ProjectExclusion")
def _log_exclusion(world: World, name: str, inputs: Mapping[str, Any]):
    return f"projects/{_project(world, inputs)}/exclusions/{inputs['name']}", {}
