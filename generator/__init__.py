"""Digital-twin data generator for industrial rotating machines on the Indian grid.

A library and a CLI, not a Django app: it imports no app of the project and no Django
(import-linter checks it), only numpy/scipy for the physics, pydantic for scenario
validation and ``pdm_project.contract`` for the event contract's signal names and ranges.
The live demo that streams it into the API is ``frontend``'s ``demo`` command.

Entry points:
    python -m generator simulate|stream|invalid ...   (see docs/generator.md)
    generator.fleet.simulate(scenario)                 arrays for a whole fleet
    generator.fleet.acceleration_window(...)           one raw acceleration window
"""

__all__ = ["__version__"]

__version__ = "1.0.0"
