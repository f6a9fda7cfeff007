"""Writing: a plan into Neo4j over Bolt (``writer``), or through ``neo4j-admin import``
into the local server's empty database (``bulk``)."""
