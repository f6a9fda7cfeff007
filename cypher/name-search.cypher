// Find entities by name, alias or acronym
// name: name-search
// description: Nodes whose name, title, acronym, ISO code, English name or one of whose aliases
//   contains the text, ignoring case and accents ("paris prosecutor", "junalco", "ministere"):
//   exact matches first, then prefixes, then the rest, shortest matching name first.
// category: Exploration
// param: text string example='Paris prosecutor' -- the text to look for
// param: limit int default=25 -- at most this many nodes
// param: case string default='' -- the case (dataset) to answer for, e.g. archetyp; '' for
//   every case
// tags: search, names, aliases, lookup

WITH reduce(s = normalize(toLower(trim($text)), NFD),
            mark IN ['\u0300', '\u0301', '\u0302', '\u0303', '\u0308', '\u0327'] |
            replace(s, mark, '')) AS needle
MATCH (n)
WHERE needle <> '' AND NOT n:LoadRun AND NOT n:LoadLock AND NOT n:SavedQuery
  AND ($case = '' OR n.dataset = $case OR EXISTS { (n)-[q]-() WHERE q.dataset = $case })
WITH n, needle,
     [v IN [n.name, n.title, n.acronym, n.iso_code, n.name_en] + coalesce(n.aliases, [])
       WHERE v IS NOT NULL] AS names
UNWIND names AS candidate
WITH n, needle, candidate,
     reduce(s = normalize(toLower(replace(candidate, '\u2019', "'")), NFD),
            mark IN ['\u0300', '\u0301', '\u0302', '\u0303', '\u0308', '\u0327'] |
            replace(s, mark, '')) AS folded
WHERE folded CONTAINS needle
WITH n, candidate,
     CASE WHEN folded = needle THEN 0 WHEN folded STARTS WITH needle THEN 1 ELSE 2 END AS rank
ORDER BY rank, size(candidate)
WITH n, collect({rank: rank, candidate: candidate})[0] AS best
RETURN head(labels(n)) AS label,
       coalesce(n.name, n.title) AS name,
       n.id AS id,
       best.candidate AS matched,
       CASE best.rank WHEN 0 THEN 'exact' WHEN 1 THEN 'prefix' ELSE 'contains' END AS `match`,
       coalesce(n.aliases, []) AS aliases
ORDER BY best.rank, size(best.candidate), label, name
LIMIT toInteger($limit);
