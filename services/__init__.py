"""Vigie services: collector, normalizer, correlator, responder, api; shared runtime."""
