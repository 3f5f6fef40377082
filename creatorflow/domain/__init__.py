"""Pure business rules: no IO, no clock, no frameworks. Time comes in as ``now``."""
