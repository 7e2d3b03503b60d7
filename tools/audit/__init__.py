"""Live audit of real AWS accounts, GCP projects and Azure subscriptions against the pack's key catalogue."""
