// Timeline of events
// name: timeline
// description: Events in date order, each date only as precise as the sources give it (2022,
//   2023-12, 2024-06-11), with the last day of those that lasted several days, what each event
//   concerns and where it took place (states, subdivisions, cities). Events without a date come
//   last.
// category: Timeline
// param: about string default='' -- id of an entity: only the events linked to it ('' for all)
// param: undated bool default=true -- also list the events the sources give no date for
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: timeline, events, dates

MATCH (e:Event)
WHERE ($about = '' OR EXISTS { (e)--({id: $about}) })
  AND ($undated OR e.date IS NOT NULL)
  AND ($case = '' OR e.dataset = $case)
CALL (e) {
  OPTIONAL MATCH (e)-[c:CONCERNS]->(x)
  WITH c, x ORDER BY x.name
  RETURN collect(x.name + coalesce(' (' + c.role + ')', '')) AS concerns
}
CALL (e) {
  OPTIONAL MATCH (e)-[:OCCURRED_IN]->(p)
  WITH p ORDER BY p.name
  RETURN collect(p.name) AS places
}
RETURN CASE e.date_precision
         WHEN 'year' THEN toString(e.date.year)
         WHEN 'month' THEN left(toString(e.date), 7)
         ELSE toString(e.date)
       END AS date,
       e.date_precision AS precision,
       e.kind AS kind,
       e.name AS event,
       concerns,
       places,
       e.people_count AS people_count,
       e.sources AS sources,
       e.note AS note,
       e.id AS id,
       CASE e.end_date_precision
         WHEN 'year' THEN toString(e.end_date.year)
         WHEN 'month' THEN left(toString(e.end_date), 7)
         ELSE toString(e.end_date)
       END AS end_date
ORDER BY e.date,
         CASE e.date_precision WHEN 'year' THEN 0 WHEN 'month' THEN 1 ELSE 2 END,
         event;
