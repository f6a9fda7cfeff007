// States and international bodies that cooperated in an investigation
// name: international-cooperation
// description: The states and foreign bodies whose cooperation the investigation had
//   (COOPERATED_WITH), and the international bodies its operations were coordinated with
//   (COORDINATED_WITH), with what the sources say of each one's part.
// category: Investigation
// param: investigation string default='investigation/coco' -- id of the Investigation node
// tags: cooperation, international, jurisdictions

MATCH (i:Investigation {id: $investigation})-[r:COOPERATED_WITH|COORDINATED_WITH]->(x)
RETURN i.name AS investigation,
       CASE type(r) WHEN 'COOPERATED_WITH' THEN 'cooperated' ELSE 'coordinated with' END
         AS relation,
       x.name AS partner,
       coalesce(x.aliases, []) AS also_known_as,
       head(labels(x)) AS type,
       x.kind AS kind,
       coalesce(x.iso_code, x.country) AS country,
       x.id AS id,
       r.note AS context,
       r.status AS status,
       r.sources AS sources
ORDER BY relation, type DESC, country, partner;
