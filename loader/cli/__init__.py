"""The ``casegraph`` command line: thin typer wrappers over the library, a module per
command group (``app``: validate, load, docs, version; ``neo4j``; ``query``; ``browser``;
``export``). Nothing outside this package imports typer or rich."""

from loader.cli.app import app, main

__all__ = ["app", "main"]
