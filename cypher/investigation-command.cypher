// Who conducted an investigation, and under whose authority
// name: investigation-command
// description: The bodies that directed, conducted, supported or coordinated an investigation,
//   each with the chain of bodies it belongs to (PART_OF, up to the top of the hierarchy).
// category: Investigation
// param: investigation string default='' -- id of the Investigation node ('' for every one)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: investigation, agencies, chain of command, authority
// view: graph

MATCH role = (i:Investigation)
      -[r:UNDER_AUTHORITY_OF|CONDUCTED_BY|SUPPORTED_BY|COORDINATED_WITH]->(a:Agency)
WHERE ($investigation = '' OR i.id = $investigation) AND ($case = '' OR r.dataset = $case)
OPTIONAL MATCH chain = (a)-[:PART_OF*1..10]->(top:Agency)
WHERE NOT (top)-[:PART_OF]->(:Agency)
WITH i, r, a, role, chain,
     CASE type(r)
       WHEN 'UNDER_AUTHORITY_OF' THEN 1
       WHEN 'CONDUCTED_BY' THEN 2
       WHEN 'SUPPORTED_BY' THEN 3
       ELSE 4
     END AS rank
RETURN i.name AS investigation,
       CASE type(r)
         WHEN 'UNDER_AUTHORITY_OF' THEN 'under the authority of'
         WHEN 'CONDUCTED_BY' THEN 'conducted by'
         WHEN 'SUPPORTED_BY' THEN 'supported by'
         ELSE 'coordinated with'
       END AS role,
       a.name AS agency,
       a.acronym AS acronym,
       a.kind AS kind,
       coalesce([x IN nodes(chain)[1..] | x.name], []) AS part_of,
       coalesce(reduce(acc = [], p IN relationships(chain) |
         acc + [s IN p.sources WHERE NOT s IN acc]), []) AS part_of_sources,
       r.role AS unit_role,
       r.status AS status,
       r.sources AS sources,
       [role] + CASE WHEN chain IS NULL THEN [] ELSE [chain] END AS graph
ORDER BY investigation, rank, agency;
