"""cmek-ml components: Pulumi ComponentResources that keep an ML platform under the customer's keys."""
