"""EcoGate Hub: environmental gate control and electronic ledger (环保门禁电子台账).

Importing this package is cheap on purpose: integrations pull in OpenCV, asyncua and the
like only when they are set up.
"""

__version__ = "0.1.0"
