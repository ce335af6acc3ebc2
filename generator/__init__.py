"""Digital-twin data generator for industrial rotating machines on the Indian grid.

The core (everything in this package except an optional Django ``apps.py``) imports no
Django: numpy/scipy for the physics, pydantic only through ``ingestion.schemas`` (the
one event contract) and for scenario validation. Keep this module free of heavy imports
so that ``import generator`` stays cheap for Django's app loading.

Entry points:
    python -m generator simulate|stream|invalid ...   (see docs/generator.md)
    generator.fleet.simulate(scenario)                 arrays for a whole fleet
    generator.fleet.acceleration_window(...)           one raw acceleration window
"""

__all__ = ["__version__"]

__version__ = "1.0.0"
