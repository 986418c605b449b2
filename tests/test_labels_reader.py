"""annotations/labels.csv has one reader; what a cell the schema refuses means is the caller's choice."""
from __future__ import annotations

import pytest

from classifier.io.labels import LabelsError, read_labels, read_table, task_cells
from classifier.review.store import LabelStore

TEXT = ("ID,Role,phases,boundary_spanner,note\n"
        "a_2020,peer support,design;delivery,yes,fine\n"
        "b_2021,chief,delivery,,typo in role\n")


@pytest.fixture
def labels_file(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_raise_names_row_and_column(labels_file):
    with pytest.raises(LabelsError, match=r"labels.csv row 3 column role: 'chief' is not a role value"):
        read_labels(labels_file)


def test_keep_keeps_the_cell_as_typed_for_the_store(labels_file):
    store = LabelStore(labels_file)
    assert store.labels()["b_2021"]["role"] == "chief"
    assert store.labels()["a_2020"] == {"eligible": None, "role": "peer_support", "phases": "design;delivery",
                                        "boundary_spanner": "true", "exclusion_reason": None}
    frame = store.load()
    assert frame.loc["b_2021", "role"] == "chief" and frame.loc["b_2021", "note"] == "typo in role"


def test_unknown_reads_it_as_unknown_and_says_so(labels_file):
    cells, problems = task_cells(read_table(labels_file), "unknown", str(labels_file))
    assert cells["b_2021"]["role"] is None and cells["b_2021"]["phases"] == "delivery"
    assert problems == ["labels.csv row 3 (b_2021): 'chief' is not a role value "
                        "(allowed: pre_determined, peer_support, co_creation)"]
    assert LabelStore(labels_file).labels_and_problems() == (cells, problems)


def test_structure_is_checked_the_same_way_for_every_caller(tmp_path):
    dup = tmp_path / "dup.csv"
    dup.write_text("id,role\nx,peer_support\nx,co_creation\n", encoding="utf-8")
    for read in (read_labels, lambda p: LabelStore(p).labels(), lambda p: task_cells(read_table(p), "unknown")):
        with pytest.raises(LabelsError, match=r"dup.csv row 3: id 'x' appears twice"):
            read(dup)
    none = tmp_path / "none.csv"
    none.write_text("id,comment\nx,hello\n", encoding="utf-8")
    with pytest.raises(LabelsError, match="no task column"):
        read_labels(none)


def test_labelled_studies_without_a_text_are_named_with_the_reason(tmp_path):
    import json

    from classifier.model.texts import load_labelled_texts

    labels = tmp_path / "labels.csv"
    labels.write_text("id,role\nhas_text,peer_support\nno_record,co_creation\nempty_record,pre_determined\n"
                      "unlabelled,\n", encoding="utf-8")
    records = tmp_path / "texts.jsonl"
    records.write_text("\n".join(json.dumps(r) for r in (
        {"id": "has_text", "title": "Peer workers in a crisis team", "abstract": "Peer workers supported people."},
        {"id": "empty_record", "title": "", "abstract": ""},
        {"id": "unlabelled", "title": "Another study", "abstract": "Text."})) + "\n", encoding="utf-8")
    loaded = load_labelled_texts([records], read_labels(labels))
    assert [d.id for d in loaded.documents] == ["has_text"] and loaded.n_read == 2
    assert set(loaded.without_text) == {"no_record", "empty_record"}
    assert loaded.without_text["no_record"] == "no record or file with this id in the --texts inputs"
    assert "no title and no abstract" in loaded.without_text["empty_record"]
    said = []
    loaded.report(said.append)
    assert said[0] == "2 labelled studies have no text and are left out:" and len(said) == 3
