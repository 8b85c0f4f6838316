import Foundation
import XCTest

final class NotebookCommandTests: XCTestCase {
    func testRunWritesOutputsAndCheckCatchesDrift() throws {
        let dir = try makeTempDir(self)
        let nb = dir + "/walkthrough.md"
        try """
        # A walkthrough

        Some prose.

        ```sh
        echo hello
        lits --help | head -1
        ```

        ```sh varies
        date +%s%N
        ```

        ```output
        old
        ```

        The end.
        """.write(toFile: nb, atomically: true, encoding: .utf8)
        var r = try runLits(["notebook", "run", nb, "--directory", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOfFile: nb, encoding: .utf8)
        XCTAssertTrue(text.contains("```sh\necho hello\nlits --help | head -1\n```\n\n```output\nhello\nOVERVIEW: LiTSKit"), text)
        XCTAssertFalse(text.contains("old"))
        XCTAssertTrue(text.hasSuffix("The end."))
        r = try runLits(["notebook", "check", nb, "--directory", dir])
        XCTAssertEqual(r.status, 0, "the varying cell is skipped: \(r.stderr)")

        try text.replacingOccurrences(of: "```output\nhello", with: "```output\nhullo").write(toFile: nb, atomically: true, encoding: .utf8)
        r = try runLits(["notebook", "check", nb, "--directory", dir])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).contains { $0.contains("walkthrough.md:5: stored output differs") }, r.stderr)
    }

    func testAFailingCellStopsWithItsLine() throws {
        let dir = try makeTempDir(self)
        let nb = dir + "/bad.md"
        try "# Bad\n\n```sh\necho one\n```\n\n```sh\nfalse\n```\n\n```sh\necho never\n```\n".write(toFile: nb, atomically: true, encoding: .utf8)
        let before = try String(contentsOfFile: nb, encoding: .utf8)
        let r = try runLits(["notebook", "run", nb, "--directory", dir])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(errorLines(r).first?.contains("bad.md:7: cell failed with exit status 1") ?? false, r.stderr)
        XCTAssertEqual(try String(contentsOfFile: nb, encoding: .utf8), before, "nothing written on failure")
    }
}
