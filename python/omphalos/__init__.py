"""omphalOS: evidence-grade screening warehouse for trade and technology-transfer oversight."""

__version__ = "0.1.0"
