"""The documents families, partners and the district read outside the letters.

- :mod:`.flyer`: the recruitment flyers (HTML and PDF, with a QR code to the application form);
- :mod:`.report`: the program report (HTML with charts, and PDF);
- :mod:`.pdf_text`: text and fonts shared by the PDFs.

They are rendered from the config and the domain's figures; none of them reads or writes a
backend, so the steps call them and decide where the files go.
"""
