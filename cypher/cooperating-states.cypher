// States that cooperated in an investigation
// name: cooperating-states
// description: The states (Jurisdiction nodes) whose cooperation the investigation had
//   (COOPERATED_WITH), with their English names, ISO code, and what the sources say of each.
// category: Investigation
// param: investigation string default='' -- id of the Investigation node ('' for every one)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: cooperation, international, jurisdictions

MATCH (i:Investigation)-[r:COOPERATED_WITH]->(j:Jurisdiction)
WHERE ($investigation = '' OR i.id = $investigation) AND ($case = '' OR r.dataset = $case)
RETURN j.name AS state,
       coalesce(j.aliases, []) AS also_known_as,
       coalesce(j.iso_code, j.country) AS iso_code,
       j.kind AS kind,
       r.note AS context,
       r.status AS status,
       r.sources AS sources,
       j.id AS id,
       i.name AS investigation
ORDER BY investigation, iso_code;
