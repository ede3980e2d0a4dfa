"""Deployment definitions (prefect.yaml) and a local `serve` entry point for the flows."""
