"""The two lifecycles, each defined once as a ``transitions`` state machine (see "The two
lifecycles" in docs/concepts.md).

* :data:`POOL_MACHINE`: the warm pool status of one job,
  ``InUse -> Available -> Reused | Terminated`` and ``InUse -> Terminated``.
* :data:`JOB_MACHINE`: a training job, named by its ``SecondaryStatus``.

Each machine is built once, without models and with ``auto_transitions=False``. Rather than
attaching every job to it (``add_model`` costs far more than the move itself), its event table
is compiled into a :class:`Moves` lookup that the emulator drives: the ``Machine`` stays the
single source of truth for which moves are legal, and a move it does not define raises
:class:`~warmpool.errors.IllegalTransition`. No ``Timeout`` states are used; time is the
virtual clock's business.

>>> POOL("InUse", "keep")
'Available'
>>> POOL("Reused", "keep")
Traceback (most recent call last):
...
warmpool.errors.IllegalTransition: warm pool: no move 'keep' from state 'Reused'
"""

from __future__ import annotations

from typing import Final

from transitions import Machine

from .errors import IllegalTransition

__all__ = [
    "AVAILABLE",
    "COMPLETED",
    "FAILED",
    "IN_USE",
    "JOB",
    "JOB_MACHINE",
    "MAX_RUNTIME_EXCEEDED",
    "POOL",
    "POOL_MACHINE",
    "REUSED",
    "STARTING",
    "STOPPED",
    "STOPPING",
    "TERMINAL_JOB_STATES",
    "TERMINATED",
    "TRAINING",
    "TRAINING_JOB_STATUS",
    "Moves",
]

# -- warm pool status of a job ----------------------------------------------------------------

IN_USE: Final = "InUse"
AVAILABLE: Final = "Available"
REUSED: Final = "Reused"
TERMINATED: Final = "Terminated"

POOL_MACHINE: Final = Machine(
    model=None,
    states=[IN_USE, AVAILABLE, REUSED, TERMINATED],
    initial=IN_USE,
    transitions=[
        {"trigger": "keep", "source": IN_USE, "dest": AVAILABLE},
        {"trigger": "reuse", "source": AVAILABLE, "dest": REUSED},
        {"trigger": "terminate", "source": [IN_USE, AVAILABLE], "dest": TERMINATED},
    ],
    auto_transitions=False,
    ignore_invalid_triggers=False,
)

# -- training job (states are SecondaryStatus values) -----------------------------------------

STARTING: Final = "Starting"
TRAINING: Final = "Training"
STOPPING: Final = "Stopping"
COMPLETED: Final = "Completed"
FAILED: Final = "Failed"
STOPPED: Final = "Stopped"
MAX_RUNTIME_EXCEEDED: Final = "MaxRuntimeExceeded"

JOB_MACHINE: Final = Machine(
    model=None,
    states=[STARTING, TRAINING, STOPPING, COMPLETED, FAILED, STOPPED, MAX_RUNTIME_EXCEEDED],
    initial=STARTING,
    transitions=[
        {"trigger": "start", "source": STARTING, "dest": TRAINING},
        {"trigger": "complete", "source": TRAINING, "dest": COMPLETED},
        {"trigger": "fail", "source": [STARTING, TRAINING], "dest": FAILED},
        {"trigger": "stop", "source": [STARTING, TRAINING], "dest": STOPPING},
        {"trigger": "finish_stop", "source": STOPPING, "dest": STOPPED},
        {"trigger": "time_out", "source": TRAINING, "dest": MAX_RUNTIME_EXCEEDED},
    ],
    auto_transitions=False,
    ignore_invalid_triggers=False,
)

#: ``TrainingJobStatus`` of each job state (its ``SecondaryStatus``).
TRAINING_JOB_STATUS: Final[dict[str, str]] = {
    STARTING: "InProgress",
    TRAINING: "InProgress",
    STOPPING: "Stopping",
    COMPLETED: "Completed",
    FAILED: "Failed",
    STOPPED: "Stopped",
    MAX_RUNTIME_EXCEEDED: "Stopped",
}

TERMINAL_JOB_STATES: Final = frozenset({COMPLETED, FAILED, STOPPED, MAX_RUNTIME_EXCEEDED})


class Moves:
    """The legal moves of a ``transitions.Machine``, compiled to a lookup table.

    ``moves(state, trigger)`` returns the destination state, or raises
    :class:`~warmpool.errors.IllegalTransition` if the machine has no such move.
    """

    __slots__ = ("_table", "name", "states", "triggers")

    def __init__(self, machine: Machine, name: str) -> None:
        self.name = name
        self.states: tuple[str, ...] = tuple(machine.states)
        self.triggers: tuple[str, ...] = tuple(machine.events)
        table: dict[str, dict[str, str]] = {}
        for trigger, event in machine.events.items():
            for source, transitions in event.transitions.items():
                if len(transitions) != 1 or transitions[0].conditions:
                    raise ValueError(f"{name}: {trigger!r} from {source!r} is not a plain move")
                dest = transitions[0].dest
                if dest is None:
                    raise ValueError(f"{name}: {trigger!r} from {source!r} is an internal move")
                table.setdefault(trigger, {})[source] = dest
        self._table = table

    def __call__(self, state: str, trigger: str) -> str:
        try:
            return self._table[trigger][state]
        except KeyError:
            raise IllegalTransition(
                f"{self.name}: no move {trigger!r} from state {state!r}"
            ) from None

    def can(self, state: str, trigger: str) -> bool:
        """Whether ``trigger`` is a legal move from ``state``."""
        return state in self._table.get(trigger, ())

    def edges(self) -> frozenset[tuple[str, str, str]]:
        """Every legal move as ``(source, trigger, dest)``."""
        return frozenset(
            (source, trigger, dest)
            for trigger, sources in self._table.items()
            for source, dest in sources.items()
        )


#: Legal moves of a job's warm pool status.
POOL: Final = Moves(POOL_MACHINE, "warm pool")
#: Legal moves of a training job.
JOB: Final = Moves(JOB_MACHINE, "training job")
