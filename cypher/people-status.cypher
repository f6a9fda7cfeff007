// People and the legal claims about them, with their status
// name: people-status
// description: For every person, each claim about them whose status belongs to a legal process
//   (alleged, suspected, arrested, custody, charged, convicted, acquitted, denied), when it
//   happened, and whether the status means a court found it proven. Nothing else is a finding:
//   an arrest or custody implies no guilt.
// category: People
// param: statuses list<string> default='alleged,suspected,arrested,custody,charged,convicted,acquitted,denied'
//   -- the statuses to list (comma-separated)
// param: proven list<string> default='convicted' -- the statuses that mean proven (see
//   loader/model/ontology.yaml: only convicted is proven)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: people, status, arrest, custody, presumption of innocence

MATCH (person:Person)
WHERE $case = '' OR person.dataset = $case OR EXISTS { (person)-[q]-() WHERE q.dataset = $case }
OPTIONAL MATCH (person)-[r]-(x)
WHERE r.status IN $statuses AND ($case = '' OR r.dataset = $case)
WITH person, r, x,
     CASE WHEN r.date IS NOT NULL THEN r.date WHEN x:Event THEN x.date END AS on,
     CASE WHEN r.date IS NOT NULL THEN r.date_precision WHEN x:Event THEN x.date_precision END
       AS precision
RETURN person.name AS person,
       person.role AS role,
       CASE WHEN r IS NULL THEN null
         WHEN startNode(r) = person THEN '-[' + type(r) + ']->'
         ELSE '<-[' + type(r) + ']-'
       END AS claim,
       coalesce(x.name, x.title) AS about,
       CASE precision
         WHEN 'year' THEN toString(on.year)
         WHEN 'month' THEN left(toString(on), 7)
         ELSE toString(on)
       END AS `when`,
       r.status AS status,
       r.status IN $proven AS proven,
       r.sources AS sources
ORDER BY person, on, claim, about;
