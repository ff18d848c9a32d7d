"""Synthetic world with known truth: TCN journeys, vulnerability, exploitation, agency lists.

>>> from lantern.simulate import simulate
>>> world = simulate(scenario="romania", people=2_000, seed=1)
>>> sorted(world.lists)[:2]
['border_police', 'immigration']

See ``docs/simulation.md`` for the model and its parameters. Nothing generated here is real data.
"""

from lantern.simulate.engine import STAGES, simulate
from lantern.simulate.names import romanise, skeleton
from lantern.simulate.scenario import Scenario, builtin_scenarios, load_scenario
from lantern.simulate.world import World

__all__ = ["STAGES", "Scenario", "World", "builtin_scenarios", "load_scenario", "romanise", "simulate", "skeleton"]
