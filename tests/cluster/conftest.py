"""Cluster-test fixtures: the integration suite's real Prometheus lab, for whole cluster runs.

Importing the integration conftest registers its ``promlab`` helper module and brings its
session fixtures ``prom_lab`` / ``prom_lab_fresh`` into this folder's scope.
"""

from tests.integration.conftest import prom_lab, prom_lab_fresh

__all__ = ["prom_lab", "prom_lab_fresh"]
