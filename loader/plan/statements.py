"""The Cypher text of a load plan: one template per kind of statement, formatted by
``loader.plan.build`` with labels and types quoted by ``Ontology.quote``; every value is a
parameter (``$rows``, ``$dataset``, ...) or, in the Cypher exporter, a literal."""

PARAM_HEAD = "WITH $rows AS rows, $dataset AS dataset, $run AS run, $now AS now\n"

NODE_BODY = """UNWIND rows AS row
MERGE (n:{label} {{id: row.id}})
WITH n, row, dataset, run, now, n.content_hash AS before, coalesce(n.first_seen, now) AS first
FOREACH (_ IN CASE WHEN before IS NULL OR before <> row.hash THEN [1] ELSE [] END |
  SET n = row.props, n.first_seen = first, n.content_hash = row.hash{dates})
SET n.dataset = dataset, n.load_run = run, n.last_seen = now
RETURN count(*) AS rows, count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before <> row.hash THEN 1 END) AS changed"""

REL_BODY = """UNWIND rows AS row
MATCH (a:{start} {{id: row.start}})
MATCH (b:{end} {{id: row.end}})
MERGE (a)-[r:{type} {{key: row.key}}]->(b)
WITH r, row, dataset, run, now, r.content_hash AS before, coalesce(r.first_seen, now) AS first
FOREACH (_ IN CASE WHEN before IS NULL OR before <> row.hash THEN [1] ELSE [] END |
  SET r = row.props, r.first_seen = first, r.content_hash = row.hash{dates})
SET r.dataset = dataset, r.load_run = run, r.last_seen = now
RETURN count(*) AS rows, count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before <> row.hash THEN 1 END) AS changed"""

# a first load of a dataset (none of its ids in the database, checked under its lock):
# nothing to match, so CREATE; the properties are the same as MERGE would set
NODE_CREATE = """UNWIND rows AS row
CREATE (n:{label})
SET n = row.props, n.first_seen = now, n.content_hash = row.hash{dates}
SET n.dataset = dataset, n.load_run = run, n.last_seen = now
RETURN count(*) AS rows, count(*) AS created, 0 AS changed"""

REL_CREATE = """UNWIND rows AS row
MATCH (a:{start} {{id: row.start}})
MATCH (b:{end} {{id: row.end}})
CREATE (a)-[r:{type}]->(b)
SET r = row.props, r.first_seen = now, r.content_hash = row.hash{dates}
SET r.dataset = dataset, r.load_run = run, r.last_seen = now
RETURN count(*) AS rows, count(*) AS created, 0 AS changed"""

NODE_DIFF = """UNWIND $rows AS row
OPTIONAL MATCH (n:{label} {{id: row.id}})
RETURN count(*) AS rows, count(CASE WHEN n IS NULL THEN 1 END) AS created,
       count(CASE WHEN n.content_hash <> row.hash THEN 1 END) AS changed"""

REL_DIFF = """UNWIND $rows AS row
OPTIONAL MATCH (:{start} {{id: row.start}})-[r:{type} {{key: row.key}}]->(:{end} {{id: row.end}})
RETURN count(*) AS rows, count(CASE WHEN r IS NULL THEN 1 END) AS created,
       count(CASE WHEN r.content_hash <> row.hash THEN 1 END) AS changed"""

# ISO 3166 reference nodes (loader.model.reference) a dataset refers to: created when
# missing, rewritten when the reference data changed, otherwise untouched (no write, so
# loads of several datasets that meet at the same state do not wait for each other). A
# node the loading dataset used to define itself is taken over; one of other data is
# refused before (REFERENCE_OWNERS).
REFERENCE_BODY = """UNWIND rows AS row
MERGE (n:{label} {{id: row.id}})
WITH n, row, run, now, n.content_hash AS before, coalesce(n.first_seen, now) AS first,
     n.dataset IS NULL OR n.dataset IN [{reference}, dataset] AS ours
FOREACH (_ IN CASE WHEN ours AND (before IS NULL OR before <> row.hash) THEN [1] ELSE [] END |
  SET n = row.props, n.first_seen = first, n.content_hash = row.hash,
      n.dataset = {reference}, n.load_run = run, n.last_seen = now)
RETURN count(*) AS rows, count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN ours AND before <> row.hash THEN 1 END) AS changed"""

