"""Rendering of the program report: charts (matplotlib), HTML (Jinja2) and PDF (fpdf2).

The figures come from :mod:`microintern.domain.report`; :mod:`.sections` lays them out once for
both files, so the HTML and the PDF carry the same sections in the same order.
"""
