// Numbers stated about an entity
// name: figures
// description: The figures sources state about a platform, investigation, event or group: what
//   each measures (metric), the count (value) or the sum of money (amount and currency), the
//   unit, how to read it (at least, more than, approximate...) and the period counted.
// category: Platform
// param: about string default='' -- id of the node the figures measure ('' for every one)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: figures, statistics, money, currency, victims, procedures

MATCH (f:Figure)-[r:FIGURE_OF]->(x)
WHERE ($about = '' OR x.id = $about) AND ($case = '' OR r.dataset = $case)
RETURN x.name AS about,
       f.name AS figure,
       f.metric AS metric,
       f.value AS value,
       f.amount AS amount,
       f.currency AS currency,
       f.unit AS unit,
       f.bound AS bound,
       CASE f.period_start_precision
         WHEN 'year' THEN toString(f.period_start.year)
         WHEN 'month' THEN left(toString(f.period_start), 7)
         ELSE toString(f.period_start)
       END AS period_start,
       CASE f.period_end_precision
         WHEN 'year' THEN toString(f.period_end.year)
         WHEN 'month' THEN left(toString(f.period_end), 7)
         ELSE toString(f.period_end)
       END AS period_end,
       r.status AS status,
       r.sources AS sources
ORDER BY about, coalesce(value, amount) DESC, figure;
