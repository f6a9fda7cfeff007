// Numbers stated about an entity
// name: figures
// description: The figures (counts) sources state about a platform, investigation or event: value,
//   unit, how to read it (at least, approximate...) and the period counted.
// category: Platform
// param: entity string default='' -- id of the node the figures measure ('' for every one)
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: figures, statistics, victims, procedures

MATCH (f:Figure)-[r:FIGURE_OF]->(x)
WHERE ($entity = '' OR x.id = $entity) AND ($case = '' OR r.dataset = $case)
RETURN x.name AS about,
       f.name AS figure,
       f.value AS value,
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
ORDER BY about, value DESC, figure;
