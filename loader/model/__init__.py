"""The model: the ontology (labels, relationship types, statuses, as data in
``ontology.yaml``), the value types (code), and the data dictionary generated from them."""
