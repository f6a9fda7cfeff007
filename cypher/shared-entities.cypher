// Entities that several cases meet
// name: shared-entities
// description: Every node that claims of two or more cases touch, directly or through a SAME_AS
//   judged same: the agency, state, person or platform where cases meet. `cases` lists the
//   cases, `claims` how many of their claims reach it, `same_as` the nodes judged to be the same
//   entity. Reference data (ISO 3166 states, international bodies) is listed like any node.
// category: Cases
// param: case string default='' -- only the entities this case (dataset) meets; '' for every
//   case
// param: exclude list<string> default='Source,LoadRun' -- labels to leave out (comma-separated)
// tags: cases, cross-case, shared, same as, identity

MATCH (n)
WHERE none(l IN labels(n) WHERE l IN $exclude) AND NOT n:LoadLock
OPTIONAL MATCH (n)-[s:SAME_AS]-(m)
WHERE s.judgement = 'same'
WITH n, [n] + collect(DISTINCT m) AS group, collect(DISTINCT m) AS partners
UNWIND group AS member
MATCH (member)-[r]-()
WHERE type(r) <> 'SAME_AS' AND r.dataset IS NOT NULL AND r.sources IS NOT NULL  // claims
WITH n, partners, r ORDER BY r.dataset
WITH n, partners, collect(DISTINCT r.dataset) AS cases, count(DISTINCT r) AS claims
WHERE size(cases) >= 2 AND ($case = '' OR $case IN cases)
RETURN head(labels(n)) AS label,
       coalesce(n.name, n.title) AS name,
       n.id AS id,
       cases,
       claims,
       [p IN partners | p.id] AS same_as
ORDER BY size(cases) DESC, claims DESC, label, name;
