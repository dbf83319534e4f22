"""The claims app's HTTP API: vetted facts, contradictions, claims and claimset ingest."""
