// Claims that rest on a single source
// name: single-source-claims
// description: Relationships whose only support is one source, with that source's publisher, kind
//   and the documents that relay it: the claims to corroborate first.
// category: Provenance
// param: about string default='' -- id of an entity: only the claims from or to it ('' for all)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: sources, corroboration, provenance

MATCH (a)-[r]->(b)
WHERE size(r.sources) = 1 AND ($about = '' OR a.id = $about OR b.id = $about)
  AND ($case = '' OR r.dataset = $case)
OPTIONAL MATCH (s:Source)
WHERE s.id IN r.sources
RETURN coalesce(a.name, a.title) AS subject,
       type(r) AS relation,
       coalesce(b.name, b.title) AS object,
       r.status AS status,
       r.sources[0] AS source,
       s.publisher AS publisher,
       s.kind AS source_kind,
       COLLECT { MATCH (s)-[:CITED_IN]->(v:Source) RETURN v.id ORDER BY v.id } AS relayed_by
ORDER BY source, relation, subject, object;
