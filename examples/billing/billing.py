"""Charge teams for their idle warm pools.

A warm pool costs what its instances cost while they wait: SageMaker reports that time as the
job's ``ResourceRetainedBillableTimeInSeconds`` once the pool is ``Reused`` or ``Terminated``.
Each team pays for the pools of the jobs tagged with its name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Warm pool statuses whose idle time is final, so can be billed.
BILLED = ("Reused", "Terminated")


def idle_charges(sagemaker: Any, prices: Mapping[str, float]) -> dict[str, float]:
    """USD per team for idle warm pools.

    Every training job whose warm pool is ``Reused`` or ``Terminated`` costs
    ``ResourceRetainedBillableTimeInSeconds`` x ``InstanceCount`` x its instance type's price
    (``prices``, USD per instance-hour) / 3600, charged to the value of its ``team`` tag
    ("unassigned" without one). ``sagemaker`` is a boto3 SageMaker client.
    """
    charges: dict[str, float] = {}
    request: dict[str, Any] = {"MaxResults": 100}
    while True:
        page = sagemaker.list_training_jobs(**request)
        for summary in page["TrainingJobSummaries"]:
            if summary.get("WarmPoolStatus", {}).get("Status") not in BILLED:
                continue
            job = sagemaker.describe_training_job(TrainingJobName=summary["TrainingJobName"])
            seconds = job["WarmPoolStatus"]["ResourceRetainedBillableTimeInSeconds"]
            resources = job["ResourceConfig"]
            cost = seconds * resources["InstanceCount"] * prices[resources["InstanceType"]] / 3600
            tags = sagemaker.list_tags(ResourceArn=job["TrainingJobArn"])["Tags"]
            team = next((tag["Value"] for tag in tags if tag["Key"] == "team"), "unassigned")
            charges[team] = charges.get(team, 0.0) + cost
        if "NextToken" not in page:
            return charges
        request["NextToken"] = page["NextToken"]
