// Where two cases meet, and what each says there
// name: case-connections
// description: The shortest connections between cases: every node that claims of two cases touch
//   (directly, or through a SAME_AS judged same), with what each case claims about it, its
//   status and sources. A meeting point is one hop from each case's own claims; cases that share
//   no node have no row (shortest-connection then finds longer ways between two of their nodes).
// category: Cases
// param: case string default='' -- the first case (dataset); '' for every case
// param: other string default='' -- the second case; '' for every other case
// param: exclude list<string> default='Source,LoadRun' -- labels to leave out (comma-separated)
// tags: cases, cross-case, connection, meeting point, same as
// view: graph

MATCH (x)-[ra]-(a)
WHERE ra.dataset IS NOT NULL AND ra.sources IS NOT NULL AND type(ra) <> 'SAME_AS'  // claims
  AND ($case = '' OR ra.dataset = $case)
  AND none(l IN labels(x) WHERE l IN $exclude)
OPTIONAL MATCH (x)-[s:SAME_AS]-(twin)
WHERE s.judgement = 'same'
WITH x, ra, a, [x] + collect(DISTINCT twin) AS group
UNWIND group AS y
MATCH (y)-[rb]-(b)
WHERE rb.sources IS NOT NULL AND type(rb) <> 'SAME_AS' AND rb.dataset <> ra.dataset  // claims
  AND ($other = '' OR rb.dataset = $other)
  AND ($case <> '' OR $other <> '' OR ra.dataset < rb.dataset)
WITH x, y, ra, rb,
     CASE WHEN startNode(ra) = x
       THEN '-[' + type(ra) + ']-> ' + coalesce(a.name, a.title, a.id)
       ELSE coalesce(a.name, a.title, a.id) + ' -[' + type(ra) + ']->'
     END AS claim_a,
     CASE WHEN startNode(rb) = y
       THEN '-[' + type(rb) + ']-> ' + coalesce(b.name, b.title, b.id)
       ELSE coalesce(b.name, b.title, b.id) + ' -[' + type(rb) + ']->'
     END AS claim_b,
     [startNode(ra), ra, endNode(ra), startNode(rb), rb, endNode(rb)]
       + [(x)-[s:SAME_AS]-(y) WHERE s.judgement = 'same' | s] AS graph
RETURN ra.dataset AS case_a,
       rb.dataset AS case_b,
       head(labels(x)) AS label,
       coalesce(x.name, x.title) AS meeting_point,
       x.id AS id,
       CASE WHEN y = x THEN null ELSE y.id END AS same_as,
       claim_a,
       ra.status AS status_a,
       ra.sources AS sources_a,
       claim_b,
       rb.status AS status_b,
       rb.sources AS sources_b,
       graph
ORDER BY case_a, case_b, label, meeting_point, claim_a, claim_b;
