"""Responses shaped as botocore returns them, built from the job records on demand (D22, D23).

:class:`Responder` numbers the answers (``ResponseMetadata.RequestId`` counts up, D23), and
builds the bodies of ``DescribeTrainingJob`` and of ``ListTrainingJobs``' summaries: the
echoed request, the statuses, ``SecondaryStatusTransitions`` derived from the job's history,
the times as timezone-aware UTC ``datetime`` objects, and ``WarmPoolStatus``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from . import lifecycle as lc
from .billing import training_seconds
from .clock import VirtualClock
from .intake import thaw
from .jobs import DEFAULT_MAX_RUNTIME, AnyJob

__all__ = ["Responder"]

_STATUS: Final = lc.TRAINING_JOB_STATUS
_REUSED: Final = lc.REUSED
_TERMINATED: Final = lc.TERMINATED
_ENDED: Final = frozenset({_REUSED, _TERMINATED})
_BOOLEAN_DEFAULTS: Final = (
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
)
_STATUS_MESSAGES: Final = {
    lc.TRAINING: "Training image download completed. Training in progress.",
    lc.STOPPING: "Stopping the training job.",
    lc.COMPLETED: "Training job completed",
    lc.FAILED: "Training job failed",
    lc.STOPPED: "Training job stopped",
    lc.MAX_RUNTIME_EXCEEDED: "Training job stopped: it reached MaxRuntimeInSeconds",
}
_COLD_START_MESSAGE: Final = "Preparing the instances for training"
_WARM_START_MESSAGE: Final = "Reusing the instances of a warm pool"
#: The Starting step's message, by whether the job took over a warm pool.
_STARTING_MESSAGES: Final = {False: _COLD_START_MESSAGE, True: _WARM_START_MESSAGE}
_TRAINING_MESSAGE: Final = _STATUS_MESSAGES[lc.TRAINING]
_STOPPING_MESSAGE: Final = _STATUS_MESSAGES[lc.STOPPING]
_CONTENT_TYPE: Final = "application/x-amz-json-1.1"
#: Request ids below this need only the last group of hex digits.
_SHORT_ID_LIMIT: Final = 16**12
#: Datetimes remembered per responder (times repeat: a job's are read on every describe).
_DATETIME_CACHE_LIMIT: Final = 8192


class Responder:
    """Builds one emulator's responses."""

    __slots__ = ("_arn_prefix", "_clock", "_datetimes", "_epoch", "_requests")

    def __init__(self, clock: VirtualClock, arn_prefix: str) -> None:
        self._clock = clock
        self._epoch = clock.epoch
        self._arn_prefix = arn_prefix
        self._requests = 0
        self._datetimes: dict[float, datetime] = {}

    def arn(self, name: str) -> str:
        """The ``TrainingJobArn`` of a job name."""
        return self._arn_prefix + name

    def answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` with its ``ResponseMetadata`` and the next ``RequestId``."""
        self._requests = number = self._requests + 1
        if number < _SHORT_ID_LIMIT:
            request_id = f"00000000-0000-0000-0000-{number:012x}"
        else:
            digits = f"{number:032x}"
            request_id = (
                f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
            )
        body["ResponseMetadata"] = {
            "RequestId": request_id,
            "HTTPStatusCode": 200,
            "HTTPHeaders": {"x-amzn-requestid": request_id, "content-type": _CONTENT_TYPE},
            "RetryAttempts": 0,
        }
        return body

    def _at(self, seconds: float) -> datetime:
        """The UTC ``datetime`` of ``seconds`` since the epoch (shared: datetimes are
        immutable)."""
        cache = self._datetimes
        when = cache.get(seconds)
        if when is None:
            if len(cache) >= _DATETIME_CACHE_LIMIT:
                cache.clear()
            when = cache[seconds] = self._epoch + timedelta(seconds=seconds)
        return when

    # -- DescribeTrainingJob ----------------------------------------------------------------------

    def describe(self, job: AnyJob) -> dict[str, Any]:
        """The body of ``DescribeTrainingJob`` for ``job``."""
        at = self._at
        (
            name,
            _seq,
            hyperparameters,
            keep_alive,
            created,
            last_modified,
            state,
            pool,
            _cluster,
            _launched,
            warm,
            started,
            stop,
            ended,
            failure_reason,
            _available,
            _expires,
            _pool_reason,
            retained,
            reused_by,
            updates,
        ) = job.values()  # the order of jobs.FIELDS, read once
        body: dict[str, Any] = {"TrainingJobName": name, "TrainingJobArn": self._arn_prefix + name}
        echo: dict[str, Any] = thaw(job.spec.config)
        if hyperparameters is not None:
            echo["HyperParameters"] = thaw(hyperparameters)
        body.update(echo)
        output = echo["OutputDataConfig"]["S3OutputPath"]
        separator = "" if output.endswith("/") else "/"  # D22: one slash, none removed
        body["ModelArtifacts"] = {
            "S3ModelArtifacts": f"{output}{separator}{name}/output/model.tar.gz"
        }
        body["TrainingJobStatus"] = _STATUS[state]
        body["SecondaryStatus"] = state
        if failure_reason is not None:
            body["FailureReason"] = failure_reason
        if keep_alive is not None:
            body["ResourceConfig"]["KeepAlivePeriodInSeconds"] = keep_alive
        if "StoppingCondition" not in body:
            body["StoppingCondition"] = {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME}
        for flag in _BOOLEAN_DEFAULTS:
            if flag not in body:
                body[flag] = False
        if updates is not None:
            body.update(thaw(updates))
        body["CreationTime"] = at(created)
        if started is not None:
            body["TrainingStartTime"] = at(started)
        if ended is not None:
            body["TrainingEndTime"] = at(ended)
        body["LastModifiedTime"] = at(last_modified)
        body["SecondaryStatusTransitions"] = self._transitions(
            state, warm, created, started, stop, ended
        )
        if started is not None and ended is not None:
            seconds = training_seconds(ended - started)
            body["TrainingTimeInSeconds"] = seconds
            body["BillableTimeInSeconds"] = seconds
        if pool is not None:
            body["WarmPoolStatus"] = _warm_pool_status(pool, retained, reused_by)
        return body

    def _transitions(
        self,
        state: str,
        warm: bool,
        created: float,
        started: float | None,
        stop: float | None,
        ended: float | None,
    ) -> list[dict[str, Any]]:
        """``SecondaryStatusTransitions``, derived from the job's history."""
        at = self._at
        starting_end = started if started is not None else stop if stop is not None else ended
        steps: list[tuple[str, float, float | None, str]] = [
            (lc.STARTING, created, starting_end, _STARTING_MESSAGES[warm])
        ]
        if started is not None:
            steps.append(
                (lc.TRAINING, started, stop if stop is not None else ended, _TRAINING_MESSAGE)
            )
        if stop is not None:
            steps.append((lc.STOPPING, stop, ended, _STOPPING_MESSAGE))
        if ended is not None:
            steps.append((state, ended, ended, _STATUS_MESSAGES[state]))
        transitions: list[dict[str, Any]] = []
        for status, start, end, message in steps:
            item: dict[str, Any] = {"Status": status, "StartTime": at(start)}
            if end is not None:
                item["EndTime"] = at(end)
            item["StatusMessage"] = message
            transitions.append(item)
        return transitions

    # -- ListTrainingJobs -------------------------------------------------------------------------

    def summary(self, job: AnyJob) -> dict[str, Any]:
        """One ``TrainingJobSummary``."""
        at = self._at
        values = job.values()  # the order of jobs.FIELDS
        name, created, last_modified, state, pool = (
            values[0],
            values[4],
            values[5],
            values[6],
            values[7],
        )
        ended = values[13]
        summary: dict[str, Any] = {
            "TrainingJobName": name,
            "TrainingJobArn": self._arn_prefix + name,
            "CreationTime": at(created),
        }
        if ended is not None:
            summary["TrainingEndTime"] = at(ended)
        summary["LastModifiedTime"] = at(last_modified)
        summary["TrainingJobStatus"] = _STATUS[state]
        summary["SecondaryStatus"] = state
        if pool is not None:
            summary["WarmPoolStatus"] = _warm_pool_status(pool, values[18], values[19])
        if job.spec.training_plan is not None:
            summary["TrainingPlanArn"] = job.spec.training_plan
        return summary


def _warm_pool_status(pool: str, retained: int | None, reused_by: str | None) -> dict[str, Any]:
    """The ``WarmPoolStatus`` of a job whose warm pool status is ``pool`` (D11, D12)."""
    status: dict[str, Any] = {"Status": pool}
    if pool in _ENDED:
        status["ResourceRetainedBillableTimeInSeconds"] = retained
        if pool == _REUSED:
            status["ReusedByJob"] = reused_by
    return status
