"""Real hardware drivers behind the ports (ports.py), one module per device family.

Chosen by `[hardware] kind = "devices"` (hardware/config.py) and built by `build.py`. Every driver
reads its device in a poll loop and keeps the last sane reading for the synchronous ports; a device
that stops answering, answers garbage or reports a fault puts its connector in a safe state at
once (`connector.py`), and charging resumes by itself once the device is sane again.
"""
