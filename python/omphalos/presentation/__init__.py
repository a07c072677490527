"""What a reviewer reads: the run report and certify pages (``report``), the review packets
(``packets``), the terminal summary (``show``) and the analyst SQL catalog (``catalog``).

Pages and packets are rendered from Jinja2 templates kept as package data in ``templates/``
(docs/report.md).
"""
