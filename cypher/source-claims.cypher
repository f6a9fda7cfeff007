// What a given source says
// name: source-claims
// description: Everything that cites one source: the entities it names or describes, and the claims
//   (relationships) it supports, with their status, the other sources that support each one,
//   and the source's wording (note).
// category: Provenance
// param: source string example='source/eurojust-archetyp-release' -- id of the Source node
//   (sources-overview lists them)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: sources, provenance, claims

MATCH (s:Source {id: $source})
CALL (s) {
  MATCH (n)
  WHERE s.id IN n.sources AND ($case = '' OR n.dataset = $case)
  RETURN 0 AS rank, 'names' AS kind, coalesce(n.name, n.title) AS subject,
         head(labels(n)) AS relation, null AS object, n.status AS status,
         [x IN n.sources WHERE x <> s.id] AS also_cited, null AS note
  UNION ALL
  MATCH (a)-[r]->(b)
  WHERE s.id IN r.sources AND ($case = '' OR r.dataset = $case)
  RETURN 1 AS rank, 'claims' AS kind, coalesce(a.name, a.title) AS subject, type(r) AS relation,
         coalesce(b.name, b.title) AS object, r.status AS status,
         [x IN r.sources WHERE x <> s.id] AS also_cited, r.note AS note
}
RETURN s.title AS source,
       kind,
       subject,
       relation,
       object,
       status,
       also_cited,
       note
ORDER BY rank, relation, subject, object;
