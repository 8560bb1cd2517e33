from __future__ import annotations

from playground.engine.stops import StopScanner


def feed_all(scanner: StopScanner, pieces: list[str]) -> tuple[list[str], bool]:
    out = []
    for piece in pieces:
        text, matched = scanner.feed(piece)
        out.append(text)
        if matched:
            return out, True
    out.append(scanner.finish())
    return out, False


def armed(stops: list[str], include: bool = False) -> StopScanner:
    scanner = StopScanner(stops, include)
    scanner.arm()
    return scanner


def test_stop_spanning_tokens_is_never_half_sent() -> None:
    out, matched = feed_all(armed(["lo w"]), ["Hel", "lo wo", "rld"])
    assert matched
    assert out == ["He", "l"]  # the "l" waited: it might have started the stop
    assert "".join(out) == "Hel"


def test_include_stop_keeps_it_and_drops_what_follows() -> None:
    out, matched = feed_all(armed(["lo w"], include=True), ["Hel", "lo wo", "rld"])
    assert matched and "".join(out) == "Hello w"


def test_a_false_start_is_released_later() -> None:
    out, matched = feed_all(armed(["abc"]), ["xa", "b", "d"])
    assert not matched
    assert out == ["x", "", "abd", ""]


def test_held_text_is_released_at_the_end() -> None:
    out, matched = feed_all(armed(["END"]), ["the E", "N"])
    assert not matched and out == ["the ", "", "EN"]


def test_earliest_match_wins_then_list_order() -> None:
    assert feed_all(armed(["cd", "bc"]), ["abcd"]) == (["a"], True)
    assert feed_all(armed(["bcd", "bc"], include=True), ["abcde"]) == (["abcd"], True)


def test_matches_before_arming_do_not_count() -> None:
    scanner = StopScanner(["ab"], False)
    text, matched = scanner.feed("xab")
    assert (text, matched) == ("xab", False)
    scanner.arm()
    assert scanner.feed("ab") == ("", True)


def test_a_match_may_start_before_arming_if_it_ends_after() -> None:
    scanner = StopScanner(["abc"], False)
    assert scanner.feed("xab") == ("x", False)
    scanner.arm()
    assert scanner.feed("c") == ("", True)


def test_no_stops_releases_everything() -> None:
    assert feed_all(armed([]), ["a", "b"]) == (["a", "b", ""], False)
