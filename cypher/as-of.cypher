// What was in force, or had happened, at a given date
// name: as-of
// description: The dated claims in force at a date (relationships with valid_from / valid_to), and
//   what had happened or been published by then (nodes and relationships with a date,
//   investigations opened). A year or month date covers its whole period, so `uncertain` is true
//   when the date falls inside the imprecise period of a bound (e.g. "until 2023" on 2023-06-01).
//   Claims with no date at all are not listed.
// category: Timeline
// param: asOf date example=2024-06-30 -- the date: YYYY, YYYY-MM or YYYY-MM-DD (a year or month
//   means its first day)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: time, validity, as of, dates

CALL () {
  MATCH (a)-[r]->(b)
  WHERE (r.valid_from IS NOT NULL OR r.valid_to IS NOT NULL)
    AND (r.valid_from IS NULL OR r.valid_from <= $asOf)
    AND ($case = '' OR r.dataset = $case)
  WITH a, r, b,
       CASE r.valid_from_precision
         WHEN 'year' THEN duration('P1Y') WHEN 'month' THEN duration('P1M') ELSE duration('P1D')
       END AS from_span,
       CASE r.valid_to_precision
         WHEN 'year' THEN duration('P1Y') WHEN 'month' THEN duration('P1M') ELSE duration('P1D')
       END AS to_span
  WHERE r.valid_to IS NULL OR $asOf < r.valid_to + to_span
  RETURN 'in force' AS state, coalesce(a.name, a.title) AS subject, type(r) AS relation,
         coalesce(b.name, b.title) AS object,
         r.valid_from AS since, r.valid_from_precision AS since_precision,
         r.valid_to AS until, r.valid_to_precision AS until_precision,
         (r.valid_from IS NOT NULL AND $asOf < r.valid_from + from_span - duration('P1D'))
           OR (r.valid_to IS NOT NULL AND $asOf >= r.valid_to) AS uncertain,
         r.status AS status, r.sources AS sources
  UNION ALL
  MATCH (a)-[r]->(b)
  WHERE r.date <= $asOf AND ($case = '' OR r.dataset = $case)
  WITH a, r, b,
       CASE r.date_precision
         WHEN 'year' THEN duration('P1Y') WHEN 'month' THEN duration('P1M') ELSE duration('P1D')
       END AS span
  RETURN 'happened' AS state, coalesce(a.name, a.title) AS subject, type(r) AS relation,
         coalesce(b.name, b.title) AS object,
         r.date AS since, r.date_precision AS since_precision,
         null AS until, null AS until_precision,
         $asOf < r.date + span - duration('P1D') AS uncertain,
         r.status AS status, r.sources AS sources
  UNION ALL
  MATCH (n)
  WHERE n.date <= $asOf AND ($case = '' OR n.dataset = $case)
  WITH n,
       CASE n.date_precision
         WHEN 'year' THEN duration('P1Y') WHEN 'month' THEN duration('P1M') ELSE duration('P1D')
       END AS span
  RETURN CASE WHEN n:Source THEN 'published' ELSE 'happened' END AS state,
         coalesce(n.name, n.title) AS subject, coalesce(n.kind, head(labels(n))) AS relation,
         null AS object,
         n.date AS since, n.date_precision AS since_precision,
         null AS until, null AS until_precision,
         $asOf < n.date + span - duration('P1D') AS uncertain,
         n.status AS status, n.sources AS sources
  UNION ALL
  MATCH (i:Investigation)
  WHERE i.opened_on <= $asOf AND ($case = '' OR i.dataset = $case)
  WITH i,
       CASE i.opened_on_precision
         WHEN 'year' THEN duration('P1Y') WHEN 'month' THEN duration('P1M') ELSE duration('P1D')
       END AS span
  RETURN 'opened' AS state, i.name AS subject, 'investigation opened' AS relation, null AS object,
         i.opened_on AS since, i.opened_on_precision AS since_precision,
         null AS until, null AS until_precision,
         $asOf < i.opened_on + span - duration('P1D') AS uncertain,
         i.status AS status, i.sources AS sources
}
RETURN state,
       subject,
       relation,
       object,
       CASE since_precision
         WHEN 'year' THEN toString(since.year)
         WHEN 'month' THEN left(toString(since), 7)
         ELSE toString(since)
       END AS since,
       CASE until_precision
         WHEN 'year' THEN toString(until.year)
         WHEN 'month' THEN left(toString(until), 7)
         ELSE toString(until)
       END AS until,
       uncertain,
       status,
       sources
ORDER BY CASE state WHEN 'in force' THEN 0 WHEN 'opened' THEN 1 WHEN 'happened' THEN 2 ELSE 3 END,
         since, subject, relation, object;
