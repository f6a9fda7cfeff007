// Offences suspected in an investigation, with penalties and status
// name: suspected-offences
// description: The offences an investigation was opened for (OPENED_FOR), then the offences
//   its targets are suspected of or said to have facilitated (SUSPECTED_OF, FACILITATED), with
//   the maximum penalties a source states. Every row is a suspicion or an allegation, never a
//   finding: read the status.
// category: Investigation
// param: investigation string default='' -- id of the Investigation node ('' for every one)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: offences, penalties, suspicion, allegation

MATCH (i:Investigation)
WHERE $investigation = '' OR i.id = $investigation
CALL (i) {
  MATCH (i)-[r:OPENED_FOR]->(o:Offence)
  RETURN 0 AS rank, i AS subject, r, o
  UNION
  MATCH (i)-[:INVESTIGATES]->(t)-[r:SUSPECTED_OF|FACILITATED]->(o:Offence)
  RETURN 1 AS rank, t AS subject, r, o
}
WITH * WHERE $case = '' OR r.dataset = $case
RETURN subject.name AS subject,
       head(labels(subject)) AS subject_type,
       CASE type(r)
         WHEN 'OPENED_FOR' THEN 'opened on suspicion of'
         WHEN 'SUSPECTED_OF' THEN 'suspected of'
         ELSE 'said to have facilitated'
       END AS claim,
       o.name AS offence,
       o.name_en AS offence_en,
       o.kind AS kind,
       o.max_prison_years AS max_prison_years,
       o.max_fine_eur AS max_fine_eur,
       r.status AS status,
       r.sources AS sources
ORDER BY rank, subject, claim DESC, coalesce(max_prison_years, -1) DESC, offence;
