"""Checking: every rule of records, values, sources, statuses and references, written
once (``validate``), and the checked graph it yields (``graph``), whose rows wait in
spill files (``spill``) rather than in memory."""
