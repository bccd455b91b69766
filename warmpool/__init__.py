"""warmpool: a deterministic emulator of Amazon SageMaker Managed Warm Pools.

>>> from warmpool import WarmPoolEmulator, Quota
>>> emu = WarmPoolEmulator(quotas={"ml.m5.xlarge": Quota(warm_pool=4)})
>>> emu.now
0
"""

from . import errors
from .billing import BillingLedger, BillingTotals, RetainedInterval, TrainingInterval
from .clock import VirtualClock
from .config import JobPlan, Limits, Timing
from .emulator import WarmPoolEmulator, WarmPoolView, Workload
from .events import Event, EventLog
from .identity import IdentityKey, identity_key
from .jobs import KEEPABLE_FAILURES
from .quota import Quota, QuotaLedger, QuotaUsage
from .validation import TRAINING_INSTANCE_TYPES

__version__ = "0.1.0.dev0"

__all__ = [
    "KEEPABLE_FAILURES",
    "TRAINING_INSTANCE_TYPES",
    "BillingLedger",
    "BillingTotals",
    "Event",
    "EventLog",
    "IdentityKey",
    "JobPlan",
    "Limits",
    "Quota",
    "QuotaLedger",
    "QuotaUsage",
    "RetainedInterval",
    "Timing",
    "TrainingInterval",
    "VirtualClock",
    "WarmPoolEmulator",
    "WarmPoolView",
    "Workload",
    "__version__",
    "errors",
    "identity_key",
]
