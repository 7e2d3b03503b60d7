"""Google Cloud locations, as data: where keys, workloads and buckets may live."""

# Regions where Cloud KMS, Cloud Storage and Artifact Registry are available.
REGIONS = frozenset(
    """
    africa-south1 asia-east1 asia-east2 asia-northeast1 asia-northeast2 asia-northeast3
    asia-south1 asia-south2 asia-southeast1 asia-southeast2 australia-southeast1
    australia-southeast2 europe-central2 europe-north1 europe-north2 europe-southwest1
    europe-west1 europe-west2 europe-west3 europe-west4 europe-west6 europe-west8 europe-west9
    europe-west10 europe-west12 me-central1 me-central2 me-west1 northamerica-northeast1
    northamerica-northeast2 northamerica-south1 southamerica-east1 southamerica-west1
    us-central1 us-east1 us-east4 us-east5 us-south1 us-west1 us-west2 us-west3 us-west4
    """.split()
)

# Cloud KMS locations that span regions. Workload keys (AI Platform, Vertex, Dataflow)
# may never be in one of these: the key must be in the job's region.
KMS_MULTI_REGIONS = frozenset({"global", "us", "europe", "asia", "nam4", "eur4"})

# Multi- and dual-region bucket locations -> the Cloud KMS location their key must be in.
# GCS rejects `global` keys, and `US` is not a KMS location (KMS_RESOURCE_NOT_FOUND_IN_LOCATION).
BUCKET_MULTI_REGION_KEY_LOCATION = {
    "US": "us",
    "EU": "europe",
    "ASIA": "asia",
    "NAM4": "nam4",
    "EUR4": "eur4",
    "EUR5": "europe",
    "EUR7": "europe",
    "EUR8": "europe",
    "ASIA1": "asia",
}


def key_location_for_bucket(bucket_location: str) -> str:
    """The KMS location a bucket's default key must be in."""
    upper = bucket_location.upper()
    return BUCKET_MULTI_REGION_KEY_LOCATION.get(upper, bucket_location.lower())


def is_multi_region_bucket(bucket_location: str) -> bool:
    return bucket_location.upper() in BUCKET_MULTI_REGION_KEY_LOCATION
