"""Exporting: a plan as a Cypher script or as CSV files for ``neo4j-admin import``."""
