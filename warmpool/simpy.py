"""Run a :class:`~warmpool.WarmPoolEmulator` inside a SimPy ``Environment`` (``docs/simpy.md``).

Installed with ``pip install 'sagemaker-warmpool[simpy]'``. SimPy is imported when a bridge is
made, never by ``import warmpool`` nor by importing this module.

A :class:`SimPyBridge` ties one emulator to one environment:

* **one clock.** SimPy's time unit is the second, and ``env.now`` is the emulator's ``now``:
  seconds since the emulator clock's epoch. The emulator's clock only ever follows
  ``env.now``; the bridge refuses an emulator whose clock is ahead of it.
* **the emulator's own changes happen at their SimPy times.** The bridge keeps a SimPy timeout
  at the emulator's next change (``emu.next_event_time()``: a training start, a release, a
  pool expiry) and, when it fires, runs the emulator to that time. After every call it looks
  again, so a call that schedules something earlier (a create, a stop) gets an earlier wake.
* **calls at ``env.now``.** The bridge's methods (``create_training_job`` ... and the
  simulation controls) first bring the emulator to ``env.now``, so a call made at ``t`` sees
  every emulator event due at ``t`` already fired, as every emulator call does (D5).
* **emulator events as SimPy events.** :meth:`SimPyBridge.when`, :meth:`~SimPyBridge.job_ended`,
  :meth:`~SimPyBridge.training_started`, :meth:`~SimPyBridge.pool_available` and
  :meth:`~SimPyBridge.pool_available_for` return SimPy events a process can ``yield``; each
  fires with the emulator event (``warmpool.events``) that caused it.
  :meth:`~SimPyBridge.store` gives a SimPy ``Store`` of every later event of a kind.

Everything happens in the order SimPy and the emulator define, so the same processes give the
same events in the same order, every run.
"""

from __future__ import annotations

import heapq
import importlib
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final, cast

from ._text import shown
from .emulator import WarmPoolEmulator, WarmPoolView
from .errors import ControlError, InvalidControlArgument, ValidationException
from .events import Event, JobReleased, PoolKept, PoolTerminated, TrainingStarted
from .identity import IdentityKey, identity_key

if TYPE_CHECKING:
    import simpy

__all__ = ["SimPyBridge", "attach"]

_INSTALL: Final = "pip install 'sagemaker-warmpool[simpy]'"

#: A watch: its order of asking, and what it does with an emulator event (True: it is done).
_Watch = tuple[int, Callable[[Event], bool]]

#: The statuses of a job whose training has ended.
_ENDED: Final = frozenset({"Completed", "Failed", "Stopped"})


def _simpy() -> ModuleType:
    """The ``simpy`` package (the top-level one: this module is ``warmpool.simpy``)."""
    try:
        return importlib.import_module("simpy")
    except ImportError as error:
        raise ImportError(
            f"warmpool.simpy needs SimPy, which is not installed: {_INSTALL}"
        ) from error


def _seconds(env: simpy.Environment) -> float:
    """``env.now`` as plain seconds, or ``TypeError``."""
    now = env.now
    if isinstance(now, bool) or not isinstance(now, (int, float)):
        raise TypeError(
            f"env.now must be a number of seconds (int or float), not {shown(now)}: the "
            "bridge's SimPy time is seconds since the emulator clock's epoch"
        )
    return now


def _succeed(fired: simpy.Event, value: Event) -> None:
    """Trigger a SimPy event of the bridge's, unless its user already has."""
    if not fired.triggered:
        fired.succeed(value)


def _fail(fired: simpy.Event, error: ControlError) -> None:
    if not fired.triggered:
        fired.fail(error)


