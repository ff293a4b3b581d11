from tests.images import summary


def pytest_terminal_summary(terminalreporter) -> None:
    if summary.lines:
        terminalreporter.section("images")
        for line in summary.lines:
            terminalreporter.write_line(line)
