"""The garbage collector kept to a run's own objects (`older_objects_frozen`), and Arrow on
malloc during a run (`arrow_on_malloc`)."""

import gc
import threading

import pandas as pd
import pyarrow as pa
import pytest

from dial_lists import build_dial_files
from dial_lists._memory import arrow_on_malloc, older_objects_frozen


@pytest.fixture(autouse=True)
def nothing_frozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_objects_made_before_the_block_are_frozen_until_it_ends():
    before = [object() for _ in range(3)]  # noqa: F841 - objects that exist before the block
    with older_objects_frozen():
        inside = gc.get_freeze_count()
    assert inside > 0
    assert gc.get_freeze_count() == 0


def test_an_error_in_the_block_still_unfreezes():
    with pytest.raises(RuntimeError), older_objects_frozen():
        raise RuntimeError("midway")
    assert gc.get_freeze_count() == 0


def test_what_someone_froze_before_stays_frozen():
    gc.freeze()  # as a pre-fork server does
    assert gc.get_freeze_count() > 0
    with older_objects_frozen():
        pass
    # Still frozen (unfreezing gives 0; frozen objects that were freed meanwhile leave the
    # count, so it may be a little lower than before).
    assert gc.get_freeze_count() > 0


def test_objects_stay_frozen_while_another_run_goes_on():
    first_in, second_out, counts = threading.Event(), threading.Event(), []

    def other_run():
        with older_objects_frozen():
            first_in.set()
            second_out.wait(10)
            counts.append(gc.get_freeze_count())

    thread = threading.Thread(target=other_run)
    thread.start()
    assert first_in.wait(10)
    with older_objects_frozen():
        pass
    second_out.set()
    thread.join(10)
    assert counts and counts[0] > 0  # the run that ended first did not unfreeze the other's
    assert gc.get_freeze_count() == 0


def test_a_dial_list_run_freezes_the_objects_before_it(tmp_path):
    path = tmp_path / "contacts.csv"
    pd.DataFrame({"contact_id": ["c1", "c2"], "phone": ["2127365000", "2127365001"],
                  "consent_call": ["true", "true"]}).to_csv(path, index=False)  # fmt: skip
    during = []

    build_dial_files(
        path,
        tmp_path / "out",
        at=pd.Timestamp("2026-11-30T19:00Z").to_pydatetime(),
        on_progress=lambda _: during.append(gc.get_freeze_count()),
    )

    assert during and min(during) > 0
    assert gc.get_freeze_count() == 0


def test_arrow_runs_on_malloc_until_the_last_run_of_the_process_ends():
    before = pa.default_memory_pool().backend_name
    first_in, second_out, seen = threading.Event(), threading.Event(), []

    def other_run():
        with arrow_on_malloc():
            first_in.set()
            second_out.wait(10)
            seen.append(pa.default_memory_pool().backend_name)

    thread = threading.Thread(target=other_run)
    thread.start()
    assert first_in.wait(10)
    with pytest.raises(RuntimeError), arrow_on_malloc():
        assert pa.default_memory_pool().backend_name == "system"
        raise RuntimeError("midway")
    second_out.set()
    thread.join(10)
    assert seen == ["system"]  # the run that ended first left the other one on malloc
    assert pa.default_memory_pool().backend_name == before


def test_a_list_is_evaluated_on_malloc(tmp_path, monkeypatch):
    from dial_lists import _build

    pools = []
    evaluate = _build.compliance.evaluate

    def recording(*args, **kwargs):
        pools.append(pa.default_memory_pool().backend_name)
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(_build.compliance, "evaluate", recording)
    source = tmp_path / "contacts.csv"
    source.write_text("contact_id,phone,state,consent_call\nc1,2125550101,NY,true\n")
    at = pd.Timestamp("2026-12-07T18:00Z").to_pydatetime()
    before = pa.default_memory_pool().backend_name
    build_dial_files(source, tmp_path / "out", at=at)
    assert pools == ["system"]
    assert pa.default_memory_pool().backend_name == before
