"""Neo4j Browser delivery: favorites, guide, style sheet and published saved queries
(``files``), and the small static server that hands them to Browser (``guideserver``)."""
