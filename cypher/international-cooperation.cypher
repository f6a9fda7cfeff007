// States and international bodies that cooperated in an investigation
// name: international-cooperation
// description: The states and foreign bodies whose cooperation the investigation had
//   (COOPERATED_WITH), and the international bodies its operations were coordinated with
//   (COORDINATED_WITH), with what the sources say of each one's part.
// category: Investigation
// param: investigation string default='' -- id of the Investigation node ('' for every one)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: cooperation, international, jurisdictions

MATCH (i:Investigation)-[r:COOPERATED_WITH|COORDINATED_WITH]->(x)
WHERE ($investigation = '' OR i.id = $investigation) AND ($case = '' OR r.dataset = $case)
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
ORDER BY investigation, relation, type DESC, country, partner;
