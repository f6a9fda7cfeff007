// People connected to a platform, and their ties to jurisdictions
// name: platform-people
// description: Everyone linked to a platform directly or through one person, organisation,
//   event or investigation (how, in `connections`), with every tie each person has to a
//   jurisdiction: origin, residence, nationality, relocation, custody.
// category: People
// param: platform string default='' -- id of the Platform node ('' for every one)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: people, platform, jurisdictions, relocation, nationality

MATCH (p:Platform)
WHERE $platform = '' OR p.id = $platform
MATCH path = (person:Person)-[*1..2]-(p)
WHERE all(x IN nodes(path)[1..-1] WHERE x:Person OR x:Organization OR x:Event OR x:Investigation)
  AND ($case = '' OR all(r IN relationships(path) WHERE r.dataset = $case))
WITH person, path,
     trim(reduce(s = '', i IN range(0, length(path) - 1) |
       s
       + CASE WHEN startNode(relationships(path)[i]) = nodes(path)[i]
           THEN ' -[' + type(relationships(path)[i]) + ']->'
           ELSE ' <-[' + type(relationships(path)[i]) + ']-'
         END
       + CASE WHEN i < length(path) - 1 THEN ' ' + nodes(path)[i + 1].name ELSE '' END))
       AS via
ORDER BY size(via), via
WITH person, collect(DISTINCT via) AS connections
OPTIONAL MATCH (person)-[t]->(j:Jurisdiction)
WHERE $case = '' OR t.dataset = $case
RETURN person.name AS person,
       person.role AS role,
       connections,
       type(t) AS tie,
       j.name AS jurisdiction,
       j.iso_code AS code,
       nullIf(trim(
         coalesce(CASE t.date_precision
           WHEN 'year' THEN toString(t.date.year)
           WHEN 'month' THEN left(toString(t.date), 7)
           ELSE toString(t.date)
         END, '')
         + coalesce(' since ' + CASE t.valid_from_precision
           WHEN 'year' THEN toString(t.valid_from.year)
           WHEN 'month' THEN left(toString(t.valid_from), 7)
           ELSE toString(t.valid_from)
         END, '')
         + coalesce(' until ' + CASE t.valid_to_precision
           WHEN 'year' THEN toString(t.valid_to.year)
           WHEN 'month' THEN left(toString(t.valid_to), 7)
           ELSE toString(t.valid_to)
         END, '')), '') AS `when`,
       t.status AS status,
       t.sources AS sources
ORDER BY person, tie, jurisdiction;
