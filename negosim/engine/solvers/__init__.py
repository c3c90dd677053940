"""Bargaining solutions of every run of a batch: closed form (:mod:`.frontier`), compiled
linear programmes (:mod:`.compiled`) and exact integer programmes (:mod:`.programmes`),
dispatched by :func:`negosim.engine.solvers.runs.solve_runs`."""
