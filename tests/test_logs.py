"""lstmkit.logs: labelled blocks, lists of a few names and counts in words."""

import logging

from lstmkit.logs import CommandLineFormatter, counted, few, held_back, labelled


def test_a_logger_first_made_inside_the_block_is_labelled(caplog):
    caplog.set_level(logging.WARNING)
    with labelled("hold-out model: "):
        logging.getLogger("lstmkit.made_inside_the_block").warning("series too short")
        logging.getLogger("another_library").warning("not ours")
    logging.getLogger("lstmkit.made_inside_the_block").warning("after the block")
    assert [r.getMessage() for r in caplog.records] == [
        "hold-out model: series too short",
        "not ours",
        "after the block",
    ]


def test_a_dropped_block_keeps_other_libraries_records_and_nested_labels_apply_once(caplog):
    caplog.set_level(logging.WARNING)
    log = logging.getLogger("lstmkit.some_module")
    with labelled("outer: "):
        with labelled(None):
            log.warning("a validation network's note")
            logging.getLogger("another_library").warning("kept")
        with labelled("inner: "):
            log.warning("twice labelled?")
    assert [r.getMessage() for r in caplog.records] == ["kept", "outer: twice labelled?"]


def test_the_command_line_prints_notes_as_written_and_other_records_with_their_level():
    lines = []

    class Lines(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Lines()
    handler.setFormatter(CommandLineFormatter())
    ours, other = logging.getLogger("lstmkit.some_module"), logging.getLogger("another_library")
    printing = [
        logging.getLogger("lstmkit"),
        other,
    ]  # where the records go (labelled() filters these handlers)
    for logger in printing:
        logger.addHandler(handler)
        logger.propagate = False
    try:
        ours.warning("note: too short for the network; the classical references alone forecast it")
        with labelled("hold-out model (all but the last 6 points): "):
            ours.warning("note: a short history")
            ours.warning("1 series is left out")
        ours.warning("a column named note: ignored")
        ours.error("note: not a warning")
        other.warning("note: another library's")
    finally:
        for logger in printing:
            logger.removeHandler(handler)
            logger.propagate = True
    assert lines == [
        "note: too short for the network; the classical references alone forecast it",
        "hold-out model (all but the last 6 points): note: a short history",
        "WARNING: hold-out model (all but the last 6 points): 1 series is left out",
        "WARNING: a column named note: ignored",
        "ERROR: note: not a warning",
        "WARNING: note: another library's",
    ]


def test_few_names_the_first_ones():
    assert few(["a", "b"]) == "a, b"
    assert few(range(5)) == "0, 1, 2 ..."
    assert few(range(5), limit=4) == "0, 1, 2, 3 ..."


def test_counted_says_one_in_the_singular_and_every_other_count_in_the_plural():
    """Printed lines said "1 epochs" and "vocabulary 1 characters"."""
    assert counted(1, "epoch") == "1 epoch"
    assert counted(0, "character") == "0 characters"
    assert counted(2, "word token") == "2 word tokens"
    assert counted(1200, "character") == "1,200 characters"


def test_held_back_notes_come_after_the_block_and_never_when_it_raises(caplog):
    import pytest

    caplog.set_level(logging.WARNING)
    log = logging.getLogger("lstmkit.reading")
    with held_back():
        log.warning("ignoring column x")
        logging.getLogger("another_library").warning("not ours: at once")
        assert [r.getMessage() for r in caplog.records] == ["not ours: at once"]
    assert [r.getMessage() for r in caplog.records] == ["not ours: at once", "ignoring column x"]
    caplog.clear()
    with pytest.raises(ValueError), held_back():
        log.warning("a note about a file then refused")
        raise ValueError("refused")
    log.warning("after")
    assert [r.getMessage() for r in caplog.records] == ["after"]
