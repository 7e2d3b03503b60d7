"""GCP: KMS project, key rings and keys, service-agent grants, CMEK storage and registry."""
