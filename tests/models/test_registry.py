"""One registry maps a model folder's task to its job."""

from pathlib import Path

import pytest

from lstmkit.errors import CheckpointError, DataError
from lstmkit.models.classifier import LSTMClassifier
from lstmkit.models.forecaster import LSTMForecaster
from lstmkit.models.language_model import LanguageModel
from lstmkit.models.registry import JOBS, job_class, load_model
from lstmkit.models.text_classifier import TextClassifier

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "format_v1"


def test_every_job_is_registered_under_its_own_task():
    jobs = [LSTMForecaster, LSTMClassifier, LanguageModel, TextClassifier]
    assert {task: job_class(task) for task in JOBS} == {cls.task: cls for cls in jobs}


@pytest.mark.parametrize("task", ["forecast", "classify", "text"])
def test_load_model_rebuilds_the_job_a_folder_holds(task):
    model = load_model(FIXTURES / task / "model")
    assert type(model) is job_class(task) and model.task == task and not model.network.training


def test_accept_is_asked_before_anything_is_built():
    seen = []

    def refuse(task):
        seen.append(task)
        raise DataError(f"no {task}")

    with pytest.raises(DataError, match="^no text$"):
        load_model(FIXTURES / "text" / "model", accept=refuse)
    assert seen == ["text"]


def test_an_unknown_task_is_refused(tmp_path):
    import json
    import shutil

    folder = tmp_path / "m"
    shutil.copytree(FIXTURES / "text" / "model", folder)
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "task": "poetry"}))
    with pytest.raises(CheckpointError) as info:
        load_model(folder)
    assert str(info.value) == (
        f"model folder {folder} holds a 'poetry' model, which this lstmkit does not know "
        "(its jobs are forecast, classify, text, text-classify); train the model again"
    )
    with pytest.raises(
        CheckpointError, match="^unknown task 'poetry'; lstmkit's jobs are forecast, classify"
    ):
        job_class("poetry")
