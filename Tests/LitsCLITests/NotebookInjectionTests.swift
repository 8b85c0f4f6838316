import Foundation
import XCTest

/// A cell's output is data, never code: a hostile file name listed by a cell must not become a
/// cell that the next `lits notebook check` (what CI runs) executes.
final class NotebookInjectionTests: XCTestCase {
    /// Writes a notebook whose one cell lists `data/`, where a file's name carries fences and a
    /// command that creates `pwned` in the notebook's folder.
    func makeHostileNotebook(_ fileName: String) throws -> (dir: String, notebook: String) {
        let dir = try makeTempDir(self)
        try FileManager.default.createDirectory(atPath: dir + "/data", withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: dir + "/data/" + fileName, contents: Data()))
        let nb = dir + "/walkthrough.md"
        try "# Data\n\n```sh\nls data\n```\n\nThe end.\n".write(toFile: nb, atomically: true, encoding: .utf8)
        return (dir, nb)
    }

    func assertOutputStaysData(_ fileName: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (dir, nb) = try makeHostileNotebook(fileName)
        var r = try runLits(["notebook", "run", nb, "--directory", dir])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stdout.contains("1 cells run"), r.stdout, file: file, line: line)
        r = try runLits(["notebook", "check", nb, "--directory", dir])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/pwned"), "the injected cell ran", file: file, line: line)
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        XCTAssertEqual(r.stdout, "notebooks up to date\n", file: file, line: line)
        // Running again keeps the same text: the stored output is read back whole.
        let stored = try String(contentsOfFile: nb, encoding: .utf8)
        r = try runLits(["notebook", "run", nb, "--directory", dir])
        XCTAssertEqual(r.status, 0, r.stderr, file: file, line: line)
        XCTAssertEqual(try String(contentsOfFile: nb, encoding: .utf8), stored, file: file, line: line)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/pwned"), "the injected cell ran", file: file, line: line)
    }

    /// The name closes the output block with ``` and opens a ```sh cell.
    func testAFileNameThatClosesTheOutputBlockStaysOutput() throws {
        try assertOutputStaysData("volume-1.nii\n```\n```sh\ntouch pwned\n")
    }

    /// The name opens a ```sh cell in the output; the block's own closing fence would close it.
    func testAFileNameThatOpensACellStaysOutput() throws {
        try assertOutputStaysData("volume-1.nii\n```sh\ntouch pwned")
    }

    /// Longer runs of backticks than the usual fence (```` and `````) inside the output.
    func testLongBacktickRunsInAFileNameStayOutput() throws {
        try assertOutputStaysData("volume-1.nii\n`````\n\n````sh\ntouch pwned\n````\n```\n")
    }
}
