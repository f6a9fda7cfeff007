// Claims that differ between sources
// name: differing-claims
// description: Pairs of claims that may contradict each other: the same subject and relationship
//   type with different objects backed by different sources (no source in common), or the same
//   subject, type and object with different statuses (e.g. alleged by one source, denied by
//   another).
// category: Provenance
// param: about string default='' -- id of an entity: only claims from or to it ('' for all)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: sources, contradictions, provenance, corroboration

MATCH (a)-[r1]->(b), (a)-[r2]->(c)
WHERE type(r1) = type(r2)
  AND elementId(r1) < elementId(r2)
  AND ($about = '' OR $about IN [a.id, b.id, c.id])
  AND ($case = '' OR (r1.dataset = $case AND r2.dataset = $case))
  AND (
    (b <> c AND size(r1.sources) > 0 AND size(r2.sources) > 0
      AND none(s IN r1.sources WHERE s IN r2.sources))
    OR (b = c AND r1.status <> r2.status)
  )
WITH a, r1, r2, b, c,
     CASE WHEN b = c THEN 'different status' ELSE 'different object' END AS difference,
     CASE
       WHEN coalesce(b.name, b.title, b.id) + ' ' + coalesce(r1.status, '')
         <= coalesce(c.name, c.title, c.id) + ' ' + coalesce(r2.status, '')
       THEN [r1, b, r2, c]
       ELSE [r2, c, r1, b]
     END AS ordered
WITH a, difference, ordered[0] AS ra, ordered[1] AS x, ordered[2] AS rb, ordered[3] AS y
RETURN coalesce(a.name, a.title) AS subject,
       type(ra) AS relation,
       difference,
       coalesce(x.name, x.title) AS object_1,
       ra.status AS status_1,
       ra.sources AS sources_1,
       coalesce(y.name, y.title) AS object_2,
       rb.status AS status_2,
       rb.sources AS sources_2
ORDER BY subject, relation, object_1, object_2, sources_1, sources_2;
