import Foundation
import XCTest
import LiTSCore
@testable import LiTSRender

/// The notebook parser honours CommonMark fence lengths, and a stored output always reads back
/// as the output that was stored, whatever backticks it holds.
final class NotebookParserTests: XCTestCase {
    func parse(_ text: String) throws -> MarkdownNotebook { try MarkdownNotebook(path: "nb.md", text: text) }

    /// parse(withOutputs(x)) gives back x, and the cells stay the same cells.
    func assertRoundTrip(_ outputs: [String], in text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let nb = try parse(text)
        XCTAssertEqual(nb.cells.count, outputs.count, file: file, line: line)
        let again = try parse(nb.withOutputs(outputs))
        XCTAssertEqual(again.cells.map(\.code), nb.cells.map(\.code), file: file, line: line)
        XCTAssertEqual(again.cells.map(\.varies), nb.cells.map(\.varies), file: file, line: line)
        XCTAssertEqual(again.cells.map { $0.output ?? "" }, outputs, file: file, line: line)
    }

    let twoCells = "# T\n\n```sh\nls data\n```\n\nProse.\n\n```sh varies\ndate\n```\n\n```output\nold\n```\n\nEnd.\n"

    func testOutputsHoldingFencesRoundTrip() throws {
        let hostile = [
            "volume-1.nii\n```\n```sh\ntouch pwned\n",
            "a\n```sh\ntouch pwned",
            "````\n```sh varies\nrm -rf x\n````\n`````",
            "```output\nx\n```",
            "   ```\n\t````   \n~~~sh\n~~~",
            "inline ``` and ```` runs ```````",
            "`", "``", "```", "````", "",
            "\n\n```\n\n",
            "crlf\r\n```\r\n```sh\r\ntouch pwned\r\n```\r",
        ]
        for output in hostile {
            try assertRoundTrip([output, output], in: twoCells)
        }
    }

    func testTheFenceIsLongerThanAnyBacktickRun() throws {
        let text = try parse(twoCells).withOutputs(["a ```` b", "plain"])
        XCTAssertTrue(text.contains("`````output\na ```` b\n`````\n"), text)
        XCTAssertTrue(text.contains("```output\nplain\n```\n"), text)
    }

    func testACloseNeedsAsManyBackticksAsTheOpening() throws {
        let nb = try parse("````sh\necho '```'\n```\necho still code\n````\n\n````output\n```\n```sh\nx\n```\n````\n")
        XCTAssertEqual(nb.cells.count, 1)
        XCTAssertEqual(nb.cells[0].code, "echo '```'\n```\necho still code")
        XCTAssertEqual(nb.cells[0].output, "```\n```sh\nx\n```")
        // A cell fenced with four backticks keeps its fence when its output is rewritten.
        try assertRoundTrip(["new"], in: nb.withOutputs(["old"]))
        XCTAssertTrue(nb.withOutputs(["x"]).hasPrefix("````sh\necho '```'\n```\necho still code\n````\n\n```output\nx\n```\n"))
    }

    func testNothingInsideAnotherCodeBlockIsACell() throws {
        let nb = try parse("````markdown\n```sh\nrm -rf /\n```\n````\n\n~~~\n```sh\nrm x\n```\n~~~\n\n```sh\necho ok\n```\n")
        XCTAssertEqual(nb.cells.map(\.code), ["echo ok"])
        XCTAssertEqual(nb.cells[0].line, 13)
    }

    func testInlineCodeWithBackticksIsNotAFence() throws {
        let nb = try parse("```sh varies``` marks a cell.\n\n```sh\necho ok\n```\n")
        XCTAssertEqual(nb.cells.map(\.code), ["echo ok"])
    }

    func testUnclosedBlocksAreOneLineErrorsNamingTheLine() throws {
        for (text, message) in [("x\n```sh\necho\n", "nb.md:2: code cell is never closed"),
                                ("```sh\necho\n```\n\n```output\nx\n", "nb.md:5: output block is never closed"),
                                ("````python\nx\n```\n", "nb.md:1: code block is never closed")] {
            XCTAssertThrowsError(try parse(text)) { error in
                XCTAssertTrue("\(error)".contains(message), "\(error)")
                XCTAssertFalse("\(error)".contains("\n"))
            }
        }
    }

    /// The committed walkthroughs parse into the same cells and re-render byte for byte.
    func testCommittedNotebooksRenderUnchanged() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dir = root.appendingPathComponent("notebooks-md").path
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".md") }
        XCTAssertFalse(files.isEmpty)
        for name in files {
            let text = try String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8)
            let nb = try MarkdownNotebook(path: name, text: text)
            XCTAssertFalse(nb.cells.isEmpty, name)
            XCTAssertTrue(nb.cells.allSatisfy { $0.output != nil }, name)
            XCTAssertEqual(nb.withOutputs(nb.cells.map { $0.output ?? "" }), text, name)
        }
    }
}