REFERENCE_OWNERS = """UNWIND $ids AS wanted_id
MATCH (n:{label} {{id: wanted_id}})
WHERE n.dataset IS NULL OR NOT n.dataset IN [$reference, $dataset]
RETURN n.id AS id, n.dataset AS owner, $label AS label LIMIT 5"""

# the ids a dataset's relationships name that other datasets define must be in the
# database (a MATCH that finds no end would leave the relationship out, silently)
EXTERNAL_MISSING = """UNWIND $ids AS wanted_id
OPTIONAL MATCH (n:{label} {{id: wanted_id}})
WITH wanted_id, n WHERE n IS NULL
RETURN wanted_id AS id LIMIT 5"""

# ids are global: an id of the input may be a node of another dataset, of data casegraph did
# not write, or of this dataset under another label. One check per label of the database:
# $wanted maps each id of the input to its label in the input. Labels with fewer nodes than
# the input has ids are read whole (scan); the others are looked up id by id (seek).
# how many nodes each label has, in one statement (each count from the count store)
LABEL_SIZE = "CALL () {{ MATCH (n:{label}) RETURN count(n) AS n{index} }}"
LABEL_SIZES = "{calls}\nRETURN [{names}] AS sizes"

OWNERS_SEEK = """UNWIND keys($wanted) AS wanted_id
MATCH (n:{label} {{id: wanted_id}})
WHERE n.dataset IS NULL OR n.dataset <> $dataset OR $wanted[wanted_id] <> $label
RETURN n.id AS id, n.dataset AS owner, $label AS label, $wanted[wanted_id] AS wanted LIMIT 5"""

OWNERS_SCAN = """MATCH (n:{label})
WITH n, CASE WHEN n.id IS :: STRING NOT NULL THEN $wanted[n.id] END AS wanted
WHERE wanted IS NOT NULL AND (n.dataset IS NULL OR n.dataset <> $dataset OR wanted <> $label)
RETURN n.id AS id, n.dataset AS owner, $label AS label, wanted LIMIT 5"""

# a load sets load_run on every element of the input, changed or not: the others are
# stale; at most $limit of them a statement (a batched load deletes in transactions of a
# size it can halve on the transaction memory limit; a single one passes PRUNE_ALL)
PRUNE_ALL = 2**63 - 1
PRUNE_RELS = """MATCH ()-[r:{type}]->()
WHERE r.dataset = $dataset AND r.load_run <> $run
WITH r LIMIT $limit
DELETE r RETURN count(*) AS deleted"""

COUNT_STALE_RELS = """MATCH (a)-[r:{type}]->(b)
WHERE r.dataset = $dataset AND NOT [a.id, b.id, r.key] IN $keep
RETURN count(r) AS deleted"""

PRUNE_NODES = """MATCH (n:{label})
WHERE n.dataset = $dataset AND n.load_run <> $run AND NOT EXISTS {{ (n)--() }}
WITH n LIMIT $limit
DELETE n RETURN count(*) AS deleted"""

COUNT_STALE_NODES = """MATCH (n:{label})
WHERE n.dataset = $dataset AND NOT n.id IN $keep
RETURN count(n) AS deleted"""

PRUNE_REFERRED = """MATCH (n:{label})
WHERE n.dataset = $dataset AND n.load_run <> $run
MATCH (n)-[r]-()
WHERE r.dataset IS NOT NULL AND r.dataset <> $dataset
WITH n, collect(DISTINCT r.dataset) AS by
RETURN n.id AS id, by LIMIT 5"""

PRUNE_NODES_KEPT = """MATCH (n:{label})
WHERE n.dataset = $dataset AND n.load_run <> $run AND EXISTS {{ (n)--() }}
RETURN count(n) AS kept"""
