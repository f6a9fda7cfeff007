// The sources behind every claim about an entity
// name: claim-sources
// description: Every claim that involves an entity (the node itself, and each relationship from or
//   to it), one row per source it cites: the source's title, publisher, kind and date, the
//   documents that relay it (CITED_IN), the claim's status, what this source says of it (its own
//   status and quote, where it gives them) and the claim's note.
// category: Provenance
// param: entity string example='platform/archetyp' -- id of the node (name-search finds it)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: sources, provenance, claims, evidence

MATCH (n {id: $entity})
CALL (n) {
  WITH n WHERE $case = '' OR n.dataset = $case
  RETURN 0 AS rank, 'node' AS kind, null AS relation, null AS other, n.status AS status,
         n.sources AS source_ids, n.source_statuses AS own, n.source_quotes AS quotes,
         null AS note
  UNION ALL
  MATCH (n)-[r]->(m)
  WHERE r.sources IS NOT NULL AND ($case = '' OR r.dataset = $case)
  RETURN 1 AS rank, 'relationship' AS kind, '-[' + type(r) + ']->' AS relation,
         coalesce(m.name, m.title, m.id) AS other, r.status AS status, r.sources AS source_ids,
         r.source_statuses AS own, r.source_quotes AS quotes, r.note AS note
  UNION ALL
  MATCH (n)<-[r]-(m)
  WHERE r.sources IS NOT NULL AND ($case = '' OR r.dataset = $case)
  RETURN 1 AS rank, 'relationship' AS kind, '<-[' + type(r) + ']-' AS relation,
         coalesce(m.name, m.title, m.id) AS other, r.status AS status, r.sources AS source_ids,
         r.source_statuses AS own, r.source_quotes AS quotes, r.note AS note
}
OPTIONAL MATCH (s:Source)
WHERE s.id IN source_ids
WITH *, head([i IN range(0, size(coalesce(source_ids, [])) - 1) WHERE source_ids[i] = s.id]) AS at
RETURN coalesce(n.name, n.title) AS entity,
       kind,
       relation,
       other,
       status,
       s.id AS source,
       coalesce(own[at], status) AS source_status,
       CASE WHEN quotes[at] <> '' THEN quotes[at] END AS quote,
       s.title AS source_title,
       s.publisher AS publisher,
       s.kind AS source_kind,
       CASE s.date_precision
         WHEN 'year' THEN toString(s.date.year)
         WHEN 'month' THEN left(toString(s.date), 7)
         ELSE toString(s.date)
       END AS source_date,
       COLLECT { MATCH (s)-[:CITED_IN]->(v:Source) RETURN v.id ORDER BY v.id } AS relayed_by,
       note
ORDER BY rank, relation, other, source;
