// Where the sources disagree
// name: conflicts
// description: The disagreements between sources, each with who says what: two Figures of one
//   metric about one subject, or two values of one property each given with its sources, from
//   sources that share none, with different values ('different value'); the same sum in two currencies ('different currency': often a conversion, not a
//   contradiction: read the notes); a member of a list (e.g. the countries an operation
//   cooperated with) that one source gives and another source's list of the same kind leaves
//   out ('left out of a list'). Claims of one source, and one event concerning several things,
//   are not disagreements.
// category: Provenance
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// param: lists list<string> default='COOPERATED_WITH' -- relationship types whose claims from
//   one subject form a list that a source gives whole (comma-separated)
// tags: sources, contradictions, disagreements, figures, currency, provenance

CALL () {
  MATCH (f1:Figure)-[:FIGURE_OF]->(x)<-[:FIGURE_OF]-(f2:Figure)
  WHERE f1.metric = f2.metric
    AND f1.id < f2.id
    AND ($case = '' OR (f1.dataset = $case AND f2.dataset = $case))
    AND none(s IN f1.sources WHERE s IN f2.sources)
    AND ((f1.value IS NOT NULL AND f2.value IS NOT NULL AND f1.value <> f2.value)
      OR (f1.amount IS NOT NULL AND f2.amount IS NOT NULL
        AND (f1.currency <> f2.currency OR f1.amount <> f2.amount)))
  RETURN CASE WHEN f1.currency <> f2.currency THEN 'different currency'
              ELSE 'different value' END AS conflict,
         coalesce(x.name, x.title) AS subject,
         f1.metric AS about,
         f1.name AS says_1, f1.sources AS sources_1,
         f2.name AS says_2, f2.sources AS sources_2,
         [note IN [f1.note, f2.note] WHERE note IS NOT NULL] AS notes
  UNION ALL
  MATCH (n)
  WHERE $case = '' OR n.dataset = $case
  UNWIND [key IN keys(n) WHERE key ENDS WITH '_values' | left(key, size(key) - 7)] AS property
  WITH n, property, n[property + '_values'] AS said, n[property + '_sources'] AS by
  UNWIND range(0, size(said) - 2) AS i
  UNWIND range(i + 1, size(said) - 1) AS j
  WITH n, property, said[i] AS v1, said[j] AS v2, split(by[i], ' ') AS s1, split(by[j], ' ') AS s2
  WHERE v1 <> v2 AND none(s IN s1 WHERE s IN s2)
  RETURN 'different value' AS conflict,
         coalesce(n.name, n.title) AS subject,
         property AS about,
         property + ': ' + toString(v1) AS says_1, s1 AS sources_1,
         property + ': ' + toString(v2) AS says_2, s2 AS sources_2,
         [note IN [n.note] WHERE note IS NOT NULL] AS notes
  UNION ALL
  MATCH (a)-[r]->(m)
  WHERE type(r) IN $lists AND ($case = '' OR r.dataset = $case)
  WITH a, type(r) AS relation, head(labels(m)) AS kind, collect({member: m, claim: r}) AS items
  WITH a, relation, kind, items,
       reduce(all = [], item IN items |
         all + [s IN item.claim.sources WHERE NOT s IN all]) AS listing
  UNWIND items AS item
  WITH a, relation, kind, item,
       [s IN listing WHERE NOT s IN item.claim.sources] AS leaving_out
  WHERE size(leaving_out) > 0
  RETURN 'left out of a list' AS conflict,
         coalesce(a.name, a.title) AS subject,
         relation + ' ' + kind AS about,
         'lists ' + coalesce(item.member.name, item.member.title) AS says_1,
         item.claim.sources AS sources_1,
         'leaves ' + coalesce(item.member.name, item.member.title) + ' out' AS says_2,
         leaving_out AS sources_2,
         [note IN [item.claim.note] WHERE note IS NOT NULL] AS notes
}
RETURN conflict, subject, about, says_1, sources_1, says_2, sources_2, notes
ORDER BY subject, about, conflict, says_1, says_2;
