"""Purposes of the seeded random streams: `stream_rng(seed, asset_index, purpose)` per asset,
`stream_rng(seed, KEY_FLEET, purpose)` fleet-wide (generator/scenario.py).

Each quantity draws from its own stream, so an asset's signals do not depend on the rest of the fleet
and a fault never changes the draws of the signals it must not touch. New purposes get new numbers:
reusing one would change every existing fleet.
"""

# per asset
S_PHYSICS, S_LOAD, S_VOLT, S_ELEC, S_THERM, S_VIB, S_FAULT, S_JITTER, S_IDS, S_AMB = range(1, 11)
S_IDLE = 15  # idle spells (generator/load.py)
# per fault (generator/scenario.py: onset/failure draws 90, degradation law 91, extra loss 92)
# fleet-wide
F_EVENTS, F_BUS, F_FREQ, F_AMBIENT = 11, 12, 13, 14
