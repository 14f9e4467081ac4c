"""Secret Warden: govern an organisation's secrets from one contract.

Kept import-free on purpose: `warden run` starts through this package and
must add as little start-up time as possible.
"""

__version__ = "0.1.0"
