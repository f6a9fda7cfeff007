// States that cooperated in an investigation
// name: cooperating-states
// description: The states (Jurisdiction nodes) whose cooperation the investigation had
//   (COOPERATED_WITH), with their English names, ISO code, and what the sources say of each.
// category: Investigation
// param: investigation string default='investigation/coco' -- id of the Investigation node
// tags: cooperation, international, jurisdictions

MATCH (i:Investigation {id: $investigation})-[r:COOPERATED_WITH]->(j:Jurisdiction)
RETURN j.name AS state,
       coalesce(j.aliases, []) AS also_known_as,
       coalesce(j.iso_code, j.country) AS iso_code,
       j.kind AS kind,
       r.note AS context,
       r.status AS status,
       r.sources AS sources,
       j.id AS id
ORDER BY iso_code;
