"""smartcharge: an open smart EV charge point stack for the UK Smart Charge Points Regulations."""

__version__ = "0.1.0"
