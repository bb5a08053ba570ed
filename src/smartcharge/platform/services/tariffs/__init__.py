"""Tariffs UK owners have: typed bands (`bands`), fixed-window presets such as Octopus Go and
Economy 7 (`fixed`), Octopus Agile's half-hourly prices (`agile`), the price in force at any
instant with the typed bands behind unknown prices (`prices`), and what a session cost
(`cost`). See docs/tariffs.md."""
