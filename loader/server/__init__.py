"""The local Neo4j server, run from Maven Central jars (``localserver``)."""
