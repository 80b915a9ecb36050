"""What a network is: the architecture spec, the parameter layout, the network object and batches
and ``equations``, the equations as readable unit-by-unit numpy code (numpy only; no engine is imported
here, :mod:`lstmlib.engines` registers itself)."""

from . import equations
from .batch import Batch, outputs_at_end
from .layout import Layout, initialise
from .network import ENGINES, Network, build, register_engine
from .spec import ARCHITECTURES, ArchSpec, get_spec

__all__ = ["ARCHITECTURES", "ArchSpec", "Batch", "ENGINES", "Layout", "Network", "build", "equations", "get_spec",
           "initialise", "outputs_at_end", "register_engine"]
