// Which agencies each source credits with acting on a target
// name: accounts-by-source
// description: The agencies credited with acting on a target (a platform shut down, a person or
//   organisation investigated), directly or through an investigation or event about it, and for
//   each one the sources that name it and the sources that tell of the same action but never
//   name it. Accounts that differ (e.g. a post naming customs where a press release names other
//   units) show up as non-empty not_named_by.
// category: Provenance
// param: target string example='platform/archetyp' -- id of the node acted upon (name-search
//   finds it)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: sources, agencies, accounts, contradictions

MATCH (t {id: $target})
CALL (t) {
  MATCH (t)-[r]->(a:Agency)
  WHERE $case = '' OR r.dataset = $case
  RETURN r, a, coalesce(t.name, t.title) AS via
  UNION
  MATCH (m)-[:INVESTIGATES|CONCERNS]->(t)
  WHERE m:Investigation OR m:Event
  MATCH (m)-[r]->(a:Agency)
  WHERE $case = '' OR r.dataset = $case
  RETURN r, a, m.name AS via
}
WITH a, toLower(replace(type(r), '_', ' ')) + ' (' + via + ')' AS role, r.status AS status,
     r.sources AS sids
UNWIND sids AS sid
WITH a, role, status, sid
ORDER BY sid, role
WITH a, collect(DISTINCT role) AS roles, collect(DISTINCT status) AS statuses,
     collect(DISTINCT sid) AS named_by
WITH collect({agency: a, roles: roles, statuses: statuses, named_by: named_by}) AS accounts
WITH accounts,
     reduce(acc = [], x IN accounts | acc + [s IN x.named_by WHERE NOT s IN acc]) AS all_sources
UNWIND accounts AS x
RETURN x.agency.name AS agency,
       x.agency.acronym AS acronym,
       x.roles AS roles,
       x.statuses AS statuses,
       x.named_by AS named_by,
       [s IN all_sources WHERE NOT s IN x.named_by] AS not_named_by
ORDER BY named_by, agency;
