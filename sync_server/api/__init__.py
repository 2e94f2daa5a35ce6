"""Blueprints: his_api (the platform interface), terminal_api, health."""
