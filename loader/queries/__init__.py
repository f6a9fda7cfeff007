"""Saved queries: the ``cypher/`` library and its checks (``library``), and the
read-only runner (``run``)."""
