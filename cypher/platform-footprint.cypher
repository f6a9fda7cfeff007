// A platform's footprint across jurisdictions
// name: platform-footprint
// description: Where a platform was: its domain names over time, where it was hosted, who ran it
//   and the jurisdictions of that operator (nationality, registration, relocations), and who
//   shut it down. Dates are shown as precise as the sources give them.
// category: Platform
// param: platform string default='' -- id of the Platform node ('' for every one)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: platform, domains, hosting, operator, relocation, jurisdictions
// view: graph

MATCH (p:Platform)
WHERE $platform = '' OR p.id = $platform
CALL (p) {
  MATCH (d:Domain)-[r:DOMAIN_OF]->(p)
  RETURN 1 AS rank, 'domain' AS aspect, d.name AS entity, r, null AS place
  UNION ALL
  MATCH (p)-[r:HOSTED_IN]->(j:Jurisdiction)
  RETURN 2 AS rank, 'hosting' AS aspect, p.name AS entity, r, j AS place
  UNION ALL
  MATCH (o)-[r:OPERATED]->(p)
  RETURN 3 AS rank, 'operator' AS aspect, o.name AS entity, r, null AS place
  UNION ALL
  MATCH (o)-[:OPERATED]->(p)
  MATCH (o)-[r:NATIONAL_OF|REGISTERED_IN|RELOCATED_TO]->(j:Jurisdiction)
  RETURN 4 AS rank,
         CASE type(r)
           WHEN 'NATIONAL_OF' THEN 'operator nationality'
           WHEN 'REGISTERED_IN' THEN 'operator registration'
           ELSE 'operator relocation'
         END AS aspect,
         o.name AS entity, r, j AS place
  UNION ALL
  MATCH (p)-[r:SHUT_DOWN_BY]->(a:Agency)
  RETURN 5 AS rank, 'shut down by' AS aspect, a.name AS entity, r, null AS place
}
WITH * WHERE $case = '' OR r.dataset = $case
RETURN p.name AS platform,
       aspect,
       entity,
       type(r) AS relation,
       place.name AS jurisdiction,
       coalesce(place.iso_code, place.country, endNode(r).country) AS country,
       CASE r.valid_from_precision
         WHEN 'year' THEN toString(r.valid_from.year)
         WHEN 'month' THEN left(toString(r.valid_from), 7)
         ELSE toString(r.valid_from)
       END AS since,
       CASE r.valid_to_precision
         WHEN 'year' THEN toString(r.valid_to.year)
         WHEN 'month' THEN left(toString(r.valid_to), 7)
         ELSE toString(r.valid_to)
       END AS until,
       r.status AS status,
       r.sources AS sources,
       [startNode(r), r, endNode(r)] AS graph
ORDER BY platform, rank, coalesce(r.valid_from, r.valid_to), entity, aspect, jurisdiction;
