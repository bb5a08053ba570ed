"""Hardware ports (narrow interfaces) and their adapters; `simulated` is a first-class adapter."""