class SimPyBridge:
    """One :class:`~warmpool.WarmPoolEmulator` driven by one SimPy ``Environment``.

    ``env.now`` is the emulator's ``now`` (seconds since ``emu.clock.epoch``). When the bridge
    is made, the emulator is brought to ``env.now``; an emulator whose clock is already past
    ``env.now`` is refused (``ValueError``): its clock cannot go back.

    Call the emulator through the bridge (or call :meth:`sync` first): its methods bring the
    emulator to ``env.now`` before the call and plan the next wake-up after it. The bridge
    subscribes to the emulator's events; :meth:`close` ends that.
    """

    def __init__(self, env: simpy.Environment, emu: WarmPoolEmulator) -> None:
        simpy_module = _simpy()
        if not isinstance(env, simpy_module.Environment):
            raise TypeError(f"env must be a simpy.Environment, not {shown(env)}")
        if not isinstance(emu, WarmPoolEmulator):
            raise TypeError(f"emu must be a WarmPoolEmulator, not {shown(emu)}")
        now = _seconds(env)
        if emu.now > now:
            raise ValueError(
                f"the emulator's clock ({emu.now!r} s since its epoch) is ahead of env.now "
                f"({now!r}): env.now is the emulator's time, and the emulator's clock never "
                "moves back; make the environment with simpy.Environment(initial_time=...) "
                "at or after the emulator's now"
            )
        if now > emu.clock.end:
            raise ValueError(
                f"env.now ({now!r}) is past the end of the emulator clock's range "
                f"({emu.clock.end!r} s since its epoch, 9999-12-31T23:59:59Z)"
            )
        self._env: simpy.Environment = env
        self._emu = emu
        self._wakes: list[float] = []  # emulator times of the wake-ups planned (a heap)
        self._by_job: dict[str, list[_Watch]] = {}  # watches of one job's events
        self._any_job: list[_Watch] = []  # watches of every job's events
        self._asked = 0  # watches made so far: their order of asking
        self._busy = 0  # > 0 while the bridge itself moves or calls the emulator
        self._closed = False
        self._left_at = emu.now  # where the bridge last left the emulator's clock
        self._identity: tuple[str, IdentityKey | None] | None = None  # one job's key, cached
        self._unsubscribe = emu.events.subscribe(self._on_event)
        self.sync()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"wakes={len(self._wakes)}"
        return f"<SimPyBridge env.now={self._env.now!r} emu.now={self._emu.now!r} {state}>"

    @property
    def env(self) -> simpy.Environment:
        """The SimPy environment whose ``now`` the emulator follows."""
        return self._env

    @property
    def emu(self) -> WarmPoolEmulator:
        """The emulator. Read it after :meth:`sync` (or through the bridge's methods): between
        SimPy events its clock can lag ``env.now``."""
        return self._emu

    # -- time -----------------------------------------------------------------------------------

    def sync(self) -> None:
        """Bring the emulator to ``env.now``, firing every emulator event due by then, and plan
        the next wake-up.

        ``ControlError`` if the emulator's clock was moved past ``env.now`` by a call made
        around the bridge (``emu.advance``, ``emu.run_until``): with a bridge, SimPy moves time.
        """
        self._check_open("sync")
        now = _seconds(self._env)
        emu_now = self._emu.now
        if emu_now > now and emu_now != self._left_at:
            raise ControlError(
                f"sync: the emulator's clock ({emu_now!r} s) is ahead of env.now ({now!r}): it "
                "was moved around the bridge (emu.advance or emu.run_until); with a bridge, let "
                "SimPy move time (env.timeout, env.run)"
            )
        self._move(now)
        self._plan()

    def _move(self, target: float) -> None:
        """Run the emulator to ``target`` unless it is there already."""
        emu = self._emu
        if target > emu.now:
            self._busy += 1
            try:
                emu.run_until(target)
            finally:
                self._busy -= 1
        self._left_at = emu.now

    def _plan(self) -> None:
        """Make sure a wake-up is planned at the emulator's next change, if it has one."""
        if self._closed:
            return
        at = self._emu.next_event_time()
        if at is None or (self._wakes and self._wakes[0] <= at):
            return  # nothing to do, or an earlier wake-up will look again
        heapq.heappush(self._wakes, at)
        wake = self._env.timeout(max(at - self._env.now, 0), at)
        wake.callbacks.append(self._woken)

    def _woken(self, wake: simpy.Event) -> None:
        """A planned wake-up: run the emulator to its time, then plan the next."""
        at = cast(float, wake.value)
        self._wakes.remove(at)
        heapq.heapify(self._wakes)
        if self._closed:
            return
        # SimPy adds the delay to its now in floating point: never stop short of the event.
        self._move(max(at, _seconds(self._env)))
        self._plan()

    # -- calls through the bridge ---------------------------------------------------------------

    def _call(self, method: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        self.sync()
        self._busy += 1
        try:
            return method(*args, **kwargs)
        finally:
            self._busy -= 1
            self._left_at = self._emu.now
            self._plan()

    def create_training_job(self, /, **request: Any) -> dict[str, Any]:
        """``CreateTrainingJob`` at ``env.now``."""
        result: dict[str, Any] = self._call(self._emu.create_training_job, **request)
        return result

    def describe_training_job(self, /, **request: Any) -> dict[str, Any]:
        """``DescribeTrainingJob`` at ``env.now``."""
        result: dict[str, Any] = self._call(self._emu.describe_training_job, **request)
        return result

    def update_training_job(self, /, **request: Any) -> dict[str, Any]:
        """``UpdateTrainingJob`` at ``env.now``."""
        result: dict[str, Any] = self._call(self._emu.update_training_job, **request)
        return result

    def stop_training_job(self, /, **request: Any) -> dict[str, Any]:
        """``StopTrainingJob`` at ``env.now``."""
        result: dict[str, Any] = self._call(self._emu.stop_training_job, **request)
        return result

    def delete_training_job(self, /, **request: Any) -> dict[str, Any]:
        """``DeleteTrainingJob`` at ``env.now``."""
        result: dict[str, Any] = self._call(self._emu.delete_training_job, **request)
        return result

    def list_training_jobs(self, /, **request: Any) -> dict[str, Any]:
        """``ListTrainingJobs`` at ``env.now``."""
        result: dict[str, Any] = self._call(self._emu.list_training_jobs, **request)
        return result

    def add_tags(self, /, **request: Any) -> dict[str, Any]:
        """``AddTags`` at ``env.now``."""
        result: dict[str, Any] = self._call(self._emu.add_tags, **request)
        return result

    def list_tags(self, /, **request: Any) -> dict[str, Any]:
        """``ListTags`` at ``env.now``."""
        result: dict[str, Any] = self._call(self._emu.list_tags, **request)
        return result

    def delete_tags(self, /, **request: Any) -> dict[str, Any]:
        """``DeleteTags`` at ``env.now``."""
        result: dict[str, Any] = self._call(self._emu.delete_tags, **request)
        return result

    def complete_training_job(self, name: str) -> None:
        """The simulation control ``complete_training_job`` at ``env.now``."""
        self._call(self._emu.complete_training_job, name)

    def fail_training_job(
        self, name: str, failure_class: str = "AlgorithmError", message: str = ""
    ) -> None:
        """The simulation control ``fail_training_job`` at ``env.now``."""
        self._call(self._emu.fail_training_job, name, failure_class, message)

    def apply_patch_update(self, instance_type: str | None = None) -> int:
        """The simulation control ``apply_patch_update`` at ``env.now``."""
        result: int = self._call(self._emu.apply_patch_update, instance_type)
        return result

    def warm_pool(self, name: str) -> WarmPoolView | None:
        """``emu.warm_pool(name)`` at ``env.now`` (its ``time_left`` counts from ``env.now``)."""
        result: WarmPoolView | None = self._call(self._emu.warm_pool, name)
        return result

    # -- emulator events as SimPy events --------------------------------------------------------

    def when(self, kind: type[Event], job: str | None = None) -> simpy.Event:
        """A SimPy event that fires with the next emulator event of class ``kind`` (or a
        subclass; ``Event`` for any) that happens after this call, about ``job`` if given.

        It waits for what happens next: nothing is checked against the emulator's state, and
        ``job`` may name a job not yet created.
        """
        self._check_open("when")
        self._check_kind("when", kind, job)
        job = None if job is None else str.__str__(job)
        fired = self._env.event()

        def on(event: Event) -> bool:
            if isinstance(event, kind):
                _succeed(fired, event)
                return True
            return False

        self._watch(job, on)
        return fired

    def store(self, kind: type[Event] = Event, job: str | None = None) -> simpy.Store:
        """A SimPy ``Store`` into which the bridge puts every later emulator event of class
        ``kind`` (about ``job`` if given), in the emulator's order: ``yield store.get()``.

        Unlike calling :meth:`when` in a loop, it misses none, even several at one instant. It
        is unbounded: take its items, or :meth:`close` the bridge.
        """
        self._check_open("store")
        self._check_kind("store", kind, job)
        job = None if job is None else str.__str__(job)
        events: simpy.Store = _simpy().Store(self._env)

        def on(event: Event) -> bool:
            if isinstance(event, kind):
                events.put(event)
            return False

        self._watch(job, on)
        return events

    def job_ended(self, name: str) -> simpy.Event:
        """A SimPy event that fires with the job's :class:`~warmpool.events.JobReleased` when
        its training ends (``Completed``, ``Failed`` or ``Stopped``).

        ``ControlError`` if there is no such job, or it has already ended.
        """
        name, status, _ = self._status("job_ended", name)
        if status in _ENDED:
            raise ControlError(
                f"job_ended: {name!r} has already ended ({status}); ask while it is InProgress "
                "or Stopping"
            )
        fired = self._env.event()

        def on(event: Event) -> bool:
            if isinstance(event, JobReleased):
                _succeed(fired, event)
                return True
            return False

        self._watch(name, on)
        return fired

    def training_started(self, name: str) -> simpy.Event:
        """A SimPy event that fires with the job's :class:`~warmpool.events.TrainingStarted`
        (its ``warm`` says whether it took over a warm pool).

        ``ControlError`` if there is no such job or it is no longer ``Starting``. The event
        fails with a ``ControlError`` if the job ends before its training starts (stopped or
        failed while starting).
        """
        name, status, secondary = self._status("training_started", name)
        if secondary != "Starting":
            raise ControlError(
                f"training_started: {name!r} is {secondary} ({status}), no longer Starting: its "
                "training has started or never will"
            )
        fired = self._env.event()

        def on(event: Event) -> bool:
            if isinstance(event, TrainingStarted):
                _succeed(fired, event)
                return True
            if isinstance(event, JobReleased):
                _fail(
                    fired,
                    ControlError(
                        f"training_started: {name!r} ended ({event.status}) before its "
                        "training started"
                    ),
                )
                return True
            return False

        self._watch(name, on)
        return fired

    def pool_available(self, name: str) -> simpy.Event:
        """A SimPy event that fires with the job's :class:`~warmpool.events.PoolKept` when
        its cluster becomes an ``Available`` warm pool (at its release).

        ``ControlError`` if there is no such job, if it has no warm pool (created without
        ``KeepAlivePeriodInSeconds`` and took over none: its cluster is never kept) or if its
        pool is already ``Available``, ``Reused`` or ``Terminated``. The event fails with a
        ``ControlError`` naming the reason if the cluster is not kept at the release
        (``NoKeepAlive``, ``Unhealthy``, ``WarmPoolQuota``, ...).
        """
        name, _, _ = self._status("pool_available", name)
        view = self._emu.warm_pool(name)
        if view is None:
            raise ControlError(
                f"pool_available: {name!r} has no warm pool: it was created without "
                "KeepAlivePeriodInSeconds and took over no pool, so its cluster is never kept"
            )
        if view.status != "InUse":
            raise ControlError(
                f"pool_available: the warm pool of {name!r} is already {view.status}; ask while "
                "it is InUse (the job has not been released)"
            )
        fired = self._env.event()

        def on(event: Event) -> bool:
            if isinstance(event, PoolKept):
                _succeed(fired, event)
                return True
            if isinstance(event, PoolTerminated):
                _fail(
                    fired,
                    ControlError(
                        f"pool_available: the cluster of {name!r} was not kept as a warm pool "
                        f"({event.reason})"
                    ),
                )
                return True
            return False

        self._watch(name, on)
        return fired

    def pool_available_for(self, request: Mapping[str, Any] | IdentityKey) -> simpy.Event:
        """A SimPy event that fires with the :class:`~warmpool.events.PoolKept` of the next
        pool to become ``Available`` whose identity key is ``request``'s (a
        ``CreateTrainingJob`` request, or an :class:`~warmpool.IdentityKey`).

        A pool already ``Available`` does not fire it (a create now would take that one).
        Whether the request can take the pool over (not with managed spot training, D3) is
        the create's to decide; and another process may take it first.
        """
        self._check_open("pool_available_for")
        if isinstance(request, IdentityKey):
            key = request
        elif isinstance(request, Mapping):
            if not isinstance(request.get("RoleArn"), str):
                raise InvalidControlArgument(
                    "pool_available_for: the request's RoleArn must be a str, not "
                    f"{shown(request.get('RoleArn'))}"
                )
            if not isinstance(request.get("ResourceConfig"), Mapping):
                raise InvalidControlArgument(
                    "pool_available_for: the request must have a ResourceConfig (a dict with "
                    f"InstanceType and InstanceCount), not {shown(request.get('ResourceConfig'))}"
                )
            try:
                key = identity_key(request)
            except (TypeError, ValueError, AttributeError) as error:
                raise InvalidControlArgument(
                    f"pool_available_for: the request's identity fields cannot be read: {error}"
                ) from None
        else:
            raise InvalidControlArgument(
                "pool_available_for: request must be a CreateTrainingJob request (a mapping) or "
                f"an IdentityKey, not {shown(request)}"
            )
        fired = self._env.event()

        def on(event: Event) -> bool:
            if isinstance(event, PoolKept) and self._key_of(event.job) == key:
                _succeed(fired, event)
                return True
            return False

        self._watch(None, on)
        return fired

    @staticmethod
    def _check_kind(what: str, kind: object, job: object) -> None:
        if not (isinstance(kind, type) and issubclass(kind, Event)):
            raise InvalidControlArgument(
                f"{what}: kind must be an event class of warmpool.events (JobReleased, "
                f"PoolKept, ...), not {shown(kind)}"
            )
        if job is not None and not isinstance(job, str):
            raise InvalidControlArgument(
                f"{what}: job must be a training job name (str) or None, not {shown(job)}"
            )

    def _status(self, what: str, name: object) -> tuple[str, str, str]:
        """The job's name (a plain ``str``), ``TrainingJobStatus`` and ``SecondaryStatus`` at
        ``env.now``."""
        self._check_open(what)
        if not isinstance(name, str):
            raise InvalidControlArgument(f"{what}: the job name must be a str, not {shown(name)}")
        name = str.__str__(name)
        try:
            body = self.describe_training_job(TrainingJobName=name)
        except ValidationException:
            raise ControlError(
                f"{what}: there is no training job named {shown(name)} (never created, deleted, "
                "or retired once finished with retain_finished=False)"
            ) from None
        return name, body["TrainingJobStatus"], body["SecondaryStatus"]

    def _key_of(self, job: str) -> IdentityKey | None:
        """A job's identity key (``None`` if the emulator no longer holds it), cached for the
        event being delivered."""
        cached = self._identity
        if cached is not None and cached[0] == job:
            return cached[1]
        try:
            key: IdentityKey | None = self._emu.identity_key(job)
        except ControlError:  # taken over and retired before this event reached the bridge
            key = None
        self._identity = (job, key)
        return key

    def _watch(self, job: str | None, on: Callable[[Event], bool]) -> None:
        self._asked += 1
        watch = (self._asked, on)
        if job is None:
            self._any_job.append(watch)
        else:
            self._by_job.setdefault(job, []).append(watch)

    def _on_event(self, event: Event) -> None:
        """The emulator's subscriber: fire the watches this event settles, in the order they
        were asked for, then (for a call made around the bridge) plan a wake-up."""
        if self._closed:
            return
        for_job = self._by_job.get(event.job)
        if for_job or self._any_job:
            self._identity = None
            watches: Iterable[_Watch] = (
                heapq.merge(for_job, self._any_job) if for_job else tuple(self._any_job)
            )
            done = {number for number, on in tuple(watches) if on(event)}
            if done:
                if for_job:
                    kept = [watch for watch in for_job if watch[0] not in done]
                    if kept:
                        self._by_job[event.job] = kept
                    else:
                        del self._by_job[event.job]
                self._any_job = [watch for watch in self._any_job if watch[0] not in done]
        if not self._busy:
            self._plan()

    # -- the end ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Unsubscribe from the emulator and plan no more wake-ups (those already planned do
        nothing). Events not yet fired never fire. The bridge can no longer be used."""
        if not self._closed:
            self._closed = True
            self._unsubscribe()
            self._by_job.clear()
            self._any_job.clear()

    @property
    def closed(self) -> bool:
        return self._closed

    def _check_open(self, what: str) -> None:
        if self._closed:
            raise ControlError(f"{what}: this SimPyBridge is closed")


def attach(
    env: simpy.Environment, emu: WarmPoolEmulator | None = None, **emulator_settings: Any
) -> SimPyBridge:
    """A :class:`SimPyBridge` between ``env`` and ``emu``, or a new emulator made with
    ``emulator_settings`` (``WarmPoolEmulator``'s keywords) whose clock is brought to
    ``env.now``.
    """
    if emu is None:
        emu = WarmPoolEmulator(**emulator_settings)
    elif emulator_settings:
        raise TypeError(
            "attach: give an emulator or the settings of a new one, not both (got emu and "
            f"{', '.join(sorted(emulator_settings))})"
        )
    return SimPyBridge(env, emu)
