"""Settings, one module per concern; every value comes from the environment with a safe default."""

from .analytics import *  # noqa: F403
from .api import *  # noqa: F403
from .base import *  # noqa: F403
from .database import *  # noqa: F403
from .email import *  # noqa: F403
from .frontend import *  # noqa: F403
from .observability import *  # noqa: F403
from .queue import *  # noqa: F403
from .timeseries import *  # noqa: F403
