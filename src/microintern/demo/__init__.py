"""``microintern demo``: the whole program simulated on the local backend, and its actors.

- :mod:`.run`: the day-by-day loop (``run_demo``), the demo's config and the files it writes;
- the people the demo plays, each in a module of its own: :mod:`.people` (partners, families
  and students answering forms), :mod:`.attendance` (who joins each meeting), :mod:`.feedback`,
  :mod:`.hours` (the hours log and payroll), :mod:`.assignments` (hand-ins), :mod:`.intake`
  (the hard cases among the applications) and :mod:`.tidying` (the coordinator sorting tabs,
  deleting a draft);
- :mod:`.log`: the coordinator's log printed for each simulated day;
- :mod:`.sample_data`: reproducible sample applications (also used by tests and benchmarks).

The package imports nothing itself, so ``microintern.demo.sample_data`` stays light.
"""
