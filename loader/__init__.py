"""casegraph: load investigative case data from YAML into Neo4j.

The package is a library first; ``loader.cli`` is a thin command-line layer on top.
"""

__version__ = "0.1.0"
