// The neighbourhood of an entity
// name: ego-network
// description: Every node within `depth` hops (1 to 3) of an entity, at its shortest distance, with
//   one shortest way to reach it (`via`) and the status and sources of the last hop. Nodes with
//   an excluded label (by default the Source and LoadRun bookkeeping) are neither shown nor
//   crossed.
// category: Exploration
// param: entity string example='agency/eurojust' -- id of the centre node (name-search finds it)
// param: depth int default=1 -- how many hops out, 1 to 3 (more is capped at 3)
// param: exclude list<string> default='Source,LoadRun' -- labels to leave out (comma-separated)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: neighbourhood, ego network, exploration, graph
// view: graph

MATCH (c {id: $entity})
MATCH p = (c)-[*1..3]-(n)
WHERE length(p) <= $depth
  AND n <> c
  AND none(x IN nodes(p) WHERE any(l IN labels(x) WHERE l IN $exclude))
  AND all(r IN relationships(p) WHERE ($case = '' OR r.dataset = $case)
    AND (type(r) <> 'SAME_AS' OR r.judgement = 'same'))
WITH n, p,
     trim(reduce(s = '', i IN range(0, length(p) - 1) |
       s
       + CASE WHEN startNode(relationships(p)[i]) = nodes(p)[i]
           THEN ' -[' + type(relationships(p)[i]) + ']-> '
           ELSE ' <-[' + type(relationships(p)[i]) + ']- '
         END
       + coalesce(nodes(p)[i + 1].name, nodes(p)[i + 1].title, nodes(p)[i + 1].id))) AS via
ORDER BY length(p), via
WITH n, collect({distance: length(p), via: via, last: last(relationships(p)), path: p})[0] AS best
RETURN best.distance AS distance,
       head(labels(n)) AS label,
       coalesce(n.name, n.title) AS name,
       n.id AS id,
       best.via AS via,
       best.last.status AS status,
       best.last.sources AS sources,
       best.path AS graph
ORDER BY distance, label, name;
