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

__all__ = ["Responder", "warm_pool_status"]

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

    @property
    def answered(self) -> int:
        """How many responses were numbered so far."""
        return self._requests

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
        body: dict[str, Any] = {
            "TrainingJobName": job.name,
            "TrainingJobArn": self._arn_prefix + job.name,
        }
        echo: dict[str, Any] = thaw(job.spec.config)
        if job.hyperparameters is not None:
            echo["HyperParameters"] = thaw(job.hyperparameters)
        body.update(echo)
        output = echo["OutputDataConfig"]["S3OutputPath"]
        separator = "" if output.endswith("/") else "/"  # D22: one slash, none removed
        body["ModelArtifacts"] = {
            "S3ModelArtifacts": f"{output}{separator}{job.name}/output/model.tar.gz"
        }
        state = job.state
        body["TrainingJobStatus"] = _STATUS[state]
        body["SecondaryStatus"] = state
        if job.failure_reason is not None:
            body["FailureReason"] = job.failure_reason
        if job.keep_alive is not None:
            body["ResourceConfig"]["KeepAlivePeriodInSeconds"] = job.keep_alive
        if "StoppingCondition" not in body:
            body["StoppingCondition"] = {"MaxRuntimeInSeconds": DEFAULT_MAX_RUNTIME}
        for flag in _BOOLEAN_DEFAULTS:
            if flag not in body:
                body[flag] = False
        if job.updates is not None:
            body.update(thaw(job.updates))
        created, started, ended = job.created_at, job.started_at, job.ended_at
        body["CreationTime"] = at(created)
        if started is not None:
            body["TrainingStartTime"] = at(started)
        if ended is not None:
            body["TrainingEndTime"] = at(ended)
        body["LastModifiedTime"] = at(job.last_modified)
        body["SecondaryStatusTransitions"] = self._transitions(job)
        if started is not None and ended is not None:
            seconds = training_seconds(ended - started)
            body["TrainingTimeInSeconds"] = seconds
            body["BillableTimeInSeconds"] = seconds
        if job.pool is not None:
            body["WarmPoolStatus"] = warm_pool_status(job)
        return body

    def _transitions(self, job: AnyJob) -> list[dict[str, Any]]:
        at = self._at
        stop, started, ended = job.stop_requested_at, job.started_at, job.ended_at
        transitions: list[dict[str, Any]] = []

        def step(status: str, start: float, end: float | None, message: str) -> None:
            item: dict[str, Any] = {"Status": status, "StartTime": at(start)}
            if end is not None:
                item["EndTime"] = at(end)
            item["StatusMessage"] = message
            transitions.append(item)

        starting_end = started if started is not None else stop if stop is not None else ended
        step(
            lc.STARTING,
            job.created_at,
            starting_end,
            _WARM_START_MESSAGE if job.warm else _COLD_START_MESSAGE,
        )
        if started is not None:
            step(
                lc.TRAINING,
                started,
                stop if stop is not None else ended,
                _STATUS_MESSAGES[lc.TRAINING],
            )
        if stop is not None:
            step(lc.STOPPING, stop, ended, _STATUS_MESSAGES[lc.STOPPING])
        if ended is not None:
            step(job.state, ended, ended, _STATUS_MESSAGES[job.state])
        return transitions

    # -- ListTrainingJobs -------------------------------------------------------------------------

    def summary(self, job: AnyJob) -> dict[str, Any]:
        """One ``TrainingJobSummary``."""
        at = self._at
        summary: dict[str, Any] = {
            "TrainingJobName": job.name,
            "TrainingJobArn": self._arn_prefix + job.name,
            "CreationTime": at(job.created_at),
        }
        if job.ended_at is not None:
            summary["TrainingEndTime"] = at(job.ended_at)
        summary["LastModifiedTime"] = at(job.last_modified)
        summary["TrainingJobStatus"] = _STATUS[job.state]
        summary["SecondaryStatus"] = job.state
        if job.pool is not None:
            summary["WarmPoolStatus"] = warm_pool_status(job)
        if job.spec.training_plan is not None:
            summary["TrainingPlanArn"] = job.spec.training_plan
        return summary


def warm_pool_status(job: AnyJob) -> dict[str, Any]:
    """The ``WarmPoolStatus`` of a job that has a warm pool (D11, D12)."""
    pool = job.pool
    status: dict[str, Any] = {"Status": pool}
    if pool in _ENDED:
        status["ResourceRetainedBillableTimeInSeconds"] = job.retained_billable
        if pool == _REUSED:
            status["ReusedByJob"] = job.reused_by
    return status
