import Foundation
import XCTest

/// Every `lits ...` line in a ```sh or ```bash block of README.md and docs/*.md (docs/CLI.md is
/// generated from the parser itself) must still parse: `LITSKIT_PARSE_ONLY=1` makes `lits` parse
/// and validate its arguments, then exit 0 without running anything.
final class DocCommandLineTests: XCTestCase {
    struct DocLine {
        var file: String
        var line: Int
        var text: String
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// README.md and the guides, relative to the repository root.
    static func documents() throws -> [String] {
        let docs = try FileManager.default.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") && $0 != "CLI.md" }.sorted().map { "docs/\($0)" }
        return ["README.md"] + docs
    }

    /// The `lits` command lines of a Markdown text's sh/bash blocks, continuation lines joined.
    static func commandLines(in text: String, file: String) -> [DocLine] {
        var found: [DocLine] = []
        var inShell = false, inOther = false
        var pending: (line: Int, text: String)?
        for (index, raw) in text.components(separatedBy: "\n").enumerated() {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                if inShell || inOther { inShell = false; inOther = false; pending = nil } else {
                    let info = trimmed.dropFirst(3).trimmingCharacters(in: .whitespaces)
                    if info == "sh" || info == "bash" { inShell = true } else { inOther = true }
                }
                continue
            }
            guard inShell else { continue }
            var current = pending ?? (line: index + 1, text: "")
            let continues = trimmed.hasSuffix("\\")
            current.text += (current.text.isEmpty ? "" : " ") + (continues ? String(trimmed.dropLast()) : trimmed)
            if continues { pending = current; continue }
            pending = nil
            if current.text == "lits" || current.text.hasPrefix("lits ") {
                found.append(DocLine(file: file, line: current.line, text: current.text))
            }
        }
        return found
    }

    /// A shell line's words, as sh would split them, up to a comment, pipe, redirection or `;`.
    /// A variable (`$SLURM_CPUS_PER_TASK`, `${ID}`) stands for a value the reader supplies: it
    /// becomes 1, which parses wherever a number, a name or a path is expected.
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        var word = "", inWord = false
        var quote: Character?
        var escaped = false
        for c in line {
            if escaped { word.append(c); escaped = false; inWord = true; continue }
            if let q = quote {
                if c == q { quote = nil } else if c == "\\" && q == "\"" { escaped = true } else { word.append(c) }
                continue
            }
            switch c {
            case "'", "\"": quote = c; inWord = true
            case "\\": escaped = true
            case " ", "\t":
                if inWord { words.append(word); word = ""; inWord = false }
            case "#" where !inWord, "|", ">", "<", ";", "&":
                if inWord { words.append(word) }
                return words
            default: word.append(c); inWord = true
            }
        }
        if inWord { words.append(word) }
        return words.map { $0.replacingOccurrences(of: #"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?"#, with: "1", options: .regularExpression) }
    }

    func testTheExtractorSplitsAsTheShellDoes() {
        XCTAssertEqual(Self.words("lits eda DATA --out parts/3 --shard 3/8   # part 3"), ["lits", "eda", "DATA", "--out", "parts/3", "--shard", "3/8"])
        XCTAssertEqual(Self.words("lits eda D --title \"A b's\" -o 'x y' > f"), ["lits", "eda", "D", "--title", "A b's", "-o", "x y"])
        XCTAssertEqual(Self.words("lits info /data --json | python3 -c 'x'"), ["lits", "info", "/data", "--json"])
        XCTAssertEqual(Self.words("lits x --threads \"$SLURM_CPUS\" -o parts/${ID}/a"), ["lits", "x", "--threads", "1", "-o", "parts/1/a"])
        let text = "a\n```sh\nlits qa A \\\n  --out B\nmake demo\n```\n```\nlits nothing\n```\n"
        let lines = Self.commandLines(in: text, file: "x.md")
        XCTAssertEqual(lines.map(\.line), [3])
        XCTAssertEqual(lines.map(\.text), ["lits qa A  --out B"])
    }

    func testParseOnlyRunsNothing() throws {
        let dir = try makeTempDir(self)
        let result = try runLits(["qa", "\(dir)/missing", "--out", "\(dir)/out"], environment: ["LITSKIT_PARSE_ONLY": "1"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(dir)/out"))
        let refused = try runLits(["qa", "\(dir)/missing", "--no-such-option"], environment: ["LITSKIT_PARSE_ONLY": "1"])
        XCTAssertNotEqual(refused.status, 0)
    }

    func testEveryDocumentedCommandLineParses() throws {
        var lines: [DocLine] = []
        for file in try Self.documents() {
            let text = try String(contentsOf: Self.repositoryRoot.appendingPathComponent(file), encoding: .utf8)
            lines += Self.commandLines(in: text, file: file)
        }
        XCTAssertGreaterThan(lines.count, 30, "too few lits command lines found: is the extraction broken?")
        XCTAssertTrue(lines.contains { $0.file == "README.md" })
        for doc in lines {
            let args = Array(Self.words(doc.text).dropFirst())
            let result = try runLits(args, environment: ["LITSKIT_PARSE_ONLY": "1"])
            let why = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
            XCTAssertEqual(result.status, 0, "\(doc.file):\(doc.line): `\(doc.text)` no longer parses: \(why)")
        }
    }
}
