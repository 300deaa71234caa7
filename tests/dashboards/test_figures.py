"""The dashboard's arithmetic on plain numbers: readable histograms, quantiles and the
ordering of Factory Physics' curves whatever the measurements."""

from __future__ import annotations

import pytest

from production.dashboards import figures


def test_lead_times_of_minutes_get_bins_that_read_apart() -> None:
    minutes = [m / 1440 for m in (1, 2, 3, 5, 8, 13, 21)]  # the demo's same-hour orders
    hist = figures.histogram(minutes)
    assert len(set(hist["labels"])) == len(hist["labels"]) <= figures.HIST_BINS
    assert sum(hist["counts"]) == len(minutes)
    assert hist["edges"][0] <= min(minutes) and hist["edges"][-1] >= max(minutes)


@pytest.mark.parametrize(
    "values",
    [[3.0] * 6, [0.0] * 5, [0.25, 0.5, 1.0, 1.5, 2.0], [0.1, 7.3, 19.9, 40.0, 100.0, 100.0]],
)
def test_histogram_bins_hold_every_value_in_at_most_twelve_bins(values: list[float]) -> None:
    hist = figures.histogram(values)
    assert sum(hist["counts"]) == len(values)
    assert 1 <= len(hist["counts"]) <= figures.HIST_BINS
    assert len(set(hist["labels"])) == len(hist["labels"])


def test_nearest_rank_quantile() -> None:
    assert figures.quantile([5.0, 1.0, 3.0, 2.0, 4.0], 0.9) == 5.0
    assert figures.quantile(list(map(float, range(1, 11))), 0.9) == 9.0
    assert figures.quantile([], 0.9) is None


@pytest.mark.parametrize(
    ("job_size", "process_time", "containers"),
    [
        (None, None, 4.0),  # nothing measured: the line's containers and capacity
        (4.0, 1 / 1440, 4.0),  # orders done within a minute: below what capacity allows
        (10.0, 0.5, 4.0),
        (None, 2.0, None),
        (50.0, 0.01, 50.0),  # a job larger than the line makes in the measured time
    ],
)
def test_best_case_pwc_and_worst_case_stay_ordered(
    job_size: float | None, process_time: float | None, containers: float | None
) -> None:
    rb = 120.0
    params = figures.little_parameters(
        rb=rb, container_mean=containers, job_size=job_size, process_time=process_time
    )
    assert params["t0"] >= params["q"] / rb
    top = max(3 * params["w0"], 2 * params["q"])
    curves = figures.factory_physics(rb=rb, t0=params["t0"], q=params["q"], top=top)
    for i in range(len(curves["wip"])):
        assert curves["worst_th"][i] <= curves["pwc_th"][i] <= curves["best_th"][i] <= rb
        assert curves["best_ct"][i] <= curves["pwc_ct"][i] <= curves["worst_ct"][i]
