// Shortest connections between two entities
// name: shortest-connection
// description: All the shortest paths (up to 10 hops) between two entities, hop by hop, with each
//   hop's direction, status and sources. Paths through a node with an excluded label (by
//   default the Source and LoadRun bookkeeping) are not considered.
// category: Exploration
// param: from_id string example='person/isaac-steidl' -- id of the first node
// param: to_id string example='agency/uncyber' -- id of the second node
// param: exclude list<string> default='Source,LoadRun' -- labels the paths may not pass through
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: path, shortest path, connection, exploration
// view: graph

MATCH (a {id: $from_id}), (b {id: $to_id})
MATCH p = allShortestPaths((a)-[*..10]-(b))
WHERE none(x IN nodes(p)[1..-1] WHERE any(l IN labels(x) WHERE l IN $exclude))
  AND all(r IN relationships(p) WHERE ($case = '' OR r.dataset = $case)
    AND (type(r) <> 'SAME_AS' OR r.judgement = 'same'))
WITH p, [x IN nodes(p) | coalesce(x.name, x.title, x.id)] AS names,
     [r IN relationships(p) | type(r)] AS types
ORDER BY names, types
WITH collect(p) AS paths
UNWIND range(0, size(paths) - 1) AS k
WITH k + 1 AS connection, paths[k] AS p
UNWIND range(0, length(p) - 1) AS i
WITH p, connection, length(p) AS hops, i + 1 AS step, nodes(p)[i] AS x,
     relationships(p)[i] AS r, nodes(p)[i + 1] AS y
RETURN connection,
       hops,
       step,
       coalesce(x.name, x.title, x.id) AS from_name,
       CASE WHEN startNode(r) = x THEN '-[' + type(r) + ']->' ELSE '<-[' + type(r) + ']-' END
         AS relation,
       coalesce(y.name, y.title, y.id) AS to_name,
       r.status AS status,
       r.sources AS sources,
       p AS graph
ORDER BY connection, step;
