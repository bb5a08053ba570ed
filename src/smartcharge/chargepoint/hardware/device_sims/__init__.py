"""The charger's devices simulated at their wire protocol, driven by the simulated EV physics.

A pymodbus server per register map (meters, the EVSE-DIN board), a RAPI peer (OpenEVSE) and a PN532
peer on pty pairs: the real drivers talk to them exactly as to the real parts, so the demo and the
tests run the whole stack through the drivers on a laptop (docs/hardware.md).
"""
