"""The program spreadsheet as the steps see it: one typed view per tab, read and written through
the :class:`~microintern.ports.Roster` port.

Why a package of the step layer, and not of the domain or the package root:

- the pure layout (tab names, column titles, which columns are whose) stays in
  :mod:`microintern.domain.program_sheet`, which does no I/O and is what these views build on;
- the views read and write the sheet, so they cannot be domain; they take the
  :class:`~microintern.steps.context.StepContext` every step already holds (config, ports,
  the time), so they sit beside it as step infrastructure rather than above it;
- a step takes what it shares with other steps from here, never from a sibling step: the
  import contracts in ``pyproject.toml`` (``make lint``) hold every step to that.

The views:

- :mod:`.applicants`: the application questions as columns, the students' addresses, and new
  form responses as Applications rows (intake);
- :mod:`.long_answers`: the backend's cell limit and the Long answers tab, where the full text
  of an answer cut to fit a cell is kept;
- :mod:`.settings`: the Settings tab, values a run remembers for the next (form ids, links,
  the submissions folders);
- :mod:`.outbox`: the day a letter was recorded delivered (reminders are spaced from it);
- :mod:`.sessions`: each session's plan from the Sessions tab (seeded from the config);
- :mod:`.participants`: the students holding a seat, and what their earlier letters did;
- :mod:`.partners`: the Partners tab's rows for configured partners not yet on it;
- :mod:`.feedback`: the feedback forms' answers, read into the Feedback tab;
- :mod:`.equity`: the equity figures (applicants and acceptances per group);
- :mod:`.dashboard`: the report's figures, read from the tabs, and the Dashboard tab.

Only the mail engine (:mod:`microintern.steps.mailing`) writes the Outbox, by the protocol of
:mod:`microintern.domain.outbox`; its ``outbox_by_key`` is the Outbox as every step reads it.
"""
