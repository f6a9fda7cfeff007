"""Planning: the checked graph -> schema statements and batches of rows (``build``).
Pure: no I/O of its own, no driver, no global state."""
