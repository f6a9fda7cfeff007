"""Reading: seed and ontology YAML into trees of text that know where each value came
from (``yamlread``), the C reader for the common shape (``_scan.c``: it only reads), and
large files cut into pieces (``pieces``). Nothing here knows what is valid."""
