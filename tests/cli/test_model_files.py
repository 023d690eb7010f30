"""Model files: skops files load with an explicit list of trusted types; a file whose loading
would run code is refused before anything in it runs, naming the untrusted type; pickles load
only with --trust-pickle; a corrupt file gets a one-line error."""

from __future__ import annotations

import json
import os
import pickle
import zipfile

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLogistic
from sklearn.pipeline import Pipeline

from dasklearn.cli.__main__ import main
from dasklearn.cli.errors import CLIError
from dasklearn.cli.modelfile import FORMAT, load_model, save_model, trusted_types
from dasklearn.linear_model import LogisticRegression

skops_io = pytest.importorskip("skops.io")


class _RunsCode:
    """Pickles to a call of os.system: unpickling it runs the shell command."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def _bundle():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] > 0).astype(int)
    model = Pipeline([("model", LogisticRegression())]).fit(X, y)
    return {"model": model, "features": ["a", "b"], "target": "y", "task": "classification"}


def _malicious_skops(path, marker):
    """A skops file whose 'model' node calls posix.system(f'touch {marker}') when built."""
    skops_io.dump({"format": FORMAT, "model": 0}, path)
    with zipfile.ZipFile(path) as z:
        schema = json.loads(z.read("schema.json"))
    schema["content"]["model"] = {
        "__class__": os.system.__name__,
        "__module__": os.system.__module__,  # posix
        "__loader__": "ConstructorFromReduceNode",
        "content": {
            "__class__": "tuple",
            "__module__": "builtins",
            "__loader__": "TupleNode",
            "content": [
                {
                    "__class__": "str",
                    "__module__": "builtins",
                    "__loader__": "JsonNode",
                    "content": json.dumps(f"touch {marker}"),
                    "is_json": True,
                    "__id__": 2,
                }
            ],
            "__id__": 3,
        },
        "__id__": 4,
    }
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("schema.json", json.dumps(schema))


def test_round_trip_and_trusted_list(tmp_path):
    bundle = _bundle()
    save_model(tmp_path / "m.skops", bundle)
    loaded = load_model(tmp_path / "m.skops")
    X = np.random.default_rng(1).normal(size=(10, 2))
    np.testing.assert_array_equal(loaded["model"].predict(X), bundle["model"].predict(X))
    names = trusted_types()
    assert "dasklearn.linear_model._logistic.LogisticRegression" in names
    assert not [n for n in names if n.startswith(("os.", "posix.", "builtins.", "subprocess."))]


def test_public_path_of_a_moved_class_loads(tmp_path):
    """A file written while ParallelPostFit lived in the module dasklearn.wrappers names it
    there; the public path is the same class, so the file still loads."""
    from dasklearn.wrappers import ParallelPostFit

    X = np.random.default_rng(0).normal(size=(40, 2))
    model = ParallelPostFit(SkLogistic()).fit(X, (X[:, 0] > 0).astype(int))
    save_model(tmp_path / "new.skops", {"model": model})
    with zipfile.ZipFile(tmp_path / "new.skops") as z:
        members = {name: z.read(name) for name in z.namelist()}
    moved = '"dasklearn.wrappers._parallel_post_fit"'
    assert moved.encode() in members["schema.json"]
    members["schema.json"] = members["schema.json"].replace(moved.encode(), b'"dasklearn.wrappers"')
    with zipfile.ZipFile(tmp_path / "old.skops", "w") as z:
        for name, data in members.items():
            z.writestr(name, data)
    assert skops_io.get_untrusted_types(file=tmp_path / "old.skops") == [
        "dasklearn.wrappers.ParallelPostFit"
    ]
    loaded = load_model(tmp_path / "old.skops")["model"]
    assert type(loaded) is ParallelPostFit
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_crafted_files_really_run_code(tmp_path):
    """The malicious files below are real: loaded naively, each creates its marker file."""
    marker = tmp_path / "ran"
    (tmp_path / "evil.joblib").write_bytes(pickle.dumps(_RunsCode(f"touch {marker}")))
    joblib.load(tmp_path / "evil.joblib")
    assert marker.exists()
    marker.unlink()
    _malicious_skops(tmp_path / "evil.skops", marker)
    skops_io.load(
        tmp_path / "evil.skops", trusted=skops_io.get_untrusted_types(file=tmp_path / "evil.skops")
    )
    assert marker.exists()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pickle", "skops"])
def test_malicious_file_is_refused_and_nothing_runs(kind, cli, tables, tmp_path):
    marker = tmp_path / "ran"
    if kind == "pickle":
        model = tmp_path / "evil.joblib"
        joblib.dump({"format": FORMAT, "model": _RunsCode(f"touch {marker}")}, model)
        command = ["predict", model, tables / "new.csv", "--output", tmp_path / "p.parquet"]
        named = "posix.system"
    else:
        model = tmp_path / "evil.skops"
        _malicious_skops(model, marker)
        command = ["evaluate", model, tables / "train.csv", "--target", "churn"]
        named = "posix.system"
    done = cli(*command)
    assert done.returncode == 1
    assert not marker.exists(), "loading the model file ran its code"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"dasklearn {command[0]}: error: refused")
    assert named in lines[0]
    assert "Traceback" not in done.stderr
    # --trust-pickle is an explicit opt-in for pickles only; a skops file stays refused
    if kind == "skops":
        with pytest.raises(CLIError, match="posix.system"):
            load_model(model, trust_pickle=True)
        assert not marker.exists()


def test_pickles_need_trust(tmp_path):
    bundle = {"format": "dasklearn-model/1", **_bundle()}
    joblib.dump(bundle, tmp_path / "old.joblib")
    with pytest.raises(CLIError, match="pickle/joblib file.*--trust-pickle"):
        load_model(tmp_path / "old.joblib")
    loaded = load_model(tmp_path / "old.joblib", trust_pickle=True)
    assert isinstance(loaded["model"], Pipeline)
    joblib.dump(SkLogistic(), tmp_path / "bare.joblib")
    with pytest.raises(CLIError, match="not a model file written by 'dasklearn fit'"):
        load_model(tmp_path / "bare.joblib", trust_pickle=True)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "bad-json"])
def test_corrupt_model_file_gets_one_line(damage, tmp_path, tables, capsys):
    path = tmp_path / "m.skops"
    save_model(path, _bundle())
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00not a model" * 10)
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("schema.json", "{not json")
    status = main(["evaluate", str(path), str(tables / "train.csv"), "--target", "churn"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(err) == 1
    assert err[0].startswith("dasklearn evaluate: error: ")
    assert str(path) in err[0]
