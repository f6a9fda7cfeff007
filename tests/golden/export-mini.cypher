// casegraph export of dataset 'mini', input checksum e4367a02c2073cca637df263be5c13fa4d0ec479b4d8b8c00b4fbb0fb0ff9dfc
// Idempotent: run it again and nothing changes. cypher-shell -f FILE, or Neo4j Browser.

CREATE CONSTRAINT `casegraph_LoadRun_id` IF NOT EXISTS FOR (n:`LoadRun`) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT `casegraph_Org_id` IF NOT EXISTS FOR (n:`Org`) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT `casegraph_Person_id` IF NOT EXISTS FOR (n:`Person`) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT `casegraph_Source_id` IF NOT EXISTS FOR (n:`Source`) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT `casegraph_LoadLock_dataset` IF NOT EXISTS FOR (n:`LoadLock`) REQUIRE n.dataset IS UNIQUE;
CREATE INDEX `casegraph_Person_name` IF NOT EXISTS FOR (n:`Person`) ON (n.`name`);

// node Org: 1 rows
WITH [{`id`: 'org/acme', `props`: {`name`: 'ACME', `id`: 'org/acme'}, `hash`: 'f9aa9e779f91365fe367dbbf'}] AS rows, 'mini' AS dataset, 'export-e4367a02c2073cca' AS run, datetime() AS now
UNWIND rows AS row
MERGE (n:`Org` {id: row.id})
WITH n, row, dataset, run, now, n.content_hash AS before, coalesce(n.first_seen, now) AS first
FOREACH (_ IN CASE WHEN before IS NULL OR before <> row.hash THEN [1] ELSE [] END |
  SET n = row.props, n.first_seen = first, n.content_hash = row.hash)
SET n.dataset = dataset, n.load_run = run, n.last_seen = now
RETURN count(*) AS rows, count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before <> row.hash THEN 1 END) AS changed;

// node Person: 2 rows
WITH [{`id`: 'person/ada', `props`: {`name`: 'Ada Example', `aliases`: ['A. Example', 'NO'], `age`: 44, `height`: 1.7, `verified`: true, `born`: '1980-01-01', `born_precision`: 'year', `nationality`: 'NO', `region`: 'FR-83', `kind`: 'private', `bio`: 'Two lines\nof text.\n', `sources`: ['src/paper'], `id`: 'person/ada', `according_to`: ['The Daily Paper']}, `hash`: '15344f7c0b7410ea03d2ca66'}, {`id`: 'person/bob', `props`: {`name`: 'Bob Example', `sources`: ['src/paper'], `id`: 'person/bob', `according_to`: ['The Daily Paper']}, `hash`: '0e133bc447dfaf3a03eb85cf'}] AS rows, 'mini' AS dataset, 'export-e4367a02c2073cca' AS run, datetime() AS now
UNWIND rows AS row
MERGE (n:`Person` {id: row.id})
WITH n, row, dataset, run, now, n.content_hash AS before, coalesce(n.first_seen, now) AS first
FOREACH (_ IN CASE WHEN before IS NULL OR before <> row.hash THEN [1] ELSE [] END |
  SET n = row.props, n.first_seen = first, n.content_hash = row.hash, n.`born` = date(row.props.`born`))
SET n.dataset = dataset, n.load_run = run, n.last_seen = now
RETURN count(*) AS rows, count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before <> row.hash THEN 1 END) AS changed;

// node Source: 1 rows
WITH [{`id`: 'src/paper', `props`: {`title`: 'The Daily Paper', `published`: '2024-06-01', `published_precision`: 'month', `url`: 'https://example.org/story', `id`: 'src/paper'}, `hash`: '5e96c83f5077f9223bbc6faf'}] AS rows, 'mini' AS dataset, 'export-e4367a02c2073cca' AS run, datetime() AS now
UNWIND rows AS row
MERGE (n:`Source` {id: row.id})
WITH n, row, dataset, run, now, n.content_hash AS before, coalesce(n.first_seen, now) AS first
FOREACH (_ IN CASE WHEN before IS NULL OR before <> row.hash THEN [1] ELSE [] END |
  SET n = row.props, n.first_seen = first, n.content_hash = row.hash, n.`published` = date(row.props.`published`))
SET n.dataset = dataset, n.load_run = run, n.last_seen = now
RETURN count(*) AS rows, count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before <> row.hash THEN 1 END) AS changed;

// rel KNOWS: 1 rows
WITH [{`start`: 'person/ada', `end`: 'person/bob', `key`: '', `props`: {`since`: '2001-01-01', `since_precision`: 'year', `key`: '', `caption`: 'KNOWS'}, `hash`: 'cfabc455f7ea20d6bd7d5048'}] AS rows, 'mini' AS dataset, 'export-e4367a02c2073cca' AS run, datetime() AS now
UNWIND rows AS row
MATCH (a:`Person` {id: row.start})
MATCH (b:`Person` {id: row.end})
MERGE (a)-[r:`KNOWS` {key: row.key}]->(b)
WITH r, row, dataset, run, now, r.content_hash AS before, coalesce(r.first_seen, now) AS first
FOREACH (_ IN CASE WHEN before IS NULL OR before <> row.hash THEN [1] ELSE [] END |
  SET r = row.props, r.first_seen = first, r.content_hash = row.hash, r.`since` = date(row.props.`since`))
SET r.dataset = dataset, r.load_run = run, r.last_seen = now
RETURN count(*) AS rows, count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before <> row.hash THEN 1 END) AS changed;

// rel WORKS_FOR: 2 rows
WITH [{`start`: 'person/ada', `end`: 'org/acme', `key`: '["2020-01"]', `props`: {`role`: 'engineer', `valid_from`: '2020-01-01', `valid_from_precision`: 'month', `valid_to`: '2022-01-01', `valid_to_precision`: 'year', `sources`: ['src/paper'], `status`: 'reported', `key`: '["2020-01"]', `caption`: 'WORKS_FOR · reported', `according_to`: ['The Daily Paper']}, `hash`: 'abc430cdd130a9923177c1b1'}, {`start`: 'person/ada', `end`: 'org/acme', `key`: '["2023-12-05"]', `props`: {`role`: 'director', `valid_from`: '2023-12-05', `valid_from_precision`: 'day', `sources`: ['src/paper'], `status`: 'alleged', `key`: '["2023-12-05"]', `caption`: 'WORKS_FOR · alleged', `according_to`: ['The Daily Paper']}, `hash`: '5cc37cd54f5dc8dbe2c75e80'}] AS rows, 'mini' AS dataset, 'export-e4367a02c2073cca' AS run, datetime() AS now
UNWIND rows AS row
MATCH (a:`Person` {id: row.start})
MATCH (b:`Org` {id: row.end})
MERGE (a)-[r:`WORKS_FOR` {key: row.key}]->(b)
WITH r, row, dataset, run, now, r.content_hash AS before, coalesce(r.first_seen, now) AS first
FOREACH (_ IN CASE WHEN before IS NULL OR before <> row.hash THEN [1] ELSE [] END |
  SET r = row.props, r.first_seen = first, r.content_hash = row.hash, r.`valid_from` = date(row.props.`valid_from`), r.`valid_to` = date(row.props.`valid_to`))
SET r.dataset = dataset, r.load_run = run, r.last_seen = now
RETURN count(*) AS rows, count(CASE WHEN before IS NULL THEN 1 END) AS created,
       count(CASE WHEN before <> row.hash THEN 1 END) AS changed;
