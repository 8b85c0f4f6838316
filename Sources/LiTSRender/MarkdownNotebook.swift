import Foundation
import LiTSCore

/// A Markdown walkthrough whose ```sh blocks run in order. Each cell's output is kept in the
/// ```output block right after it. A cell opened with ```sh varies (timings, dates) is run and
/// refreshed, but its output is not compared by `check`.
///
/// Fences follow CommonMark: a block opened with N backticks (or tildes) closes only at a line of
/// at least N of the same mark, and nothing inside any fenced block is a cell. Stored outputs are
/// fenced with more backticks than any run inside them, so an output (a file name a cell listed,
/// say) is one block whatever it contains and is never read back as a cell.
public struct MarkdownNotebook {
    public struct Cell {
        public var line: Int              // 1-based line of the opening fence
        public var code: String
        public var varies: Bool
        public var output: String?        // stored output, if any
        public var range: Range<Int>      // lines of the cell and its output block
        public var fence: Int             // backticks of the cell's opening fence
    }

    public let path: String
    public private(set) var lines: [String]
    public private(set) var cells: [Cell]

    public init(path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw LiTSError(.notFound, path: path, "no such notebook")
        }
        try self.init(path: path, text: text)
    }

    /// Parses `text`; errors name `path` and the line.
    public init(path: String, text: String) throws {
        self.path = path
        lines = MarkdownNotebook.splitLines(text)
        cells = []
        var n = 0
        while n < lines.count {
            guard let open = Fence(lines[n]) else { n += 1; continue }
            let close = try closingLine(of: open, openedAt: n)
            guard open.isCell else { n = close + 1; continue }     // another code block: skipped whole
            let code = lines[(n + 1)..<close].joined(separator: "\n")
            var end = close + 1
            var output: String?
            // An output block directly after the cell (blank lines allowed between).
            var m = end
            while m < lines.count && Fence.trimmed(lines[m]).isEmpty { m += 1 }
            if m < lines.count, let outOpen = Fence(lines[m]), outOpen.isOutput {
                let outClose = try closingLine(of: outOpen, openedAt: m)
                output = lines[(m + 1)..<outClose].joined(separator: "\n")
                end = outClose + 1
            }
            cells.append(Cell(line: n + 1, code: code, varies: open.info == "sh varies", output: output,
                              range: n..<end, fence: open.count))
            n = end
        }
    }

    /// The line that closes the block `fence` opens at line `start` (0-based).
    private func closingLine(of fence: Fence, openedAt start: Int) throws -> Int {
        guard let close = lines[(start + 1)...].firstIndex(where: fence.isClosed) else {
            let what = fence.isCell ? "code cell" : fence.isOutput ? "output block" : "code block"
            throw LiTSError(.invalidArgument, path: "\(path):\(start + 1)", "\(what) is never closed")
        }
        return close
    }

    /// Lines split at each "\n" scalar, so that joining with "\n" gives the text back exactly
    /// (a "\r\n" is one Character, and splitting by Character would miss it).
    static func splitLines(_ text: String) -> [String] {
        text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false)
            .map { String(String.UnicodeScalarView($0)) }
    }

    /// A fence line: 3 or more backticks or tildes (spaces or tabs around), then an info string.
    struct Fence {
        static let backtick = UInt8(ascii: "`"), tilde = UInt8(ascii: "~")
        let mark: UInt8
        let count: Int
        let info: String

        var isCell: Bool { mark == Fence.backtick && (info == "sh" || info == "sh varies") }
        var isOutput: Bool { mark == Fence.backtick && info == "output" }

        init?(_ line: String) {
            let t = Fence.trimmed(line)
            guard let mark = t.first, mark == Fence.backtick || mark == Fence.tilde else { return nil }
            let count = t.prefix { $0 == mark }.count
            let info = Fence.trimmed(t.dropFirst(count))
            // A backtick line whose info string holds a backtick is inline code, not a fence.
            guard count >= 3, mark == Fence.tilde || !info.contains(Fence.backtick) else { return nil }
            self.mark = mark
            self.count = count
            self.info = String(decoding: info, as: UTF8.self)
        }

        /// A closing fence: only the mark, at least as many as the opening fence.
        func isClosed(by line: String) -> Bool {
            let t = Fence.trimmed(line)
            return t.count >= count && t.allSatisfy { $0 == mark }
        }

        static func trimmed<C: Collection>(_ bytes: C) -> ArraySlice<UInt8> where C.Element == UInt8 {
            let b = ArraySlice(bytes)
            let blank: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            guard let first = b.firstIndex(where: { !blank($0) }), let last = b.lastIndex(where: { !blank($0) }) else { return [] }
            return b[first...last]
        }

        static func trimmed(_ line: String) -> ArraySlice<UInt8> { trimmed(Array(line.utf8)) }

        /// Backticks enough to fence `text`: more than its longest run, and at least 3.
        static func backticks(toFence text: String) -> String {
            var longest = 0, run = 0
            for byte in text.utf8 {
                run = byte == backtick ? run + 1 : 0
                longest = max(longest, run)
            }
            return String(repeating: "`", count: max(3, longest + 1))
        }
    }

    /// Runs a cell with bash (errexit, pipefail) in `directory`; returns the exit status and the
    /// combined output.
    static func run(_ code: String, in directory: String, tool: String) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-e", "-o", "pipefail", "-c", code]
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = URL(fileURLWithPath: tool).deletingLastPathComponent().path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        var text = String(decoding: data, as: UTF8.self)
        while text.hasSuffix("\n") { text.removeLast() }
        return (p.terminationStatus, text)
    }

    /// Runs every cell in order; stops at the first failure with the cell's line number.
    public func execute(in directory: String, tool: String, log: (String) -> Void) throws -> [String] {
        var outputs: [String] = []
        for (i, cell) in cells.enumerated() {
            log("\(path):\(cell.line): cell \(i + 1)/\(cells.count)")
            let (status, output) = try MarkdownNotebook.run(cell.code, in: directory, tool: tool)
            guard status == 0 else {
                let last = output.split(separator: "\n").last.map(String.init) ?? ""
                throw LiTSError(.invalidValues, path: "\(path):\(cell.line)", "cell failed with exit status \(status): \(last)")
            }
            outputs.append(output)
        }
        return outputs
    }

    /// The notebook text with every cell's output block replaced by `outputs`. Each output is
    /// fenced with more backticks than any run inside it, so it reads back as exactly that output.
    public func withOutputs(_ outputs: [String]) -> String {
        var out: [String] = []
        var n = 0
        for (cell, output) in zip(cells, outputs) {
            out += lines[n..<cell.range.lowerBound]
            let fence = String(repeating: "`", count: cell.fence)
            out += [fence + (cell.varies ? "sh varies" : "sh")] + MarkdownNotebook.splitLines(cell.code) + [fence, ""]
            let outFence = Fence.backticks(toFence: output)
            out.append(outFence + "output")
            out += output.isEmpty ? [] : MarkdownNotebook.splitLines(output)
            out.append(outFence)
            n = cell.range.upperBound
        }
        out += lines[n...]
        return out.joined(separator: "\n")
    }

    /// `lits notebook run`: runs the cells and writes their outputs into the file.
    public func runAndStore(in directory: String, tool: String, log: (String) -> Void) throws {
        try AtomicFile.write(withOutputs(try execute(in: directory, tool: tool, log: log)), to: path)
    }

    /// `lits notebook check`: runs the cells and returns those whose output differs from the stored one.
    public func check(in directory: String, tool: String, log: (String) -> Void) throws -> [Cell] {
        differences(try execute(in: directory, tool: tool, log: log))
    }

    /// Cells whose fresh output differs from the stored one (varying cells skipped).
    public func differences(_ outputs: [String]) -> [Cell] {
        zip(cells, outputs).filter { cell, output in !cell.varies && (cell.output ?? "") != output }.map(\.0)
    }
}
