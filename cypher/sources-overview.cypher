// Sources and what each one backs
// name: sources-overview
// description: Every source with its publisher, kind, date and the documents that relay it, and
//   how much of the graph rests on it: the entities it names, the claims it supports, and the
//   claims that have no other source.
// category: Provenance
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: sources, provenance, reliability

MATCH (s:Source)
WHERE $case = '' OR s.dataset = $case
CALL (s) {
  OPTIONAL MATCH ()-[r]->()
  WHERE s.id IN r.sources
  RETURN count(r) AS claims, count(CASE WHEN size(r.sources) = 1 THEN r END) AS only_source
}
CALL (s) {
  OPTIONAL MATCH (n)
  WHERE s.id IN n.sources
  RETURN count(n) AS names
}
RETURN s.id AS source,
       s.publisher AS publisher,
       s.kind AS kind,
       CASE s.date_precision
         WHEN 'year' THEN toString(s.date.year)
         WHEN 'month' THEN left(toString(s.date), 7)
         ELSE toString(s.date)
       END AS date,
       s.title AS title,
       COLLECT { MATCH (s)-[:CITED_IN]->(v:Source) RETURN v.id ORDER BY v.id } AS relayed_by,
       names,
       claims,
       only_source
ORDER BY claims DESC, source;
